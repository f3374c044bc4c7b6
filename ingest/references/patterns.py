"""The Russian citation grammar of RU and BY legislation: where a text cites what.

    пунктом 2 статьи 200 настоящего Кодекса          статьями 301 - 305
    подпунктом "а" пункта 6 части первой статьи 81     статьями 382 - 386, 388 и 389
    частью второй пункта 1 статьи 172                 пунктом 1 настоящей статьи, настоящей главы
    статьей 86 Уголовного кодекса Республики Беларусь
    Федеральным законом от 6 марта 2006 года № 35-ФЗ "О противодействии терроризму"

A citation is a chain of unit groups, innermost first as written ("пунктом 2 статьи 200"),
each group a unit word and a list of numbers, ranges or ordinals; chains joined by ",", "и",
"или", "либо" form an enumeration whose last act name ("настоящего Кодекса", a code's title)
and whose outer units ("статьи 581" in "пунктом 1 и частью первой пункта 2 статьи 581") apply
to the chains before it that lack them. `find` only reads text: what the numbers stand for is
decided by resolve.py against the act's own numbering.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .model import (ABZATS, ARTICLE, CHAPTER, CONTAINERS, PARAGRAPH, PART, POINT, SECTION, SENTENCE,
                    SUBPOINT, SUBSECTION, ActName, Citation, Group, Item)

# ---------------------------------------------------------------- words

_UNIT_WORDS = (
    (SUBPOINT, r"подпункт(?:а|у|ом|е|ы|ов|ам|ами|ах)?"),
    (POINT, r"пункт(?:а|у|ом|е|ы|ов|ам|ами|ах)?"),
    (PART, r"част(?:ь|и|ью|ей|ям|ями|ях)"),
    (ARTICLE, r"стать(?:я|и|е|ю|ей|ям|ями|ях)"),
    (ABZATS, r"абзац(?:а|у|ем|е|ы|ев|ам|ами|ах)?"),
    (SENTENCE, r"предложени(?:е|я|ю|ем|и|й|ям|ями|ях)"),
    (SUBSECTION, r"подраздел(?:а|у|ом|е|ы|ов|ам|ами|ах)?"),
    (SECTION, r"раздел(?:а|у|ом|е|ы|ов|ам|ами|ах)?"),
    (CHAPTER, r"глав(?:а|ы|е|у|ой|ам|ами|ах)?"),
    (PARAGRAPH, r"параграф(?:а|у|ом|е|ы|ов|ам|ами|ах)?|§§?"),
)
_UNIT_RE = re.compile(r"(?<![\w-])(?:" + "|".join(f"(?P<{k}>{w})" for k, w in _UNIT_WORDS) + r")(?![\w-])",
                      re.IGNORECASE)

_ORDINALS = {
    "перв": 1, "втор": 2, "трет": 3, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8, "девят": 9,
    "десят": 10, "одиннадцат": 11, "двенадцат": 12, "тринадцат": 13, "четырнадцат": 14, "пятнадцат": 15,
    "шестнадцат": 16, "семнадцат": 17, "восемнадцат": 18, "девятнадцат": 19, "двадцат": 20,
}
_ORD = "|".join(sorted(_ORDINALS, key=len, reverse=True))
_SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
# a number as printed: 200, 1.1, 67¹, 47/1, 123¹⁶⁻¹; a Roman numeral (sections); a letter in
# quotes or before ")" (sub-points а, б); an ordinal word (частью второй, абзацем третьим)
_NUM = (rf"(?P<num>\d{{1,6}}(?:\.\d{{1,4}})*[{_SUP}]*(?:/\d{{1,3}}|-\d{{1,3}}(?=[\s,;.)]|$))?)(?![\d.,]\d)"
        rf"|(?P<roman>[IVXLC]{{1,7}})(?![\w])"
        r"|[\"«„“](?P<qletter>[а-яё])[\"»“”]|(?P<letter>[а-яё])\)"
        rf"|(?P<ord>(?:{_ORD})[а-яё]*)(?P<ordsup>[{_SUP}]*)")
_NUM_RE = re.compile(r"\s*(?:" + _NUM + ")", re.IGNORECASE)
_RANGE_SEP = re.compile(r"\s*[-–—]\s*|\s+по\s+")
_LIST_SEP = re.compile(r"\s*,\s*(?:(?:и|или|либо)\s+)?|\s+(?:и|или|либо)\s+")
# between chains of an enumeration: a list word, optionally a preposition
_CHAIN_SEP = re.compile(r"\s*(?:,\s*(?:а\s+также\s+|и\s+|или\s+|либо\s+)?|\s+(?:и|или|либо|а\s+также)\s+)"
                        r"(?:(?:в|во|с|со|к|по|на|от|из)\s+)?", re.IGNORECASE)

# "настоящей статьи", "настоящим Кодексом", "настоящего Федерального закона"
_SELF_SCOPES = (
    ("article", r"стать(?:я|и|е|ю|ей)"), ("subpoint", r"подпункт(?:а|у|ом|е)?"),
    ("point", r"пункт(?:а|у|ом|е)?"), ("part", r"част(?:ь|и|ью)"), ("chapter", r"глав(?:а|ы|е|у|ой)"),
    ("subsection", r"подраздел(?:а|у|ом|е)?"), ("section", r"раздел(?:а|у|ом|е)?"),
    ("paragraph", r"параграф(?:а|у|ом|е)?|§"),
    ("act", r"(?:Кодекс(?:а|у|ом|е)?|(?:Федеральн\w+\s+)?(?:конституционн\w+\s+)?[Зз]акон(?:а|у|ом|е)?"
            r"|Конституци(?:я|и|ю|ей)|Положени(?:е|я|ю|ем|и)|Указ(?:а|у|ом|е)?|Декрет(?:а|у|ом|е)?)"),
)
_SELF_RE = re.compile(r"\s*(?<![\w-])настоящ(?:ая|ей|ий|его|ему|им|ем|ую|ее|ое|ого|ом)\s+(?:"
                      + "|".join(f"(?P<{k}>{w})" for k, w in _SELF_SCOPES) + r")(?![\w-])")

_MONTHS = {"января": 1, "февраля": 2, "марта": 3, "апреля": 4, "мая": 5, "июня": 6, "июля": 7, "августа": 8,
           "сентября": 9, "октября": 10, "ноября": 11, "декабря": 12}
_DATE = (r"(?:(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4})"
         r"|(?P<d2>\d{1,2})\s+(?P<m2>" + "|".join(_MONTHS) + r")\s+(?P<y2>\d{4}))(?:\s*(?:года|г\.?)(?![\w]))?")
_JUR = r"(?P<jur>Российской\s+Федерации|Республики\s+Беларусь|РСФСР|СССР|Белорусской\s+ССР)"
_LAW_TYPES = (
    ("fkz", r"Федеральн\w+\s+конституционн\w+\s+закон\w*"),
    ("fz", r"Федеральн\w+\s+закон\w*"),
    ("zakon", r"Закон(?:а|у|ом|е|ы|ов|ами)?(?:\s+" + _JUR + r")?"),
    ("ukaz", r"Указ(?:а|у|ом|е)?\s+Президента\s+(?:Российской\s+Федерации|Республики\s+Беларусь)"),
    ("dekret", r"Декрет(?:а|у|ом|е)?\s+Президента\s+Республики\s+Беларусь"),
    ("postanovlenie", r"[Пп]остановлени(?:е|я|ю|ем|и)\s+(?:Правительства|Совета\s+Министров)"
                      r"\s+(?:Российской\s+Федерации|Республики\s+Беларусь)"),
)
_LAW_RE = re.compile(r"\s*(?:" + "|".join(f"(?P<{k}>{w})" for k, w in _LAW_TYPES) + r")"
                     r"(?:\s+от\s+" + _DATE + r")?"
                     r"(?:\s*(?:№|N)\s*(?P<number>\d[\w.\-/]*(?:-[А-ЯЁA-Z]+)?))?"
                     r"(?:\s*[\"«„“](?P<name>[^\"»“”\n]{1,300})[\"»“”]+)?")
# a code outside the corpus: "Налогового кодекса Российской Федерации", "Кодекса Российской
# Федерации об административных правонарушениях"
_OTHER_CODE_RE = re.compile(r"\s*(?P<all>(?:[А-ЯЁ][а-яё-]+(?:ого|ому|ым|ом|ый|ий|ой)\s+)?(?:[а-яё-]+(?:ого|ому|ым|ом|ый|ий|ой)\s+)?"
                            r"[Кк]одекс(?:а|у|ом|е|ы)?\s+" + _JUR +
                            r"(?:\s+об?\s+[а-яё]+(?:\s+[а-яё]+(?:ах|ях)|\s+и\s+[а-яё]+)?)?)")


def _stem(word: str) -> str:
    """A word of a title as a pattern that matches it in any case: 'Трудовой' -> 'Трудов\\w*'."""
    w = word.lower()
    for ending in ("ый", "ий", "ой", "ая", "ое", "ые", "ия", "ие", "а", "я", "о", "е", "ь", "й"):
        if w.endswith(ending) and len(w) - len(ending) >= 3:
            w = w[: -len(ending)]
            break
    return re.escape(w) + r"[а-яё]*"


@dataclass(frozen=True)
class ActInfo:
    """An act of the corpus as citations may name it."""

    key: str
    jurisdiction: str
    act_type: str
    number: str | None
    title: str
    short: str = ""
    work: str = ""            # the work IRI

    @property
    def family(self) -> str:
        """The Code this work belongs to: the title without '(часть первая)'. The four parts of
        the RU Civil Code are four works of one Code."""
        return re.sub(r"\s*\(.*?\)\s*", " ", self.title).strip()


class ActNames:
    """Recognises the corpus codes and constitutions named by title, in any grammatical case,
    with their jurisdiction written ("Трудового кодекса Республики Беларусь") or implied by the
    citing act ("статьей 88¹ Уголовного кодекса" in a BY text is the BY Criminal Code)."""

    _JUR_WORDS = {"ru": r"Российской\s+Федерации", "by": r"Республики\s+Беларусь"}

    def __init__(self, acts: list[ActInfo]):
        self.acts = acts
        self._by_family: dict[tuple[str, str], list[ActInfo]] = {}
        for act in acts:
            self._by_family.setdefault((act.family, act.jurisdiction), []).append(act)
        self._by_number = {(a.jurisdiction, _norm_number(a.number)): a for a in acts if a.number}
        # one alternative per name shape: words before the jurisdiction, words after it
        shapes: dict[tuple[str, str], dict[str, str]] = {}      # (head, tail) -> jurisdiction -> family
        for (family, jur), works in self._by_family.items():
            if works[0].act_type not in ("kodeks", "konst") or jur not in self._JUR_WORDS:
                continue
            m = re.search(self._JUR_WORDS[jur], family)
            before = family[: m.start()] if m else family
            after = family[m.end():] if m else ""
            shapes.setdefault((before.strip(), after.strip()), {})[jur] = family
        self._shapes: dict[str, tuple[dict[str, str], bool]] = {}
        alternatives = []
        for i, ((before, after), families) in enumerate(sorted(shapes.items(), key=lambda kv: -len(kv[0][0]))):
            head = r"\s+".join(_stem(w) for w in before.split())
            tail = (r"\s+" + r"\s+".join(re.escape(w) for w in after.split())) if after else ""
            jur = "(?:" + "|".join(self._JUR_WORDS.values()) + ")"
            self._shapes[f"a{i}"] = (families, True)
            alternatives.append(rf"(?P<a{i}>{head}\s+{jur}{tail})")
            if not after and len(before.split()) >= 2:
                # "Уголовного кодекса" alone: the citing act's jurisdiction
                self._shapes[f"b{i}"] = (families, False)
                alternatives.append(rf"(?P<b{i}>{head})(?!\s+(?:Российской|Республики|РСФСР|СССР|[а-яё]))")
        self._re = re.compile(r"\s*(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE) \
            if alternatives else None

    def match(self, text: str, pos: int, jurisdiction: str) -> tuple[int, ActName] | None:
        """A corpus code or constitution named at `pos`: (end, ActName)."""
        if self._re is None:
            return None
        m = self._re.match(text, pos)
        if not m:
            return None
        families, written = self._shapes[m.lastgroup or ""]
        jur = _jur_of(m.group(0)) if written else jurisdiction
        family = families.get(jur)
        if family is None:
            return None
        first = self._by_family[(family, jur)][0]
        return m.end(), ActName(act_key=first.key, as_written=m.group(0).strip(), jurisdiction=jur,
                                act_type=first.act_type)

    def family_of(self, key: str) -> list[ActInfo]:
        """Every work of the Code the act `key` belongs to (itself alone for most acts)."""
        act = self.get(key)
        if act is None:
            return []
        return self._by_family.get((act.family, act.jurisdiction), [act])

    def get(self, key: str) -> ActInfo | None:
        """The act with manifest key `key`."""
        return next((a for a in self.acts if a.key == key), None)

    def by_number(self, jurisdiction: str | None, number: str | None) -> ActInfo | None:
        """The corpus act with this official number ('35-ФЗ', '455-З') in the jurisdiction."""
        if not number:
            return None
        for j in ((jurisdiction,) if jurisdiction else ("ru", "by")):
            act = self._by_number.get((j, _norm_number(number)))
            if act:
                return act
        return None


def _jur_of(text: str) -> str:
    return "ru" if re.search(r"Российской\s+Федерации", text) else "by" if re.search(r"Беларусь", text) else ""


def _norm_number(number: str | None) -> str:
    return re.sub(r"\s+", "", (number or "").upper().replace("N", "").replace("№", ""))


# ---------------------------------------------------------------- the parser

_LEVEL = {SENTENCE: 0, ABZATS: 0, SUBPOINT: 1, POINT: 1, PART: 1, ARTICLE: 4, PARAGRAPH: 5, CHAPTER: 6,
          SUBSECTION: 7, SECTION: 8}
MAX_ITEMS = 64          # numbers in one list: more is not a citation a person wrote


def _number(m: re.Match) -> str | None:
    if m["num"]:
        return m["num"]
    if m["roman"]:
        return m["roman"]
    if m["qletter"] or m["letter"]:
        return (m["qletter"] or m["letter"]).lower()
    if m["ord"]:
        low = m["ord"].lower()
        for stem in sorted(_ORDINALS, key=len, reverse=True):
            if low.startswith(stem):
                return str(_ORDINALS[stem]) + (m["ordsup"] or "")
    return None


def _group(text: str, pos: int) -> tuple[int, Group] | None:
    """A unit word and its list of numbers at `pos` (after optional spaces)."""
    m = _UNIT_RE.match(text, pos)
    if not m:
        return None
    unit = m.lastgroup or ""
    items: list[Item] = []
    end = m.end()
    while len(items) < MAX_ITEMS:
        n = _NUM_RE.match(text, end)
        if not n or (n["roman"] and unit not in CONTAINERS) or ((n["qletter"] or n["letter"])
                                                                  and unit not in (POINT, SUBPOINT)):
            break
        first = _number(n)
        if first is None:
            break
        end = n.end()
        last = None
        r = _RANGE_SEP.match(text, end)
        if r:
            n2 = _NUM_RE.match(text, r.end())
            if n2 and _number(n2) is not None and (n2["ord"] is None) == (n["ord"] is None):
                last, end = _number(n2), n2.end()
        if last is None and _DASHED.fullmatch(first):
            # "статьи 1-3" is a range; plain-text exports write 65³ as "65-3" (resolve.py decides)
            a, b = first.split("-")
            if int(b) > int(a):
                first, last = a, b
        items.append(Item(first, last))
        s = _LIST_SEP.match(text, end)
        if not s:
            break
        n3 = _NUM_RE.match(text, s.end())
        if not n3 or _number(n3) is None or (n3["ord"] is None) != (n["ord"] is None):
            break
        end = s.end()
    if not items:
        return None
    return end, Group(unit, tuple(items))


@dataclass
class _Chain:
    start: int
    end: int
    groups: list[Group]      # as written: innermost first
    act: ActName | None = None


def _chain(text: str, pos: int, names: ActNames | None, jurisdiction: str) -> _Chain | None:
    """Unit groups from `pos`, each containing the one before, then an optional act name."""
    groups: list[Group] = []
    end = pos
    start = None
    while True:
        ws = _WS.match(text, end).end() - end if groups else 0
        g = _group(text, end + ws)
        if not g:
            break
        new_end, group = g
        if groups and not _contains(groups, group):
            break
        if start is None:
            start = _UNIT_RE.match(text, end + ws).start()
        groups.append(group)
        end = new_end
    act, end = _act_name(text, end, names, jurisdiction)
    if not groups and (act is None or act.self_scope in (None, "act")):
        return None
    if start is None:
        start = _WS.match(text, pos).end()
    return _Chain(start, end, groups, act)


def _contains(inner: list[Group], outer: Group) -> bool:
    """Whether `outer` may hold the groups written before it ('статьи' after 'пункта')."""
    last = inner[-1]
    lo, lu = _LEVEL[last.unit], _LEVEL[outer.unit]
    if outer.unit in (p.unit for p in inner):
        return False
    if lu == 1 and lo <= 1:           # part, point, sub-point nest either way (RU ч.-п., BY п.-ч.)
        return not (last.unit == POINT and outer.unit == SUBPOINT)
    return lu > lo


def _act_name(text: str, pos: int, names: ActNames | None, jurisdiction: str) -> tuple[ActName | None, int]:
    nxt = _WS.match(text, pos).end()
    head = text[nxt:nxt + 1]
    if head in ("н", "Н"):
        m = _SELF_RE.match(text, pos)
        if m:
            return ActName(self_scope=m.lastgroup), m.end()
    if not head.isupper():          # act titles and laws are capitalised; nothing else names an act
        return None, pos
    if names is not None:
        hit = names.match(text, pos, jurisdiction)
        if hit:
            return hit[1], hit[0]
    m = _LAW_RE.match(text, pos)
    if m and (m["y1"] or m["y2"] or m["number"] or m["name"]):
        kind = next(k for k, _ in _LAW_TYPES if m[k])
        jur = ("ru" if kind in ("fz", "fkz") else _jur_of(m.group(0)) or None)
        when = None
        if m["y1"]:
            when = f"{int(m['y1']):04d}-{int(m['m1']):02d}-{int(m['d1']):02d}"
        elif m["y2"]:
            when = f"{int(m['y2']):04d}-{_MONTHS[m['m2'].lower()]:02d}-{int(m['d2']):02d}"
        if when is not None:
            try:
                date.fromisoformat(when)
            except ValueError:      # "31.02.2006": kept as written, no date
                when = None
        return ActName(as_written=m.group(0).strip(), jurisdiction=jur, act_type=kind, date=when,
                       number=m["number"]), m.end()
    m = _OTHER_CODE_RE.match(text, pos)
    if m:
        return ActName(as_written=m["all"].strip(), jurisdiction=_jur_of(m["all"]) or None, act_type="kodeks"), m.end()
    return None, pos


# where a citation may start: a cheap literal prefilter, the grammar decides at each hit
_START_RE = re.compile(r"(?<![\w-])(?:подпункт|пункт|част|стать|абзац|предложени|подраздел|раздел|глав|параграф"
                       r"|настоящ|федеральн|закон|указ|декрет)|§")     # run over the lower-cased text
_WS = re.compile(r"\s*")
_DASHED = re.compile(r"\d+-\d+")


def find(text: str, names: ActNames | None = None, jurisdiction: str = "") -> list[Citation]:
    """Every citation in `text`, in order, with character offsets into it."""
    out: list[Citation] = []
    pos = 0
    lowered = text.lower()
    if len(lowered) != len(text):       # a letter whose lower case is longer: offsets must hold
        lowered = text
    for m in _START_RE.finditer(lowered):
        if m.start() < pos:
            continue
        enum = _enumeration(text, m.start(), names, jurisdiction)
        if enum:
            out.extend(enum)
            pos = max(c.end for c in enum)
            continue
        # a law named by date and number, without units
        act, end = _act_name(text, m.start(), names, jurisdiction)
        if act is not None and act.self_scope is None and text[m.start()].isupper():
            out.append(Citation(m.start(), end, text[m.start():end], [], act))
            pos = end
    return out


def _enumeration(text: str, pos: int, names: ActNames | None, jurisdiction: str) -> list[Citation]:
    chains: list[_Chain] = []
    first = _chain(text, pos, names, jurisdiction)
    if first is None:
        return []
    chains.append(first)
    while chains[-1].act is None:
        s = _CHAIN_SEP.match(text, chains[-1].end)
        if not s or not _UNIT_RE.match(text, s.end()):
            break
        nxt = _chain(text, s.end(), names, jurisdiction)
        if nxt is None or not nxt.groups:
            break
        chains.append(nxt)
    # the last chain's act name and outer units apply to the chains before it that lack them
    act = chains[-1].act
    context: list[Group] = []
    out: list[Citation] = []
    for ch in reversed(chains):
        groups = list(ch.groups)
        if ch.act is None:
            ch_act = act
        else:
            ch_act = act = ch.act
        if groups and context:
            top = groups[-1]
            same = [i for i, g in enumerate(context) if g.unit == top.unit]
            inherited = context[same[0] + 1:] if same else [g for g in context if _LEVEL[g.unit] > _LEVEL[top.unit]]
            groups = groups + [g for g in inherited if g.unit not in {x.unit for x in groups}]
        context = groups
        outer_first = list(reversed(groups))
        out.append(Citation(ch.start, ch.end, text[ch.start:ch.end], outer_first, ch_act))
    out.reverse()
    return out
