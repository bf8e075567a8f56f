"""The etcd backend's errors: an etcd / gRPC / aetcd failure as corral's StoreError family,
and which of them are worth retrying (``Unavailable``: no leader, a member gone, a timeout).
"""

from __future__ import annotations

import aetcd.exceptions as aex
import grpc

from corral.store.errors import (
    Compacted,
    FutureRevision,
    InvalidKey,
    LeaseExpired,
    StoreError,
    TooManyOps,
    Unavailable,
    ValueTooLarge,
)

__all__ = ["TRANSIENT_DETAILS", "map_error", "retryable"]


def map_error(e: BaseException, what: str, endpoints: str) -> StoreError:
    """An etcd / gRPC / aetcd error as a StoreError."""
    if isinstance(e, StoreError):
        return e
    cause = e.__cause__ if isinstance(e, aex.ClientError) and e.__cause__ else e
    if isinstance(cause, grpc.aio.AioRpcError):
        detail = cause.details() or str(cause.code())
        code = cause.code()
    else:
        detail = str(e) or type(e).__name__
        code = None
    low = detail.lower()
    if "required revision has been compacted" in low:
        return Compacted(f"{what}: {detail}", revision=0, compact_revision=0)
    if "future revision" in low:
        return FutureRevision(f"{what}: {detail}")
    if "lease not found" in low:
        return LeaseExpired(f"{what}: {detail}", lease_id=0)
    if "too large" in low or code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return ValueTooLarge(f"{what}: {detail}")
    if "too many operations" in low:
        return TooManyOps(f"{what}: {detail}")
    if "duplicate key" in low:
        return InvalidKey(f"{what}: {detail}")
    transient = code in (None, grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    if transient or any(t in low for t in TRANSIENT_DETAILS):
        return Unavailable(
            f"etcd at {endpoints} unavailable ({what}): {detail}", endpoint=endpoints
        )
    return StoreError(f"etcd ({what}): {detail}")


TRANSIENT_DETAILS = ("no leader", "leader changed", "timed out", "unavailable", "not ready")


def retryable(err: StoreError) -> bool:
    return isinstance(err, Unavailable)
