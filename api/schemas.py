"""Request bodies as typed models: what a client may send, checked at the edge.

FastAPI documents them in /openapi.json and refuses anything else with 422
problem+json before a route runs.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.mappings.model import HARMONIZATION, RATIONALES, RELATIONS

from .references import ReferenceOut

Relation = Literal[tuple(RELATIONS)]            # type: ignore[valid-type]
Harmonization = Literal[tuple(HARMONIZATION)]   # type: ignore[valid-type]
Rationale = Literal[tuple(RATIONALES)]          # type: ignore[valid-type]
# what a request may name: an ELI path, a manifest key or an IRI of this service
Reference = Field(min_length=1, max_length=512)


class MappingIn(BaseModel):
    """A proposed correspondence: `object: null` records that the subject has no counterpart."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "subject": "eli/ru/kodeks/1994/51-fz/art_196", "object": "eli/by/kodeks/1998/218-z/art_197",
        "relation": "intersects_with", "harmonization": "harmonized", "confidence": 0.9,
        "comment": "общий срок три года; РФ добавляет предельный срок десять лет"}]})

    subject: str = Reference
    object: str | None = Field(None, min_length=1, max_length=512)
    relation: Relation | None = None
    harmonization: Harmonization | None = None
    rationale: Rationale | None = None
    confidence: float = Field(0.8, ge=0, le=1, allow_inf_nan=False)
    strength: int | None = Field(None, ge=0, le=10)
    comment: str | None = Field(None, max_length=2000)


class ReviewIn(BaseModel):
    """A reviewer's decision on a proposed (or stale) mapping."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"decision": "accept", "comment": "проверено по текстам обеих редакций"}]})

    decision: Literal["accept", "reject"]
    comment: str | None = Field(None, max_length=2000)


# ------------------------------------------------------------------ answers
# Documentation of what the routes answer: /openapi.json lists them, and the schemathesis
# fuzz test checks every answer against them. They describe the JSON the services build
# (no runtime conversion); `extra="allow"` keeps a member added later valid until documented.

class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class Redaction(_Doc):
    iri: str
    date: str
    source: str | None = None
    format: str | None = None
    sha256: str | None = None


class ActSummary(_Doc):
    iri: str
    eli: str
    jurisdiction: str
    type: str
    number: str
    title: str
    adopted: str
    latest_redaction: str | None = None
    redaction: str | None = None
    redactions: int
    articles: int


class ActList(_Doc):
    date: str | None
    acts: list[ActSummary]


class ContentsEntry(_Doc):
    iri: str
    eid: str
    kind: str
    number: str | None = None
    label: str | None = None
    title: str | None = None
    status: str | None = None
    in_redaction: bool


class Crumb(_Doc):
    iri: str
    kind: str
    eid: str | None = None
    label: str | None = None
    title: str | None = None


class ProvisionRedaction(_Doc):
    date: str
    expression: str
    exists: bool
    changed: bool
    new: bool


class End(_Doc):
    iri: str
    eli: str | None = None
    label: str | None = None
    redaction: str | None = None


class Agent(_Doc):
    iri: str | None = None
    label: str | None = None


class MappingOut(_Doc):
    """A clause mapping: who made it (author, reviewer), why (justification, comment), how sure."""

    id: str
    iri: str
    subject: End
    object: End | None
    no_counterpart: bool
    predicate: str
    predicate_modifier: str | None = None
    relation: str | None = None
    rationale: str | None = None
    strength: int | None = None
    harmonization: str
    confidence: float
    lifecycle: str
    stale: bool
    stale_from: str | None = None
    justification: str | None = None
    author: Agent
    reviewer: Agent | None = None
    mapping_date: str | None = None
    comment: str | None = None
    mapping_set: str | None = None


class HistoryEntry(_Doc):
    activity: str
    agent: str | None = None
    time: str
    action: str
    comment: str | None = None
    changes: list[str] = []


class MappingWithHistory(MappingOut):
    history: list[HistoryEntry]
    version: str


class MappingList(_Doc):
    total: int
    offset: int
    limit: int
    mappings: list[MappingOut]


class ActOrProvision(_Doc):
    """An act (kind "act": redactions, table of contents) or a provision (text, parts, breadcrumb,
    redactions, mappings)."""

    iri: str
    kind: str
    redaction: str
    expression: str
    title: str | None = None
    redactions: list[Redaction] | list[ProvisionRedaction] | int
    contents: list[ContentsEntry] | None = None
    eid: str | None = None
    number: str | None = None
    act: str | None = None
    parent: str | None = None
    in_redaction: bool | None = None
    label: str | None = None
    text: str | None = None
    wrap_up: str | None = None
    status: str | None = None
    notes: list[str] | None = None
    source_defects: list[str] | None = None
    breadcrumb: list[Crumb] | None = None
    children: list[ContentsEntry] | None = None
    full_text: str | None = None
    references: list[ReferenceOut] | None = None    # what its text cites (as GET /references?source=)
    cited_by: list[ReferenceOut] | None = None      # what cites it (as GET /references?target=)
    mappings: list[MappingOut] | None = None


class Counterpart(_Doc):
    """A search hit's counterpart: a stored mapping (source "mapping") or the suggester's best
    candidate (source "suggestion", review "suggested", with its calibrated probability)."""
    source: str
    review: str
    no_counterpart: bool
    iri: str | None = None
    eli: str | None = None
    cite: str | None = None
    label: str | None = None
    act: str | None = None
    relation: str | None = None
    harmonization: str | None = None
    lifecycle: str | None = None
    stale: bool
    confidence: float | None = None
    probability: float | None = None
    mapping: str | None = None
    comment: str | None = None
    compare: str | None = None
    pair: str | None = None


class SearchHit(_Doc):
    iri: str
    act: str
    act_title: str | None = None
    jurisdiction: str
    kind: str
    number: str | None = None
    label: str | None = None
    title: str | None = None
    status: str | None = None
    path: str | None = None
    redaction: str | None = None
    article: dict | None = None
    snippet: str
    score: float
    citation: bool
    counterparts: list[Counterpart] | None = None   # in the other jurisdiction (api.pair_search)


class SearchSuggestion(_Doc):
    """ "Возможно, вы имели в виду": the query with words corrected from the index's vocabulary."""
    q: str
    hits: int


class SearchAcronym(_Doc):
    """An acronym of the query searched as the words of the codes it stands for (a reviewed
    entry of ingest/index/acronyms_review.tsv)."""
    typed: str
    searched: str


class SearchRewrite(_Doc):
    """Everyday words of the query that the thesaurus or the colloquial lexicon
    (corpus/colloquial.toml) also searched as the codes' own words ("коммуналка" → "плата за
    жилищно-коммунальные услуги"): added to the query, never instead of it."""
    typed: str
    searched: str


class SearchAnswer(_Doc):
    query: str
    total: int
    offset: int
    limit: int
    date: str | None
    citations: list[dict]
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]
    suggestion: SearchSuggestion | None = None
    acronyms: list[SearchAcronym] = []
    rewrites: list[SearchRewrite] = []


class ResolvedCitation(_Doc):
    text: str
    iris: list[str]
    eli: list[str]
    notes: list[str]


class ResolveAnswer(_Doc):
    cite: str
    citations: list[ResolvedCitation]
    iris: list[str]
    eli: list[str]


class Candidate(_Doc):
    iri: str
    label: str | None = None
    title: str | None = None
    score: float
    evidence: dict


class Suggestions(_Doc):
    source: str
    target_act: str
    candidates: list[Candidate]


class PartCandidate(_Doc):
    iri: str
    eid: str
    label: str
    score: float
    evidence: dict[str, float]


class PartSuggestion(_Doc):
    source: dict[str, str]
    proposed: PartCandidate | None
    candidates: list[PartCandidate]


class PartSuggestions(_Doc):
    source_article: str
    target_article: str
    reviewed: bool
    note: str
    article_mapping: dict[str, str | None] | None
    units: list[PartSuggestion]


class DiffSide(_Doc):
    iri: str
    label: str | None = None
    title: str | None = None
    redaction: str | None = None
    act: str | None = None
    status: str | None = None


class DiffAnswer(_Doc):
    left: DiffSide
    right: DiffSide
    mode: str
    similarity: float
    identical: bool
    stats: dict[str, int]
    ops: list[dict]


class CompareAnswer(_Doc):
    left_act: str
    right_act: str
    pairs: list[dict]
    right_only: list[dict]
    chapters: list[dict]
    summary: dict[str, int]
    # with parameters=true: {"pairs": [pairs whose numbers differ, aligned], "summary": {compared, with_parameters, differing}}
    parameters: dict | None = None


class ChangesAnswer(_Doc):
    act: str
    unit: str
    added: list[dict]
    repealed: list[dict]
    changed: list[dict]
    renumbered: list[dict]
    moved: list[dict]
    removed: list[dict]


class Health(_Doc):
    status: str
    store: str
    base: str
    warm_up: dict
    sparql: dict | None = None


class PairSide(_Doc):
    iri: str
    eli: str
    act: str
    act_title: str | None = None
    cite: str | None = None
    label: str | None = None
    matched: bool
    evidence: float
    snippet: str


class Pair(_Doc):
    ru: PairSide
    by: PairSide
    link: Counterpart
    score: float
    url: str
    compare: str


class PairAnswer(_Doc):
    """GET /search/pairs (and /search?view=pairs): RU↔BY pairs for a query, best first."""
    query: str
    view: str
    total: int
    offset: int
    limit: int
    filters: dict
    facets: dict[str, dict[str, int]]
    pairs: list[Pair]


class OnePair(_Doc):
    """GET /search/pair: two provisions side by side with what links them."""
    ru: dict
    by: dict
    links: list[Counterpart]
    url: str
    compare: str


def documented(model: type[BaseModel], *also: str) -> dict:
    """`responses=` of a route answering `model` as JSON (and, unchecked, the media types `also`)."""
    return {200: {"model": model, "content": {m: {} for m in also}}}


class DraftCheckIn(BaseModel):
    """POST /drafts/check as JSON: the draft's text (one or many articles) and its jurisdiction."""
    model_config = ConfigDict(extra="forbid")
    text: str = Field(..., min_length=1, max_length=400_000, description="the draft: \"Статья N. …\" and its parts")
    jurisdiction: Literal["ru", "by"] = Field(..., description="the jurisdiction the draft is written for")


class DraftArticleReport(_Doc):
    label: str
    num: str | None = None
    title: str
    text: str
    parts: list[dict]
    amends: str | None = None
    own: list[dict]
    counterparts: list[dict]
    reviewed_counterparts: list[dict]
    references: list[dict]
    definitions: list[dict]
    parameters: dict


class DraftReport(_Doc):
    """POST /drafts/check: per draft article its closest provisions, counterparts, redlines,
    references, defined terms and parameters; nothing of the draft is stored (`stored` is false)."""
    jurisdiction: str
    other_jurisdiction: str
    articles: list[DraftArticleReport]
    stored: bool
    seconds: float
