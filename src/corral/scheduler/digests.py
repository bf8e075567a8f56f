"""Resource definition changes: has a resource's configuration changed since it
was started?

Pacemaker records, with each operation, a digest of the parameters the
operation ran with (``op-digest``: the MD5 of the resource's instance
attributes written as ``<parameters name="value" .../>``, names sorted). When
the digest of the current definition differs from the one recorded with the
start, the resource is restarted "due to resource definition change".

Pacemaker Explained, "Reloading Resource Parameters": an agent that can reload
some of its parameters without a restart (``reload-agent``) says which ones in
its metadata; the start's record then also carries ``op-force-restart`` (the
parameters that do need a restart) and ``op-restart-digest`` (the digest of
only those). When only reloadable parameters changed -- the full digest
differs, the restart digest does not -- the resource is reloaded in place.
"""

from __future__ import annotations

import hashlib

from corral.model.status import OpRecord

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"))


def _escape(value: str) -> str:
    for raw, esc in _ESCAPES:
        value = value.replace(raw, esc)
    return value


def parameters_digest(params: dict[str, str]) -> str:
    text = "".join(f' {k}="{_escape(v)}"' for k, v in sorted(params.items()))
    return hashlib.md5(f" <parameters{text}/>\n".encode()).hexdigest()


def definition_changed(op: OpRecord | None, params: dict[str, str]) -> bool:
    """Whether the start recorded in ``op`` ran with other parameters than ``params``.

    Where the record also has a digest without its secret parameters
    (``op-secure-digest``, leaving out those named in ``op-secure-params`` and
    the ``pcmk_*`` fencing options), that one decides, as crm_simulate does:
    the secrets themselves may have been scrubbed from the CIB."""
    if op is None or not op.digest:
        return False
    secure = op.meta.get("op-secure-digest")
    if secure:
        hidden = set(op.meta.get("op-secure-params", "").split())
        public = {k: v for k, v in params.items() if k not in hidden and not k.startswith("pcmk_")}
        return secure != parameters_digest(public)
    return op.digest != parameters_digest(params)


def definition_change(
    op: OpRecord | None, params: dict[str, str], op_params: frozenset[str] = frozenset()
) -> str | None:
    """How a start recorded in ``op`` must catch up with ``params``: None (it
    ran with them), ``"reload"`` (only reloadable parameters changed) or
    ``"restart"``. ``op_params``: names set on the operation itself, which an
    agent cannot reload (crm_simulate restarts for them)."""
    if not definition_changed(op, params):
        return None
    assert op is not None
    restart_digest = op.meta.get("op-restart-digest")
    if not restart_digest:
        return "restart"
    forced = set(op.meta.get("op-force-restart", "").split()) | op_params
    kept = {k: v for k, v in params.items() if k in forced}
    return "reload" if restart_digest == parameters_digest(kept) else "restart"


def recurring_changed(
    op: OpRecord | None, params: dict[str, str], op_params: dict[str, str], timeout_ms: int
) -> bool:
    """Whether a recurring operation recorded in ``op`` ran with other
    parameters than the configured ones: it is then scheduled again. A
    recurring operation's digest covers the resource's and the operation's
    parameters and its timeout (``CRM_meta_timeout``, in ms), whatever
    version wrote the record."""
    if op is None or not op.digest or op.meta.get("op-secure-digest"):
        return False
    full = {**params, **op_params, "CRM_meta_timeout": str(timeout_ms)}
    return op.digest != parameters_digest(full)


def last_start(ops: list[OpRecord]) -> OpRecord | None:
    """The operation that brought an instance up on a node: its latest
    successful start (or migration), or the probe that found it running."""
    best: OpRecord | None = None
    for op in ops:
        if op.interval_ms != 0 or (best is not None and op.call_id < best.call_id):
            continue
        started = op.operation in ("start", "migrate_from") and op.rc == 0
        found = op.operation == "monitor" and op.rc in (0, 8)
        if started or found:
            best = op
        elif op.operation == "stop" and op.rc == 0:
            best = None
    return best
