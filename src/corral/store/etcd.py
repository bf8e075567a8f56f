"""The etcd v3 backend: ``etcd://host:port[,host:port...]``, through the ``aetcd`` client.

What aetcd does not do, this module adds (see ../shared/notes/etcd.md):

* Failover: one gRPC channel over every endpoint of the URL (``ipv4:a:p,b:q`` target,
  pick-first), short reconnect backoff, ``wait_for_ready`` so a request made while the
  channel reconnects waits for the next member instead of failing; reads and lease calls
  are retried until the request timeout; a ``txn`` is not retried (its outcome may be
  unknown after a broken connection: it raises ``Unavailable`` and the caller re-reads).
* Reads at a revision use the raw ``Range`` stub (aetcd ignores ``revision=``).
* Lease refreshes share one ``LeaseKeepAlive`` stream (re-opened after errors); a TTL of 0
  in the answer means the lease is gone.
* Watches resume by themselves after a broken stream from the last event seen (events of
  a revision already delivered are skipped), so none is lost or repeated.
* TLS (``tls=1``, ``cacert=``, ``cert=``, ``key=``, ``server_name=``) on the same channel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import aetcd
import aetcd.exceptions as aex
import grpc
from aetcd import rpc, transactions

from corral.store import etcd_watch
from corral.store.base import (
    Compare,
    Delete,
    KeyValue,
    Lease,
    Limits,
    Op,
    OpResult,
    Put,
    Snapshot,
    Store,
    TxnResult,
    Watch,
    lease_id,
)
from corral.store.checks import check_key, check_txn
from corral.store.errors import (
    Compacted,
    InvalidURL,
    LeaseExpired,
    StoreClosed,
    StoreError,
    Unavailable,
)
from corral.store.etcd_errors import map_error, retryable
from corral.store.etcd_lease import KeepAliveStream
from corral.store.url import float_option, parse_options, redact

log = logging.getLogger(__name__)
T = TypeVar("T")

OPTIONS = {
    "user", "password", "tls", "cacert", "cert", "key", "server_name", "timeout",
    "connect_timeout",
}  # fmt: skip

CHANNEL_OPTIONS: dict[str, Any] = {
    "grpc.initial_reconnect_backoff_ms": 100,
    "grpc.min_reconnect_backoff_ms": 100,
    "grpc.max_reconnect_backoff_ms": 500,
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.max_receive_message_length": 256 * 1024 * 1024,
    "grpc.max_send_message_length": 8 * 1024 * 1024,
}

_COMPARE = {
    "mod_revision": transactions.Mod,
    "create_revision": transactions.Create,
    "version": transactions.Version,
    "value": transactions.Value,
}


def key_range(prefix: str) -> tuple[bytes, bytes]:
    """(key, range_end) of a prefix; "" is every key."""
    if not prefix:
        return b"\0", b"\0"
    raw = prefix.encode()
    end = bytearray(raw)
    for i in reversed(range(len(end))):
        if end[i] < 0xFF:
            end[i] += 1
            return raw, bytes(end[: i + 1])
    return raw, b"\0"


def to_kv(kv: Any) -> KeyValue:
    return KeyValue(
        kv.key.decode(), bytes(kv.value), kv.create_revision, kv.mod_revision, kv.version, kv.lease
    )


class _Client(aetcd.Client):
    """aetcd's client on a channel we build (multi-endpoint target, TLS, options)."""

    def __init__(self, target: str, creds: grpc.ChannelCredentials | None, **kw: Any) -> None:
        super().__init__(**kw)
        self._target = target
        self._creds = creds

    async def connect(self) -> None:
        if self._connected.is_set():
            return
        opts = list(self._options.items())
        if self._creds is not None:
            self.channel = rpc.secure_channel(self._target, self._creds, options=opts)
        else:
            self.channel = rpc.insecure_channel(self._target, options=opts)
        if self._username is not None:
            self.auth_stub = rpc.AuthStub(self.channel)
            resp = await self.auth_stub.Authenticate(
                rpc.AuthenticateRequest(name=self._username, password=self._password),
                timeout=self._timeout,
                wait_for_ready=True,
            )
            self.metadata = (("token", resp.token),)
        self.kvstub = rpc.KVStub(self.channel)
        self.clusterstub = rpc.ClusterStub(self.channel)
        self.leasestub = rpc.LeaseStub(self.channel)
        self.maintenancestub = rpc.MaintenanceStub(self.channel)
        self._watcher = aetcd.watcher.Watcher(
            rpc.WatchStub(self.channel), timeout=self._timeout, metadata=self.metadata
        )
        self._connected.set()


class EtcdStore(Store):
    """A Store on an etcd v3 cluster (see the module docstring)."""

    def __init__(
        self,
        endpoints: list[tuple[str, int]],
        *,
        url: str | None = None,
        user: str | None = None,
        password: str | None = None,
        credentials: grpc.ChannelCredentials | None = None,
        server_name: str | None = None,
        timeout: float = 5.0,
        connect_timeout: float = 3.0,
        limits: Limits = Limits(),
    ) -> None:
        self.endpoints = endpoints
        self.endpoints_text = ",".join(f"{h}:{p}" for h, p in endpoints)
        self.url = url or f"etcd://{self.endpoints_text}"
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.limits = limits
        self.closed = False
        options = dict(CHANNEL_OPTIONS)
        if server_name:
            options["grpc.ssl_target_name_override"] = server_name
        self.client = _Client(
            self._target(),
            credentials,
            username=user,
            password=password,
            timeout=math.ceil(timeout),
            options=options,
        )
        self._keepalive = KeepAliveStream(self)

    def _target(self) -> str:
        hosts = [h for h, _ in self.endpoints]
        if len(self.endpoints) == 1 and not _is_ip(hosts[0]):
            return f"{hosts[0]}:{self.endpoints[0][1]}"
        if all(":" in h for h in hosts):
            return "ipv6:" + ",".join(f"[{h}]:{p}" for h, p in self.endpoints)
        return "ipv4:" + ",".join(f"{h}:{p}" for h, p in self.endpoints)

    # ---- opening
    @classmethod
    async def open_url(cls, url: str) -> EtcdStore:
        parts = urlsplit(url)
        opts = parse_options(parts.query, OPTIONS, url)
        netloc = parts.netloc
        user = opts.get("user")
        password = opts.get("password")
        if "@" in netloc:
            cred, netloc = netloc.rsplit("@", 1)
            user, _, pw = cred.partition(":")
            user, password = unquote(user), unquote(pw)
        if (user is None) != (password is None):
            raise InvalidURL(f"store URL {redact(url)}: give both user and password")
        endpoints = await _resolve(_parse_hosts(netloc, url), url)
        tls = parts.scheme.lower() == "etcds" or opts.get("tls", "") in ("1", "true", "yes")
        creds = None
        if tls or "cacert" in opts or "cert" in opts:
            creds = grpc.ssl_channel_credentials(
                root_certificates=_read(opts.get("cacert"), url),
                private_key=_read(opts.get("key"), url),
                certificate_chain=_read(opts.get("cert"), url),
            )
        store = cls(
            endpoints,
            url=url,
            user=user,
            password=password,
            credentials=creds,
            server_name=opts.get("server_name"),
            timeout=float_option(opts, "timeout", 5.0, url),
            connect_timeout=float_option(opts, "connect_timeout", 3.0, url),
        )
        try:
            await asyncio.wait_for(store._probe(), store.connect_timeout)
        except BaseException as e:
            await store.close()
            if isinstance(e, StoreError) and not isinstance(e, Unavailable):
                raise
            raise Unavailable(
                f"cannot reach etcd at {store.endpoints_text} within "
                f"{store.connect_timeout:g}s: {str(e) or type(e).__name__}",
                endpoint=store.endpoints_text,
            ) from e
        return store

    async def _probe(self) -> None:
        await self.client.connect()
        await self.client.kvstub.Range(
            rpc.RangeRequest(key=b"\0", limit=1, keys_only=True),
            timeout=self.connect_timeout,
            metadata=self.client.metadata,
            wait_for_ready=True,
        )

    # ---- plumbing
    async def _rpc(self, what: str, fn: Callable[[_Client], Awaitable[T]], retry: bool) -> T:
        """Run one RPC; retry retryable failures until the request timeout if ``retry``."""
        if self.closed:
            raise StoreClosed(f"store {redact(self.url)} is closed")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        delay = 0.05
        while True:
            try:
                await self.client.connect()
                return await fn(self.client)
            except (grpc.aio.AioRpcError, aex.ClientError, TimeoutError, OSError) as e:
                err = map_error(e, what, self.endpoints_text)
                if not (retry and retryable(err)) or loop.time() + delay >= deadline:
                    raise err from e
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    def _left(self) -> float:
        return self.timeout

    async def _range(self, key: bytes, end: bytes | None, at: int | None) -> Any:
        req = rpc.RangeRequest(key=key, range_end=end or b"", revision=at or 0)
        return await self._rpc(
            "range",
            lambda c: c.kvstub.Range(
                req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
            ),
            retry=True,
        )

    # ---- reads
    async def get(self, key: str, *, at_revision: int | None = None) -> KeyValue | None:
        raw = check_key(key, self.limits)
        resp = await self._range(raw, None, at_revision)
        return to_kv(resp.kvs[0]) if resp.kvs else None

    async def range(self, prefix: str, *, at_revision: int | None = None) -> Snapshot:
        check_key(prefix, self.limits, prefix=True)
        key, end = key_range(prefix)
        resp = await self._range(key, end, at_revision)
        return Snapshot(at_revision or resp.header.revision, tuple(to_kv(kv) for kv in resp.kvs))

    async def revision(self) -> int:
        resp = await self._range(b"\0", None, None)
        return int(resp.header.revision)

    # ---- writes
    def _op(self, op: Op) -> Any:
        if isinstance(op, Put):
            return rpc.RequestOp(
                request_put=rpc.PutRequest(
                    key=op.key.encode(), value=bytes(op.value), lease=op.lease
                )
            )
        if isinstance(op, Delete):
            key, end = key_range(op.key) if op.prefix else (op.key.encode(), b"")
            return rpc.RequestOp(
                request_delete_range=rpc.DeleteRangeRequest(key=key, range_end=end)
            )
        key, end = key_range(op.key) if op.prefix else (op.key.encode(), b"")
        return rpc.RequestOp(request_range=rpc.RangeRequest(key=key, range_end=end))

    @staticmethod
    def _compare(c: Compare) -> Any:
        built = _COMPARE[c.target](c.key.encode())
        if c.op == "==":
            built = built == c.operand
        elif c.op == "!=":
            built = built != c.operand
        elif c.op == "<":
            built = built < c.operand
        else:
            built = built > c.operand
        return built.build_message()

    async def txn(
        self,
        compare: Sequence[Compare] = (),
        success: Sequence[Op] = (),
        failure: Sequence[Op] = (),
    ) -> TxnResult:
        check_txn(compare, success, failure, self.limits)
        req = rpc.TxnRequest(
            compare=[self._compare(c) for c in compare],
            success=[self._op(op) for op in success],
            failure=[self._op(op) for op in failure],
        )
        resp = await self._rpc(
            "txn",
            lambda c: c.kvstub.Txn(
                req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
            ),
            retry=False,
        )
        results: list[OpResult] = []
        for r in resp.responses:
            kind = r.WhichOneof("response")
            if kind == "response_range":
                results.append(OpResult(kvs=tuple(to_kv(kv) for kv in r.response_range.kvs)))
            elif kind == "response_delete_range":
                results.append(OpResult(deleted=int(r.response_delete_range.deleted)))
            else:
                results.append(OpResult())
        return TxnResult(bool(resp.succeeded), int(resp.header.revision), tuple(results))

    # ---- leases
    async def grant(self, ttl: float) -> Lease:
        req = rpc.LeaseGrantRequest(TTL=max(1, math.ceil(ttl)))
        resp = await self._rpc(
            "lease grant",
            lambda c: c.leasestub.LeaseGrant(
                req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
            ),
            retry=True,
        )
        if resp.error:
            raise Unavailable(f"etcd lease grant: {resp.error}", endpoint=self.endpoints_text)
        return Lease(int(resp.ID), float(resp.TTL))

    async def refresh(self, lease: Lease | int) -> float:
        lid = lease_id(lease)
        ttl = await self._rpc(
            "lease keepalive", lambda c: self._keepalive.refresh(lid, self.timeout), retry=True
        )
        if ttl <= 0:
            raise LeaseExpired(f"lease {lid:x} expired or revoked", lease_id=lid)
        return float(ttl)

    async def revoke(self, lease: Lease | int) -> None:
        req = rpc.LeaseRevokeRequest(ID=lease_id(lease))
        with contextlib.suppress(LeaseExpired):
            await self._rpc(
                "lease revoke",
                lambda c: c.leasestub.LeaseRevoke(
                    req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
                ),
                retry=True,
            )

    async def time_to_live(self, lease: Lease | int) -> float | None:
        req = rpc.LeaseTimeToLiveRequest(ID=lease_id(lease))
        resp = await self._rpc(
            "lease ttl",
            lambda c: c.leasestub.LeaseTimeToLive(
                req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
            ),
            retry=True,
        )
        return None if resp.TTL <= 0 else float(resp.TTL)

    # ---- watches and history
    async def watch(self, prefix: str, *, from_revision: int | None = None) -> Watch:
        check_key(prefix, self.limits, prefix=True)
        start = (await self.revision()) + 1 if from_revision is None else max(1, from_revision)
        w = etcd_watch.EtcdWatch(self, prefix, start, key_range(prefix))
        await w.open()
        return w

    async def compact(self, revision: int) -> None:
        current = await self.revision()
        req = rpc.CompactionRequest(revision=min(revision, current), physical=False)
        with contextlib.suppress(Compacted):  # already compacted at or past that revision
            await self._rpc(
                "compact",
                lambda c: c.kvstub.Compact(
                    req, timeout=self.timeout, metadata=c.metadata, wait_for_ready=True
                ),
                retry=True,
            )

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        await self._keepalive.close()
        with contextlib.suppress(Exception):
            await self.client.close()


def _is_ip(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            pass
    return False


def _parse_hosts(netloc: str, url: str) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for part in netloc.split(","):
        part = part.strip()
        if not part:
            raise InvalidURL(f"store URL {redact(url)}: empty endpoint")
        if part.startswith("["):
            host, _, rest = part[1:].partition("]")
            port_text = rest.lstrip(":") or "2379"
        else:
            host, _, port_text = part.rpartition(":") if ":" in part else (part, "", "2379")
        try:
            port = int(port_text)
        except ValueError:
            port = -1
        if not host or not 0 < port < 65536:
            raise InvalidURL(f"store URL {redact(url)}: bad endpoint {part!r} (want host:port)")
        out.append((host, port))
    return out


async def _resolve(endpoints: list[tuple[str, int]], url: str) -> list[tuple[str, int]]:
    """Host names become addresses when there are several endpoints (one gRPC target)."""
    if len(endpoints) == 1 or all(_is_ip(h) for h, _ in endpoints):
        return endpoints
    loop = asyncio.get_running_loop()
    out: list[tuple[str, int]] = []
    for host, port in endpoints:
        if _is_ip(host):
            out.append((host, port))
            continue
        try:
            infos = await loop.getaddrinfo(host, port, family=socket.AF_INET)
        except OSError as e:
            raise Unavailable(
                f"cannot resolve etcd host {host}: {e}", endpoint=f"{host}:{port}"
            ) from e
        out.append((str(infos[0][4][0]), port))
    return out


def _read(path: str | None, url: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise InvalidURL(f"store URL {redact(url)}: cannot read {path}: {e}") from e
