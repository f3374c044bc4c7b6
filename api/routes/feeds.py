"""Atom feeds: new redactions, changed provisions, mapping events (api.feeds), with conditional GET."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .. import context, feeds
from ..errors import Problem

router = APIRouter(tags=["feeds"])
ATOM = {"content": {feeds.MEDIA_TYPE: {}}, "description": "an Atom 1.0 feed"}


def _act(description: str = "ELI path or manifest key of an act"):
    return Query(None, min_length=1, max_length=512, description=description)


def _answer(request: Request, build) -> Response:
    ctx = context.of(request)
    try:
        feed = build(ctx)
    except feeds.FeedError as exc:
        raise Problem(404, "Not found", str(exc)) from None
    body = feeds.to_atom(feed)
    tag, modified = feeds.etag(body), feeds.last_modified(feed)
    headers = {"ETag": tag, "Last-Modified": modified, "Cache-Control": "public, max-age=300"}
    if feeds.not_modified(request.headers.get("if-none-match"), request.headers.get("if-modified-since"), tag, modified):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=feeds.MEDIA_TYPE + "; charset=utf-8", headers=headers)


@router.get("/feeds/redactions.atom", summary="Atom feed of new redactions", responses={200: ATOM})
def redactions(request: Request, jurisdiction: str | None = Query(None, pattern="^[a-z]{2}$"),
                act: str | None = _act()):
    """New redactions of one act, of a jurisdiction, or of every act, newest first."""
    return _answer(request, lambda ctx: ctx.memo("feed redactions", (jurisdiction, act),
                                                 lambda: feeds.redactions(ctx, jurisdiction, act)))


@router.get("/feeds/changes.atom", summary="Atom feed of provisions changed between redactions", responses={200: ATOM})
def changes(request: Request, act: str = Query(..., min_length=1, max_length=512,
                                               description="ELI path or manifest key of an act")):
    """Provisions added, repealed, changed, renumbered, moved or removed between consecutive redactions of an act."""
    return _answer(request, lambda ctx: ctx.memo("feed changes", act, lambda: feeds.changes(ctx, act)))


@router.get("/feeds/mappings.atom", summary="Atom feed of mapping events", responses={200: ATOM})
def mapping_events(request: Request, source_act: str | None = _act("one act of the pair (ELI path or manifest key)"),
                   target_act: str | None = _act("the other act of the pair")):
    """Mappings created, reviewed or become stale, of an act pair (either way round) or of every act."""
    return _answer(request, lambda ctx: ctx.memo("feed mappings", (source_act, target_act),
                                                 lambda: feeds.mapping_events(ctx, source_act, target_act)))
