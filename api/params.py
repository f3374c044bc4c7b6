"""Query-parameter helpers shared by the API routes and the page."""
from __future__ import annotations


def split(values: list[str]) -> tuple[str, ...]:
    """Repeated or comma-separated query parameters as one tuple (?act=a&act=b or ?act=a,b)."""
    return tuple(v.strip() for x in values for v in x.split(",") if v.strip())
