"""ELI identifiers: work, expression and provision IRIs, eIds, number normalisation.

Identifiers are computed here and parsed back here, nowhere else. They never
depend on the text of a provision, only on the act's identity and the numbers of
its subdivisions, so they survive new redactions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .model import EID_PREFIX, ParsedDocument, Provision

ACT_TYPES = ("konst", "kodeks", "fkz", "fz", "zakon", "ukaz", "dekret", "postanovlenie", "act", "bylaw")
LANGUAGES = {"rus": "ru", "bel": "be", "eng": "en"}  # ELI/EU language code -> BCP 47

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia", "і": "i", "ў": "u",
}
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}


def transliterate(value: str) -> str:
    """Lower-case Latin transliteration of a Russian/Belarusian string (ГОСТ-like)."""
    return "".join(_TRANSLIT.get(ch, ch) for ch in value.lower())


def number_slug(official_number: str) -> str:
    """Official act number -> ELI path segment: '51-ФЗ' -> '51-fz', '218-З' -> '218-z'."""
    slug = transliterate(official_number.strip())
    slug = re.sub(r"[\s_/]+", "-", slug)
    slug = re.sub(r"[^a-z0-9.\-]", "", slug)
    if not slug:
        raise ValueError(f"act number {official_number!r} gives an empty identifier")
    return slug


def roman_to_int(value: str) -> int | None:
    """'XIV' -> 14; None when the string is not a Roman numeral."""
    value = value.strip().upper()
    if not value or any(ch not in _ROMAN for ch in value):
        return None
    total = 0
    for i, ch in enumerate(value):
        v = _ROMAN[ch]
        total += -v if i + 1 < len(value) and _ROMAN[value[i + 1]] > v else v
    return total


def normalise_number(raw: str) -> str:
    """Printed number -> canonical number used in eIds.

    '67¹' and '67.1' and '67/1' -> '67.1'; 'II' -> '2'; 'а' -> 'a'; '1.1' stays.
    """
    value = raw.strip().rstrip(".)").strip()
    m = re.fullmatch(r"(\d+)\s*([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", value)
    if m:  # 123¹⁶⁻¹ -> 123.16-1 (the official dotted form)
        return f"{m.group(1)}.{m.group(2).translate(_SUPERSCRIPTS)}"
    value = value.replace("/", ".")
    m = re.fullmatch(r"([IVXLC]+)\s*([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)", value)
    if m:  # V² -> 5.2
        return f"{roman_to_int(m.group(1))}.{m.group(2).translate(_SUPERSCRIPTS)}"
    roman = roman_to_int(value)
    if roman is not None and not value.isdigit():
        return str(roman)
    slug = re.sub(r"[^a-z0-9.]", "", transliterate(value))
    return slug


def to_superscript_label(num: str) -> str:
    """'67.1' -> '67¹' (display form of a superscript article number)."""
    head, _, tail = num.partition(".")
    if not tail:
        return head
    return head + tail.translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


@dataclass(frozen=True)
class WorkId:
    """Identity of an act: {base}/eli/{jurisdiction}/{type}/{year}/{number}."""

    jurisdiction: str
    act_type: str
    year: int
    number: str  # the slug

    @property
    def path(self) -> str:
        return f"eli/{self.jurisdiction}/{self.act_type}/{self.year}/{self.number}"

    def iri(self, base: str) -> str:
        return f"{base.rstrip('/')}/{self.path}"


def work_id(jurisdiction: str, act_type: str, adopted: date, official_number: str | None) -> WorkId:
    """Build the work identity; acts without a number use their adoption date."""
    if act_type not in ACT_TYPES:
        raise ValueError(f"unknown act type {act_type!r}; expected one of {', '.join(ACT_TYPES)}")
    if not re.fullmatch(r"[a-z]{2}", jurisdiction):
        raise ValueError(f"jurisdiction {jurisdiction!r} is not a two-letter lower-case code")
    number = number_slug(official_number) if official_number else adopted.isoformat()
    return WorkId(jurisdiction, act_type, adopted.year, number)


def expression_iri(work_iri: str, version: date, lang: str) -> str:
    """{work}/{yyyy-mm-dd}/{lang}: a dated redaction of the act."""
    return f"{work_iri}/{version.isoformat()}/{lang}"


_ELI_PATH = re.compile(
    r"^eli/(?P<j>[a-z]{2})/(?P<t>[a-z]+)/(?P<y>\d{4})/(?P<n>[a-z0-9][a-z0-9.\-]*)"
    r"(?:/(?P<d>\d{4}-\d{2}-\d{2})(?:/(?P<l>[a-z]{3}))?)?"
    r"(?:/(?P<e>[a-z]+_[a-z0-9.\-]+(?:__[a-z]+_[a-z0-9.\-]+)*))?/?\Z"
)


@dataclass(frozen=True)
class EliPath:
    """A parsed /eli/... path: the work, optionally a redaction and a provision eId."""

    work: WorkId
    version: str | None = None
    lang: str | None = None
    eid: str | None = None

    @property
    def path(self) -> str:
        """The canonical path: eli/{work}[/{date}[/{lang}]][/{eId}]."""
        parts = [self.work.path]
        if self.version:
            parts.append(self.version)
            if self.lang:
                parts.append(self.lang)
        if self.eid:
            parts.append(self.eid)
        return "/".join(parts)

    def iri(self, base: str) -> str:
        return f"{base.rstrip('/')}/{self.path}"


def parse_eli_path(path: str) -> EliPath:
    """Parse 'eli/ru/kodeks/1994/51-fz[/2023-08-04/rus][/art_196]'; ValueError if malformed."""
    m = _ELI_PATH.match(path.strip("/")) if len(path) <= 512 else None
    if not m:
        raise ValueError(
            f"{path[:200]!r} is not an ELI path of the form eli/{{jurisdiction}}/{{type}}/{{year}}/{{number}}[/{{eId}}]"
        )
    if m["d"]:
        try:
            date.fromisoformat(m["d"])
        except ValueError:
            raise ValueError(f"{path[:200]!r}: {m['d']} is not a calendar date") from None
    work = WorkId(m["j"], m["t"], int(m["y"]), m["n"])
    return EliPath(work, m["d"], m["l"], m["e"])


def parse_reference(ref: str, base_iri: str, aliases: dict[str, str] | None = None) -> EliPath:
    """What a request names: an ELI path, a manifest key (ru-gk-1) or a full IRI under `base_iri`.

    The one door from request text to an identifier; ValueError says what was expected.
    """
    ref = ref.strip()
    if ref in (aliases or {}):
        ref = (aliases or {})[ref]
    base = base_iri.rstrip("/") + "/"
    if ref.startswith(("http://", "https://")):
        if not ref.startswith(base):
            raise ValueError(f"{ref[:200]!r} is not an identifier of this service (they start with {base}eli/)")
        ref = ref[len(base):]
    ref = ref.strip("/")
    if not ref.startswith("eli/"):
        ref = "eli/" + ref
    return parse_eli_path(ref)


def _segment(node: Provision) -> str:
    num = node.num or "1"
    return f"{EID_PREFIX[node.kind]}_{num}"


# Kinds whose numbering runs through the whole act (so their eId stands alone).
_ACT_WIDE = frozenset({"part", "section", "chapter", "article", "preamble", "attachment"})
_RESTARTABLE = frozenset({"section", "chapter"})


def assign_eids(doc: ParsedDocument) -> None:
    """Give every provision its eId and report numbers that collide.

    Articles, chapters and sections are numbered through the whole act, so their
    eId stands alone (art_196, chp_5); everything else is qualified by its parent
    (art_196__para_2__point_3, sec_1__subsec_2).
    """
    seen: dict[str, tuple[Provision, list[Provision]]] = {}
    dropped: list[tuple[Provision, list[Provision]]] = []

    def visit(node: Provision, parent_eid: str | None, siblings: list[Provision], attached: bool = False) -> None:
        seg = _segment(node)
        # inside a schedule (attachment) numbering starts again: qualify everything by its parent
        stands_alone = node.kind in _ACT_WIDE and not attached
        node.eid = seg if stands_alone or parent_eid is None else f"{parent_eid}__{seg}"
        if node.kind in _RESTARTABLE and node.eid in seen and parent_eid is not None:
            # Container numbering restarts in this act (e.g. chapters per part of
            # a code): qualify by the parent. Articles are never qualified, so a
            # duplicated article number stays an error.
            node.eid = f"{parent_eid}__{seg}"
        if node.eid in seen:
            first, first_siblings = seen[node.eid]
            if _is_stub(node) or _is_stub(first):
                # An empty heading left behind by an amendment ("Статья 242¹."
                # with only a note) beside the real unit: keep the real one.
                stub, stub_siblings = (node, siblings) if _is_stub(node) else (first, first_siblings)
                doc.warn(f"empty duplicate of {node.label or node.eid} dropped (only notes: "
                         f"{'; '.join(stub.notes)[:120] or 'none'})", stub.where,
                         "nothing to do: the unit with text is kept")
                dropped.append((stub, stub_siblings))
                if stub is first:
                    seen[node.eid] = (node, siblings)
            else:
                doc.error(
                    f"{node.label or node.kind} {node.num!r} appears twice (first {first.where or 'earlier'}): "
                    f"both would get the identifier {node.eid}",
                    node.where,
                    "fix the source file or report the duplicated number; lexmap does not guess which one is right",
                )
        else:
            seen[node.eid] = (node, siblings)
        for child in node.children:
            visit(child, node.eid, node.children, attached or node.kind == "attachment")

    for top in doc.children:
        visit(top, None, doc.children)
    for stub, siblings in dropped:
        siblings[:] = [s for s in siblings if s is not stub]


def _is_stub(node: Provision) -> bool:
    return not node.text and not node.children and not node.title


# ------------------------------------------------------------------ reading IRIs back
# Every lexmap IRI is {base}/eli/{j}/{type}/{year}/{number}[/{date}/{lang}][/{eId}] (or a
# mapping, agent or set IRI, which are not ELI). These read them; nothing else slices IRIs.

ELI_MARK = "/eli/"


def eli_of(iri: str) -> str:
    """'eli/…' of an IRI under any base (an 'eli/…' path is returned as it is)."""
    if iri.startswith("eli/"):
        return iri
    if ELI_MARK not in iri:
        raise ValueError(f"{iri[:200]!r} is not an ELI IRI")
    return "eli/" + iri.split(ELI_MARK, 1)[1]


def base_of(iri: str) -> str:
    """The base an ELI IRI stands under ('https://lexmap.org')."""
    if ELI_MARK not in iri:
        raise ValueError(f"{iri[:200]!r} is not an ELI IRI")
    return iri.split(ELI_MARK, 1)[0]


def parse_iri(iri: str) -> EliPath:
    """The parsed ELI path of an IRI; ValueError when it is not one."""
    return parse_eli_path(eli_of(iri))


def work_of(iri: str) -> str:
    """The work IRI of a work, expression or provision IRI."""
    return parse_iri(iri).work.iri(base_of(iri))


def top_unit_of(iri: str) -> str:
    """The IRI of the act-wide unit that holds a provision: the article of a part or point
    (art_81 of art_81__para_2), the provision itself when it stands alone."""
    head, sep, _ = iri.partition("__")
    return head if sep else iri


def file_stem(iri: str) -> str:
    """A file-name stem of an ELI IRI: 'ru_kodeks_1994_51-fz'."""
    return eli_of(iri).removeprefix("eli/").replace("/", "_")
