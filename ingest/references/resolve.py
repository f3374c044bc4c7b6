"""Citations resolved against the acts' own numbering.

An act's numbering (`Numbering`) is built from its parsed tree at prepare time, or from the
store after every act is loaded (the cross-act pass in ingest/pipeline.py); both are the
same structure, so one resolution rule serves both.

Rules, decided from what exists:
- A number is read as written first; when the act has no such unit, its last one or two digits
  are read as a flattened superscript ("статьей 881" is 88¹ when the act has no article 881).
- A range N–M covers every unit of the act whose number lies between N and M in the order of
  numbers, inserted units included: 301–305 holds 302¹ and 304², not 305¹ (it comes after 305).
- "часть N" of a point whose opening text is its first part (BY: "часть вторая пункта 1") is
  the point itself for N = 1, else its (N-1)-th unnumbered sub-paragraph while sub-paragraphs are
  numbered from 1, its N-th once they are numbered as the law counts (from 2).
- "пункт N статьи" is the numbered paragraph N; an article whose parts hold the points
  ("пункт 3 статьи 81" of the RU Labour Code) gives point N of its first part.
- An abzats or sentence is the provision that holds it: the graph keeps абзацы in the text
  (a BY point's unnumbered units are its parts, not its абзацы).
- A number written "65-3" (plain-text exports) is 65³ when it runs backwards, a range otherwise.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.identifiers import normalise_number as _normalise

from .model import (ABZATS, ARTICLE, CHAPTER, CONTAINERS, EXTERNAL, INTERNAL, OTHER_ACT, PARAGRAPH, PART, POINT,
                    RELATIVE, SECTION, SENTENCE, SUBPOINT, SUBSECTION, Citation, Group, Reference)
from .patterns import ActNames

_DIGITS = re.compile(r"[0-9]+")
MAX_TARGETS = 200        # targets of one reference (a range over a whole act is cut here, and says so)

_CONTAINER_KIND = {CHAPTER: "chapter", SECTION: "section", SUBSECTION: "subsection", PARAGRAPH: "paragraph"}


@dataclass
class Node:
    """What resolution needs of a provision: kind, number, whether it has a printed number and text."""

    kind: str
    num: str | None
    numbered: bool
    has_text: bool
    parent: str | None


@dataclass
class Numbering:
    """The units of one act (one work), by eId, in document order."""

    nodes: dict[str, Node] = field(default_factory=dict)
    children: dict[str | None, list[str]] = field(default_factory=dict)
    by_kind_num: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    articles: list[tuple[tuple, str]] = field(default_factory=list)   # (number key, eId), sorted

    def add(self, eid: str, kind: str, num: str | None, numbered: bool, has_text: bool, parent: str | None) -> None:
        """Add one unit; parents before children (document order)."""
        if eid in self.nodes:
            n = self.nodes[eid]
            n.has_text = n.has_text or has_text
            return
        self.nodes[eid] = Node(kind, num, numbered, has_text, parent)
        self.children.setdefault(parent, []).append(eid)
        if num is not None:
            self.by_kind_num.setdefault((kind, num), []).append(eid)
        if kind == "article" and num is not None:
            self.articles.append((_key(num), eid))

    def done(self) -> "Numbering":
        self.articles.sort()
        return self

    @classmethod
    def of_document(cls, doc) -> "Numbering":
        """The numbering of a parsed document (eIds assigned)."""
        out = cls()

        def visit(node, parent):
            out.add(node.eid, node.kind, node.num, node.label is not None, bool(node.text), parent)
            for child in node.children:
                visit(child, node.eid)
        for top in doc.children:
            visit(top, None)
        return out.done()


normalise_number = lru_cache(maxsize=65536)(_normalise)
_SPLIT = re.compile(r"[.\-]")


@lru_cache(maxsize=65536)
def _key(num: str) -> tuple:
    """Order of numbers: '302' < '302.1' < '303'; letters and Roman numerals after digits."""
    parts = _SPLIT.split(num)
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


@lru_cache(maxsize=65536)
def _number_forms(raw: str) -> tuple[str, ...]:
    """Normalised numbers a printed number may stand for: as written, then with its last one
    or two digits read as a flattened superscript (881 -> 88.1, 31412 -> 314.12)."""
    dashed = re.fullmatch(r"(\d+)-(\d+)", raw)
    if dashed:          # "350-2": 350² as plain-text exports print it
        return (f"{dashed[1]}.{dashed[2]}",)
    first = normalise_number(raw)
    out = [first]
    if _DIGITS.fullmatch(raw):
        for k in (1, 2):
            base, sup = raw[:-k], raw[-k:]
            if base and not sup.startswith("0"):
                out.append(f"{base}.{sup}")
    return tuple(out)


class Resolver:
    """Resolves citations of one act's text, knowing the corpus acts and the numbering of those
    loaded so far (`numberings`: work IRI -> Numbering)."""

    def __init__(self, names: ActNames, numberings: dict[str, Numbering] | None = None):
        self.names = names
        self.numberings = numberings or {}

    # ------------------------------------------------------------ one citation
    def resolve(self, cit: Citation, act_key: str, source_eid: str) -> Reference:
        """The Reference of a citation in the provision `source_eid` of the act `act_key`."""
        ref = Reference(source_eid, cit.start, cit.end, cit.quote, INTERNAL, cit.spec())
        act = cit.act
        own = self.names.get(act_key)
        own_work = own.work if own else ""
        if act is not None and act.self_scope is None:
            named = self.names.get(act.act_key) if act.act_key else self.names.by_number(act.jurisdiction, act.number)
            if named is None:
                ref.kind = EXTERNAL
                ref.external, ref.external_date, ref.external_number = act.as_written, act.date, act.number
                ref.reason = "the cited act is not in the corpus"
                return ref
            same = own is not None and named.family == own.family and named.jurisdiction == own.jurisdiction
            ref.kind = INTERNAL if same else OTHER_ACT
            works = [a.work for a in self.names.family_of(named.key)]
            if not cit.groups:
                ref.target_work = named.work
                return ref
            return self._in_works(ref, cit.groups, works)
        scope = act.self_scope if act is not None else None
        if scope not in (None, "act"):
            ref.kind = RELATIVE
        numbering = self.numberings.get(own_work)
        if numbering is None:
            ref.reason = "the citing act's numbering is unknown"
            return ref
        has_article = any(g.unit == ARTICLE or g.unit in CONTAINERS for g in cit.groups)
        if scope in (None, "act") and has_article:
            works = [own_work] + [a.work for a in self.names.family_of(act_key) if a.work != own_work]
            return self._in_works(ref, cit.groups, works)
        # relative: from the unit that holds the citing provision
        base = _scope_node(numbering, source_eid, scope or "article")
        if base is None:
            ref.reason = f"the citing provision {source_eid} is not inside a {scope or 'article'}"
            return ref
        if scope is None:
            ref.kind = RELATIVE
        ref.target_work = own_work
        if has_article:       # "статьи 301 - 305 настоящей главы": articles of the act
            return self._in_works(ref, cit.groups, [own_work])
        targets, reason = _descend(numbering, [base], cit.groups)
        ref.targets, ref.reason = targets[:MAX_TARGETS], reason
        return ref

    def _in_works(self, ref: Reference, groups: list[Group], works: list[str]) -> Reference:
        """Resolve the units in the first of `works` that has the outermost one; works whose
        numbering is not known yet are left for the pass after all acts are loaded."""
        unknown = [w for w in works if w not in self.numberings]
        reasons = []
        for work in works:
            numbering = self.numberings.get(work)
            if numbering is None:
                continue
            tops, reason = _outermost(numbering, groups[0])
            if not tops:
                reasons.append(reason)
                continue
            targets, reason = _descend(numbering, tops, groups[1:])
            ref.target_work, ref.targets, ref.reason = work, targets[:MAX_TARGETS], reason
            ref.pending_works = []
            if len(targets) > MAX_TARGETS:
                ref.reason = f"{len(targets)} units named; the first {MAX_TARGETS} are linked"
            return ref
        if unknown:
            ref.pending_works = unknown
            ref.reason = "resolved after all acts are loaded"
        else:
            ref.reason = "; ".join(dict.fromkeys(reasons)) or "not found"
        return ref


def _scope_node(numbering: Numbering, eid: str, scope: str) -> str | None:
    """The unit of kind `scope` that holds (or is) the provision `eid`."""
    cur: str | None = eid
    while cur is not None:
        node = numbering.nodes.get(cur)
        if node is None:
            return None
        if scope == "article" and node.kind == "article":
            return cur
        # a point under a numbered paragraph is a sub-point (RU: пункт 2 -> подпункт 1); under a
        # part it is a point (part 1 -> пункт 3)
        sub = node.kind == "subpoint" or node.kind == "point" and _numbered_para(numbering, node.parent)
        if scope == "point" and (node.kind == "para" and node.numbered or node.kind == "point" and not sub):
            return cur
        if scope == "subpoint" and sub:
            return cur
        if scope == "part" and node.kind == "para":
            return cur
        if scope in _CONTAINER_KIND.values() and node.kind == scope:
            return cur
        cur = node.parent
    return None


def _numbered_para(numbering: Numbering, eid: str | None) -> bool:
    node = numbering.nodes.get(eid) if eid else None
    return node is not None and node.kind == "para" and node.numbered


def _outermost(numbering: Numbering, group: Group) -> tuple[list[str], str]:
    """The act-level units a group names (articles, chapters …), ranges expanded."""
    kind = "article" if group.unit == ARTICLE else _CONTAINER_KIND.get(group.unit)
    if kind is None:
        return [], f"a {group.unit} is not an act-level unit"
    out: list[str] = []
    missing: list[str] = []
    for item in group.items:
        first = _find(numbering, kind, item.first)
        if item.last is None:
            if first:
                out.append(first)
            else:
                missing.append(item.first)
            continue
        last = _find(numbering, kind, item.last)
        if _DIGITS.fullmatch(item.first) and _DIGITS.fullmatch(item.last) and int(item.last) < int(item.first):
            # plain-text exports write 65³ as "65-3": a "range" running backwards is one number
            one = _find(numbering, kind, f"{item.first}.{item.last}")
            if one:
                out.append(one)
            else:
                missing.append(f"{item.first}-{item.last}")
            continue
        lo = _key(numbering.nodes[first].num) if first else _key(normalise_number(item.first))
        hi = _key(numbering.nodes[last].num) if last else _key(normalise_number(item.last))
        if kind == "article":
            i = bisect.bisect_left(numbering.articles, (lo,))
            span = []
            for k, eid in numbering.articles[i:]:
                if k > hi:
                    break
                span.append(eid)
                if len(span) > MAX_TARGETS:
                    break
        else:
            span = [e for (kk, n), eids in numbering.by_kind_num.items() if kk == kind and lo <= _key(n) <= hi
                    for e in eids]
        if span:
            out.extend(span)
        else:
            missing.append(f"{item.first}–{item.last}")
    reason = f"no {kind} {', '.join(missing)}" if missing else ""
    return list(dict.fromkeys(out)), reason


def _find(numbering: Numbering, kind: str, raw: str) -> str | None:
    for num in _number_forms(raw):
        eids = numbering.by_kind_num.get((kind, num))
        if eids:
            return eids[0]
    return None


def _descend(numbering: Numbering, tops: list[str], groups: list[Group]) -> tuple[list[str], str]:
    """The units the inner groups name under each of `tops` (outermost group first)."""
    current = tops
    for group in groups:
        nxt: list[str] = []
        missing: list[str] = []
        for parent in current:
            for item in group.items:
                found = _inner(numbering, parent, group.unit, item.first, item.last)
                if found:
                    nxt.extend(found)
                else:
                    missing.append(f"{group.unit} {item.spec().replace('~', '–')} of {parent}")
        if not nxt:
            # the unit is not in the graph (or not in this redaction): the enclosing unit is given
            return current, f"{'; '.join(missing[:3])} not found; the enclosing unit is linked"
        current = list(dict.fromkeys(nxt))
        if len(current) > MAX_TARGETS:
            break
    return current, ""


def _inner(numbering: Numbering, parent: str, unit: str, first: str, last: str | None) -> list[str]:
    """The units `first` (to `last`) of kind `unit` under `parent`."""
    if last is not None:
        lo, hi = normalise_number(first), normalise_number(last)
        if unit == ABZATS:
            return [parent]
        if unit == PART and lo.isdigit() and hi.isdigit():
            if not 0 < int(hi) - int(lo) < 50:
                return []
            found = [e for i in range(int(lo), int(hi) + 1) for e in _part(numbering, parent, str(i), unit)]
            return list(dict.fromkeys(found))
        if lo[:1].isdigit() != hi[:1].isdigit() or _key(hi) < _key(lo):
            return []
        out = []
        for eid in numbering.children.get(parent, []):
            n = numbering.nodes[eid]
            if n.num and n.num[:1].isdigit() == lo[:1].isdigit() and _fits(numbering, parent, eid, unit):
                try:
                    if _key(lo) <= _key(n.num) <= _key(hi):
                        out.append(eid)
                except TypeError:
                    continue
        return out
    if unit in (SENTENCE,):
        return [parent]
    if unit == ABZATS:
        # абзацы are paragraphs of a unit's text (a BY point's unnumbered units are its parts)
        return [parent]
    if unit == PART:
        return _part(numbering, parent, first, unit)
    kids = numbering.children.get(parent, [])
    for num in _number_forms(first):
        cands = [e for e in kids if numbering.nodes[e].num == num and _fits(numbering, parent, e, unit)]
        if cands:
            return cands[:1]
    if unit == POINT and numbering.nodes[parent].kind == "article":
        # "пункт 3 статьи 81": the points of the article's first part
        paras = [e for e in kids if numbering.nodes[e].kind == "para"]
        if paras:
            return _inner(numbering, paras[0], unit, first, None)
    return []


def _fits(numbering: Numbering, parent: str, eid: str, unit: str) -> bool:
    kind = numbering.nodes[eid].kind
    if unit == POINT:
        return kind in ("para", "point", "item") and (numbering.nodes[eid].numbered or kind != "para")
    if unit == SUBPOINT:
        return kind in ("point", "subpoint", "para", "item")
    if unit in (PART, ABZATS):
        return kind == "para"
    return True


def _part(numbering: Numbering, parent: str, raw: str, unit: str) -> list[str]:
    """Part (or abzats) N of a unit: see the module's rules."""
    try:
        n = int(normalise_number(raw).split(".")[0])
    except ValueError:
        return []
    tail = normalise_number(raw)[len(str(n)):]       # ".1" of "2.1" (частью второй¹)
    node = numbering.nodes[parent]
    kids = [e for e in numbering.children.get(parent, []) if numbering.nodes[e].kind == "para"]
    unnumbered = [e for e in kids if not numbering.nodes[e].numbered]
    if not unnumbered and (node.kind != "article" or not kids):
        # the parts are paragraphs of the unit's own text, not units of the graph
        return [parent]
    if node.kind == "article" or not node.has_text:
        for e in kids:
            if numbering.nodes[e].num == f"{n}{tail}":
                return [e]
        return [parent] if unit == ABZATS else []
    # a unit with its own opening text and unnumbered sub-paragraphs: the opening text is part 1
    if n == 1 and not tail:
        return [parent]
    nums = sorted(_key(numbering.nodes[e].num)[0][1] for e in unnumbered if numbering.nodes[e].num
                  and numbering.nodes[e].num.isdigit())
    offset = 1 if nums and nums[0] == 1 else 0
    want = f"{n - offset}{tail}"
    for e in unnumbered:
        if numbering.nodes[e].num == want:
            return [e]
    return [parent] if unit == ABZATS else []


def groups_of_spec(spec: str) -> list[Group]:
    """The groups of a stored units string ('article:301~305/point:1,2'), outermost first."""
    from .model import Item
    groups = []
    for part in filter(None, spec.split("/")):
        unit, _, items = part.partition(":")
        groups.append(Group(unit, tuple(Item(*(i.split("~", 1) + [None])[:2]) for i in items.split(",") if i)))
    return groups
