"""Akoma Ntoso XML, versions 2.0 and 3.0 (OASIS LegalDocML), any jurisdiction.

Elements are read by local name, so both namespaces (akomantoso.org/2.0 and
docs.oasis-open.org/legaldocml/ns/akn/3.0) and documents without a namespace
go through the same code. The hierarchy maps onto lexmap's kinds so that the
eIds come out as AKN 3.0 names them (sec_1__subsec_2__para_a):

  part -> part, chapter -> chapter, section -> section (sec), subsection ->
  subsection (subsec), article -> article, paragraph -> para, point / item ->
  item, preamble -> preamble, each component / attachment (schedule) ->
  attachment (att)

`content`, `intro`, `listIntroduction` give a unit its own text; `wrapUp` and
`listWrapUp` the text after its sub-units; `blockList` is transparent. The
FRBR work and expression identifiers are kept as notes of the act and checked
against nothing here (the manifest owns identity); unknown hierarchy elements
are reported, never silently dropped.

Registered in the adapter registry (ingest.adapters) as `akoma-ntoso`; what
ingest.akoma_ntoso.writer exports, this reads back into the same graph.
"""
from __future__ import annotations

import re

from lxml import etree

from ..adapters import register
from ..adapters.safe_io import parse_xml
from ..model import ParsedDocument, Provision

KINDS = {
    "part": "part", "book": "part", "chapter": "chapter", "section": "section", "subsection": "subsection",
    "article": "article", "paragraph": "para", "subparagraph": "para", "clause": "para", "point": "point",
    "item": "item", "indent": "item", "alinea": "para", "rule": "article", "subrule": "para",
    "division": "chapter", "subdivision": "subsection", "title": "part", "subchapter": "paragraph",
}
# <hcontainer name="…"> for lexmap kinds AKN has no element for (as lexmap exports them)
HCONTAINER_KINDS = {"subparagraph", "subpoint", "note"}
STATUS_CLASSES = {"repealed", "excluded"}
TEXT_BLOCKS = {"content", "intro", "listIntroduction"}
WRAP_BLOCKS = {"wrapUp", "listWrapUp"}
TRANSPARENT = {"hcontainer", "container", "blockContainer"}
LISTS = {"blockList", "list"}          # a list is a level: AKN 3.0 names its items list_1__item_a
INLINE_TEXT = {"p", "table", "blockQuote", "tblock", "foreign", "ul", "ol"}
SKIP = {"num", "heading", "subheading", "meta", "authorialNote", "remark", "noteRef"}
_SPACES = re.compile(r"\s+")


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _child(el: etree._Element, name: str) -> etree._Element | None:
    return next((c for c in el if _local(c) == name), None)


def _text(el: etree._Element | None) -> str:
    """Text of an element with its inline markup, blocks (p, td…) on their own lines."""
    if el is None:
        return ""
    lines: list[str] = []
    current: list[str] = []

    def walk(e: etree._Element) -> None:
        name = _local(e)
        block = name in ("p", "tr", "blockList", "item", "listIntroduction", "listWrapUp", "heading", "num")
        if name in ("authorialNote", "remark"):
            if e.tail:
                current.append(e.tail)
            return
        if block and current:
            lines.append("".join(current))
            current.clear()
        if e.text:
            current.append(e.text)
        for c in e:
            if isinstance(c.tag, str):
                walk(c)
            elif c.tail:
                current.append(c.tail)
        if name in ("td", "th"):
            current.append(" ")
        if block and current:
            lines.append("".join(current))
            current.clear()
        if e.tail:
            current.append(e.tail)

    if el.text:
        current.append(el.text)
    for c in el:
        if isinstance(c.tag, str):
            walk(c)
        elif c.tail:
            current.append(c.tail)
    if current:
        lines.append("".join(current))
    return "\n".join(x for x in (_SPACES.sub(" ", line).strip() for line in lines) if x)


def _num(raw: str) -> str | None:
    """'1.' -> '1', '(a)' -> 'a', '(iv)' -> 'iv', '12A' -> '12a'."""
    s = raw.strip().strip("().§ ").lower()
    s = re.sub(r"[^a-z0-9.\-]+", "-", s).strip("-.")
    return s or None


def _where(where: str, el: etree._Element) -> str:
    return f"{where}:{el.sourceline}" if el.sourceline else where


def _convert(el: etree._Element, where: str, doc: ParsedDocument, counters: dict) -> list[Provision]:
    """Provisions for one hierarchy element (a transparent element yields its children's)."""
    name = _local(el)
    if name in LISTS:
        key = (el.getparent(), "list")   # the element itself: an id() of a proxy is reused
        counters[key] = counters.get(key, 0) + 1
        node = Provision(kind="list", num=str(counters[key]), where=_where(where, el))
        node.text = _text(_child(el, "listIntroduction"))
        node.wrap_up = _text(_child(el, "listWrapUp"))
        intro = _child(el, "listIntroduction")
        if intro is not None:
            _attach_notes(node, intro, counters.get("notes", {}))
        for c in el:
            if _local(c) in KINDS or _local(c) in TRANSPARENT or _local(c) in LISTS:
                node.children += _convert(c, where, doc, counters)
        return [node]
    if name == "hcontainer" and el.get("name") in HCONTAINER_KINDS:
        pass
    elif name in TRANSPARENT:
        out: list[Provision] = []
        for c in el:
            if _local(c) in KINDS or _local(c) in TRANSPARENT or _local(c) in LISTS:
                out += _convert(c, where, doc, counters)
        return out
    kind = el.get("name") if name == "hcontainer" else KINDS[name]
    num_el = _child(el, "num")
    raw_num = _text(num_el) if num_el is not None else ""
    eid = el.get("eId") or ""
    # AKN 3.0 states the eId: its last segment's number is the unit's number
    num = _num(eid.rsplit("__", 1)[-1].split("_", 1)[1]) if "_" in eid.rsplit("__", 1)[-1] else _num(raw_num)
    if num is None:
        # an unnumbered unit (a definition paragraph, a closing subsection)
        # gets "u" + its ordinal among the unnumbered siblings of its kind, so
        # it never takes the number of a numbered sibling
        key = (el.getparent(), kind)
        counters[key] = counters.get(key, 0) + 1
        num = f"u{counters[key]}"
    heading = _text(_child(el, "heading")) or None
    node = Provision(kind=kind, num=num, label=raw_num or None, title=heading, where=_where(where, el))
    texts, wraps = [], []
    for c in el:
        cname = _local(c)
        if cname in TEXT_BLOCKS:
            lists = [sub for sub in c if _local(sub) in LISTS]
            if lists:   # a list inside content: its items are sub-units, the rest is text
                texts += [_text(sub) for sub in c if _local(sub) not in LISTS]
                for sub in lists:
                    node.children += _convert(sub, where, doc, counters)
            else:
                texts.append(_text(c))
        elif cname in INLINE_TEXT:
            texts.append(_text(c) if cname != "p" else _text(c) or "")
        elif cname in LISTS:
            node.children += _convert(c, where, doc, counters)
        elif cname in WRAP_BLOCKS:
            wraps.append(_text(c))
        elif cname in KINDS or cname in TRANSPARENT:
            node.children += _convert(c, where, doc, counters)
        elif cname and cname not in SKIP:
            doc.warn(f"<{cname}> inside <{name}> read as text", _where(where, c),
                     "an element this adapter does not map; its text is kept in the parent")
            texts.append(_text(c))
    node.text = "\n".join(t for t in texts if t)
    node.wrap_up = "\n".join(w for w in wraps if w)
    if el.get("class") in STATUS_CLASSES:
        node.status = el.get("class")
    _attach_notes(node, el, counters.get("notes", {}))
    if not node.text and not node.children and not heading and node.status == "in_force" and not node.defects:
        node.defects.append("empty in the source")
    return [node]


def _attach_notes(node: Provision, el: etree._Element, notes: dict[str, tuple[str, str]]) -> None:
    """Notes referenced (<noteRef>) from the unit's own text, not from its sub-units."""
    stack = [c for c in el if _local(c) not in KINDS and _local(c) not in LISTS and _local(c) != "hcontainer"]
    while stack:
        e = stack.pop(0)
        if _local(e) == "noteRef":
            kind, text = notes.get((e.get("href") or "").lstrip("#"), ("", ""))
            if text:
                (node.defects if kind == "defect" else node.notes).append(text)
            continue
        stack[0:0] = [c for c in e if isinstance(c.tag, str) and _local(c) not in KINDS
                      and _local(c) not in LISTS and _local(c) != "hcontainer"]


def _frbr(meta: etree._Element | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if meta is None:
        return out
    ident = _child(meta, "identification")
    for level in ("FRBRWork", "FRBRExpression"):
        el = _child(ident, level) if ident is not None else None
        if el is None:
            continue
        for c in el:
            key = f"{level}.{_local(c)}"
            value = c.get("value") or c.get("date") or c.get("language") or c.get("href") or ""
            out.setdefault(key, value)
    return out


@register("akoma-ntoso")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse an Akoma Ntoso 2.0 / 3.0 document into the provision tree."""
    root = parse_xml(data, where)
    doc = ParsedDocument(children=[])
    if _local(root) != "akomaNtoso":
        doc.error(f"root element is <{_local(root)}>, not <akomaNtoso>", where, "this is not an Akoma Ntoso document")
        return doc
    ns = etree.QName(root).namespace or ""
    if ns and not ns.startswith(("http://www.akomantoso.org/", "http://docs.oasis-open.org/legaldocml/ns/akn/")):
        doc.warn(f"unknown Akoma Ntoso namespace {ns}", where, "read by element names as AKN 3.0")
    top = next((c for c in root if isinstance(c.tag, str)), None)
    if top is None:
        doc.error("empty <akomaNtoso>", where, "the document has no act")
        return doc
    frbr = _frbr(_child(top, "meta"))
    if frbr:
        doc.meta.update(frbr)
        doc.title = frbr.get("FRBRWork.FRBRalias") or frbr.get("FRBRWork.FRBRname") or None
    counters: dict = {"notes": {}}
    meta_el = _child(top, "meta")
    notes_el = _child(meta_el, "notes") if meta_el is not None else None
    for note in (notes_el if notes_el is not None else []):
        if _local(note) != "note":
            continue
        cls, text = note.get("class") or "note", _text(note)
        if cls.startswith("act-"):
            if cls == "act-note":
                doc.notes.append(text)
            continue
        counters["notes"][note.get("eId") or note.get("id") or ""] = (cls, text)
    preamble = _child(top, "preamble")
    if preamble is not None and _text(preamble):
        label_el = next((c for c in preamble if _local(c) == "p" and c.get("class") == "label"), None)
        body_ps = [c for c in preamble if c is not label_el]
        text = "\n".join(x for x in (_text(c) for c in body_ps) if x) if label_el is not None else _text(preamble)
        doc.children.append(Provision(kind="preamble", num="1", label=_text(label_el) if label_el is not None else None,
                                      text=text, where=_where(where, preamble)))
    body = _child(top, "body")
    if body is None:
        body = _child(top, "mainBody")
    if body is None:
        doc.error("no <body> or <mainBody>", where, "the document has no provisions")
        return doc
    for c in body:
        name = _local(c)
        if name in KINDS or name in TRANSPARENT or name in LISTS:
            doc.children += _convert(c, where, doc, counters)
        elif name:
            doc.warn(f"<{name}> directly in the body is not a hierarchy element; skipped", _where(where, c),
                     "report it if it holds law text")
    # AKN 2.0 keeps schedules in <components> beside the act, AKN 3.0 in <attachments> inside it
    attachments = [c for c in root.iter() if _local(c) in ("component", "attachment")
                   and not any(_local(a) in ("component", "attachment") for a in c.iterancestors())]
    for n, comp in enumerate(attachments, 1):
        inner = next((x for x in comp.iter() if _local(x) in ("mainBody", "body")), None)
        alias = next((x.get("value") for x in comp.iter() if _local(x) == "FRBRalias"), None)
        att = Provision(kind="attachment", num=str(n), label=alias, title=None, where=_where(where, comp))
        if comp.get("eId", "").startswith("att_"):
            att.num = comp.get("eId")[4:]
        if inner is not None:
            for c in inner:
                if _local(c) in KINDS or _local(c) in TRANSPARENT or _local(c) in LISTS:
                    att.children += _convert(c, where, doc, counters)
                elif _local(c) in ("p", "table", "blockList") or _text(c):
                    att.text = "\n".join(x for x in (att.text, _text(c)) if x)
        if not att.children and not att.text:
            att.defects.append("empty in the source")
        doc.children.append(att)
    if not any(p.kind not in ("preamble", "attachment") for p in doc.children):
        doc.error("no provision in the body", where, "the document has no hierarchy elements")
    return doc
