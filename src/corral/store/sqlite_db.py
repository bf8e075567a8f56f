"""The sqlite backend's database layer: schema and blocking operations on one connection
(used from one thread only). ``corral.store.sqlite`` runs these on its private threads."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from corral.store.base import (
    Compare,
    Delete,
    Event,
    EventType,
    Get,
    KeyValue,
    Op,
    OpResult,
    Put,
    Snapshot,
    TxnResult,
)
from corral.store.checks import prefix_end
from corral.store.errors import Compacted, FutureRevision, LeaseExpired

T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value);
CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY, value BLOB NOT NULL, create_revision INTEGER NOT NULL,
    mod_revision INTEGER NOT NULL, version INTEGER NOT NULL, lease INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_lease ON kv(lease) WHERE lease != 0;
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY, revision INTEGER NOT NULL, key TEXT NOT NULL,
    deleted INTEGER NOT NULL, value BLOB NOT NULL, create_revision INTEGER NOT NULL,
    version INTEGER NOT NULL, lease INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS log_revision ON log(revision);
CREATE INDEX IF NOT EXISTS log_key ON log(key, revision);
CREATE TABLE IF NOT EXISTS lease (
    id INTEGER PRIMARY KEY AUTOINCREMENT, ttl REAL NOT NULL, deadline REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS lease_deadline ON lease(deadline);
INSERT OR IGNORE INTO meta VALUES ('revision', 1), ('compact_revision', 0), ('boot_id', '');
"""

LOG_COLS = "key, deleted, value, create_revision, revision, version, lease"


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _kv(row: Sequence[Any]) -> KeyValue:
    return KeyValue(row[0], bytes(row[1]), row[2], row[3], row[4], row[5])


def _log_event(row: Sequence[Any]) -> Event:
    key, deleted, value, create, rev, version, lease = row
    if deleted:
        return Event(EventType.DELETE, KeyValue(key, b"", 0, rev, 0))
    return Event(EventType.PUT, KeyValue(key, bytes(value), create, rev, version, lease))


def _key_range(prefix: str) -> tuple[str, str]:
    """SQL bounds (>=, <) for a prefix; '' and the top code point give an open end."""
    end = prefix_end(prefix)
    return prefix, end if end is not None else "\U0010ffff\U0010ffff"


class Db:
    """One sqlite connection, used from one thread only. Every method is blocking."""

    def __init__(self, path: str, busy_timeout: float, synchronous: str) -> None:
        self.path = path
        self.conn = sqlite3.connect(
            path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
        )
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous}")

    def close(self) -> None:
        self.conn.close()

    def setup(self) -> None:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            for stmt in SCHEMA.strip().split(";"):
                if stmt.strip():
                    c.execute(stmt)
            boot = boot_id()
            (old,) = c.execute("SELECT value FROM meta WHERE name='boot_id'").fetchone()
            if boot and old != boot:
                # a new boot: monotonic deadlines of the old one mean nothing; expire all
                c.execute("UPDATE lease SET deadline = -1")
                c.execute("UPDATE meta SET value=? WHERE name='boot_id'", (boot,))
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    # ---- reads
    def revisions(self) -> tuple[int, int]:
        rows = dict(
            self.conn.execute(
                "SELECT name, value FROM meta WHERE name IN ('revision','compact_revision')"
            ).fetchall()
        )
        return int(rows["revision"]), int(rows["compact_revision"])

    def _read(self, fn: Callable[[], T]) -> T:
        c = self.conn
        c.execute("BEGIN")
        try:
            return fn()
        finally:
            c.execute("COMMIT")

    def _check_at(self, at: int, rev: int, compact: int) -> None:
        if at > rev:
            raise FutureRevision(f"revision {at} is ahead of the store ({rev})")
        if at < compact:
            raise Compacted(
                f"revision {at} was compacted (oldest kept: {compact})",
                revision=at,
                compact_revision=compact,
            )

    def range(self, prefix: str, at: int | None, single: bool) -> Snapshot:
        def read() -> Snapshot:
            rev, compact = self.revisions()
            if single:
                where, args = "key = ?", (prefix,)
            else:
                lo, hi = _key_range(prefix)
                where, args = "key >= ? AND key < ?", (lo, hi)
            if at is None:
                rows = self.conn.execute(
                    "SELECT key, value, create_revision, mod_revision, version, lease FROM kv "
                    f"WHERE {where} ORDER BY key",
                    args,
                ).fetchall()
                return Snapshot(rev, tuple(_kv(r) for r in rows))
            self._check_at(at, rev, compact)
            rows = self.conn.execute(
                f"SELECT {LOG_COLS} FROM log l WHERE {where} AND id = "
                "(SELECT max(id) FROM log m WHERE m.key = l.key AND m.revision <= ?) "
                "AND deleted = 0 ORDER BY key",
                (*args, at),
            ).fetchall()
            kvs = tuple(_log_event(r).kv for r in rows)
            return Snapshot(at, kvs)

        return self._read(read)

    def events(self, prefix: str, start: int) -> tuple[list[Event], int]:
        """Events with revision >= start under prefix, and the revision read at."""

        def read() -> tuple[list[Event], int]:
            rev, compact = self.revisions()
            if start < compact:
                raise Compacted(
                    f"watch from revision {start}: compacted (oldest kept: {compact})",
                    revision=start,
                    compact_revision=compact,
                )
            if start > rev:
                return [], rev
            lo, hi = _key_range(prefix)
            rows = self.conn.execute(
                f"SELECT {LOG_COLS} FROM log WHERE revision >= ? AND key >= ? AND key < ? "
                "ORDER BY id",
                (start, lo, hi),
            ).fetchall()
            return [_log_event(r) for r in rows], rev

        return self._read(read)

    def data_version(self) -> tuple[int, float | None]:
        (dv,) = self.conn.execute("PRAGMA data_version").fetchone()
        (first,) = self.conn.execute("SELECT min(deadline) FROM lease").fetchone()
        return int(dv), first

    def lease_ttl(self, lid: int) -> float | None:
        row = self.conn.execute("SELECT deadline FROM lease WHERE id = ?", (lid,)).fetchone()
        if row is None:
            return None
        left = row[0] - time.monotonic()
        return left if left > 0 else None

    # ---- writes
    def _write(self, fn: Callable[[], T]) -> T:
        c = self.conn
        c.execute("BEGIN IMMEDIATE")
        try:
            out = fn()
        except BaseException:
            c.execute("ROLLBACK")
            raise
        c.execute("COMMIT")
        return out

    def _row(self, key: str) -> KeyValue | None:
        row = self.conn.execute(
            "SELECT key, value, create_revision, mod_revision, version, lease FROM kv WHERE key=?",
            (key,),
        ).fetchone()
        return _kv(row) if row else None

    def _keys(self, key: str, prefix: bool) -> list[str]:
        if not prefix:
            return [key] if self._row(key) else []
        lo, hi = _key_range(key)
        rows = self.conn.execute(
            "SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key", (lo, hi)
        ).fetchall()
        return [r[0] for r in rows]

    def _log(self, rev: int, kv: KeyValue | None, key: str) -> None:
        if kv is None:
            row: tuple[Any, ...] = (rev, key, 1, b"", 0, 0, 0)
        else:
            row = (rev, key, 0, kv.value, kv.create_revision, kv.version, kv.lease)
        self.conn.execute(
            "INSERT INTO log (revision, key, deleted, value, create_revision, version, lease) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            row,
        )

    def _delete_keys(self, rev: int, keys: list[str]) -> None:
        for k in keys:
            self.conn.execute("DELETE FROM kv WHERE key = ?", (k,))
            self._log(rev, None, k)

    def _set_revision(self, rev: int) -> None:
        self.conn.execute("UPDATE meta SET value = ? WHERE name = 'revision'", (rev,))

    def txn(
        self, compare: Sequence[Compare], success: Sequence[Op], failure: Sequence[Op]
    ) -> TxnResult:
        def run() -> TxnResult:
            rev, _ = self.revisions()
            ok = all(c.holds(self._row(c.key)) for c in compare)
            ops = success if ok else failure
            now = time.monotonic()
            for op in ops:
                if isinstance(op, Put) and op.lease:
                    row = self.conn.execute(
                        "SELECT deadline FROM lease WHERE id = ?", (op.lease,)
                    ).fetchone()
                    if row is None or row[0] <= now:
                        raise LeaseExpired(f"lease {op.lease:x} not found", lease_id=op.lease)
            new = rev + 1
            wrote = False
            results: list[OpResult] = []
            for op in ops:
                if isinstance(op, Put):
                    prev = self._row(op.key)
                    kv = KeyValue(
                        op.key,
                        bytes(op.value),
                        prev.create_revision if prev else new,
                        new,
                        prev.version + 1 if prev else 1,
                        op.lease,
                    )
                    self.conn.execute(
                        "INSERT OR REPLACE INTO kv VALUES (?, ?, ?, ?, ?, ?)",
                        (kv.key, kv.value, kv.create_revision, new, kv.version, kv.lease),
                    )
                    self._log(new, kv, op.key)
                    wrote = True
                    results.append(OpResult())
                elif isinstance(op, Delete):
                    keys = self._keys(op.key, op.prefix)
                    self._delete_keys(new, keys)
                    wrote = wrote or bool(keys)
                    results.append(OpResult(deleted=len(keys)))
                elif isinstance(op, Get):
                    kvs = tuple(r for k in self._keys(op.key, op.prefix) if (r := self._row(k)))
                    results.append(OpResult(kvs=kvs))
            if wrote:
                self._set_revision(new)
            return TxnResult(ok, new if wrote else rev, tuple(results))

        return self._write(run)

    def grant(self, ttl: float) -> int:
        def run() -> int:
            cur = self.conn.execute(
                "INSERT INTO lease (ttl, deadline) VALUES (?, ?)", (ttl, time.monotonic() + ttl)
            )
            return int(cur.lastrowid or 0)

        return self._write(run)

    def refresh_many(self, ids: list[int]) -> dict[int, float]:
        """Refresh several leases in one transaction: {id: ttl} for those still alive."""

        def run() -> dict[int, float]:
            now = time.monotonic()
            out: dict[int, float] = {}
            for lid in ids:
                row = self.conn.execute(
                    "SELECT ttl, deadline FROM lease WHERE id=?", (lid,)
                ).fetchone()
                if row is not None and row[1] > now:
                    self.conn.execute(
                        "UPDATE lease SET deadline = ? WHERE id = ?", (now + row[0], lid)
                    )
                    out[lid] = float(row[0])
            return out

        return self._write(run)

    def refresh(self, lid: int) -> float:
        def run() -> float:
            now = time.monotonic()
            row = self.conn.execute("SELECT ttl, deadline FROM lease WHERE id=?", (lid,)).fetchone()
            if row is None or row[1] <= now:
                raise LeaseExpired(f"lease {lid:x} expired or revoked", lease_id=lid)
            self.conn.execute("UPDATE lease SET deadline = ? WHERE id = ?", (now + row[0], lid))
            return float(row[0])

        return self._write(run)

    def drop_leases(self, ids: list[int] | None) -> int:
        """Delete the given leases (None: every expired one) and their keys, at one revision
        per lease. Returns how many leases went."""

        def run() -> int:
            if ids is None:
                rows = self.conn.execute(
                    "SELECT id FROM lease WHERE deadline <= ? ORDER BY id", (time.monotonic(),)
                ).fetchall()
                todo = [r[0] for r in rows]
            else:
                todo = ids
            rev, _ = self.revisions()
            for lid in todo:
                keys = [
                    r[0]
                    for r in self.conn.execute(
                        "SELECT key FROM kv WHERE lease = ? ORDER BY key", (lid,)
                    ).fetchall()
                ]
                self.conn.execute("DELETE FROM lease WHERE id = ?", (lid,))
                if keys:
                    rev += 1
                    self._delete_keys(rev, keys)
            self._set_revision(rev)
            return len(todo)

        return self._write(run)

    def compact(self, revision: int) -> None:
        def run() -> None:
            rev, compact = self.revisions()
            at = min(revision, rev)
            if at <= compact:
                return
            # keep, per key, the newest row at or before `at` if it is a put (the state at `at`)
            self.conn.execute(
                "DELETE FROM log WHERE revision < ? AND (deleted = 1 OR id < "
                "(SELECT max(id) FROM log m WHERE m.key = log.key AND m.revision <= ?))",
                (at, at),
            )
            self.conn.execute("UPDATE meta SET value = ? WHERE name = 'compact_revision'", (at,))

        self._write(run)
