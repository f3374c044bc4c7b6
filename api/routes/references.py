"""In-text references: GET /references?source= (what a provision cites) and ?target= (cited by)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from ingest.identifiers import parse_reference

from .. import context, references
from ..errors import Problem
from ..schemas import documented
from .params import checked_date

router = APIRouter(tags=["references"])


@router.get("/references", summary="References in a provision, or what cites it",
            responses=documented(references.ReferenceList))
def list_references(request: Request,
                    source: str | None = Query(None, min_length=1, max_length=512,
                                               description="ELI path of the citing provision or act"),
                    target: str | None = Query(None, min_length=1, max_length=512,
                                               description="ELI path of the cited provision: what cites it"),
                    date: str | None = Query(None, description="as of this date: the redaction in force then")) -> Any:
    """`source`: every reference in the text of the provision (and its sub-provisions) with offsets,
    quote, kind and target; `target`: the references that cite it ("cited by")."""
    ctx = context.of(request)
    checked_date(date)
    if (source is None) == (target is None):
        raise Problem(400, "Invalid request", "give exactly one of source (what a provision cites) "
                                              "or target (what cites a provision)")
    ref = source if source is not None else target
    try:
        path = parse_reference(ref, ctx.settings.base_iri, ctx.aliases).path
    except ValueError as exc:
        raise Problem(400, "Malformed identifier", str(exc)) from None
    if source is not None:
        return references.outgoing(ctx.store, ctx.settings, path, date)
    return references.incoming(ctx.store, ctx.settings, path, date)
