"""The in-force articles of an act's latest redaction with their printed text and chapter.

Read with two queries over the redaction's own graph and kept on an `ArticleShelf` per
redaction build (its fingerprint changes when a re-ingest changes it): the gap analysis
(api.compare) and the suggester (ingest.mappings.suggest) both start from here,
so it lives in ingest, which both may import.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from .query import catalog as q
from .store import GraphStore
from .text import provision_texts, status_name

@dataclass(frozen=True)
class Article:
    """An in-force article of a redaction, as read from its graph."""

    iri: str
    eid: str
    label: str
    title: str
    text: str              # the body, without the "Статья N. Title" line
    chapter: str           # label of the enclosing chapter / section ("Глава 12")
    chapter_title: str = ""
    # source defects that leave its text incomplete (a missing or cut list, no text …), its
    # sub-provisions' included: comparisons read the missing part as missing, never as deleted
    defects: tuple[str, ...] = ()


class ArticleShelf:
    """The articles of acts' latest redactions, kept per redaction build: whoever owns the
    shelf (the suggester of an app context) decides how long it lives."""

    KEEP = 16      # acts kept at once; past that the shelf starts again

    def __init__(self, store: GraphStore):
        self.store = store
        self._kept: dict[tuple[str, str | None], list[Article]] = {}

    def latest(self, work: str) -> list[Article]:
        """Articles in force in the latest redaction of `work`, in document order."""
        found = q.select(self.store, "latest_redaction", work=work)
        if not found:
            return []
        key = (found[0]["e"], found[0].get("fp"))
        if key not in self._kept:
            if len(self._kept) >= self.KEEP:
                self._kept.clear()
            self._kept[key] = _load(self.store, work, found[0]["e"])
        return self._kept[key]


def is_text_defect(defect: str) -> bool:
    """Whether a recorded source defect means text is missing (not only a title)."""
    return not defect.startswith("no title in the source")


def text_defects(store: GraphStore, expression: str) -> dict[str, list[str]]:
    """Article-level unit eId -> the text-missing defects recorded on it or inside it in one redaction."""
    out: dict[str, list[str]] = {}
    for r in q.select(store, "redaction_defects", expression=expression):
        if is_text_defect(r["v"]):
            found = out.setdefault(r["eid"].split("__")[0], [])
            if r["v"] not in found:
                found.append(r["v"])
    return out


# "Статья 196. Title" (a heading line) or "Статья 2 Человек, его права…" (an untitled article: its
# label and first words share the line, as ingest.text.render prints them)
_HEAD = re.compile(r"(?:Статья|Article|Section)\s+[^\s.]+(?:\.[^\s.]+)*(\.?)(?:\s+|$)")


def strip_head(text: str) -> str:
    """A provision's printed text without its heading: the first line when it is "label. title",
    only the label when the article has no title and its text starts on the label's line."""
    first, _, rest = (text or "").partition("\n")
    m = _HEAD.match(first)
    if m is None:
        return text
    body = first[m.end():]
    if m.group(1) or not body:
        return rest
    return f"{body}\n{rest}" if rest else body


def _load(store: GraphStore, work: str, expr: str) -> list[Article]:
    nodes = q.select(store, "redaction_tree", expression=expr)
    by = {n["p"]: n for n in nodes}
    arts = sorted((n for n in nodes if n["kind"] == "article" and status_name(n.get("st")) == "in_force"),
                  key=lambda n: int(n["sort"]))
    texts = provision_texts(store, work, expr, {n["eid"] for n in arts})
    defects = text_defects(store, expr)

    def chapter(n: dict) -> dict | None:
        up = by.get(n["parent"])
        while up is not None and up["kind"] not in ("chapter", "section", "part"):
            up = by.get(up["parent"])
        return up

    out = []
    for n in arts:
        c = chapter(n)
        out.append(Article(n["p"], n["eid"], n.get("label") or n["eid"], n.get("title") or "",
                           strip_head(texts.get(n["eid"], "")),
                           (c.get("label") or c["eid"]) if c else "", (c.get("title") or "") if c else "",
                           tuple(defects.get(n["eid"], ()))))
    return out
