"""Is a redaction about to be loaded plausibly whole? Its figures against what it replaces.

A source cut short (a half download, a file truncated at a line or element boundary) still
parses: every adapter reads what is there. So before a redaction replaces another, its
figures — articles (repealed and excluded ones count: they are present as stubs), the last
article's number, the characters of law text — are compared with

- the redaction already in the store under the same date (what it would replace), else the
  latest earlier redaction of the same act in the store, and
- the figures the manifest may state for it (`articles`, `last_article`).

A redaction that loses more than `tolerance` of its articles or of its last article's number
(default 5%, LEXMAP_SHRINK_TOLERANCE), or more than TEXT_FACTOR times that of its text (against
an earlier redaction, OTHER_TEXT_FACTOR times: a new redaction from another source format may
print less — the BY Labour Code of 2019 from eTalon has 27% less text than its 2015 CodexesBY
XML, with more articles), is refused with what was lost ("607 → 232 articles; last article 453 → 181"), unless the user
says `--accept-shrink` (Settings.accept_shrink): then the same words are a warning.

`previous_figures` runs in the ingest's parent process (it reads the store through named
queries); `check_plausible` runs in the worker that parsed the document.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .model import ParsedDocument, Problem
from .query import catalog as q
from .query.rows import Redaction

# Text is looser than articles: refused only past this many times the article tolerance,
# against the same redaction (15% by default) and against an earlier one (50%; see above).
TEXT_FACTOR = 3
OTHER_TEXT_FACTOR = 10
# … and only when more than this many characters went (a paragraph less in a short act is an edit,
# not a cut file).
TEXT_FLOOR = 1000
HINT = ("check that the source file is whole (a download cut short, a file truncated by an editor); "
        "if the redaction really is that much smaller, load it with `lexmap ingest --accept-shrink`")
_LEADING = re.compile(r"\d+")


@dataclass(frozen=True)
class RedactionFigures:
    """What a redaction holds, for comparing it with another one of the same act."""

    articles: int                   # article-level units, repealed and excluded stubs included
    last_article: str | None        # the highest article number ("1551", "67.1"), None without numbers
    text_chars: int | None = None   # characters of law text (own texts and wrap-ups); None: not known
    label: str = ""                 # what these figures are of, for messages
    same_redaction: bool = False    # figures of the redaction of the same date (the one to be replaced)

    @property
    def last_value(self) -> int | None:
        """The last article's number as a whole number (67.1 → 67), for 'far below'."""
        return number_value(self.last_article)


@dataclass(frozen=True)
class ExpectedFigures:
    """What the manifest states of a redaction (each optional)."""

    articles: int | None = None
    last_article: str | None = None

    def __bool__(self) -> bool:
        return self.articles is not None or self.last_article is not None


def number_value(num: str | None) -> int | None:
    """The leading whole number of an article number ('67.1' → 67, '123.16-1' → 123); None if it has none."""
    m = _LEADING.match(num or "")
    return int(m.group()) if m else None


def _number_key(num: str) -> tuple[int, ...]:
    return tuple(int(x) for x in re.findall(r"\d+", num)) or (-1,)


def last_number(nums: list[str]) -> str | None:
    """The highest of article numbers by their numeric parts (9 < 10 < 10.1 < 11)."""
    numeric = [n for n in nums if number_value(n) is not None]
    return max(numeric, key=_number_key) if numeric else None


def figures_of(doc: ParsedDocument, label: str = "the new source") -> RedactionFigures:
    """The figures of a parsed redaction."""
    arts = doc.articles()
    chars = sum(len(p.text) + len(p.wrap_up) for p in doc.walk())
    return RedactionFigures(len(arts), last_number([a.num for a in arts if a.num]), chars, label)


def figures_in_store(store, expression: str, label: str, same_redaction: bool = False) -> RedactionFigures:
    """The figures of a redaction graph in the store."""
    rows = q.select(store, "redaction_article_numbers", expression=expression)
    nums = [r["num"] for r in rows if r.get("num")]
    size = q.select(store, "redaction_text_size", expression=expression)
    chars = size[0].get("chars") if size else None
    return RedactionFigures(len({r["a"] for r in rows}), last_number(nums),
                            int(float(chars)) if chars is not None else 0, label, same_redaction)


def previous_figures(store, work: str, version: date) -> RedactionFigures | None:
    """The figures of what a redaction of `work` dated `version` is measured against: the
    redaction of that date in the store (which it replaces), else the latest earlier one;
    None when the store holds neither (a first load, or only later redactions)."""
    day = version.isoformat()
    for r in q.select(store, "act_redactions", Redaction, work=work):   # newest first
        d = r.d[:10]
        if d <= day:
            label = f"the loaded {d} redaction" if d == day else f"the {d} redaction in the store"
            return figures_in_store(store, r.e, label, same_redaction=d == day)
    return None


def _shrunk(old: float, new: float, share: float) -> bool:
    return old > 0 and new < old * (1 - share)


def _lost(now: RedactionFigures, before: RedactionFigures, tolerance: float) -> list[str]:
    """'607 → 232 articles', … for each figure that fell past the tolerance; [] if none did."""
    out = []
    if _shrunk(before.articles, now.articles, tolerance):
        out.append(f"{before.articles} → {now.articles} articles")
    old_last, new_last = before.last_value, now.last_value
    if old_last is not None and _shrunk(old_last, new_last or 0, tolerance):
        out.append(f"last article {before.last_article} → {now.last_article or 'none'}")
    if (before.text_chars is not None and now.text_chars is not None
            and before.text_chars - now.text_chars > TEXT_FLOOR
            and _shrunk(before.text_chars, now.text_chars,
                        min(tolerance * (TEXT_FACTOR if before.same_redaction else OTHER_TEXT_FACTOR), 0.95))):
        out.append(f"text {_size(before.text_chars)} → {_size(now.text_chars)} characters")
    return out


def _size(chars: int) -> str:
    return f"{chars / 1e6:.2f} M" if chars >= 100_000 else f"{chars:,}"


def check_plausible(previous: RedactionFigures | None, doc: ParsedDocument, expected: ExpectedFigures | None,
                    tolerance: float = 0.05, accept_shrink: bool = False) -> list[Problem]:
    """Problems of a parsed redaction that lost too much against `previous` (the store) or
    `expected` (the manifest): errors, or warnings when `accept_shrink`. [] when plausible."""
    now = figures_of(doc)
    problems = []
    against: list[tuple[str, list[str]]] = []
    if previous is not None:
        against.append((previous.label, _lost(now, previous, tolerance)))
    if expected:
        stated = RedactionFigures(expected.articles or 0, expected.last_article, None, "the manifest")
        against.append(("the figures the manifest states", _lost(now, stated, tolerance)))
    for label, lost in against:
        if not lost:
            continue
        what = f"the source holds much less than {label}: " + "; ".join(lost)
        if accept_shrink:
            problems.append(Problem("warning", what + " (accepted with --accept-shrink)", "plausibility"))
        else:
            problems.append(Problem("error", what, "plausibility", HINT))
    return problems
