"""What one extracted legal parameter is: a number a provision sets, normalised."""
from __future__ import annotations

from dataclasses import dataclass

KINDS = ("period", "age", "amount", "count", "share")

# canonical units and the family each belongs to (parameters are compared within a family)
UNIT_FAMILY = {
    "hour": "time", "day": "time", "working_day": "time", "week": "time", "month": "time", "year": "time",
    "rub": "money", "byn": "money", "base_unit": "money", "mrot": "money", "avg_earnings": "money",
    "percent": "share", "fraction": "share", "multiple": "share",
    "times": "count", "person": "count",
}


@dataclass(frozen=True)
class Parameter:
    """One number a provision sets: `kind` ("period" | "age" | "amount" | "count" | "share"),
    `value` in `unit` (see UNIT_FAMILY), the words quoted as printed (`quote` ==
    text[start:end]) and `label`, what the number is about when the sentence says it
    ("срок исковой давности"), else ""."""

    kind: str
    value: float
    unit: str
    quote: str
    start: int
    end: int
    label: str = ""

    def as_dict(self) -> dict:
        """The parameter as JSON-ready data."""
        return {"kind": self.kind, "value": self.value, "unit": self.unit, "quote": self.quote,
                "start": self.start, "end": self.end, "label": self.label}
