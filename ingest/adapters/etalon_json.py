"""eTalon JSON tree (Belarusian codes scraped from etalonline.by).

Shape: ``{id, name, codexChanges[], children: [CODEX_PART|SECTION|CHAPTER →
ARTICLE → ARTICLE_PART|TEXT]}``. Article titles flatten superscripts
("Статья 9101." is 910¹); the node id keeps them ("910/1"), so the id wins.
"""
from __future__ import annotations

import json
import re
from typing import Any

from ..identifiers import normalise_number, to_superscript_label
from ..model import EXCLUDED, ParsedDocument, Provision
from . import register
from .safe_io import SourceError, check_size, decode_text
from .tree_builder import NOTE_HEAD, Block, build_body, flag_missing_list, heading_number, settle_status

_ARTICLE_TITLE = re.compile(r"^Статья\s+([\d.]+)\.?\s*(.*)$", re.S)
_CONTAINER_TEXT = re.compile(r"^(?:РАЗДЕЛ|ГЛАВА|ЧАСТЬ|Раздел|Глава|Часть)\s+(\S+)\s*(.*)$", re.S)
_EXCLUDED = re.compile(r"^Исключен[аоы]?\.?$", re.I)
_KIND = {"CODEX_PART": "part", "SECTION": "section", "CHAPTER": "chapter"}
_CHILD_KIND = {"article": "para", "para": "point", "point": "subpoint", "subpoint": "subpoint", "note": "para"}


@register("etalon-json")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse an eTalon JSON export into the provision tree."""
    check_size(data, where)
    text = decode_text(data, where)
    try:
        root = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError(f"JSON is not valid: {exc.msg} (line {exc.lineno}, column {exc.colno})", where,
                          "the file is truncated or damaged; re-download it") from None
    if not isinstance(root, dict) or not isinstance(root.get("children"), list):
        raise SourceError("JSON has no top-level 'children' list", "$", "this is not an eTalon act tree")
    doc = ParsedDocument(children=[], title=root.get("name"))
    for change in root.get("codexChanges") or []:
        if isinstance(change, dict) and change.get("title"):
            doc.notes.append(str(change["title"]))
    for i, node in enumerate(root["children"]):
        prov = _convert(node, f"$.children[{i}]", doc)
        if prov is not None:
            doc.children.append(prov)
    if not doc.articles():
        doc.error("no ARTICLE node found", where, "check that the file is an eTalon act tree")
    return doc


def _convert(node: Any, path: str, doc: ParsedDocument) -> Provision | None:
    if not isinstance(node, dict):
        doc.error(f"expected an object, found {type(node).__name__}", path, "the JSON tree is damaged")
        return None
    ntype = node.get("type")
    if ntype in _KIND:
        return _container(node, _KIND[ntype], path, doc)
    if ntype == "ARTICLE":
        return _article(node, path, doc)
    doc.warn(f"unexpected node type {ntype!r} outside an article, skipped", path)
    return None


def _container(node: dict, kind: str, path: str, doc: ParsedDocument) -> Provision:
    raw_id = str(node.get("id") or "").strip()
    label_text = str(node.get("text") or "").strip()
    m = _CONTAINER_TEXT.match(label_text)
    if not raw_id and m:
        raw_id = m.group(1)
    raw_id = re.sub(r"^(?:ЧАСТЬ|Часть)\s+", "", raw_id)
    if not raw_id:
        doc.warn(f"{kind} without a number", path, "numbered by its position")
        raw_id = "0"
    title = str(node.get("title") or "").strip()
    label = raw_id
    if m:
        # The "text" holds the full heading; "title" is sometimes cut short.
        label = f"{label_text.split()[0]} {m.group(1)}"
        if len(m.group(2).strip()) > len(title):
            title = m.group(2).strip()
    elif kind == "part":
        label = str(node.get("id") or raw_id)
    prov = Provision(kind=kind, num=heading_number(kind, raw_id), title=title or None, label=label or None,
                     where=path)
    children = node.get("children") or []
    if not children:
        doc.warn(f"{prov.label or kind} is empty in the source: its articles are missing", path,
                 "the articles are not in this file; take them from the official source")
        prov.defects.append("empty in the source: the articles it contained are missing")
    for i, child in enumerate(children):
        sub = _convert(child, f"{path}.children[{i}]", doc)
        if sub is not None:
            prov.children.append(sub)
    return prov


def _article(node: dict, path: str, doc: ParsedDocument) -> Provision:
    raw_id = str(node.get("id") or "")
    title = str(node.get("title") or "").strip()
    m = _ARTICLE_TITLE.match(title)
    printed, rest = (m.group(1).rstrip("."), m.group(2).strip()) if m else ("", title)
    num = normalise_number(raw_id) if raw_id else normalise_number(printed)
    if "." in num and "/" in raw_id:
        # Superscript flattened in the title ("9101" for 910/1): the id is right.
        label = f"Статья {to_superscript_label(num)}"
        if printed.replace(".", "") != raw_id.replace("/", ""):
            doc.warn(f"article id {raw_id!r} and title number {printed!r} disagree; the id is used", path)
    else:
        label = f"Статья {num}"
        if printed and printed != raw_id:
            doc.warn(f"article id {raw_id!r} and title number {printed!r} disagree; the id is used", path)
    prov = Provision(kind="article", num=num, label=label, title=rest or None, where=path)
    if rest and _EXCLUDED.match(rest):
        prov.title = None
        prov.status = EXCLUDED
        prov.notes.append(rest)
    children = node.get("children") or []
    if not children and prov.status != EXCLUDED:
        doc.warn(f"{label} has no text in the source", path, "take the text from the official source")
        prov.defects.append("no text in the source")
    _body(prov, children, path, doc)
    settle_status(prov)
    return prov


def _body(prov: Provision, children: list, path: str, doc: ParsedDocument) -> None:
    """Fill a provision from its TEXT / ARTICLE_PART children."""
    if all(isinstance(c, dict) and c.get("type") == "TEXT" for c in children):
        blocks = [Block(str(c.get("text") or ""), f"{path}.children[{i}]") for i, c in enumerate(children)]
        build_body(prov, blocks, doc)
        return
    seen_part = False
    for i, child in enumerate(children):
        cpath = f"{path}.children[{i}]"
        if not isinstance(child, dict):
            doc.error("expected an object", cpath, "the JSON tree is damaged")
            continue
        ctype = child.get("type")
        text = str(child.get("text") or "").strip()
        if ctype == "TEXT":
            note = NOTE_HEAD.match(text) if prov.kind == "article" else None
            if note:
                count = sum(1 for c in prov.children if c.kind == "note")
                holder = Provision(kind="note", num=str(count + 1), label=note.group(1), where=cpath)
                build_body(holder, [Block(note.group(2), cpath)], doc)
                prov.children.append(holder)
            elif seen_part:
                prov.wrap_up = f"{prov.wrap_up}\n{text}" if prov.wrap_up else text
            else:
                prov.add_text(text)
        elif ctype == "ARTICLE_PART":
            seen_part = True
            kind = _CHILD_KIND.get(prov.kind, "subpoint")
            raw = str(child.get("id") or "").strip()
            dotted = re.fullmatch(r"(\d+)\.(\d+)", raw)
            last = prov.children[-1] if prov.children else None
            if dotted and last is not None and last.num == dotted.group(1):
                # "6.1" after part 6 is item 1 of part 6 flattened to a sibling
                # (unlike "6/1", which is part 6¹).
                item = Provision(kind=_CHILD_KIND.get(last.kind, "subpoint"), num=dotted.group(2),
                                 label=f"{dotted.group(2)}.", where=cpath)
                item.add_text(re.sub(rf"^{dotted.group(2)}\.\s*", "", text))
                _body(item, child.get("children") or [], cpath, doc)
                last.children.append(item)
                continue
            num = normalise_number(raw) if raw else str(sum(1 for c in prov.children if c.kind == kind) + 1)
            shown = to_superscript_label(num) if "/" in raw else num
            sub = Provision(kind=kind, num=num, label=f"{shown}." if kind == "para" else f"{shown})", where=cpath)
            if _EXCLUDED.match(text):
                sub.status = EXCLUDED
                sub.notes.append(text)
            else:
                sub.add_text(text)
            _body(sub, child.get("children") or [], cpath, doc)
            settle_status(sub)
            prov.children.append(sub)
        else:
            doc.warn(f"unexpected node type {ctype!r} inside {prov.label or prov.kind}, skipped", cpath)
    if prov.kind == "article":
        flag_missing_list(prov, doc)
