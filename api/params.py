"""Query-parameter helpers shared by the API routes and the page."""
from __future__ import annotations

import datetime as _dt
import re

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def split(values: list[str]) -> tuple[str, ...]:
    """Repeated or comma-separated query parameters as one tuple (?act=a&act=b or ?act=a,b)."""
    return tuple(v.strip() for x in values for v in x.split(",") if v.strip())


def parse_date(value: str | None, name: str = "date") -> str | None:
    """A calendar date given as YYYY-MM-DD (None stays None); ValueError names the parameter.

    '2016-02-30' and '2023-13-45' are refused, as are years outside 1800-2200: no act of
    either jurisdiction is dated there, and such a value is a typo, not a question.
    """
    if value is None:
        return None
    if not _DATE.match(value):
        raise ValueError(f"{name} {value[:40]!r} is not a date; write it as YYYY-MM-DD")
    try:
        day = _dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a date: no such day in the calendar") from None
    if not 1800 <= day.year <= 2200:
        raise ValueError(f"{name} {value!r} is outside 1800-2200")
    return value
