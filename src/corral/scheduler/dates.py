"""Date expressions: does a rule's ``date_expression`` hold at a moment?

Pacemaker Explained, "Date Expressions": ``gt`` holds after ``start``, ``lt``
before ``end``, ``in_range`` between them inclusive (or from ``start`` for a
``duration``; with neither bound it does not hold), ``date_spec`` when every
field it gives (years, months, monthdays, hours, minutes, seconds, weekdays,
yeardays, weeks, weekyears; ``1-5`` ranges and ``,`` lists) contains the
moment's value. Dates are ISO 8601 (``2019-09-20 15:10:52 +00:00``,
``2019-09-20T15:10:52Z``, ``20190920``, ordinal ``2005-001``, week
``2005-W01-1``); a missing zone means UTC. Times are epoch seconds; the moment
is given, never read from a clock.

This is corral's one date engine: the scheduler's location rules and the CIB
reader's attribute-set rules both call it.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from corral.model.config import DateExpression

_DATE = re.compile(
    r"^\s*(?P<y>\d{4})"
    r"(?:(?P<cm>\d{2})(?P<cd>\d{2})"
    r"|-(?:(?P<w>W\d{2}(?:-\d)?)|(?P<m>\d{2})(?:-(?P<d>\d{2}))?|(?P<o>\d{3})))?"
    r"(?:[ T](?P<H>\d{2})(?::?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:\.\d+)?)?)?)?"
    r"\s*(?P<z>Z|[+-]\d{2}(?::?\d{2})?)?\s*$"
)


def parse_datetime(text: str | None) -> int | None:
    """Epoch seconds for an ISO 8601 date/time, or None if it is not one."""
    if not text:
        return None
    m = _DATE.match(text)
    if not m:
        return None
    y = int(m["y"])
    try:
        if m["w"]:
            wk = m["w"][1:].split("-")
            day = dt.date.fromisocalendar(y, int(wk[0]), int(wk[1]) if len(wk) > 1 else 1)
        elif m["o"]:
            day = dt.date(y, 1, 1) + dt.timedelta(days=int(m["o"]) - 1)
        else:
            day = dt.date(y, int(m["m"] or m["cm"] or 1), int(m["d"] or m["cd"] or 1))
    except ValueError:
        return None
    secs = int(m["H"] or 0) * 3600 + int(m["M"] or 0) * 60 + int(m["S"] or 0)
    off = 0
    z = m["z"]
    if z and z != "Z":
        sign = -1 if z[0] == "-" else 1
        digits = z[1:].replace(":", "")
        off = sign * (int(digits[:2]) * 3600 + (int(digits[2:4]) * 60 if len(digits) > 2 else 0))
    return calendar.timegm(day.timetuple()) + secs - off


def add_duration(epoch: int, parts: dict[str, str]) -> int:
    """``epoch`` plus a rule's ``<duration years=.. months=.. weeks=.. days=.. hours=..>``."""
    t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    months = int(parts.get("years", 0) or 0) * 12 + int(parts.get("months", 0) or 0)
    if months:
        mi = t.month - 1 + months
        y, mo = t.year + mi // 12, mi % 12 + 1
        d = min(t.day, calendar.monthrange(y, mo)[1])
        t = t.replace(year=y, month=mo, day=d)
    t += dt.timedelta(
        weeks=int(parts.get("weeks", 0) or 0),
        days=int(parts.get("days", 0) or 0),
        hours=int(parts.get("hours", 0) or 0),
        minutes=int(parts.get("minutes", 0) or 0),
        seconds=int(parts.get("seconds", 0) or 0),
    )
    return int(t.timestamp())


def _in_spec(value: int, spec: str) -> bool:
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            if sep:
                if int(lo) <= value <= int(hi):
                    return True
            elif int(lo) == value:
                return True
        except ValueError:
            return False
    return False


def date_spec_matches(epoch: int, spec: dict[str, str]) -> bool:
    """Whether every field ``spec`` gives contains the value of moment ``epoch``."""
    t = dt.datetime.fromtimestamp(epoch, tz=dt.UTC)
    iso = t.isocalendar()
    values = {
        "years": t.year,
        "months": t.month,
        "monthdays": t.day,
        "hours": t.hour,
        "minutes": t.minute,
        "seconds": t.second,
        "weekdays": iso[2],
        "yeardays": t.timetuple().tm_yday,
        "weeks": iso[1],
        "weekyears": iso[0],
    }
    for name, v in values.items():
        s = spec.get(name)
        if s is not None and not _in_spec(v, s):
            return False
    return True


def date_holds(e: DateExpression, now: int) -> bool:
    """Whether date expression ``e`` holds at epoch second ``now``."""
    op = e.operation.lower()
    if op == "date_spec":
        return date_spec_matches(now, e.date_spec)
    start = parse_datetime(e.start)
    end = parse_datetime(e.end)
    if op == "gt":
        return start is not None and now > start
    if op == "lt":
        return end is not None and now < end
    if op == "in_range":
        if end is None and start is not None and e.duration:
            end = add_duration(start, e.duration)
        if start is None and end is None:
            return False
        return (start is None or now >= start) and (end is None or now <= end)
    return False
