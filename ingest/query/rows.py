"""Typed rows of the named queries: one dataclass per shape of answer, fields named as the
query's variables (ints converted, unbound optionals None)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActRow:
    w: str
    id: str
    j: str
    type: str
    num: str
    title: str
    adopted: str
    latest: str
    redactions: int


@dataclass(frozen=True)
class ArticleCount:
    w: str
    d: str
    n: int


@dataclass(frozen=True)
class Redaction:
    e: str
    d: str


@dataclass(frozen=True)
class RedactionSource:
    e: str
    d: str
    src: str | None = None
    fmt: str | None = None
    sha: str | None = None


@dataclass(frozen=True)
class Child:
    c: str
    eid: str
    kind: str
    sort: int
    num: str | None = None
    label: str | None = None
    title: str | None = None
    st: str | None = None


@dataclass(frozen=True)
class Identity:
    kind: str
    parent: str
    sort: int
    num: str | None = None


@dataclass(frozen=True)
class Printed:
    label: str | None = None
    title: str | None = None
    text: str | None = None
    wrap: str | None = None
    st: str | None = None


@dataclass(frozen=True)
class Crumb:
    a: str
    eid: str
    kind: str
    sort: int
    label: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class Value:
    """A one-column answer (notes, defects, a title)."""

    v: str


@dataclass(frozen=True)
class ActStats:
    w: str
    id: str
    provisions: int
    articles: int


@dataclass(frozen=True)
class GraphSize:
    g: str
    n: int


# ------------------------------------------------------------------ mappings (ingest/mappings)

@dataclass(frozen=True)
class MappingEnd:
    """A provision at the end of a mapping, in one redaction (mapping_ends)."""

    p: str
    w: str
    j: str
    id: str
    eid: str
    e: str
    d: str
    label: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class ShortTitle:
    w: str
    s: str


@dataclass(frozen=True)
class MappingEnds:
    """Subject and object of a mapping (mapping_ends_all)."""

    s: str
    o: str


@dataclass(frozen=True)
class EndAct:
    """A mapping end and its act as the store states it (mapping_end_acts)."""

    x: str
    w: str


@dataclass(frozen=True)
class TrailEntry:
    """One activity in a mapping's PROV trail: the mapping, the activity, its action."""

    m: str
    a: str
    what: str


@dataclass(frozen=True)
class MappingGraph:
    m: str
    g: str


@dataclass(frozen=True)
class HistoryEntry:
    """One edit of a mapping's trail (mapping_history); `changes` one per line."""

    a: str
    who: str
    when: str
    what: str
    note: str | None = None
    changes: str | None = None


# ------------------------------------------------------------------ search index (ingest/index)

@dataclass(frozen=True)
class RedactionStamp:
    """A redaction of an act with its build fingerprint (index_act_stamps)."""

    w: str
    e: str
    fp: str | None = None
