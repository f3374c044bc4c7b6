"""Citations as lawyers write them, resolved to provision identifiers.

    ст. 196 ГК РФ                      статья 197 ГК РБ
    ч. 2 ст. 81 ТК РФ                  п. 1 ст. 42 Трудового кодекса Республики Беларусь
    подп. 2 п. 1 ст. 81 ТК РФ          статья 9101 ГК   (910¹ with its superscript flattened)

The act is named by its abbreviation (the manifest's `short`, stored as
eli:title_short) or by its title in any case form; "РФ", "РБ", "Российской
Федерации", "Республики Беларусь" choose the jurisdiction. Without an act the
citation is resolved in every act the filters allow.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.identifiers import number_slug
from ingest.index.analysis import fold, is_stop_word, terms_of, words_of
from ingest.store import GraphStore
from ingest.query import catalog

_NUM = r"\d+(?:\.\d+)*"
_SUB = (r"(?:(?P<k{i}>подпункт\w*|подп\.?|пп\.?|пункт\w*|п\.?|част\w*|ч\.?|абзац\w*|абз\.?)\s*"
        r"(?P<n{i}>\d+(?:\.\d+)*|[а-я](?=\)|\s|,|$))\)?\s*,?\s*)")
CITATION = re.compile(
    r"(?<![\w.])" + "".join(_SUB.format(i=i) + "?" for i in range(3))
    + rf"(?:стать[яиеюй]\w*|ст\.?)\s*(?P<art>{_NUM})(?![\w.]\d)",
    re.IGNORECASE)
_RU = {"рф", "россия", "российский", "федерация"}
_BY = {"рб", "беларусь", "белоруссия", "белорусский", "республика"}
_LEVELS = ("para", "point", "subpoint")


@dataclass
class Citation:
    """One citation found in a query."""

    text: str
    article: str                      # as written: "196", "9101", "67.1"
    subs: list[tuple[str, str]]       # outermost first: [("ч.", "2"), ("п.", "1")]
    act_words: list[str]              # normalised words naming the act ("гк", "трудовой кодекс")
    jurisdiction: str | None
    start: int = 0
    end: int = 0


@dataclass
class Resolved:
    """What a citation names in the store."""

    citation: Citation
    iris: list[str] = field(default_factory=list)     # most specific provision found, per act
    notes: list[str] = field(default_factory=list)    # why something is less precise than asked


def _norm(word: str) -> str:
    w = fold(word)
    return terms_of(w)[0] if w else w


def _designation(text: str) -> tuple[list[str], str | None]:
    """Words naming an act and the jurisdiction they imply."""
    words = [_norm(w) for _, w in words_of(re.sub(r"\([^)]*\)", " ", text)) if not is_stop_word(w)]
    jur = "ru" if any(w in _RU for w in words) else "by" if any(w in _BY for w in words) else None
    return [w for w in words if w not in _RU and w not in _BY], jur


def find(q: str) -> list[Citation]:
    """Citations in a query, each with the act words that follow it (up to the next citation)."""
    matches = list(CITATION.finditer(q))
    out: list[Citation] = []
    for i, m in enumerate(matches):
        tail_end = matches[i + 1].start() if i + 1 < len(matches) else len(q)
        tail = q[m.end():tail_end]
        act_part = re.split(r"[;,]|\s(?:и|или)\s", tail, maxsplit=1)[0]
        act_words, jur = _designation(act_part)
        subs = [(m.group(f"k{j}"), m.group(f"n{j}")) for j in range(3) if m.group(f"k{j}")]
        subs.reverse()         # written innermost first: "п. 1 ч. 2 ст. 5"
        out.append(Citation(m.group(0), m.group("art"), subs, act_words, jur, m.start(),
                            m.end() + len(act_part.rstrip())))
    return out


def read_acts(store: GraphStore) -> list[dict]:
    """The acts a citation may name, by identifier (what `resolve` takes as `citable`)."""
    return sorted(catalog.select(store, "citable_acts"), key=lambda a: a["id"])


def _names(act: dict) -> list[list[str]]:
    names = [_designation(act["title"])[0]]
    if act.get("short"):
        names.append(_designation(act["short"])[0])
    return [n for n in names if n]


def candidate_acts(store: GraphStore, cit: Citation, jurisdictions: tuple[str, ...] = (),
                   acts: tuple[str, ...] = (), citable: list[dict] | None = None) -> list[dict]:
    """Acts the citation may name, in the order they are listed (`citable`: read_acts(store),
    when the caller keeps it)."""
    out = []
    for act in (citable if citable is not None else read_acts(store)):
        if cit.jurisdiction and act["j"] != cit.jurisdiction:
            continue
        if jurisdictions and act["j"] not in jurisdictions or acts and act["id"] not in acts:
            continue
        if cit.act_words and not any(cit.act_words[:len(n)] == n for n in _names(act)):
            continue
        out.append(act)
    return out


def _article_eids(number: str) -> list[str]:
    """eIds an article number may stand for: as written, then with its last one or
    two digits read as a flattened superscript (9101 -> 910.1, 91011 -> 910.11)."""
    out = [f"art_{number_slug(number)}"]
    if number.isdigit():
        for k in (1, 2):
            base, sup = number[:-k], number[-k:]
            if base and not sup.startswith("0"):
                out.append(f"art_{base}.{sup}")
    return out


def resolve(store: GraphStore, cit: Citation, jurisdictions: tuple[str, ...] = (),
            acts: tuple[str, ...] = (), citable: list[dict] | None = None) -> Resolved:
    """The provisions a citation names (one per matching act), most specific first. `citable`:
    the acts a citation may name (read_acts), when the caller keeps them."""
    res = Resolved(cit)
    if not cit.act_words and not acts and not jurisdictions and not cit.jurisdiction:
        res.notes.append("no act is named; the article is looked up in every act")
    candidates = candidate_acts(store, cit, jurisdictions, acts, citable)
    if not candidates:
        named = " ".join(cit.act_words) or "any act"
        res.notes.append(f"no act in the store matches '{named}'"
                         + (f" in jurisdiction {cit.jurisdiction}" if cit.jurisdiction else ""))
    missing: list[str] = []
    for act in candidates:
        work = act["w"]
        found = None
        for eid in _article_eids(cit.article):
            if catalog.ask(store, "is_provision", iri=f"{work}/{eid}"):
                found = eid
                break
        if found is None:
            missing.append(f"{act['id']} has no article {cit.article}")
            continue
        if found != f"art_{number_slug(cit.article)}":
            res.notes.append(f"{act['id']}: article {cit.article} read as {found[4:]} (flattened superscript)")
        eid = found
        for level, (word, num) in zip(_LEVELS, cit.subs):
            child = f"{eid}__{level}_{number_slug(num)}"
            if catalog.ask(store, "is_provision", iri=f"{work}/{child}"):
                eid = child
                continue
            res.notes.append(f"{act['id']}: {word} {num} of {eid} is not a separate provision in the source "
                             f"(it may be cut off there); the enclosing provision is given")
            break
        res.iris.append(f"{work}/{eid}")
    if not res.iris:
        res.notes.extend(missing)
    return res


def strip(q: str, cits: list[Citation]) -> str:
    """The query without its citations (the words left to search for)."""
    for c in sorted(cits, key=lambda c: c.start, reverse=True):
        q = q[:c.start] + " " + q[c.end:]
    return q.strip()
