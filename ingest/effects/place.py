"""Placing note effects on the provisions of the tree, and the act's own list of amending acts.

A note sits on the provision the source printed it after, which is not always the unit it
names: "(Дополнение статьей - …)" closes the article's last part, "(подпараграф 3-1 введен …)"
may follow the paragraph before the heading. The affected provision is the holder or its
nearest ancestor of the kind named, else the unit of that kind and number nearest in the act,
else the holder, with the reason (`Effect.placement`).
"""
from __future__ import annotations

from ingest.model import ParsedDocument, Provision

from .model import Effect
from .parse import parse_note

# unit words of notes -> kinds of the provision tree (ingest.model.EID_PREFIX), most likely first;
# "пункт" is a para in codes whose articles have пункты (ГК, БК, ЗК) and a point in those whose
# articles have части (ТК, УК, ЖК): decided per document (`_points_are_paras`)
_KINDS: dict[str, tuple[str, ...]] = {
    "article": ("article",), "part": ("para",), "point": ("point", "para"), "subpoint": ("subpoint", "point"),
    "chapter": ("chapter",), "section": ("section",), "subsection": ("subsection",),
    "paragraph": ("paragraph",), "subparagraph": ("subparagraph",), "note": ("note",), "annex": ("attachment",),
}
_UNIT_RU = {"article": "статью", "part": "часть", "point": "пункт", "subpoint": "подпункт", "chapter": "главу",
            "section": "раздел", "subsection": "подраздел", "paragraph": "параграф",
            "subparagraph": "подпараграф", "note": "примечание", "annex": "приложение"}


def _num_matches(node: Provision, num: str | None) -> bool:
    return num is None or node.num == num


def document_effects(doc: ParsedDocument, jurisdiction: str, own_number: str | None = None,
                     own_date: str | None = None) -> list[Effect]:
    """Every effect the notes of a parsed document (eIds assigned) state, placed on provisions.
    `own_number`/`own_date`: the act's own number and adoption date, left out of its own list."""
    out: list[Effect] = []
    for i, note in enumerate(doc.notes):
        for ne in parse_note(note, jurisdiction, act_level=True):
            if ne.act and own_number and ne.act.number == own_number and ne.act.date == own_date:
                continue
            out.append(Effect("", "", note, i, ne))
    order: list[Provision] = []
    parents: dict[int, Provision | None] = {}
    stack: list[tuple[Provision, Provision | None]] = [(c, None) for c in reversed(doc.children)]
    while stack:
        node, parent = stack.pop()
        parents[id(node)] = parent
        order.append(node)
        stack.extend((c, node) for c in reversed(node.children))
    index = {id(n): i for i, n in enumerate(order)}
    read = [(node, " ".join(node.notes)) for node in order if node.notes and node.eid]
    parsed = [(node, text, parse_note(text, jurisdiction)) for node, text in read]
    kinds = dict(_KINDS)
    if _points_are_paras(parsed):
        kinds.update(point=("para", "point"), subpoint=("point", "subpoint"))
    for node, text, effects in parsed:
        seen: set[tuple] = set()
        for ne in effects:
            eid, why, exact = _place(node, ne.unit, ne.unit_num, parents, order, index, kinds)
            key = (eid, ne)     # one note repeated for several abzatsy of one provision is one effect
            if key not in seen:
                seen.add(key)
                out.append(Effect(eid, node.eid, text, 0, ne, why, exact))
    return out


def _points_are_paras(parsed: list) -> bool:
    """Whether the document calls the numbered divisions of its articles (para) "пункты": its
    notes held by paras name "пункт" more often than "часть" ("Пункт в редакции", "Дополнение
    пунктом" in the ГК; "Часть в редакции", "Дополнение частью" in the ТК)."""
    votes = {"point": 0, "part": 0}
    for node, _, effects in parsed:
        if node.kind == "para":
            for ne in effects:
                if ne.unit in votes:
                    votes[ne.unit] += 1
    return votes["point"] > votes["part"]


def _place(node: Provision, unit: str | None, num: str | None, parents: dict[int, Provision | None],
           order: list[Provision], index: dict[int, int],
           table: dict[str, tuple[str, ...]] = _KINDS) -> tuple[str, str, bool]:
    """(affected eId, why it is not the unit named, whether it is the very unit named)."""
    kinds = table.get(unit or "")
    if not kinds:
        return node.eid, "", unit is None
    for kind in kinds:          # the holder or its nearest ancestor of the likeliest kind first
        at: Provision | None = node
        while at is not None:
            if at.kind == kind and _num_matches(at, num):
                return at.eid, "", True
            at = parents.get(id(at))
    if num is not None:
        here = index[id(node)]
        best = min((n for n in order if n.kind in kinds and n.num == num and n.eid),
                   key=lambda n: abs(index[id(n)] - here), default=None)
        if best is not None and abs(index[id(best)] - here) <= 40:
            return best.eid, "", True
    return (node.eid, f"the note names a {_UNIT_RU[unit]}{' ' + num if num else ''}; it is kept on the provision "
                      "that holds it", False)
