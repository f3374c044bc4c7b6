"""Plain-text exports of Russian codes (pravo.gov.ru "text" export as kept by CodexesRU).

The text is hard-wrapped at ~70 columns with a blank line after every line: a
paragraph starts on a line indented 10 spaces, continues on lines indented 5,
and a heading that wraps continues indented 20 or more. Superscript numbers are
written with a hyphen ("Статья 67-1."). Amendment notes are whole paragraphs
("(Статья 1 в ред. Федерального закона …)") or trail a paragraph ("… (абзац
введен Федеральным законом …)."); both become notes, never law text. The header
(title, adoption, the list of amending acts) and the signature block ("Москва,
Кремль", date, number) are not law text either and are reported as removed.
"""
from __future__ import annotations

import re

from ..model import ParsedDocument
from . import register
from .safe_io import read_text_source
from .tree_builder import Block, TreeBuilder, parse_heading, split_note_only

_TO_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
# "Статья 67-1." / "Глава 9-1." / "§ 3-1." -> superscript, as printed in the official text
_HYPHEN_NUM = re.compile(r"^((?:Статья|СТАТЬЯ|Глава|ГЛАВА|§)\s+\d+)((?:-\d+)+)(?=[.\s]|$)")
# A parenthesised amendment note closing a paragraph: it names an amending law and
# what it did ("(в ред. Федерального закона …)", "(абзац введен …)", "(новая часть
# седьмая введена …)").
_TRAILING_NOTE = re.compile(
    r"\s*\(((?=[^()]*(?:введен|в\s+ред|утратил|исключен|дополнен|изменен))(?=[^()]*(?:[Фф]едеральн|[Зз]акон))"
    r"[^()]*(?:\([^()]*\)[^()]*)*)\)(?=[.;:,]?\s*$)", re.S)
_OPEN_NOTE = re.compile(r"\s*\(((?=[^()]*(?:введен|в\s+ред|утратил|исключен|дополнен|изменен))"
                        r"[^()]*(?:Собрание\s+законодательства|Российская\s+газета)[^()]*?)[;.,\s]*$")
_GLUED_PART_TAIL = re.compile(r"\s+ЧАСТЬ\s+[А-ЯЁ]+$")
# A paragraph that is only an editorial note: "(наименование в ред. Федерального закона …)",
# "(Утратила силу на основании …)", "(абзац шестой … - в ред. …)".
_WHOLE_NOTE = re.compile(r"^\((?=[^()]*(?:введен|в\s+ред|утратил|исключен|дополнен|изменен))"
                         r"[^()]*(?:\([^()]*\)[^()]*)*\)\.?$", re.I | re.S)
# The export writes the numero sign as an ASCII "N" ("N 35-ФЗ"): print it as the official text does.
_NUMERO = re.compile(r"(?<![\w-])N(?=\s+\d)")
_FOOTER = re.compile(r"^(?:Москва,\s*Кремль|Президент\s+Российской\s+Федерации)")
_SPACES = re.compile(r"\s+")
_PARAGRAPH_HEADING = re.compile(r"^(\d+(?:-\d+)?)\.\s+([А-ЯЁ][^.;:]{2,150})$")
_ARTICLE = re.compile(r"^(?:Статья|СТАТЬЯ)\s+\d")
_PART_HEADING = re.compile(r"^ЧАСТЬ\s+[А-ЯЁ]+$")
_GLUED_PART = re.compile(r"^(\([^()]*(?:\([^()]*\)[^()]*)*\))\s+(ЧАСТЬ\s+[А-ЯЁ]+)$")
_HIGHER = re.compile(r"^(?:Раздел|РАЗДЕЛ|Подраздел|ПОДРАЗДЕЛ|Глава|ГЛАВА)\s")


def _superscript(text: str) -> str:
    m = _HYPHEN_NUM.match(text)
    if not m:
        return text
    tail = "".join(("⁻" if i else "") + part.translate(_TO_SUP)
                   for i, part in enumerate(m.group(2).lstrip("-").split("-")))
    return m.group(1) + tail + text[m.end():]


def paragraphs(text: str, where: str) -> list[tuple[str, int]]:
    """(paragraph text, first line number) in reading order."""
    out: list[tuple[list[str], int]] = []
    for n, raw in enumerate(text.replace("\r", "").split("\n"), 1):
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if 8 <= indent < 20 or not out:
            out.append(([line], n))
        else:
            out[-1][0].append(line)
    return [(_SPACES.sub(" ", " ".join(lines)).strip(), n) for lines, n in out]


def _strip_notes(para: str) -> tuple[str, list[str]]:
    """A paragraph without its trailing amendment notes, and the notes.

    "… со дня ее совершения (в ред. Федерального закона от 7 мая 2013 г. N 100-ФЗ …)."
    keeps the sentence's full stop and loses the note.
    """
    notes: list[str] = []
    while True:
        m = _TRAILING_NOTE.search(para)
        if m and m.start() > 0:
            notes.insert(0, f"({m.group(1)})")
            para = para[:m.start()].rstrip() + para[m.end():].strip()
            continue
        m = _OPEN_NOTE.search(para)
        if m and m.start() > 0:
            # "(в ред. … ст. 2380;" whose ")" the source lost: still a note, not law text
            notes.insert(0, f"({m.group(1).rstrip(' ;,')})")
            para = para[:m.start()].rstrip()
            continue
        m = _GLUED_PART_TAIL.search(para)
        if m and m.start() > 0:   # "… ст. 2878). ЧАСТЬ ШЕСТАЯ": a part heading glued on
            para = para[:m.start()].rstrip()
            continue
        break
    return _NUMERO.sub("№", para), notes


@register("plain-text")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse a hard-wrapped plain-text code into the provision tree."""
    text = read_text_source(data, where)
    doc = ParsedDocument(children=[])
    builder = TreeBuilder(doc)
    header: list[str] = []
    started = False
    footer_at = None
    paras = paragraphs(text, where)
    explicit_paragraph = False   # a "§" heading of the source is open: numbered headings are inside it
    for i, (para, n) in enumerate(paras):
        line = f"{where}:{n}"
        para = _superscript(para)
        nxt = next((q for q, _ in paras[i + 1:] if not q.startswith("(")), "")
        open_kinds = {x.kind for x in builder.stack}
        para, head_notes = _strip_notes(para)
        m = _PARAGRAPH_HEADING.match(para)
        # "2. Полное товарищество" right before an article is a heading the
        # HTML export prints in bold: a numbered sub-paragraph inside a §,
        # else a § itself.
        bold = bool(m and started and _ARTICLE.match(nxt))
        if para.startswith("§"):
            explicit_paragraph = True
        elif _HIGHER.match(para):
            explicit_paragraph = False
        if bold and not (explicit_paragraph and open_kinds & {"paragraph", "subparagraph"}):
            para = f"§ {m.group(1)}. {m.group(2)}"
        heading = parse_heading(para, bold, open_kinds)
        if not started:
            if heading is None:
                header.append(para)
                continue
            started = True
        if _FOOTER.match(para):
            footer_at = n
            break
        if heading:
            kind, num, rest = heading
            if rest and _WHOLE_NOTE.match(rest):
                head_notes = [rest] + head_notes
                para, heading = para[: len(para) - len(rest)].rstrip(" ."), (kind, num, "")
            builder.heading(Block(para, line, head_notes, heading=True), *heading)
            continue
        if _PART_HEADING.match(para):
            doc.warn(f"part heading {para!r} not represented (the parts of this code are not split)", line,
                     "nothing to do: its articles are read as usual")
            continue
        glued = _GLUED_PART.match(para)
        if glued:   # "(Часть в ред. …) ЧАСТЬ ВТОРАЯ": a note glued to the next heading
            builder.note(glued.group(1))
            doc.warn(f"part heading {glued.group(2)!r} not represented", line, "its articles are read as usual")
            continue
        if split_note_only(para) or _WHOLE_NOTE.match(para):
            builder.note(para)
            continue
        builder.paragraph(Block(para, line, head_notes))
    builder.finish()
    if header:
        titles = [h for h in header[:3] if h.isupper() or h.startswith("ЧАСТЬ")]
        if titles:
            doc.title = " ".join(titles)
        doc.notes.extend(h for h in header if h.startswith("(в ред") or h.startswith("(В ред"))
        doc.warn(f"header removed ({len(header)} paragraphs: title, adoption, amending acts)", f"{where}:1",
                 "not law text; the amending acts are kept as notes of the act")
    if footer_at:
        doc.warn("signature block removed (place, date, number)", f"{where}:{footer_at}", "not law text")
    if not started:
        doc.error("no structural heading (Раздел, Глава, Статья) found", where,
                  "check that the file is a plain-text export of a code")
    return doc
