"""HTTP routes, one router per resource: acts and provisions, search, mappings, comparisons,
SPARQL, service metadata, and the web page."""
from __future__ import annotations

from fastapi import APIRouter

from .. import page
from . import acts, compare, drafts, dumps, effects, feeds, mappings, meta, references, search, sparql


def routers() -> list[APIRouter]:
    """Every router of the app, in the order they are matched."""
    return [acts.router, search.router, mappings.router, compare.router, references.router, effects.router,
            sparql.router, meta.router, feeds.router, dumps.router, drafts.router,
            page.build_router()]
