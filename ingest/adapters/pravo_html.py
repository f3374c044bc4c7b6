"""pravo.gov.ru IPS "Complex" HTML export (Russian codes, Constitution).

The export is a flat list of <p> paragraphs. Headings carry class H (articles,
chapters, §§) or T/C (sections, the Constitution's chapters); amendment notes sit
in <span class="mark">; superscript numbers are <span class="W9">1</span>.
"""
from __future__ import annotations

import re

from lxml import etree
from lxml import html as lxml_html

from ..model import ParsedDocument
from . import register
from .safe_io import SourceError, check_size, decode_text
from .tree_builder import Block, TreeBuilder, parse_heading, split_note_only

_TO_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_NOTE_CLASSES = {"mark", "markx"}
_SUP_CLASSES = {"W9", "WB"}
_FOOTER = re.compile(r"^Президент\s+Российской\s+Федерации\b")
_SPACES = re.compile(r"[ \t\r\n\u00a0\u2002\u2003\u2009]+")


def _clean(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def render_paragraph(p: etree._Element) -> tuple[str, list[str]]:
    """Law text of a <p> (superscripts as ¹²³) and the editorial notes it holds."""
    out: list[str] = []
    notes: list[str] = []
    glued = [False]  # the previous sibling was a note span with nothing after it

    def walk(el: etree._Element, sink: list[str]) -> None:
        if el.text:
            sink.append(el.text)
        for child in el:
            if not isinstance(child.tag, str):
                pass
            else:
                cls = child.get("class", "")
                if child.tag == "span" and cls in _NOTE_CLASSES:
                    note: list[str] = []
                    walk(child, note)
                    raw = "".join(note)
                    if glued[0] and notes:
                        # "(Статья у" + "тратила силу …)": one note split over spans
                        notes[-1] += raw
                    elif raw.strip():
                        notes.append(raw)
                    glued[0] = not (child.tail or "").strip()
                    if child.tail:
                        sink.append(child.tail)
                    continue
                elif child.tag == "span" and cls in _SUP_CLASSES:
                    sup: list[str] = []
                    walk(child, sup)
                    raw = "".join(sup).strip()
                    sink.append(raw.translate(_TO_SUP) if re.fullmatch(r"\d+(?:-\d+)?", raw) else raw)
                elif child.tag == "br":
                    sink.append(" ")
                else:
                    walk(child, sink)
            glued[0] = False
            if child.tail:
                sink.append(child.tail)

    walk(p, out)
    return _clean("".join(out)), [n for n in (_clean(x) for x in notes) if n]


@register("pravo-html")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse a pravo.gov.ru HTML export into the provision tree."""
    check_size(data, where)
    text = decode_text(data, where)
    try:
        root = lxml_html.document_fromstring(text, parser=lxml_html.HTMLParser(no_network=True, remove_comments=True))
    except (etree.ParserError, ValueError) as exc:
        raise SourceError(f"HTML could not be parsed: {exc}", where, "re-download the export") from None
    body = root.find("body")
    if body is None:
        raise SourceError("HTML has no <body>", where, "this is not a pravo.gov.ru export")
    doc = ParsedDocument(children=[])
    builder = TreeBuilder(doc)
    header = True
    header_titles: list[str] = []
    seen_heading = False
    for p in body.iter("p"):
        cls = p.get("class", "")
        line = f"{where}:{p.sourceline}" if p.sourceline else where
        text, notes = render_paragraph(p)
        if not text and not notes:
            continue
        open_kinds = {n.kind for n in builder.stack}
        heading = parse_heading(text, cls in ("H", "T", "C"), open_kinds) if text else None
        if header:
            if heading is None and (cls in ("C", "T", "S", "I") or not text):
                if cls == "T" and text:
                    header_titles.append(text)
                doc.notes.extend(notes)
                continue
            header = False
        if cls == "I" and _FOOTER.match(text):
            break  # signature block: the law text has ended
        if cls == "N":
            if text.strip("_ ") or notes:
                builder.note(text or " ".join(notes))
            continue
        if heading:
            seen_heading = True
            builder.heading(Block(text, line, notes, heading=True), *heading)
            continue
        if cls in ("T", "C") and text and builder.title_for_open_heading(text):
            continue
        if not text:
            for n in notes:
                builder.note(n)
            continue
        if cls == "I" and split_note_only(text):
            builder.note(text)
            continue
        builder.paragraph(Block(text, line, notes, heading=cls == "H"))
    builder.finish()
    if header_titles:
        doc.title = " ".join(header_titles)
    if not seen_heading:
        doc.error("no structural heading (Раздел, Глава, Статья) found", where,
                  "check that the file is a pravo.gov.ru export of an act")
    return doc
