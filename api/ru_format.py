"""How the page writes dates, headings and provision names for a Russian-reading lawyer.

Display only: the stored text stays as the source prints it ("ГЛАВА 35. ОХРАНА ТРУДА"); the page
shows "Глава 35. Охрана труда", "4 августа 2023 г.", "Часть 2 статьи 81".
"""
from __future__ import annotations

import re
from datetime import date

MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября",
                   "октября", "ноября", "декабря")
_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def ru_date(value: str | date | None) -> str:
    """'2023-08-04' -> '4 августа 2023 г.'; anything that is not an ISO date is returned as given."""
    if value is None or value == "":
        return ""
    if isinstance(value, date):
        value = value.isoformat()
    value = str(value)
    m = _ISO.match(value[:10] if len(value) > 10 and value[10] == "T" else value)   # a timestamp: its day
    if not m:
        return str(value)
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if not 1 <= mo <= 12 or not 1 <= d <= 31:
        return str(value)
    return f"{d} {MONTHS_GENITIVE[mo - 1]} {y} г."


# Abbreviations an all-caps heading may hold: kept in capitals when the heading is re-cased.
ABBREVIATIONS = frozenset({"РФ", "РБ", "СССР", "РСФСР", "БССР", "ЕАЭС", "СНГ", "ООН", "ВТО", "НДС", "ЖСК",
                           "ТСЖ", "ООО", "ОАО", "ЗАО", "АО", "ПАО", "ИП", "ЭВМ", "ГК", "ТК", "УК", "КоАП"})
_WORD = re.compile(r"[А-Яа-яЁё]+(?:-[А-Яа-яЁё]+)*")
# What starts a heading's label: "ГЛАВА 35", "РАЗДЕЛ I", "Статья 5" (a unit word and a number).
_UNIT_WORD = re.compile(r"^(ГЛАВА|РАЗДЕЛ|ПОДРАЗДЕЛ|СТАТЬЯ|ЧАСТЬ|ПАРАГРАФ|ПРИЛОЖЕНИЕ|ПРИМЕЧАНИЕ)\b")


def _mostly_upper(text: str) -> bool:
    letters = [c for c in text if c.isalpha() and "\u0400" <= c <= "\u04ff"]
    return len(letters) >= 2 and sum(c.isupper() for c in letters) / len(letters) > 0.8


def heading_case(text: str | None) -> str:
    """An all-caps heading in sentence case ('ОХРАНА ТРУДА' -> 'Охрана труда', 'ГЛАВА 35' -> 'Глава 35');
    headings already in mixed case are left alone, known abbreviations stay in capitals."""
    if not text:
        return text or ""
    if not _mostly_upper(text):
        return text
    first = True

    def word(m: re.Match) -> str:
        nonlocal first
        w = m.group(0)
        if w in ABBREVIATIONS or (len(w) == 1 and not first):
            out = w if w in ABBREVIATIONS else w.lower()
        else:
            out = w[0] + w[1:].lower() if first else w.lower()
        first = False
        return out

    # a new sentence after ". " starts with a capital again
    parts = re.split(r"(?<=[.!?])\s+", text)
    out = []
    for p in parts:
        first = True
        out.append(_WORD.sub(word, p))
    return " ".join(out)


def label_case(label: str | None) -> str:
    """A unit's printed label for display: 'ГЛАВА 35' -> 'Глава 35', 'РАЗДЕЛ I' -> 'Раздел I'."""
    if not label:
        return label or ""
    m = _UNIT_WORD.match(label)
    if m:
        return m.group(1).capitalize() + label[m.end():]
    return heading_case(label)


# The names of the parts of an article as lawyers cite them: (nominative, genitive).
_NAMES = {"article": ("Статья", "статьи"), "part": ("Часть", "части"), "clause": ("Пункт", "пункта"),
          "subclause": ("Подпункт", "подпункта"), "note": ("Примечание", "примечания")}
_SEGMENT = re.compile(r"^(art|para|point|subpoint|note)_(.+)$")


def citation_title(eid: str | None, labels: dict[str, str | None] | None = None) -> str | None:
    """How a lawyer names a part or point: 'Часть 2 статьи 81', 'Пункт 3 статьи 42',
    'Подпункт 1 пункта 2 статьи 450', 'Пункт 1 части 1 статьи 81'. None when `eid` is not
    inside an article (a chapter, an article itself: their printed label says it).

    `labels` maps the eIds of the chain (art_81, art_81__para_2, ...) to their printed labels:
    a numbered paragraph ("2.") is a пункт, an unnumbered one a часть; a point inside a пункт is a
    подпункт, inside a часть a пункт.
    """
    if not eid or "__" not in eid:
        return None
    labels = labels or {}
    segments = eid.split("__")
    names: list[tuple[str, str]] = []     # (kind name, number) from the article down
    parent_kind = None
    for i, seg in enumerate(segments):
        m = _SEGMENT.match(seg)
        if not m:
            if names:
                return None               # something unusual under the article: leave it to the label
            continue
        prefix, num = m.group(1), m.group(2)
        own = "__".join(segments[: i + 1])
        if prefix == "art":
            kind = "article"
        elif prefix == "para":
            kind = "clause" if (labels.get(own) or "").strip() else "part"
        elif prefix == "point":
            kind = "subclause" if parent_kind == "clause" else "clause"
        elif prefix == "subpoint":
            kind = "subclause"
            num = f"«{num}»"
        else:
            kind = "note"
            num = "" if num in ("1", "") else num
        names.append((kind, num))
        parent_kind = kind
    if len(names) < 2 or names[0][0] != "article":
        return None
    if names[-1][0] == "note" and len(names) == 2:
        return f"Примечание к статье {names[0][1]}"
    words = []
    for j, (kind, num) in enumerate(reversed(names)):
        nom, gen = _NAMES[kind]
        words.append(f"{nom if j == 0 else gen} {num}".strip())
    return " ".join(words)
