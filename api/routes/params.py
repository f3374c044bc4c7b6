"""Parameters shared by several routes, parsed at the edge (400 problem+json otherwise)."""
from __future__ import annotations

from ..errors import Problem
from ..params import parse_date


def checked_date(value: str | None, name: str = "date") -> str | None:
    """A real calendar date (YYYY-MM-DD) or None; 400 naming the parameter otherwise."""
    try:
        return parse_date(value, name)
    except ValueError as exc:
        raise Problem(400, "Invalid date", str(exc)) from None
