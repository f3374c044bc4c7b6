"""CodexesBY XML (Belarusian codes and Constitution, 2016 redactions).

Shape: ``document/docinfo`` + ``text/razdel/[chapter/]article/p``, every text in a
``@text`` attribute. Superscript numbers are ids like ``47/1``. In the
Constitution the article's ``@text`` is its first paragraph; in the codes it is
the article's title.
"""
from __future__ import annotations

import re

from lxml import etree

from ..identifiers import normalise_number, to_superscript_label
from ..model import ParsedDocument, Provision
from . import register
from .safe_io import parse_xml
from .tree_builder import Block, build_body, heading_number, settle_status

_SLASH_NUM = re.compile(r"^(\d+)/(\d+)([.)])")
_TO_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _text(el: etree._Element) -> str:
    return " ".join((el.get("text") or "").replace("\xa0", " ").split())


def _superscript_lead(text: str) -> str:
    """'1/1) …' -> '1¹) …' so the body builder reads the number like any other."""
    return _SLASH_NUM.sub(lambda m: m.group(1) + m.group(2).translate(_TO_SUP) + m.group(3), text)


def _is_body(head: str) -> bool:
    """A title never ends with a full stop nor starts in lower case or mid-list."""
    return head.endswith(".") or not (head[0].isupper() or head[0].isdigit())


@register("codexesby-xml")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse a CodexesBY XML file into the provision tree."""
    root = parse_xml(data, where)
    doc = ParsedDocument(children=[])
    title = root.find("docinfo/info[@class='title']")
    if title is not None:
        doc.title = _text(title).replace("|", " ")
    for info in root.findall("docinfo/changes/info"):
        doc.notes.append(_text(info).replace("|", " "))
    body = root.find("text")
    if body is None:
        doc.error("no <text> element", where, "this is not a CodexesBY file")
        return doc
    articles = body.findall(".//article")
    # Titles never end with a full stop; first paragraphs (Constitution) do.
    text_mode = bool(articles) and sum(_text(a).endswith((".", ":", ";")) for a in articles) > len(articles) / 2
    for el in body:
        node = _convert(el, where, doc, text_mode)
        if node is not None:
            doc.children.append(node)
    if not articles:
        doc.error("no <article> element", where, "this is not a CodexesBY act")
    return doc


def _where(where: str, el: etree._Element) -> str:
    return f"{where}:{el.sourceline}" if el.sourceline else where


def _convert(el: etree._Element, where: str, doc: ParsedDocument, text_mode: bool) -> Provision | None:
    if el.tag in ("razdel", "chapter"):
        kind = "section" if el.tag == "razdel" else "chapter"
        label, _, title = _text(el).partition("|")
        raw = el.get("id") or label.split()[-1]
        node = Provision(kind=kind, num=heading_number(kind, raw), label=label.strip() or None,
                         title=title.strip() or None, where=_where(where, el))
        for child in el:
            sub = _convert(child, where, doc, text_mode)
            if sub is not None:
                node.children.append(sub)
        return node
    if el.tag == "article":
        raw = el.get("id") or ""
        num = normalise_number(raw)
        label = f"Статья {to_superscript_label(num) if '/' in raw else num}"
        node = Provision(kind="article", num=num, label=label, where=_where(where, el))
        blocks = [Block(_superscript_lead(_text(p)), _where(where, p)) for p in el if p.tag == "p"]
        head = _text(el)
        if text_mode:
            blocks.insert(0, Block(head, _where(where, el)))
        elif head and _is_body(head):
            # The source's parser put body text where the title belongs (BY Civil
            # Code 2016, Section VIII): keep it as text, say what is missing.
            blocks.insert(0, Block(head, _where(where, el)))
            node.defects.append("no title in the source: the title field holds body text, kept as the article's text")
            if not head[0].isupper() and not head[0].isdigit():
                node.defects.append("the text starts mid-sentence: its beginning is missing in the source")
        elif head:
            node.title = head
        build_body(node, blocks, doc)
        settle_status(node)
        return node
    doc.warn(f"unexpected element <{el.tag}> skipped", _where(where, el))
    return None
