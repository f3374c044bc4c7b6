"""Walk a provision's text and find the parameters it sets (see the package docstring)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from . import numbers as num
from .labels import label_for
from .model import Parameter
from .units import COMPOUND_SUFFIX, LONE_ADJECTIVE, SUFFIX_UNIT, UNIT_PHRASES, kind_of

_MAX_TEXT = 200_000          # characters of one text read; longer texts are read up to here
_TOKEN = re.compile(
    r"[0-9]{1,3}(?:[  ][0-9]{3})+(?![0-9]|[,.][0-9])"      # 3 000, 100 000
    r"|[0-9]+(?:[,.][0-9]+)?(?:-[А-Яа-яЁё]+)?"              # 10, 0,5, 10-дневный
    r"|[А-Яа-яЁёA-Za-z]+"
    r"|[%/]|[-–—]|[^\s\w]")


@dataclass(slots=True)
class Tok:
    """One word, number or mark of a text: as printed, folded, where."""

    text: str
    low: str
    start: int
    end: int
    is_word: bool


def tokens(text: str) -> list[Tok]:
    """The words, numbers and marks of a text with their offsets."""
    return [Tok(w := m.group(), num.fold(w), m.start(), m.end(), w[:1].isalpha()) for m in _TOKEN.finditer(text)]


def extract_parameters(text: str, jurisdiction: str | None = None) -> list[Parameter]:
    """Every parameter `text` sets, in text order. `jurisdiction` ("ru" | "by") decides the
    currency of a bare "рублей" (byn in a Belarusian text, rub otherwise). Never raises on
    what a text says; texts longer than 200 000 characters are read up to there."""
    if not isinstance(text, str) or not text:
        return []
    text_ = text[:_MAX_TEXT]
    toks = tokens(text_)
    out: list[Parameter] = []
    pending: list[tuple[float, int, int]] = []   # numbers without a unit yet ("от трех до пяти лет")
    i = 0
    while i < len(toks):
        found = _at(toks, i, jurisdiction)
        if found is None:
            # a connector keeps a unitless number waiting for the unit of the next one
            if pending and not (toks[i].low in _CONNECTORS):
                pending = []
            i += 1
            continue
        kind, value, unit, s, e, nxt, has_unit = found
        if pending and not (i > 0 and toks[i - 1].low in _CONNECTORS):
            pending = []                 # "статьи 5 10 дней": only a connector joins two numbers
        if not has_unit:
            pending.append((value, s, e))
            i = nxt
            continue
        if unit == "hour" and pending and _clock_range(toks, text_, pending[0][1]):
            pending = []                 # "с двадцати трех до шести часов": hours of the day, not a period
            i = nxt
            continue
        kind = _age_or_period(text_, toks, i, nxt, kind, unit)
        label = label_for(text_, pending[0][1] if pending else s,
                          frozenset() if kind == "age" else frozenset({"возраст"}))
        if kind == "age" and "возраст" not in label:
            label = "возраст"            # "вступление в брак до достижения восемнадцати лет": still an age
        for pv, ps, pe in pending:
            out.append(Parameter(kind, float(pv), unit, text_[ps:pe], ps, pe, label))
        pending = []
        out.append(Parameter(kind, float(value), unit, text_[s:e], s, e, label))
        i = nxt
    return out


def _clock_range(toks: list[Tok], text: str, start: int) -> bool:
    """Whether the range starting at `start` reads "с N до M" (a time of day: "с 22 до 6 часов")."""
    k = next((n for n, t in enumerate(toks) if t.start == start), None)
    return k is not None and k > 0 and toks[k - 1].low in ("с", "со")


# a unit named alone after these words is one of it: "в течение недели", "по истечении месяца"
_ONE_AFTER = {("в", "течение"), ("по", "истечении"), ("до", "истечения"), ("не", "позднее"), ("не", "ранее")}
_ONE_UNITS = {"неделя": "week", "месяц": "month", "год": "year", "сутки": "day", "день": "day", "час": "hour"}


def _one_unit(toks: list[Tok], i: int):
    """A lone unit noun in the singular after "в течение", "по истечении"…: one of it."""
    if i < 2 or (toks[i - 2].low, toks[i - 1].low) not in _ONE_AFTER:
        return None
    for lem, tag in num.lemmas(toks[i].low)[:2]:
        if lem in _ONE_UNITS and "NOUN" in tag and ("sing" in tag or lem == "сутки"):
            if i + 1 < len(toks) and toks[i + 1].text[:1].isdigit():
                return None
            return _ONE_UNITS[lem]
    return None


_CONNECTORS = {"до", "или", "и", "либо", "-", "–", "—", ",", "по"}
_AGE_BEFORE = {"достигнуть", "достичь", "достижение", "возраст", "старше", "моложе", "младше",
               "старый", "молодой", "старший", "младший", "исполниться", "достигший"}


def _age_or_period(text: str, toks: list[Tok], i: int, nxt: int, kind: str, unit: str) -> str:
    """A span of years is an age when its words say so: "шестнадцатилетнего возраста",
    "достигшее восемнадцати лет", "старше 65 лет", "по достижении возраста 18 лет"."""
    if kind == "age" or kind != "period" or unit not in ("year", "month"):
        return kind
    after = [t.low for t in toks[nxt:nxt + 2]]
    if any(a.startswith("возраст") for a in after):
        return "age"
    for t in toks[max(0, i - 4):i]:
        if not t.is_word:
            continue
        if any(lem in _AGE_BEFORE for lem, _ in num.lemmas(t.low)[:2]) or t.low.startswith("достиг"):
            return "age"
    return kind


def _unit_at(toks: list[Tok], j: int, jurisdiction: str | None) -> tuple[str, int] | None:
    """The unit whose words start at token j and the index after them, or None."""
    if j >= len(toks):
        return None
    if toks[j].text == "%":
        return "percent", j + 1
    first = {lem for lem, _ in num.lemmas(toks[j].low)} if toks[j].is_word else set()
    for lem_seq, unit in UNIT_PHRASES:
        if lem_seq[0] not in first or j + len(lem_seq) > len(toks):
            continue
        if all(toks[j + k].is_word and any(l == want for l, _ in num.lemmas(toks[j + k].low))
               for k, want in enumerate(lem_seq)):
            if unit == "rub" and jurisdiction == "by" and lem_seq == ("рубль",):
                unit = "byn"
            return unit, j + len(lem_seq)
    return None


def _number_at(toks: list[Tok], i: int) -> tuple[float, int] | None:
    """The number starting at token i (digits or a run of number words) and the index after it."""
    t = toks[i]
    if t.text[0].isdigit():
        if "-" in t.text:
            return None
        v = num.digits_value(t.text)
        if v is None:
            return None
        j = i + 1
        if j < len(toks) and (m := num.multiplier_value(toks[j].low) if toks[j].is_word else None):
            return v * m, j + 1
        return v, j
    if not t.is_word:
        return None
    values: list[float] = []
    j = i
    while j < len(toks) and toks[j].is_word:
        w = toks[j].low
        v = num.word_value(w)
        if v is None:
            m = num.multiplier_value(w)
            if m is None:
                break
            v = m
        values.append(v)
        j += 1
    if not values:
        return None
    total = num.combine(values)
    if total is None:
        # "три два года": the longest well-formed prefix is the number
        while values and total is None:
            values.pop()
            j -= 1
            total = num.combine(values) if values else None
        if total is None:
            return None
    return total, j


def _at(toks: list[Tok], i: int, jurisdiction: str | None):
    """What starts at token i: (kind, value, unit, start, end, next index, has unit) or None."""
    t = toks[i]
    low = t.low
    # compound adjectives: "трехлетний", "10-дневный", "двукратном"
    if t.is_word or "-" in t.text:
        c = _compound(t)
        if c is not None:
            value, unit = c
            if unit == "year" and i + 1 < len(toks) and toks[i + 1].low.startswith("возраст"):
                # "шестнадцатилетнего возраста": the age is quoted with its noun
                return "age", value, unit, t.start, toks[i + 1].end, i + 2, True
            return kind_of(unit), value, unit, t.start, t.end, i + 1, True
    if t.is_word:
        if low in num.ADVERB_TIMES:
            return "count", float(num.ADVERB_TIMES[low]), "times", t.start, t.end, i + 1, True
        lem = num.lemmas(low)[0][0] if num.lemmas(low) else low
        if lem in ("полгода", "полугодие") and "NOUN" in num.lemmas(low)[0][1]:
            return "period", 6.0, "month", t.start, t.end, i + 1, True
        if lem in LONE_ADJECTIVE and i + 1 < len(toks) and toks[i + 1].low.startswith("срок"):
            unit = LONE_ADJECTIVE[lem]
            return "period", 1.0, unit, t.start, t.end, i + 1, True
        f = num.fraction_noun(low)
        if f is not None:
            return "share", f, "fraction", t.start, t.end, i + 1, True
        one = _one_unit(toks, i)
        if one is not None:
            return "period", 1.0, one, t.start, t.end, i + 1, True
    n = _number_at(toks, i)
    if n is None:
        return None
    value, j = n
    # fractions: "одной трети", "двух третей", "трех четвертых", "1/3"
    if j < len(toks):
        if toks[j].is_word:
            den = num.ordinal_value(toks[j].low)
            f = num.fraction_noun(toks[j].low)
            if den and value < den and not t.text[0].isdigit():
                return "share", value / den, "fraction", t.start, toks[j].end, j + 1, True
            if f is not None and f < 1 and not t.text[0].isdigit() and value < 1 / f:
                return "share", value * f, "fraction", t.start, toks[j].end, j + 1, True
        elif toks[j].text == "/" and j + 1 < len(toks) and toks[j + 1].text.isdigit():
            den = float(toks[j + 1].text)
            # "1/3" is a fraction; "2/1" after "№" is a number of an official gazette, not one
            if den and value < den <= 100 and not any(x.text == "№" for x in toks[max(0, i - 3):i]):
                return "share", value / den, "fraction", t.start, toks[j + 1].end, j + 2, True
    u = _unit_at(toks, j, jurisdiction)
    if u is None and j + 2 < len(toks) and toks[j].low in ("или", "и") and toks[j + 1].low in ("более", "менее"):
        u = _unit_at(toks, j + 2, jurisdiction)          # "двух или более лиц", "два и более рабочих дня"
    if u is None:
        return "", value, "", t.start, toks[j - 1].end, j, False
    unit, k = u
    if unit == "year" and t.text.isdigit() and 1800 <= value <= 2100:
        return None                                   # a calendar year: "2020 года"
    if unit == "person" and value == 1 and t.is_word:
        return None                                   # "от одного лица к другому": one person is no limit
    if unit == "times" and i > 0 and toks[i - 1].low == "в":
        unit = "multiple"                             # "в два раза" multiplies, not counts
    return kind_of(unit), value, unit, t.start, toks[k - 1].end, k, True


def _compound(t: Tok) -> tuple[float, str] | None:
    """(value, unit) of a compound adjective token, else None."""
    low = t.low
    if low[0].isdigit():
        head, _, tail = low.partition("-")
        m = COMPOUND_SUFFIX.match(tail)
        if not m or not head.isdigit():
            return None
        return float(head), SUFFIX_UNIT[m.group(1)]
    m = COMPOUND_SUFFIX.search(low)
    if not m or m.start() == 0:
        return None
    value = num.split_stem(low[:m.start()])
    if value is None:
        return None
    if low.endswith("кратно"):
        return value, "times"            # "однократно", "двукратно": how many times, not a multiple
    return value, SUFFIX_UNIT[m.group(1)]
