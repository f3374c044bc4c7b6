"""Plain texts of Belarusian acts as scraped from pravo.by (the ZkonRf collection).

One line per paragraph. An English header block names the source; each article
is opened by a scraper wrapper line "Section S. Original section/article: K.
Source: …" (K is the article number; S only counts wrappers), followed by the
article title and its paragraphs; chapters are "ГЛАВА N" with the title on the
next line. A superscript article is flattened: the wrapper says "18." and the
title line starts "1 . …" — that is article 18¹. The wrapper lines, the header
and the site footer are not law text: they are removed and reported.
"""
from __future__ import annotations

import re

from ..model import ParsedDocument
from . import register
from .safe_io import read_text_source
from .tree_builder import Block, TreeBuilder

_TO_SUP = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_WRAPPER = re.compile(r"^Section\s+\d+\.\s+Original section/article:\s*(\d+)\.?\s*(?:Source:.*)?$")
_FLAT_SUP = re.compile(r"^(\d{1,2})\s+\.\s*(.*)$")       # "1 . Служебная информация …"
_CHAPTER = re.compile(r"^(?:ГЛАВА|Глава)\s+(\d+)\s*\.?\s*(.*)$")
_SECTION = re.compile(r"^(?:РАЗДЕЛ|Раздел)\s+([IVXLC]+|\d+)\s*\.?\s*(.*)$")
_FOOTER = re.compile(r"^(?:Президент\s+Республики\s+Беларусь\s*$|Дизайн\s+—|©)")
_GLUED_ARTICLE = re.compile(r"^(?=С\s*т\s*а\s*т\s*ь\s*я\s)(?!Статья\s)С\s*т\s*а\s*т\s*ь\s*я\s+(\d+)\.?\s*(.*)$")
_SPLIT_NUM = re.compile(r"^(\d)\.\s+(.*)$")
_STATUS_ONLY = re.compile(r"^(?:Исключена|Исключен|Утратила силу|Утратил силу)\.?$")


@register("zkonrf-text")
def parse(data: bytes, where: str) -> ParsedDocument:
    """Parse a ZkonRf plain text of a Belarusian act into the provision tree."""
    text = read_text_source(data, where)
    lines = [(n, line.strip()) for n, line in enumerate(text.replace("\r", "").split("\n"), 1)]
    lines = [(n, line) for n, line in lines if line]
    doc = ParsedDocument(children=[])
    builder = TreeBuilder(doc)
    header = 0
    wrappers = 0
    i = 0
    started = False
    seen: set[str] = set()
    last = 0
    before_sections: list[str] = []     # articles met before any section heading
    sectioned = False
    while i < len(lines):
        n, line = lines[i]
        where_n = f"{where}:{n}"
        w = _WRAPPER.match(line)
        if not started and not (w or _CHAPTER.match(line) or _SECTION.match(line)):
            header += 1
            i += 1
            continue
        started = True
        if _FOOTER.match(line):
            rest = len(lines) - i
            doc.warn(f"signature and site footer removed ({rest} lines)", where_n, "not law text")
            break
        glued = _GLUED_ARTICLE.match(line)
        if w or glued:
            wrappers += bool(w)
            num = (w or glued).group(1)
            if glued:
                # "С татья 59." inside the previous article's block: a heading the scraper broke
                doc.warn(f"article {num} heading glued into the previous article ('{line[:12]}…'): split off",
                         where_n, "nothing to do: recovered")
                title, i = glued.group(2), i + 1
            else:
                title = lines[i + 1][1] if i + 1 < len(lines) else ""
                i += 2
            if title.startswith(". "):   # a stray ". " the scraper left at the start of the article
                doc.warn("stray '. ' at the start of a paragraph removed", where_n, "nothing to do: recovered")
                title = title[2:]
            m = _FLAT_SUP.match(title)
            if m:       # the wrapper's number and the title's leading digit make 18¹
                num = num + m.group(1).translate(_TO_SUP)
                title = m.group(2)
            split = _SPLIT_NUM.match(title)
            if split and num in seen and f"{num}{split.group(1)}" not in seen and last and \
                    int(f"{num}{split.group(1)}") == last + 1:
                # "Original section/article: 7." + "3. …" right after article 72: article 73
                doc.warn(f"article number split in the source ('{num}' + '{split.group(1)}.'): read as "
                         f"{num}{split.group(1)}", where_n, "nothing to do: recovered")
                num, title = f"{num}{split.group(1)}", split.group(2)
            seen.add(num)
            last = int(num) if num.isascii() and num.isdigit() else last
            if not sectioned:
                before_sections.append(num)
            if _STATUS_ONLY.match(title):
                builder.heading(Block(f"Статья {num}.", where_n, [title], heading=True), "article", num, "")
                continue
            if title.endswith((".", ";", ":")) or not title:
                # no title (the Constitution): the line is the article's first paragraph
                builder.heading(Block(f"Статья {num}.", where_n, heading=True), "article", num, "")
                if title:
                    builder.paragraph(Block(title, where_n))
                continue
            builder.heading(Block(f"Статья {num}. {title}", where_n, heading=True), "article", num, title)
            continue
        for pattern, kind in ((_CHAPTER, "chapter"), (_SECTION, "section")):
            m = pattern.match(line)
            if m:
                title = m.group(2)
                if not title and i + 1 < len(lines) and lines[i + 1][1].isupper():
                    title = lines[i + 1][1]
                    i += 1
                label = f"{'Глава' if kind == 'chapter' else 'Раздел'} {m.group(1)}"
                if kind == "section" and not sectioned:
                    sectioned = True
                    if before_sections and m.group(1) not in ("I", "1"):
                        # the Constitution's 2022 text opens with its article 1: "РАЗДЕЛ I" is missing
                        doc.warn(f"articles {before_sections[0]}–{before_sections[-1]} stand before the first "
                                 f"section heading ({label}): the heading of the section before it is missing "
                                 f"in the source; they are loaded outside any section", where_n,
                                 "nothing is invented: take the heading from the official text if needed")
                builder.heading(Block(f"{label}. {title}", where_n, heading=True), kind, m.group(1), title)
                break
        else:
            if line.startswith(". "):   # a stray ". " the scraper left at the start of a paragraph
                doc.warn("stray '. ' at the start of a paragraph removed", where_n, "nothing to do: recovered")
                line = line[2:]
            builder.paragraph(Block(line, where_n))
        i += 1
    builder.finish()
    if header:
        doc.warn(f"scraper header removed ({header} lines)", f"{where}:1", "not law text")
    if wrappers:
        doc.warn(f"{wrappers} scraper wrapper lines ('Section N. Original section/article: …') removed",
                 where, "not law text; the article numbers were read from them")
    if not doc.articles():
        doc.error("no article found", where, "check that the file is a ZkonRf text of an act")
    return doc
