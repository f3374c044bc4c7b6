"""Search documents of one act, read back from the graph store.

The index is always built from the graph (never from a parser's output), so
`lexmap reindex` and ingest produce the same documents. One document per
provision per redaction:

- an article's document holds the article's whole printed text, so words spread
  over its parts still meet in one document;
- a part, point or note holds its own text, and names its article, so a hit in
  a part shows the article it belongs to;
- sections and chapters hold their headings.

Each document knows the dates its redaction is current for (`valid_from`
inclusive, `valid_to` exclusive), so a search can answer as of a date.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterator

from ..store import GraphStore
from ..text import render, status_name
from ..query import catalog as q

# A date beyond any redaction: the latest redaction is current "until further notice".
OPEN_END = 99991231


@dataclass
class SearchDoc:
    """One provision in one redaction, as the search index stores it."""

    id: str                 # IRI of the provision in this redaction
    iri: str                # IRI of the provision (the work level, stable across redactions)
    work: str               # IRI of the act
    act: str                # ELI path of the act, e.g. eli/ru/kodeks/1994/51-fz
    act_title: str
    jurisdiction: str
    act_type: str
    kind: str
    eid: str
    number: str
    label: str
    title: str
    text: str
    status: str             # in_force | repealed | excluded
    article: str            # IRI of the enclosing article (itself for an article or a heading)
    article_label: str      # "Статья 196. Общий срок исковой давности"
    path: str               # "Раздел I › Глава 12 › Статья 196 › 1."
    version: str            # redaction date, yyyy-mm-dd
    valid_from: int         # yyyymmdd
    valid_to: int           # yyyymmdd, exclusive
    sort: int
    position: float = 0.0   # place of its article in its chapter, 0 (first) .. 1 (last): general rules come first
    # list items the source lost (the text stops at the colon opening them), read from the newest
    # earlier redaction whose line opening the list reads alike: searched, never shown as the text
    recovered: str = ""

    @property
    def latest(self) -> bool:
        return self.valid_to == OPEN_END

    @property
    def unit(self) -> str:
        """ "1" for a document that stands for itself in results (an article, a
        heading), "0" for a part or point, which results show under its article."""
        return "1" if self.article == self.iri else "0"


def _day(iso: str) -> int:
    return int(iso.replace("-", ""))


def act_documents(store: GraphStore, work: str) -> Iterator[SearchDoc]:
    """Every search document of one act, over all its redactions."""
    meta = q.select(store, "act_meta", work=work)
    if not meta:
        return
    m = meta[0]
    dates = sorted({r["d"] for r in q.select(store, "act_dates", work=work)})
    until = {d: (_day(dates[i + 1]) if i + 1 < len(dates) else OPEN_END) for i, d in enumerate(dates)}
    # Order and place are those of each redaction (its named graph): an article
    # inserted in a later redaction shifts the sort keys of those after it.
    # (Every pattern inside GRAPH ?g: the union graph repeats a work-level triple once
    # per redaction, and joins outside a graph would multiply the rows.)
    nodes = {(r["g"], r["p"]): r for r in q.select(store, "act_nodes", work=work)}
    rows = q.select(store, "act_printed", work=work)
    by_date: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in rows:
        node = nodes.get((r["g"], r["p"]))
        if node is not None:
            by_date[r["d"]][r["p"]] = {**node, **r}
    earlier: dict[str, str] = {}          # eid -> the article's whole text in the newest redaction so far
    for date in dates:
        for d in _redaction_documents(m, work, date, until[date], by_date.get(date, {})):
            if d.kind == "article":
                if d.text.rstrip().endswith(":"):       # the source lost the list this line opens
                    d.recovered = _recovered(d.text, earlier.get(d.eid, ""))
                else:
                    earlier[d.eid] = d.text
            yield d


def _recovered(text: str, earlier: str) -> str:
    """The list items an article's text lost in its source (it stops at the colon that opens
    them: the 2019 eTalon file of the BY Labour Code so cuts 98 of its articles), from its text in
    an earlier redaction when the line opening the list reads alike there; "" otherwise. Search
    finds the article by them (ТК РБ 42 by "прогул"); the text shown stays the source's."""
    if not earlier:
        return ""
    # the suggester reads lost lists the same way (one rule for both: its evidence and search)
    from ..mappings.suggest import list_after
    return list_after(text, earlier)


def _redaction_documents(meta: dict, work: str, date: str, valid_to: int,
                         present: dict[str, dict]) -> Iterator[SearchDoc]:
    ordered = sorted(present.values(), key=lambda r: int(r["sort"]))
    children: dict[str, list[dict]] = defaultdict(list)
    for r in ordered:
        children[r["parent"]].append(r)

    def subtree(r: dict) -> list[dict]:
        out = [r]
        for c in children.get(r["p"], ()):
            out.extend(subtree(c))
        return out

    def heading(r: dict) -> str:
        label, title = r.get("label") or "", r.get("title") or ""
        return f"{label}. {title}" if label and title else label or title

    # Where each article stands among the articles of its chapter (or section).
    place: dict[str, float] = {}
    for siblings in children.values():
        arts = [c for c in siblings if c["kind"] == "article"]
        for i, c in enumerate(arts):
            place[c["p"]] = i / (len(arts) - 1) if len(arts) > 1 else 0.0
    crumbs: dict[str, list[str]] = {}
    article_of: dict[str, dict] = {}
    expression = f"{work}/{date}"
    for r in ordered:
        parent = present.get(r["parent"])
        crumbs[r["p"]] = (crumbs.get(r["parent"], []) if parent else []) + [r.get("label") or r["eid"]]
        # inside an article, a node belongs to it; anything else (a heading, a
        # provision outside articles) stands for itself
        above = article_of.get(r["parent"]) if parent else None
        article_of[r["p"]] = above if above is not None and above["kind"] == "article" and r["kind"] != "article" else r
    for r in ordered:
        kind = r["kind"]
        art = article_of[r["p"]]
        if kind == "article":
            # the heading is a field of its own; the body is the article's text and its parts
            text = render([{**r, "label": None, "title": None}] + subtree(r)[1:])
        elif art is r:        # a heading (section, chapter) or a provision outside any article
            text = r.get("text") or ""
        else:
            text = render(subtree(r))
        yield SearchDoc(
            id=f"{expression}#{r['eid']}",
            iri=r["p"], work=work, act=meta["id"], act_title=meta["title"],
            jurisdiction=meta["j"], act_type=meta["type"], kind=kind, eid=r["eid"],
            number=r.get("num") or "", label=r.get("label") or "", title=r.get("title") or "",
            text=text, status=status_name(r.get("st")), article=art["p"], article_label=heading(art),
            path=" › ".join(crumbs[r["p"]]), version=date, valid_from=_day(date), valid_to=valid_to,
            sort=int(r["sort"]), position=round(place.get(art["p"], 0.0), 4),
        )
