"""Request bodies as typed models: what a client may send, checked at the edge.

FastAPI documents them in /openapi.json and refuses anything else with 422
problem+json before a route runs.
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ingest.mappings.model import HARMONIZATION, RATIONALES, RELATIONS

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
