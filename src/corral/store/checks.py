"""What every backend checks before it sends or writes anything: a key's form and size, a
transaction's ops, values and total size against the backend's ``Limits``; and
``prefix_end``, the end of a prefix's key range.
"""

from __future__ import annotations

from collections.abc import Sequence

from corral.store.base import Compare, Delete, Get, Limits, Op, Put
from corral.store.errors import InvalidKey, TooManyOps, ValueTooLarge

__all__ = ["check_key", "check_ops", "check_txn", "prefix_end"]


def check_key(key: str, limits: Limits, *, prefix: bool = False) -> bytes:
    """Validate a key (or, with ``prefix``, a prefix, which may be empty). Returns its bytes."""
    if not isinstance(key, str):
        raise InvalidKey(f"key must be text, not {type(key).__name__}", key=None)
    if not key and not prefix:
        raise InvalidKey("empty key", key=key)
    if "\x00" in key:
        raise InvalidKey(f"key {key[:60]!r} contains a NUL character", key=key)
    try:
        raw = key.encode()
    except UnicodeEncodeError as e:
        raise InvalidKey(f"key {key[:60]!r} is not valid UTF-8 text", key=key) from e
    if len(raw) > limits.max_key_bytes:
        raise InvalidKey(
            f"key {key[:60]!r}... is {len(raw)} bytes, over the limit of {limits.max_key_bytes}",
            key=key,
        )
    return raw


def check_ops(ops: Sequence[Op], limits: Limits) -> int:
    """Validate one branch of a transaction; returns its size in bytes."""
    if len(ops) > limits.max_txn_ops:
        raise TooManyOps(
            f"transaction branch has {len(ops)} operations, over the limit of {limits.max_txn_ops}"
        )
    size = 0
    written: set[str] = set()
    for op in ops:
        if not isinstance(op, Put | Delete | Get):
            raise TypeError(f"not a store op: {op!r}")
        raw = check_key(op.key, limits, prefix=not isinstance(op, Put) and op.prefix)
        size += len(raw)
        if isinstance(op, Put):
            if op.key in written:
                raise InvalidKey(f"key {op.key!r} is put twice in one transaction", key=op.key)
            written.add(op.key)
            if not isinstance(op.value, bytes | bytearray | memoryview):
                raise TypeError(f"value of {op.key!r} must be bytes, not {type(op.value).__name__}")
            if len(op.value) > limits.max_value_bytes:
                raise ValueTooLarge(
                    f"value of {op.key!r} is {len(op.value)} bytes, over the limit of "
                    f"{limits.max_value_bytes}",
                    key=op.key,
                    size=len(op.value),
                    limit=limits.max_value_bytes,
                )
            size += len(op.value)
    if size > limits.max_txn_bytes:
        raise ValueTooLarge(
            f"transaction is {size} bytes, over the limit of {limits.max_txn_bytes}",
            size=size,
            limit=limits.max_txn_bytes,
        )
    return size


def check_txn(
    compare: Sequence[Compare], success: Sequence[Op], failure: Sequence[Op], limits: Limits
) -> None:
    """Validate a whole transaction (every backend calls this before doing anything)."""
    for c in compare:
        if not isinstance(c, Compare):
            raise TypeError(f"not a Compare: {c!r}")
        check_key(c.key, limits)
    if len(compare) > limits.max_txn_ops:
        raise TooManyOps(f"{len(compare)} compares, over the limit of {limits.max_txn_ops}")
    check_ops(success, limits)
    check_ops(failure, limits)


def prefix_end(prefix: str) -> str | None:
    """The smallest string greater than every string starting with ``prefix`` (None: no end)."""
    while prefix:
        code = ord(prefix[-1]) + 1
        if 0xD800 <= code <= 0xDFFF:  # skip surrogates: not encodable
            code = 0xE000
        if code <= 0x10FFFF:
            return prefix[:-1] + chr(code)
        prefix = prefix[:-1]
    return None
