"""One structured log line per event: ``event key=value key="a value"``."""

from __future__ import annotations

import logging
from typing import Any


def fmt_value(v: Any) -> str:
    s = "" if v is None else str(v)
    if s == "" or any(c in s for c in ' "=\n\t'):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return s


def kv(event: str, **fields: Any) -> str:
    return " ".join([event, *(f"{k}={fmt_value(v)}" for k, v in fields.items())])


def log_kv(logger: logging.Logger, level: int, event: str, **fields: Any) -> None:
    if logger.isEnabledFor(level):
        logger.log(level, kv(event, **fields))
