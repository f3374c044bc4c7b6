"""Turn a flat sequence of text blocks into the provision tree.

Formats that are a stream of paragraphs (pravo.gov.ru HTML, plain text) share
this: headings open sections, chapters, §§ and articles; the paragraphs of an
article become its parts, points and sub-points. Adapters only have to say
which block is which and where it came from.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..identifiers import normalise_number
from ..model import EXCLUDED, IN_FORCE, REPEALED, ParsedDocument, Provision

SUP = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
NUM = rf"\d+[{SUP}]*(?:\.\d+[{SUP}]*)*"

_ORDINALS = {
    "ПЕРВЫЙ": 1, "ВТОРОЙ": 2, "ТРЕТИЙ": 3, "ЧЕТВЕРТЫЙ": 4, "ПЯТЫЙ": 5, "ШЕСТОЙ": 6,
    "СЕДЬМОЙ": 7, "ВОСЬМОЙ": 8, "ДЕВЯТЫЙ": 9, "ДЕСЯТЫЙ": 10,
    "ПЕРВАЯ": 1, "ВТОРАЯ": 2, "ТРЕТЬЯ": 3, "ЧЕТВЕРТАЯ": 4,
    "ОБЩАЯ": 1, "ОСОБЕННАЯ": 2,
}

# Rank of each container kind: a heading closes every open node of equal or
# lower rank (higher number).
RANK = {"part": 0, "section": 1, "subsection": 2, "chapter": 3, "paragraph": 4, "subparagraph": 5,
        "preamble": 6, "article": 6}

ROMAN = rf"[IVXLCІХС]+[{SUP}]*(?![А-ЯЁа-яё])"  # Cyrillic look-alikes (Х, І, С) occur in the sources
HEADINGS: list[tuple[str, re.Pattern[str]]] = [
    ("section", re.compile(rf"^(?:Раздел|РАЗДЕЛ)\s+({ROMAN}|{NUM}|[А-ЯЁ]+ЫЙ|[А-ЯЁ]+ОЙ|[А-ЯЁ]+ИЙ)(?![А-ЯЁа-яё])\.?\s*(.*)$")),
    ("subsection", re.compile(rf"^(?:Подраздел|ПОДРАЗДЕЛ)\s+({ROMAN}|{NUM})\.?\s*(.*)$")),
    ("chapter", re.compile(rf"^(?:Глава|ГЛАВА)\s+({ROMAN}|{NUM})\.?\s*(.*)$")),
    ("paragraph", re.compile(rf"^§\s*({NUM})\.?\s*(.*)$")),
    ("article", re.compile(rf"^(?:Статья|СТАТЬЯ)\s+({NUM})\.?\s*(.*)$")),
]
SUBPARAGRAPH = re.compile(rf"^({NUM})\.\s+(.*)$")
RANGE_TITLE = re.compile(r"^(?:\([^()]*\)\s*)*\(\s*(?:Статьи|Статья)\s+([^()]+)\)\s*$")
WHOLE_UNIT_NOTE = re.compile(r"^\((?:Статья|Наименование|Глава|Параграф|Подпараграф|Раздел|Подраздел)\b")
NOTE_HEAD = re.compile(r"^(Примечани[ея])\.?\s*(.*)$", re.S)
REPEAL_NOTE = re.compile(r"утратил[аои]?\s+силу|утратили\s+силу", re.I)
EXCLUDE_NOTE = re.compile(r"(?:^|\s|\()исключен[аоы]?\b", re.I)

NUMBERED = re.compile(rf"^({NUM})\.(?:\s+|$)(.*)$", re.S)
POINT = re.compile(rf"^({NUM})\)\s*(.*)$", re.S)
LETTER = re.compile(r"^([а-яё])\)\s*(.*)$", re.S)
# A paragraph that is only an editorial note: "(В редакции …)", "(Дополнение …)".
NOTE_ONLY = re.compile(
    r"^\((?:В редакции|Статья в редакции|Пункт в редакции|Часть в редакции|Наименование в редакции|"
    r"Дополнение|Утратил|Абзац|Подпункт|Пункт|Часть|Статья|Глава|Параграф|Подпараграф|Раздел|Исключен|"
    r"Наименование|Примечание утратило|Сноска|Действие|Положения|См\.|Постановлением|Признан)[^()]*(?:\([^()]*\)[^()]*)*\)\.?$"
)


@dataclass
class Block:
    """One paragraph of the source with what the adapter knows of it."""

    text: str
    where: str
    notes: list[str] = field(default_factory=list)
    heading: bool = False      # the source marks it as a heading (bold / class H)


def parse_heading(text: str, heading_hint: bool, open_kinds: set[str]) -> tuple[str, str, str] | None:
    """(kind, raw number, rest) when `text` opens a structural unit, else None.

    `open_kinds` are the kinds of the units currently open: a bold "1. Title"
    is a numbered sub-paragraph only inside a § (paragraph).
    """
    for kind, pattern in HEADINGS:
        m = pattern.match(text)
        if m:
            return kind, m.group(1), m.group(2).strip()
    if heading_hint and open_kinds & {"paragraph", "subparagraph"}:
        m = SUBPARAGRAPH.match(text)
        if m:
            return "subparagraph", m.group(1), m.group(2).strip()
    m = re.match(rf"^({NUM})\.\s*(\((?:Статьи|Статья)\s+[^()]+\))$", text)
    if m:  # "5. (Статья 95)": a repealed numbered sub-paragraph
        return "subparagraph", m.group(1), m.group(2)
    return None


def heading_number(kind: str, raw: str) -> str:
    """Canonical number of a heading: ordinals and Roman numerals become digits."""
    if raw.upper() in _ORDINALS:
        return str(_ORDINALS[raw.upper()])
    return normalise_number(raw.translate(_LOOKALIKES))


_LOOKALIKES = str.maketrans("ІХС", "IXC")


def expand_range(spec: str) -> list[str] | None:
    """'107 - 112' -> ['107', …, '112']; '105, 106'; '46¹ - 46¹¹' -> 46.1 … 46.11."""
    spec = spec.replace("–", "-").replace("—", "-")
    out: list[str] = []
    for piece in spec.split(","):
        piece = piece.strip()
        if "-" in piece:
            lo, hi = (normalise_number(x) for x in piece.split("-", 1))
            lo_head, _, lo_tail = lo.partition(".")
            hi_head, _, hi_tail = hi.partition(".")
            if lo_tail and hi_tail and lo_head == hi_head:
                out += [f"{lo_head}.{i}" for i in range(int(lo_tail), int(hi_tail) + 1)]
            elif not lo_tail and lo.isdigit() and hi_head.isdigit() and int(lo) <= int(hi_head):
                out += [str(i) for i in range(int(lo), int(hi_head) + 1)]
                if hi_tail.isdigit():  # "245 - 261⁸": also 261¹ … 261⁸
                    out += [f"{hi_head}.{i}" for i in range(1, int(hi_tail) + 1)]
            else:
                return None
        elif piece:
            out.append(normalise_number(piece))
    return out or None


class TreeBuilder:
    """Stack machine that receives blocks in document order and builds the tree."""

    def __init__(self, doc: ParsedDocument):
        self.doc = doc
        self.stack: list[Provision] = []
        self.body: dict[int, list[Block]] = {}
        self.preamble: Provision | None = None

    # ------------------------------------------------------------------ input
    def heading(self, block: Block, kind: str, raw_num: str, rest: str) -> Provision:
        """Open a structural unit (closing the ones it ends)."""
        rank = RANK[kind]
        while self.stack and RANK[self.stack[-1].kind] >= rank:
            self._close(self.stack.pop())
        node = Provision(kind=kind, num=heading_number(kind, raw_num), label=_label(block.text, rest),
                         where=block.where, notes=list(block.notes))
        m = RANGE_TITLE.match(rest)
        if m:
            # "Глава 36. (Статьи 292 - 308)": a repealed unit that kept only the
            # numbers of its articles. Keep every article as a repealed stub.
            nums = expand_range(m.group(1))
            if nums is None:
                self.doc.warn(f"could not read the article range {m.group(1)!r}", block.where,
                              "the repealed articles of this range are not recorded")
            else:
                for num in nums:
                    node.children.append(Provision(kind="article", num=num, label=f"Статья {num}",
                                                   status=REPEALED, where=block.where))
        elif rest:
            node.title = rest
        self._attach(node)
        self.stack.append(node)
        self.body[id(node)] = []
        return node

    def paragraph(self, block: Block) -> None:
        """A paragraph of text: body of the innermost open unit (or the preamble)."""
        if not self.stack:
            if self.preamble is None:
                self.preamble = Provision(kind="preamble", num="1", label="Преамбула", where=block.where)
                self.doc.children.append(self.preamble)
                self.body[id(self.preamble)] = []
            self.body[id(self.preamble)].append(block)
            return
        self.body[id(self.stack[-1])].append(block)

    def title_for_open_heading(self, text: str) -> bool:
        """Use `text` as the title of the innermost unit if it has none yet."""
        if self.stack and not self.stack[-1].title and not self.stack[-1].children and not self.body[id(self.stack[-1])]:
            self.stack[-1].title = text
            return True
        return False

    def note(self, text: str) -> None:
        """An editorial note standing alone: attach to the innermost open unit."""
        target = self.stack[-1] if self.stack else None
        if target is None:
            self.doc.notes.append(text)
        elif self.body.get(id(target)) and not WHOLE_UNIT_NOTE.match(text):
            self.body[id(target)][-1].notes.append(text)
        else:
            target.notes.append(text)

    def finish(self) -> None:
        while self.stack:
            self._close(self.stack.pop())
        if self.preamble is not None:
            self._close(self.preamble)

    # ------------------------------------------------------------------ internals
    def _attach(self, node: Provision) -> None:
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.doc.children.append(node)

    def _close(self, node: Provision) -> None:
        blocks = self.body.pop(id(node), [])
        build_body(node, blocks, self.doc)
        settle_status(node)


def _label(text: str, rest: str) -> str:
    label = text[: len(text) - len(rest)].strip() if rest and text.endswith(rest) else text.strip()
    return label.rstrip(".").strip()


def settle_status(node: Provision) -> None:
    """Decide repealed/excluded from what the source says of a unit with no law text."""
    has_law = bool(node.text.strip()) or any(c.status == IN_FORCE for c in node.children)
    if has_law:
        return
    joined = " ".join(node.notes + ([node.title] if node.title else []))
    if REPEAL_NOTE.search(joined):
        node.status = REPEALED
    elif EXCLUDE_NOTE.search(joined):
        node.status = EXCLUDED
    if node.status != IN_FORCE:
        for child in node.children:
            if child.status == REPEALED and not child.notes:
                child.notes = [n for n in node.notes if REPEAL_NOTE.search(n)]


def split_note_only(text: str) -> bool:
    """True when a paragraph is only an editorial note in parentheses."""
    return bool(NOTE_ONLY.match(text.strip()))


def build_body(node: Provision, blocks: list[Block], doc: ParsedDocument) -> None:
    """Distribute the paragraphs of a unit over its own text, parts and points.

    Numbered paragraphs "1." are parts (пункты); "1)" and "а)" are points. When a
    unit has no numbered paragraphs, each paragraph that does not continue a list
    is a part (части of an article are unnumbered in the Labour Code). Text after
    a list of points that is not a new part goes to the list owner's wrap-up.
    """
    if not blocks:
        return
    numbered_mode = any(NUMBERED.match(b.text) for b in blocks)
    part: Provision | None = None
    point: Provision | None = None
    # A unit whose opening text it already holds (a BY point "1. По договору …", a BY
    # Constitution article's first paragraph) has that text as its part 1, so the paragraphs
    # after it are parts 2, 3 … as the law counts them ("часть вторая пункта 1" is para_2).
    first_part = 1 if node.text.strip() else 0
    part_count = first_part
    holder = node          # where parts go: the unit, or its "Примечание" once one starts

    def owner() -> Provision:
        return part if part is not None else holder

    queue = list(blocks)
    while queue:
        b = queue.pop(0)
        text = b.text.strip()
        m = NOTE_HEAD.match(text) if node.kind == "article" else None
        if m:
            # "Примечания. 1. …": the article's notes are a unit of their own,
            # cited as "примечание 1 к статье 158".
            notes_seen = sum(1 for c in node.children if c.kind == "note")
            holder = Provision(kind="note", num=str(notes_seen + 1), label=m.group(1), where=b.where,
                               notes=list(b.notes))
            node.children.append(holder)
            part, point, part_count = None, None, 0
            numbered_mode = any(NUMBERED.match(x.text) for x in queue) or bool(NUMBERED.match(m.group(2)))
            if m.group(2).strip():
                queue.insert(0, Block(m.group(2).strip(), b.where, list(b.notes)))
            continue
        if not text:
            if b.notes:
                (point or owner()).notes.extend(b.notes)
            continue
        m = NUMBERED.match(text) if numbered_mode else None
        if m:
            part = Provision(kind="para", num=normalise_number(m.group(1)), label=f"{m.group(1)}.",
                             where=b.where, notes=list(b.notes))
            _set_text_or_status(part, m.group(2))
            holder.children.append(part)
            point = None
            continue
        m = POINT.match(text)
        letter = LETTER.match(text) if not m else None
        if m or letter:
            if letter and point is not None and point.label and point.label[0].isdigit():
                sub = Provision(kind="subpoint", num=normalise_number(letter.group(1)),
                                label=f"{letter.group(1)})", where=b.where, notes=list(b.notes))
                _set_text_or_status(sub, letter.group(2))
                point.children.append(sub)
                continue
            mm = m or letter
            assert mm is not None
            point = Provision(kind="point", num=normalise_number(mm.group(1)), label=f"{mm.group(1)})",
                              where=b.where, notes=list(b.notes))
            _set_text_or_status(point, mm.group(2))
            target = owner()
            if any(c.kind == "point" and c.num == point.num for c in target.children):
                doc.warn(f"point {point.label} repeats inside {target.label or target.kind}", b.where,
                         "kept as text of the previous point")
                target.children[-1].add_text(text)
                continue
            target.children.append(point)
            continue
        if split_note_only(text):
            # "(Статья в редакции …)" speaks of the whole unit; other notes of
            # the innermost part or point.
            whole = WHOLE_UNIT_NOTE.match(text)
            (node if whole else (point or owner())).notes.append(text)
            continue
        # An unnumbered paragraph.
        if numbered_mode:
            if part is None:
                holder.add_text(text)
            elif point is not None:
                part.wrap_up = _join(part.wrap_up, text)
            else:
                part.add_text(text)
            if b.notes:
                owner().notes.extend(b.notes)
            continue
        # A paragraph continues the current part when it carries on a list
        # (the part ends with ":" or ";", or the points before it did not end a
        # sentence, or it starts in lower case); otherwise it is a new part.
        continues_list = part is not None and (
            text[:1].islower()
            or (point is None and part.text.rstrip().endswith((":", ";")))
            or (point is not None and point.text and not _ends_sentence(point))
        )
        if continues_list and part is not None:
            if point is not None:
                part.wrap_up = _join(part.wrap_up, text)
            else:
                part.add_text(text)
            part.notes.extend(b.notes)
            continue
        part_count += 1
        part = Provision(kind="para", num=str(part_count), label=None, where=b.where, notes=list(b.notes))
        _set_text_or_status(part, text)
        holder.children.append(part)
        point = None
    # A unit with a single unnumbered part keeps its text itself (no para_1).
    if holder is node and not numbered_mode and part_count == first_part + 1 and node.children and \
            node.children[-1] is part and \
            len([c for c in node.children if c.kind == "para"]) == 1:
        only = node.children.pop()
        node.text = _join(node.text, only.text)
        node.children.extend(only.children)
        node.notes.extend(only.notes)
        if only.wrap_up:
            node.wrap_up = _join(node.wrap_up, only.wrap_up)
        if only.status != IN_FORCE and not node.text:
            node.status = only.status
    for child in node.children:
        if child.kind in ("para", "point", "subpoint", "note"):
            for grandchild in child.walk():
                settle_status(grandchild)
    if node.kind == "article":
        flag_missing_list(node, doc)


def _set_text_or_status(node: Provision, text: str) -> None:
    text = text.strip()
    if not text:
        return
    if split_note_only(text):
        node.notes.append(text)
    elif EXCLUDE_NOTE.match(text) and len(text) < 40:
        node.notes.append(text)
        node.status = EXCLUDED
    else:
        node.add_text(text)


def _join(a: str, b: str) -> str:
    return f"{a}\n{b}" if a else b


def _ends_sentence(node: Provision) -> bool:
    return _last_text(node).endswith(".")


def _last_text(node: Provision) -> str:
    """The text that ends a provision in reading order: its wrap-up, else its
    last sub-provision's ending, else its own text."""
    if node.wrap_up:
        return node.wrap_up.rstrip()
    for child in reversed(node.children):
        last = _last_text(child)
        if last:
            return last
    return node.text.rstrip()


MISSING_LIST = "list items after the last colon are missing in the source"
MISSING_INNER_LIST = "a list announced by a colon inside the article is missing in the source"
CUT_LIST = 'a list ends with ";" and nothing follows: its last items are missing in the source'
_LIST_ITEMS = ("point", "subpoint")


def _fragments(node: Provision) -> Iterator[tuple[Provision, str, bool]]:
    """(unit, text, is its wrap-up) of an article's texts in reading order, notes left out; a
    repealed unit stands in as one empty fragment ("5) утратил силу" still goes on with a list)."""
    if node.kind == "note":
        return
    if node.status != IN_FORCE:
        yield node, "", False
        return
    if node.text:
        yield node, node.text.rstrip(), False
    for child in node.children:
        yield from _fragments(child)
    if node.wrap_up:
        yield node, node.wrap_up.rstrip(), True


def _continues_list(nxt: tuple[Provision, str, bool] | None) -> bool:
    """Whether what follows an open ending (";" or ":") goes on with the list: a list item or
    the wrap-up that closes it. The end of the article or a new part does not."""
    return nxt is not None and (nxt[2] or nxt[0].kind in _LIST_ITEMS)


def flag_missing_list(article: Provision, doc: ParsedDocument) -> None:
    """Report and record an article whose text is cut where a list should go on: it stops at a
    colon (the list is missing), a colon inside it announces a list that never comes (a new
    part follows), or a list item ends with ";" and nothing follows it (the list's last items
    are missing: КоАП РБ art. 7.3 stops at point 10 of part 1)."""
    hint = "the text is kept as found; take the full text from the official source"
    name = article.label or "article"
    ends_open = _last_text(article).endswith(":")
    if ends_open:
        doc.warn(f"{name} ends with a colon: the list that follows is missing in the source", article.where, hint)
        article.defects.append(MISSING_LIST)
    frags = list(_fragments(article))
    inner = cut = None
    for k, (node, text, wrap) in enumerate(frags[:-1] if ends_open else frags):
        nxt = frags[k + 1] if k + 1 < len(frags) else None
        if _continues_list(nxt) or wrap or node.children:
            continue
        if text.endswith(":") and node is not article and inner is None:
            inner = node
        elif text.endswith(";") and not text.endswith(('.";', '.»;')) and node.kind in _LIST_ITEMS and cut is None:
            # ('."; ' closes a quoted amending law in a plain-text export, not a list item)
            cut = node
    if inner is not None:
        doc.warn(f"{name}: {inner.label or inner.kind} ends with a colon and no list follows: the list is missing "
                 "in the source", inner.where or article.where, hint)
        article.defects.append(MISSING_INNER_LIST)
    if cut is not None:
        doc.warn(f"{name}: the list ends at {cut.label or cut.kind} with \";\" and nothing follows: its last items "
                 "are missing in the source", cut.where or article.where, hint)
        article.defects.append(CUT_LIST)
