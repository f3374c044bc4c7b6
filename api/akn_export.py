"""Akoma Ntoso 3.0 (OASIS LegalDocML) of an act in one redaction, from the graph.

The export is what the `akoma-ntoso` adapter reads back into the same graph:
eIds are lexmap's (they follow AKN naming), printed numbers go to <num>,
titles to <heading>, a unit's own text to <content> (or <intro> before its
sub-units), closing words to <wrapUp>. Kinds AKN has no element for (§
sub-paragraph, sub-point, note) are <hcontainer name="…">; repealed and
excluded units carry class="repealed|excluded"; amendment notes and source
defects are <note>s in the metadata, referenced from their unit by <noteRef>.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from lxml import etree

from ingest.store import GraphStore
from ingest.text import status_name
from ingest.query import iriref

AKN_NS = "http://docs.oasis-open.org/legaldocml/ns/akn/3.0"
A = "{%s}" % AKN_NS
ELEMENT = {"part": "part", "section": "section", "subsection": "subsection", "chapter": "chapter",
           "paragraph": "subchapter", "article": "article", "para": "paragraph", "point": "point",
           "item": "item", "attachment": "attachment"}
HCONTAINER = {"subparagraph", "subpoint", "note"}


class ExportError(ValueError):
    """The act or redaction asked for is not in the store."""


def _el(parent, tag: str, text: str | None = None, **attrs) -> etree._Element:
    e = etree.SubElement(parent, A + tag, {k.rstrip("_"): v for k, v in attrs.items() if v is not None})
    if text is not None:
        e.text = text
    return e


def _paras(parent, text: str) -> None:
    lines = [x for x in (text or "").split("\n")] or [""]
    for line in lines:
        _el(parent, "p", line)


def _frbr(ident, akn_work: str, lang: str, version: str, adopted: str, country: str, number: str,
          alias: str | None, component: str = "main") -> None:
    work = _el(ident, "FRBRWork")
    _el(work, "FRBRthis", value=f"{akn_work}/!{component}")
    _el(work, "FRBRuri", value=akn_work)
    if alias:
        _el(work, "FRBRalias", value=alias, name="title")
    _el(work, "FRBRdate", date=adopted, name="adoption")
    _el(work, "FRBRauthor", href="#legislator")
    _el(work, "FRBRcountry", value=country)
    _el(work, "FRBRnumber", value=number)
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


def export_act(store: GraphStore, work: str, expression: str) -> bytes:
    """AKN 3.0 XML of `work` as in the redaction (named graph) `expression`."""
    meta = store.select(f"""SELECT ?j ?type ?num ?adopted ?title ?d ?lang WHERE {{
        {iriref(work)} lexmap:jurisdiction ?j ; lexmap:actType ?type ; eli:number ?num ; eli:date_document ?adopted .
        GRAPH {iriref(expression)} {{ {iriref(expression)} eli:version_date ?d ; eli:title ?title ; eli:language ?lang }} }} LIMIT 1""")
    if not meta:
        raise ExportError(f"no redaction {expression} of {work} in the store")
    m = meta[0]
    lang = m["lang"].rsplit("/", 1)[-1].lower()
    nodes = store.select(f"""SELECT ?p ?eid ?kind ?num ?sort ?parent WHERE {{ GRAPH {iriref(expression)} {{
        ?p lexmap:eId ?eid ; lexmap:subdivisionKind ?kind ; lexmap:sortKey ?sort ; eli:is_part_of ?parent .
        OPTIONAL {{ ?p eli:number ?num }} }} }}""")
    rows = {r["p"]: r for r in store.select(f"""SELECT ?p ?label ?title ?text ?wrap ?st WHERE {{ GRAPH {iriref(expression)} {{
        ?pe eli:realizes ?p . OPTIONAL {{ ?pe lexmap:label ?label }} OPTIONAL {{ ?pe eli:title ?title }}
        OPTIONAL {{ ?pe lexmap:text ?text }} OPTIONAL {{ ?pe lexmap:wrapUp ?wrap }}
        OPTIONAL {{ ?pe lexmap:status ?st }} }} }}""")}
    notes: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in store.select(f"""SELECT ?s ?n ?k WHERE {{ GRAPH {iriref(expression)} {{
        {{ ?s lexmap:note ?n BIND("note" AS ?k) }} UNION {{ ?s lexmap:sourceDefect ?n BIND("defect" AS ?k) }} }} }}"""):
        notes[r["s"]].append((r["k"], r["n"]))
    children: dict[str, list[dict]] = defaultdict(list)
    for n in sorted(nodes, key=lambda r: int(r["sort"])):
        children[n["parent"]].append(n)

    root = etree.Element(A + "akomaNtoso", nsmap={None: AKN_NS})
    act = _el(root, "act", name=m["type"])
    meta_el = _el(act, "meta")
    ident = _el(meta_el, "identification", source="#lexmap")
    year = m["adopted"][:4]
    akn_work = f"/akn/{m['j']}/act/{m['type']}/{year}/{work.rsplit('/', 1)[-1]}"
    _frbr(ident, akn_work, lang, m["d"], m["adopted"], m["j"], m["num"], m["title"])
    refs = _el(meta_el, "references", source="#lexmap")
    _el(refs, "TLCOrganization", eId="lexmap", href="https://lexmap.org", showAs="lexmap")
    _el(refs, "TLCOrganization", eId="legislator", href=f"/ontology/organization/{m['j']}/legislator",
        showAs="legislator")
    notes_el = etree.Element(A + "notes", source="#lexmap")
    counter = [0]
    # act-level notes (the list of amending acts) belong to the whole act
    for kind, text in notes.get(expression, []):
        counter[0] += 1
        note = _el(notes_el, "note", eId=f"note_{counter[0]}", class_=f"act-{kind}")
        _paras(note, text)

    def note_refs(parent_el, subject: str) -> None:
        for kind, text in notes.get(subject, []):
            counter[0] += 1
            nid = f"note_{counter[0]}"
            note = _el(notes_el, "note", eId=nid, class_=kind)
            _paras(note, text)
            _el(parent_el, "noteRef", href=f"#{nid}", class_=kind)

    def unit(parent_el, n: dict) -> None:
        r = rows.get(n["p"], {})
        kind = n["kind"]
        status = status_name(r.get("st"))
        cls = status if status != "in_force" else None
        if kind in HCONTAINER:
            e = _el(parent_el, "hcontainer", eId=n["eid"], name=kind, class_=cls)
        elif kind == "list":
            e = _el(parent_el, "blockList", eId=n["eid"], class_=cls)
            intro = _el(e, "listIntroduction", r.get("text") or "")
            note_refs(intro, f"{expression}/{n['eid']}")
            for c in children.get(n["p"], []):
                unit(e, c)
            if r.get("wrap"):
                _el(e, "listWrapUp", r["wrap"])
            return
        else:
            e = _el(parent_el, ELEMENT[kind], eId=n["eid"], class_=cls)
        if r.get("label"):
            _el(e, "num", r["label"])
        if r.get("title"):
            _el(e, "heading", r["title"])
        subs = children.get(n["p"], [])
        expr_node = f"{expression}/{n['eid']}"
        if kind == "item":
            _paras(e, r.get("text") or "")
            note_refs(e[-1], expr_node)
            for c in subs:
                unit(e, c)
            return
        lists = [c for c in subs if c["kind"] == "list"]
        if not subs or len(lists) == len(subs):
            content = _el(e, "content")
            _paras(content, r.get("text") or "")
            note_refs(content[-1], expr_node)
            for c in lists:
                unit(content, c)
            return
        if r.get("text"):
            intro = _el(e, "intro")
            _paras(intro, r["text"])
            note_refs(intro[-1], expr_node)
        elif notes.get(expr_node):
            intro = _el(e, "intro")
            _el(intro, "p")
            note_refs(intro[-1], expr_node)
        for c in subs:
            unit(e, c)
        if r.get("wrap"):
            wrap = _el(e, "wrapUp")
            _paras(wrap, r["wrap"])

    tops = children.get(work, [])
    preambles = [n for n in tops if n["kind"] == "preamble"]
    attachments = [n for n in tops if n["kind"] == "attachment"]
    if preambles:
        pre = _el(act, "preamble", eId=preambles[0]["eid"])
        r = rows.get(preambles[0]["p"], {})
        if r.get("label"):   # AKN's preamble has no <num>: its printed label is a marked paragraph
            _el(pre, "p", r["label"], class_="label")
        _paras(pre, r.get("text") or "")
    body = _el(act, "body")
    for n in tops:
        if n["kind"] not in ("preamble", "attachment"):
            unit(body, n)
    if attachments:
        atts = _el(act, "attachments")
        for k, n in enumerate(attachments, 1):
            att = _el(atts, "attachment", eId=n["eid"])
            r = rows.get(n["p"], {})
            doc = _el(att, "doc", name="schedule")
            dmeta = _el(doc, "meta")
            _frbr(_el(dmeta, "identification", source="#lexmap"), akn_work, lang, m["d"], m["adopted"], m["j"],
                  m["num"], r.get("label"), component=f"att_{k}")
            main = _el(doc, "mainBody")
            if r.get("text"):
                _paras(main, r["text"])
            for c in children.get(n["p"], []):
                unit(main, c)
    if len(notes_el):
        meta_el.append(notes_el)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
