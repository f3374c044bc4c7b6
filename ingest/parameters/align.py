"""The parameters of two provisions side by side: which number of one answers which of the
other (same kind and unit family, then the same label), and how each pair reads in Russian
("срок исковой давности: 3 года ↔ 3 года")."""
from __future__ import annotations

from dataclasses import dataclass

from .model import UNIT_FAMILY, Parameter

# how each unit is printed after a number: one, few (2–4), many, and after a fraction ("1,5 года")
_UNIT_WORDS = {
    "hour": ("час", "часа", "часов", "часа"), "day": ("день", "дня", "дней", "дня"),
    "working_day": ("рабочий день", "рабочих дня", "рабочих дней", "рабочего дня"),
    "week": ("неделя", "недели", "недель", "недели"), "month": ("месяц", "месяца", "месяцев", "месяца"),
    "year": ("год", "года", "лет", "года"), "rub": ("рубль", "рубля", "рублей", "рубля"),
    "byn": ("белорусский рубль", "белорусских рубля", "белорусских рублей", "белорусского рубля"),
    "base_unit": ("базовая величина", "базовые величины", "базовых величин", "базовой величины"),
    "mrot": ("МРОТ", "МРОТ", "МРОТ", "МРОТ"),
    "avg_earnings": ("средний заработок", "средних заработка", "средних заработков", "среднего заработка"),
    "times": ("раз", "раза", "раз", "раза"), "person": ("человек", "человека", "человек", "человека"),
}


@dataclass(frozen=True)
class Aligned:
    """One row of the comparison: a parameter of each side (None: the side has none)."""

    left: Parameter | None
    right: Parameter | None

    @property
    def same(self) -> bool:
        """Both sides set the same number in the same unit."""
        return (self.left is not None and self.right is not None and self.left.unit == self.right.unit
                and abs(self.left.value - self.right.value) < 1e-9)

    @property
    def label(self) -> str:
        """What the pair is about: the left side's label, else the right's, else the kind."""
        for p in (self.left, self.right):
            if p is not None and p.label:
                return p.label
        p = self.left or self.right
        return _KIND_NAMES.get(p.kind, p.kind) if p else ""

    def as_dict(self) -> dict:
        """JSON-ready: label, both sides (value, unit, quote, offsets, printed), same."""
        return {"label": self.label, "kind": (self.left or self.right).kind,
                "left": _side(self.left), "right": _side(self.right), "same": self.same}


_KIND_NAMES = {"period": "срок", "age": "возраст", "amount": "размер", "count": "количество", "share": "доля"}


def family(p: Parameter) -> str:
    """The family a parameter is compared within: time, money, share or count."""
    return UNIT_FAMILY.get(p.unit, p.unit)


def align(left: list[Parameter], right: list[Parameter]) -> list[Aligned]:
    """Pair the parameters of two provisions: within one kind and unit family, first those with
    the same label and the same number, then the same label, then the same number, then in text
    order; what is left over stands alone. Rows come in the left side's text order, the right
    side's lone parameters last."""
    rest_r = list(right)
    rows: list[tuple[int, Aligned]] = []
    tests = (lambda a, b: a.label == b.label and _eq(a, b), lambda a, b: bool(a.label) and a.label == b.label,
             _eq)
    pending = list(left)
    for test in tests:
        still = []
        for a in pending:
            b = next((b for b in rest_r if _comparable(a, b) and test(a, b)), None)
            if b is None:
                still.append(a)
            else:
                rest_r.remove(b)
                rows.append((a.start, Aligned(a, b)))
        pending = still
    for a in pending:            # in text order: the first unmatched of the same family
        b = next((b for b in rest_r if _comparable(a, b)), None)
        if b is not None:
            rest_r.remove(b)
        rows.append((a.start, Aligned(a, b)))
    rows.sort(key=lambda r: r[0])
    out = [r for _s, r in rows] + [Aligned(None, b) for b in rest_r]
    return out


def differs(rows: list[Aligned]) -> bool:
    """Whether two provisions' parameters differ: a number or unit changed, or one side lacks one."""
    return any(not r.same for r in rows)


def printed(p: Parameter | None) -> str:
    """"3 года", "10 базовых величин", "50 %", "1/3"; "—" for no parameter."""
    if p is None:
        return "—"
    v = p.value
    if p.unit == "percent":
        return f"{_num(v)} %"
    if p.unit == "fraction":
        return _fraction(v)
    if p.unit == "multiple":
        return f"в {_num(v)} раза"
    forms = _UNIT_WORDS.get(p.unit)
    if forms is None:
        return f"{_num(v)} {p.unit}"
    if v != int(v):
        return f"{_num(v)} {forms[3]}"
    n = int(v)
    few = n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14)
    one = n % 10 == 1 and n % 100 != 11
    return f"{_num(v)} {forms[0] if one else forms[1] if few else forms[2]}"


def summary(rows: list[Aligned]) -> str:
    """"срок исковой давности: 3 года ↔ 3 года; предельный срок: 10 лет ↔ —"; a row said several
    times over is said once with its count ("возраст: 14 лет ↔ 14 лет (×4)")."""
    said: dict[str, int] = {}
    for r in rows:
        line = f"{r.label}: {printed(r.left)} ↔ {printed(r.right)}"
        said[line] = said.get(line, 0) + 1
    return "; ".join(line if n == 1 else f"{line} (×{n})" for line, n in said.items())


def _eq(a: Parameter, b: Parameter) -> bool:
    return a.unit == b.unit and abs(a.value - b.value) < 1e-9


def _comparable(a: Parameter, b: Parameter) -> bool:
    return a.kind == b.kind and family(a) == family(b)


def _side(p: Parameter | None) -> dict | None:
    return None if p is None else {**p.as_dict(), "printed": printed(p)}


def _num(v: float) -> str:
    if v == int(v):
        return f"{int(v):,}".replace(",", " ")
    return f"{v:.3f}".rstrip("0").rstrip(".").replace(".", ",")


def _fraction(v: float) -> str:
    for den in (2, 3, 4, 5, 10):
        n = v * den
        if abs(n - round(n)) < 1e-6:
            return f"{int(round(n))}/{den}"
    return _num(v)
