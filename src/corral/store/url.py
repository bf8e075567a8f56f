"""``open_store(url)``: pick the backend from the URL's scheme.

* ``memory://`` — a private in-process store; ``memory://<name>`` — shared by every Store
  of this process opened with that name.
* ``sqlite:///path/to/corral.db`` (absolute path; ``sqlite://relative.db`` is relative to
  the working directory). Options: ``?synchronous=full|normal`` (default full),
  ``busy_timeout=<s>`` (default 10), ``poll=<s>`` (change polling period, default 0.01).
* ``etcd://[user:password@]host:port[,host:port...]``. Options: ``user=``, ``password=``,
  ``tls=1``, ``cacert=<file>``, ``cert=<file>``, ``key=<file>``, ``timeout=<s>`` (per request,
  default 5), ``connect_timeout=<s>`` (default 3). ``etcds://`` is etcd with ``tls=1``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, unquote, urlsplit

from corral.store.base import Store
from corral.store.errors import InvalidURL, UnknownScheme

SCHEMES = ("memory", "sqlite", "etcd", "etcds")


def parse_options(query: str, allowed: set[str], url: str) -> dict[str, str]:
    """The query options of a store URL; an unknown option is an ``InvalidURL``."""
    opts: dict[str, str] = {}
    for name, values in parse_qs(query, keep_blank_values=True).items():
        if name not in allowed:
            raise InvalidURL(
                f"store URL {redact(url)}: unknown option {name!r} "
                f"(known: {', '.join(sorted(allowed))})"
            )
        opts[name] = values[-1]
    return opts


def float_option(opts: dict[str, str], name: str, default: float, url: str) -> float:
    if name not in opts:
        return default
    try:
        value = float(opts[name])
    except ValueError:
        value = -1.0
    if value <= 0:
        raise InvalidURL(f"store URL {redact(url)}: option {name} must be a positive number")
    return value


def redact(url: str) -> str:
    """The URL with any password replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        cred, host = netloc.rsplit("@", 1)
        user = cred.split(":", 1)[0]
        netloc = f"{user}:***@{host}"
    query = "&".join(
        f"{p.split('=', 1)[0]}=***" if p.startswith("password=") else p
        for p in parts.query.split("&")
        if p
    )
    return f"{parts.scheme}://{netloc}{parts.path}" + (f"?{query}" if query else "")


async def open_store(url: str) -> Store:
    """Open the store named by ``url`` (see the module docstring for the forms).

    Raises ``UnknownScheme`` for another scheme, ``InvalidURL`` for a malformed URL or
    option, ``Unavailable`` if the store cannot be reached within the connect timeout.
    """
    if not isinstance(url, str) or "://" not in url:
        raise InvalidURL(f"not a store URL: {url!r} (want memory://, sqlite:///path or etcd://h:p)")
    scheme = url.split("://", 1)[0].lower()
    if scheme == "memory":
        from corral.store.memory import MemoryStore

        parts = urlsplit(url)
        parse_options(parts.query, set(), url)
        name = unquote(parts.netloc + parts.path)
        return MemoryStore.named(name, url=url)
    if scheme == "sqlite":
        from corral.store.sqlite import SqliteStore

        # sqlite:////abs/path (an absolute path written after "sqlite:///") is /abs/path:
        # name it so, not //abs/path, in the store's messages
        head, _, rest = url.partition("://")
        return await SqliteStore.open_url(
            f"{head}://" + ("/" + rest.lstrip("/") if rest.startswith("//") else rest)
        )
    if scheme in ("etcd", "etcds"):
        from corral.store.etcd import EtcdStore

        return await EtcdStore.open_url(url)
    raise UnknownScheme(
        f"unknown store URL scheme {scheme!r} in {redact(url)} "
        f"(known: memory://, sqlite:///path, etcd://host:port)"
    )
