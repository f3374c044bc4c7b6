"""Reading amendment notes: RU ("(В редакции Федерального закона от 07.05.2013 № 100-ФЗ)",
"(Дополнение статьей - …)", "(Статья утратила силу - …)", "(в ред. Федеральных законов от 2 июля
2013 г. N 142-ФЗ, …)", "(абзац введен Федеральным законом от …)") and BY ("Исключена", and the
act-level list "Закон Республики Беларусь от 18 декабря 2019 г. № 277-З (…) <H11900277>").

Sources split a note over several paragraphs ("(В редакции федеральных законов", "от 19.02.2018
№ 35-ФЗ,", "от 29.05.2019 № 112-ФЗ)"), so the notes of one provision are read as one text: a
trigger ("в редакции", "утратил силу", "Дополнение …ом", "введен…") sets the kind and the unit
named before it; every "от <date> № <number>" after it is one effect of that kind. An act
mention before any trigger continues a split note of the holder and is read as a new wording.
"""
from __future__ import annotations

import re

from .model import AMENDED, INSERTED, REPEALED, WORDING, AmendingAct, NoteEffect

_MONTHS = {"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
           "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12}
_ORDINALS = {"перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
             "девят": 9, "десят": 10}

# unit words, in every form a note uses (nominative before a trigger, instrumental after "Дополнение")
_UNITS = (
    ("subparagraph", r"подпараграф(?:ом)?"), ("paragraph", r"параграф(?:ом|а)?"),
    ("subsection", r"подраздел(?:ом)?"), ("section", r"раздел(?:ом)?"),
    ("chapter", r"глав(?:а|ой|ами|ы)"), ("article", r"стать(?:я|ей|ями|и)"),
    ("subpoint", r"подпункт(?:ом|ами|ы)?"), ("point", r"пункт(?:ом|ами|ы)?"),
    ("part", r"част(?:ь|ью|ями|и)"), ("abzats", r"абзац(?:ем|ами|ы)?"),
    ("note", r"примечани(?:е|ем|ями|я)"), ("title", r"наименовани(?:е|ем)"),
    ("annex", r"приложени(?:е|ем)"),
)
_UNIT_RE = re.compile(r"(?<![А-Яа-яЁё])(?:" + "|".join(f"(?P<{k}>{p})" for k, p in _UNITS) + r")(?![а-яё])",
                      re.IGNORECASE)
_UNIT_NUM = re.compile(r"\s+(\d+(?:[\-.]\d+)*|перв\w*|втор\w*|трет\w*|четверт\w*|пят\w*|шест\w*|седьм\w*|восьм\w*"
                       r"|девят\w*|десят\w*)", re.IGNORECASE)

_TRIGGER = re.compile(
    r"(?P<wording>в\s+редакции|в\s+ред\.)"
    r"|(?P<inserted>дополнение\s+\w+|введен[аоы]?(?![а-яё])|дополнен[аоы]?(?![а-яё]))"
    r"|(?P<repealed>утратил[аио]?\s+силу|исключен[аоы]?(?![а-яё]))"
    r"|(?P<ignore>с\s+учетом|с\s+изменениями\s+и\s+дополнениями,\s+принятыми)", re.IGNORECASE)

_DATE = r"(?:(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4})|(?P<d2>\d{1,2})\s+(?P<m2>[а-я]+)\s+(?P<y2>\d{4})\s*(?:г\.|года)?)"
_ACT = re.compile(r"от\s+" + _DATE + r"\s*[№N]\s*(?P<num>\d+[\w\-]*)", re.IGNORECASE)
_NEW_WORDING = re.compile(r"нов\w*\s+редакци", re.IGNORECASE)
_IN_FORCE = re.compile(r"вступ\w*\s+в\s+силу\s+" + _DATE, re.IGNORECASE)
_TYPE_WORDS = (
    ("fkz", re.compile(r"конституционн\w*\s+закон", re.I)), ("fz", re.compile(r"федеральн\w*\s+закон", re.I)),
    ("zakon", re.compile(r"закон", re.I)), ("ukaz", re.compile(r"указ", re.I)), ("dekret", re.compile(r"декрет", re.I)),
    ("kodeks", re.compile(r"кодекс", re.I)), ("postanovlenie", re.compile(r"постановлени", re.I)),
)


def iso_date(m: re.Match) -> str | None:
    """The ISO date of a `_DATE` match; None for a date that does not exist."""
    from datetime import date
    if m["y1"]:
        y, mo, d = int(m["y1"]), int(m["m1"]), int(m["d1"])
    else:
        mo = _MONTHS.get(m["m2"].lower(), 0)
        y, d = int(m["y2"]), int(m["d2"])
    try:
        return date(y, mo, d).isoformat()
    except ValueError:
        return None


def _act_type(number: str, before: str, jurisdiction: str) -> str:
    """The act type: from the number's suffix where it says it (ФКЗ, ФЗ, З), else the last type word."""
    upper = number.upper()
    if upper.endswith("-ФКЗ"):
        return "fkz"
    if upper.endswith("-ФЗ"):
        return "fz"
    if upper.endswith("-З"):
        return "zakon"
    best, at = ("zakon" if jurisdiction == "by" else "fz"), -1
    for kind, pat in _TYPE_WORDS:
        for m in pat.finditer(before):
            if m.start() > at:
                best, at = kind, m.start()
    return best


def _unit_number(raw: str | None) -> str | None:
    if not raw:
        return None
    low = raw.lower()
    for stem, n in _ORDINALS.items():
        if low.startswith(stem):
            return str(n)
    return raw.replace("-", ".")


def _unit_before(text: str, start: int, end: int) -> tuple[str | None, str | None]:
    """The last unit word (and its number) in text[start:end]: what a trigger's note names."""
    unit = num = None
    for m in _UNIT_RE.finditer(text, start, end):
        unit = m.lastgroup
        n = _UNIT_NUM.match(text, m.end())
        num = _unit_number(n.group(1)) if n and n.end() <= end else None
    return unit, num


def parse_note(text: str, jurisdiction: str, act_level: bool = False) -> list[NoteEffect]:
    """The effects one note (or the joined notes of one provision) states, in order.

    `act_level`: the note is one of the act's own notes (its list of amending acts): an act
    mention with no trigger there is an amendment of the act ("amended"). Never raises."""
    text = text[:20_000]
    events: list[tuple[int, str, re.Match]] = [(m.start(), "t", m) for m in _TRIGGER.finditer(text)]
    events += [(m.start(), "a", m) for m in _ACT.finditer(text)]
    events.sort(key=lambda e: e[0])
    kind: str | None = AMENDED if act_level else WORDING
    if act_level and _NEW_WORDING.search(text):
        kind = WORDING      # "Закон … от 4 мая 2019 г. № 185-З (…) – новая редакция": the whole act re-worded
    unit: str | None = None
    unit_num: str | None = None
    clause_start = 0
    last_trigger_end = 0
    out: list[NoteEffect] = []
    in_force = None
    for m in _IN_FORCE.finditer(text):
        in_force = iso_date(m)
        break
    # "Абзац. (Утратил силу - …)", "Часть. (Дополнение частью - …) (Утратила силу - …)": a bare unit
    # word before the first parenthesis names the unit of every clause that names none
    stub = re.match(r"\s*(\w+)[.;]\s*\(", text)
    stub_unit = None
    if stub:
        u = _UNIT_RE.fullmatch(stub.group(1))
        stub_unit = u.lastgroup if u else None
    for pos, what, m in events:
        if what == "t":
            if pos < last_trigger_end:
                continue
            trig = m.lastgroup
            if trig == "ignore":
                kind, unit, unit_num = None, None, None
            else:
                kind = AMENDED if act_level and trig == WORDING and kind != WORDING else trig
                if trig == INSERTED and m.group(0).lower().startswith("дополнение"):
                    u = _UNIT_RE.search(m.group(0))
                    unit, unit_num = (u.lastgroup, None) if u else (None, None)
                else:
                    # the unit the note names is written just before the trigger: "Статья 1 в ред.",
                    # "Абзац. (Утратил силу", "(пункт 4 введен"; looked for since the last act mention
                    unit, unit_num = _unit_before(text, clause_start, pos)
            last_trigger_end = m.end()
            continue
        clause_start = m.end()
        if kind is None:
            continue
        date = iso_date(m)
        if date is None:
            continue
        number = m["num"].rstrip(".-")
        act = AmendingAct(_act_type(number, text[max(0, pos - 120):pos], jurisdiction), date, number,
                          jurisdiction)
        out.append(NoteEffect(kind, unit or stub_unit, unit_num, act, in_force if act_level else None))
    if not out and jurisdiction == "by" and not act_level:
        # a BY stub: "Исключена", "исключен;" — repealed, by an act the note does not name
        m = _TRIGGER.search(text)
        if m and m.lastgroup == REPEALED:
            out.append(NoteEffect(REPEALED, None, None, None))
    return out
