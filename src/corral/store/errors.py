"""Errors of the store, all in corral's one exception family.

Each has a stable ``code`` (tests and callers test codes, not text) and a one-line
message that names what was wrong (the key, the URL, the host:port, the revision).
"""

from __future__ import annotations

from corral.model.errors import CorralError


class StoreError(CorralError):
    """Base of every store error."""

    code = "store-error"


class InvalidKey(StoreError):
    """A key (or prefix) that is empty, too long, or not valid text. Nothing was written."""

    code = "store-invalid-key"

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key


class ValueTooLarge(StoreError):
    """A value (or a whole transaction) over the backend's limit. Nothing was written."""

    code = "store-value-too-large"

    def __init__(self, message: str, *, key: str | None = None, size: int = 0, limit: int = 0):
        super().__init__(message)
        self.key = key
        self.size = size
        self.limit = limit


class TooManyOps(StoreError):
    """A transaction with more operations than the backend allows. Nothing was written."""

    code = "store-too-many-ops"


class InvalidURL(StoreError):
    """A store URL that cannot be parsed or has a bad option."""

    code = "store-invalid-url"


class UnknownScheme(InvalidURL):
    """A store URL whose scheme is not memory://, sqlite:// or etcd://."""

    code = "store-unknown-scheme"


class Unavailable(StoreError):
    """The store cannot be reached (names the endpoint(s), e.g. ``127.0.0.1:2379``).

    For writes that fail this way the outcome may be unknown (the write may have been
    committed just before the connection broke): re-read before retrying a CAS.
    """

    code = "store-unavailable"

    def __init__(self, message: str, *, endpoint: str | None = None) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class Compacted(StoreError):
    """The revision asked for (range at_revision, watch from_revision) was compacted away.

    The caller re-reads (``range(prefix)``) and watches again from the snapshot's
    ``revision + 1``. ``compact_revision`` is the oldest revision still kept.
    """

    code = "store-compacted"

    def __init__(self, message: str, *, revision: int, compact_revision: int) -> None:
        super().__init__(message)
        self.revision = revision
        self.compact_revision = compact_revision


class FutureRevision(StoreError):
    """A read at a revision the store has not reached yet."""

    code = "store-future-revision"


class LeaseExpired(StoreError):
    """The lease does not exist (any more): it expired or was revoked."""

    code = "store-lease-expired"

    def __init__(self, message: str, *, lease_id: int) -> None:
        super().__init__(message)
        self.lease_id = lease_id


class NotLeader(StoreError):
    """A leader's fenced write failed: this process is no longer the leader."""

    code = "store-not-leader"


class StoreClosed(StoreError):
    """The Store object was closed."""

    code = "store-closed"
