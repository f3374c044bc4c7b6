"""Akoma Ntoso 3.0 (OASIS LegalDocML) of an act in one redaction, from the graph.

The export is what the reader beside it (the `akoma-ntoso` adapter) reads back
into the same graph: eIds are lexmap's (they follow AKN naming), printed
numbers go to <num>, titles to <heading>, a unit's own text to <content> (or
<intro> before its sub-units), closing words to <wrapUp>. Kinds AKN has no
element for (§ sub-paragraph, sub-point, note) are <hcontainer name="…">;
repealed and excluded units carry class="repealed|excluded"; amendment notes
and source defects are <note>s in the metadata, referenced from their unit by
<noteRef>.

Three steps: `_read` takes what the export needs from the redaction's graph,
`_metadata` writes the FRBR identification and references, and `_Writer`
walks the hierarchy (preamble, body, attachments), numbering notes in document
order.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from lxml import etree

from ..query import catalog as q
from ..store import GraphStore
from ..text import status_name

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
A = "{%s}" % AKN_NS
ELEMENT = {"part": "part", "section": "section", "subsection": "subsection", "chapter": "chapter",
           "paragraph": "subchapter", "article": "article", "para": "paragraph", "point": "point",
           "item": "item", "attachment": "attachment"}
HCONTAINER = {"subparagraph", "subpoint", "note"}
OUTSIDE_BODY = ("preamble", "attachment")   # top-level kinds with their own place in <act>


class ExportError(ValueError):
    """The act or redaction asked for is not in the store."""


# ------------------------------------------------------------------ what the export reads

@dataclass
class _Redaction:
    """One redaction of an act as the export sees it."""

    work: str
    expression: str
    meta: dict[str, str]                          # j, type, num, adopted, title, d (version date), lang
    rows: dict[str, dict]                         # provision -> its label, title, text, wrap, st in the redaction
    notes: dict[str, list[tuple[str, str]]]       # subject -> [(kind "note" | "defect", text)]
    children: dict[str, list[dict]]               # parent -> its units (p, eid, kind, num, sort), in order

    @property
    def lang(self) -> str:
        return self.meta["lang"].rsplit("/", 1)[-1].lower()

    @property
    def akn_work(self) -> str:
        """The AKN work IRI: /akn/{country}/act/{type}/{year}/{number}."""
        m = self.meta
        return f"/akn/{m['j']}/act/{m['type']}/{m['adopted'][:4]}/{self.work.rsplit('/', 1)[-1]}"

    def node(self, eid: str) -> str:
        """The expression-level IRI of a unit (the subject of its notes)."""
        return f"{self.expression}/{eid}"


def _read(store: GraphStore, work: str, expression: str) -> _Redaction:
    meta = _read_meta(store, work, expression)
    nodes = q.select(store, "redaction_structure", expression=expression)
    rows = {r["p"]: r for r in q.select(store, "redaction_text", expression=expression)}
    return _Redaction(work, expression, meta, rows, _read_notes(store, expression), _tree(nodes))


def _read_meta(store: GraphStore, work: str, expression: str) -> dict[str, str]:
    meta = q.select(store, "redaction_meta", work=work, expression=expression)
    if not meta:
        raise ExportError(f"no redaction {expression} of {work} in the store")
    return meta[0]


def _read_notes(store: GraphStore, expression: str) -> dict[str, list[tuple[str, str]]]:
    notes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in q.select(store, "redaction_notes", expression=expression):
        notes[r["s"]].append((r["k"], r["n"]))
    return notes


def _tree(nodes: list[dict]) -> dict[str, list[dict]]:
    children: dict[str, list[dict]] = defaultdict(list)
    for n in sorted(nodes, key=lambda r: int(r["sort"])):
        children[n["parent"]].append(n)
    return children


# ------------------------------------------------------------------ element builders

def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    e = etree.SubElement(parent, A + tag, {k.rstrip("_"): v for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = text
    return e


def _paras(parent, text: str) -> None:
    """One <p> per line (an empty text still gives one empty <p>)."""
    for line in (text or "").split("\n"):
        _el(parent, "p", line)


def _identification(meta_el, red: _Redaction, alias: str | None, component: str = "main") -> None:
    """<identification> with the FRBR work, expression and manifestation of a component."""
    m, akn_work, lang, version = red.meta, red.akn_work, red.lang, red.meta["d"]
    ident = _el(meta_el, "identification", source="#lexmap")
    work = _el(ident, "FRBRWork")
    _el(work, "FRBRthis", value=f"{akn_work}/!{component}")
    _el(work, "FRBRuri", value=akn_work)
    if alias:
        _el(work, "FRBRalias", value=alias, name="title")
    _el(work, "FRBRdate", date=m["adopted"], name="adoption")
    _el(work, "FRBRauthor", href="#legislator")
    _el(work, "FRBRcountry", value=m["j"])
    _el(work, "FRBRnumber", value=m["num"])
    expr = _el(ident, "FRBRExpression")
    _el(expr, "FRBRthis", value=f"{akn_work}/{lang}@{version}/!{component}")
    _el(expr, "FRBRuri", value=f"{akn_work}/{lang}@{version}")
    _el(expr, "FRBRdate", date=version, name="redaction")
    _el(expr, "FRBRauthor", href="#legislator")
    _el(expr, "FRBRlanguage", language=lang)
    man = _el(ident, "FRBRManifestation")
    _el(man, "FRBRthis", value=f"{akn_work}/{lang}@{version}/!{component}.xml")
    _el(man, "FRBRuri", value=f"{akn_work}/{lang}@{version}.akn")
    _el(man, "FRBRdate", date=date.today().isoformat(), name="export")
    _el(man, "FRBRauthor", href="#lexmap")


def _metadata(act, red: _Redaction) -> etree._Element:
    """The act's <meta>: identification and references (the notes are added last, if any)."""
    meta_el = _el(act, "meta")
    _identification(meta_el, red, red.meta["title"])
    refs = _el(meta_el, "references", source="#lexmap")
    _el(refs, "TLCOrganization", eId="lexmap", href="https://lexmap.org", showAs="lexmap")
    _el(refs, "TLCOrganization", eId="legislator", href=f"/ontology/organization/{red.meta['j']}/legislator",
        showAs="legislator")
    return meta_el


def _unit_element(parent_el, n: dict, r: dict) -> etree._Element:
    """A hierarchy unit's element with its <num> and <heading>; repealed / excluded as a class."""
    kind = n["kind"]
    status = status_name(r.get("st"))
    cls = status if status != "in_force" else None
    if kind in HCONTAINER:
        e = _el(parent_el, "hcontainer", eId=n["eid"], name=kind, class_=cls)
    else:
        e = _el(parent_el, ELEMENT[kind], eId=n["eid"], class_=cls)
    if r.get("label"):
        _el(e, "num", r["label"])
    if r.get("title"):
        _el(e, "heading", r["title"])
    return e


# ------------------------------------------------------------------ the hierarchy walk

class _Writer:
    """Writes the units of one redaction; notes go to one <notes>, numbered in document order."""

    def __init__(self, red: _Redaction):
        self.red = red
        self.notes_el = etree.Element(A + "notes", source="#lexmap")
        self.count = 0

    def _note(self, text: str, cls: str) -> str:
        self.count += 1
        nid = f"note_{self.count}"
        note = _el(self.notes_el, "note", eId=nid, class_=cls)
        _paras(note, text)
        return nid

    def act_notes(self) -> None:
        """Act-level notes (the list of amending acts) belong to the whole act: no <noteRef>."""
        for kind, text in self.red.notes.get(self.red.expression, []):
            self._note(text, f"act-{kind}")

    def note_refs(self, parent_el, eid: str) -> None:
        """The unit's notes into <notes>, each referenced from `parent_el`."""
        for kind, text in self.red.notes.get(self.red.node(eid), []):
            nid = self._note(text, kind)
            _el(parent_el, "noteRef", href=f"#{nid}", class_=kind)

    def units(self, parent_el, nodes: list[dict]) -> None:
        for n in nodes:
            self.unit(parent_el, n)

    def unit(self, parent_el, n: dict) -> None:
        """One unit and, recursively, the units under it."""
        r = self.red.rows.get(n["p"], {})
        if n["kind"] == "list":
            self._block_list(parent_el, n, r)
            return
        e = _unit_element(parent_el, n, r)
        subs = self.red.children.get(n["p"], [])
        if n["kind"] == "item":
            self._item(e, n, r, subs)
        elif all(c["kind"] == "list" for c in subs):
            self._content(e, n, r, subs)
        else:
            self._container(e, n, r, subs)

    def _block_list(self, parent_el, n: dict, r: dict) -> None:
        status = status_name(r.get("st"))
        e = _el(parent_el, "blockList", eId=n["eid"], class_=status if status != "in_force" else None)
        intro = _el(e, "listIntroduction", r.get("text") or "")
        self.note_refs(intro, n["eid"])
        self.units(e, self.red.children.get(n["p"], []))
        if r.get("wrap"):
            _el(e, "listWrapUp", r["wrap"])

    def _item(self, e, n: dict, r: dict, subs: list[dict]) -> None:
        # an item's text is its own paragraphs, not wrapped in <content>
        _paras(e, r.get("text") or "")
        self.note_refs(e[-1], n["eid"])
        self.units(e, subs)

    def _content(self, e, n: dict, r: dict, lists: list[dict]) -> None:
        # a leaf (or a unit whose only sub-units are lists): text and lists inside <content>
        content = _el(e, "content")
        _paras(content, r.get("text") or "")
        self.note_refs(content[-1], n["eid"])
        self.units(content, lists)

    def _container(self, e, n: dict, r: dict, subs: list[dict]) -> None:
        # own text before the sub-units is <intro>, after them <wrapUp>
        if r.get("text"):
            intro = _el(e, "intro")
            _paras(intro, r["text"])
            self.note_refs(intro[-1], n["eid"])
        elif self.red.notes.get(self.red.node(n["eid"])):
            intro = _el(e, "intro")   # an empty <p> to hang the notes on
            _el(intro, "p")
            self.note_refs(intro[-1], n["eid"])
        self.units(e, subs)
        if r.get("wrap"):
            wrap = _el(e, "wrapUp")
            _paras(wrap, r["wrap"])

    def preamble(self, act, n: dict) -> None:
        pre = _el(act, "preamble", eId=n["eid"])
        r = self.red.rows.get(n["p"], {})
        if r.get("label"):   # AKN's preamble has no <num>: its printed label is a marked paragraph
            _el(pre, "p", r["label"], class_="label")
        _paras(pre, r.get("text") or "")

    def attachments(self, act, nodes: list[dict]) -> None:
        """Schedules as <attachments>, each a <doc> with its own FRBR component."""
        atts = _el(act, "attachments")
        for k, n in enumerate(nodes, 1):
            att = _el(atts, "attachment", eId=n["eid"])
            r = self.red.rows.get(n["p"], {})
            doc = _el(att, "doc", name="schedule")
            _identification(_el(doc, "meta"), self.red, r.get("label"), component=f"att_{k}")
            main = _el(doc, "mainBody")
            if r.get("text"):
                _paras(main, r["text"])
            self.units(main, self.red.children.get(n["p"], []))


def export_act(store: GraphStore, work: str, expression: str) -> bytes:
    """AKN 3.0 XML of `work` as in the redaction (named graph) `expression`."""
    red = _read(store, work, expression)
    root = etree.Element(A + "akomaNtoso", nsmap={None: AKN_NS})
    act = _el(root, "act", name=red.meta["type"])
    meta_el = _metadata(act, red)
    writer = _Writer(red)
    writer.act_notes()
    tops = red.children.get(work, [])
    preambles = [n for n in tops if n["kind"] == "preamble"]
    attachments = [n for n in tops if n["kind"] == "attachment"]
    if preambles:
        writer.preamble(act, preambles[0])
    writer.units(_el(act, "body"), [n for n in tops if n["kind"] not in OUTSIDE_BODY])
    if attachments:
        writer.attachments(act, attachments)
    if len(writer.notes_el):
        meta_el.append(writer.notes_el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
