"""What the service says about itself."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from .. import context
from ..schemas import Health, documented

router = APIRouter(tags=["meta"])


@router.get("/health", summary="Liveness, the start-up warm-up and the SPARQL workers", responses=documented(Health))
def health(request: Request) -> Any:
    """`status` is ok while the app answers; `warm_up` says whether the caches were filled at start
    (a failure is shown here with its error); `sparql` counts the query workers."""
    ctx = context.of(request)
    return {"status": "ok", "store": ctx.settings.store, "base": ctx.settings.base_iri,
            "warm_up": ctx.warm_up_state.as_dict(), "sparql": ctx.sparql.status() if ctx.sparql else None}
