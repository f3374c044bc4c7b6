"""Comparisons: a redline of two provisions, a gap analysis of two acts, the changes between
two redactions of an act. JSON, or the page for a browser; the gap analysis also as CSV."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from .. import compare as compare_service, context, docx, impact, mappings as mapping_service, page
from ..negotiation import wants_html
from ..schemas import ChangesAnswer, CompareAnswer, DiffAnswer, documented
from .params import checked_date

router = APIRouter(tags=["compare"])


def _act(ctx: context.AppContext, ref: str, name: str) -> str:
    try:
        return mapping_service.act_iri(ctx.mappings, ref)
    except mapping_service.BadRequest as exc:
        raise compare_service.CompareError(f"{name}: {exc}", 404) from None


@router.get("/diff", summary="Redline of two provisions", responses=documented(DiffAnswer, "text/html"))
def diff(request: Request, left: str, right: str, mode: str = Query("words", pattern="^(words|lemmas)$"),
         format: str | None = Query(None, pattern="^(json|html|docx)$", description="json (default), html or docx; "
                                    "a browser asking for text/html gets the page"),
         left_date: str | None = None, right_date: str | None = None) -> Any:
    """Word-level redline (insertions, deletions, replacements; lemma mode shows inflections) and a similarity."""
    ctx = context.of(request)
    checked_date(left_date, "left_date")
    checked_date(right_date, "right_date")
    result = compare_service.diff_provisions(ctx.store, ctx.settings, left, right, mode, left_date, right_date)
    result = {**result, "references": impact.redline_references(ctx, result)}   # reference translation (issue 16)
    if format == "docx":
        return docx.response(docx.redline(result), docx.redline_name(result))
    if wants_html(request, format):
        return page.diff_page(request, result, {"left": left, "right": right, "mode": mode,
                                                "left_date": left_date, "right_date": right_date})
    return result


@router.get("/compare", summary="Gap analysis of two acts",
            responses=documented(CompareAnswer, "text/html", "text/csv"))
def compare(request: Request, left_act: str, right_act: str,
            format: str | None = Query(None, pattern="^(json|html|csv|docx)$"),
            show: str | None = Query(None, pattern="^(matched|diverging|missing)$",
                                     description="html: only rows of this status"),
            parameters: bool = Query(False, description="also list the pairs whose numbers differ (periods, "
                                     "ages, amounts, counts, shares), aligned side by side")) -> Any:
    """Provisions aligned through accepted mappings, then suggestions (marked); the gap register both
    ways; a per-chapter summary (matched, diverging, missing). CSV is a correlation table.
    With `parameters=true` the answer also has `parameters`: the pairs whose numbers differ."""
    ctx = context.of(request)
    left_iri, right_iri = _act(ctx, left_act, "left_act"), _act(ctx, right_act, "right_act")
    # kept until the next write: the page, the JSON and the CSV of one pair share one analysis
    result = ctx.memo("gap analysis", (left_iri, right_iri), lambda: compare_service.compare_acts(
        ctx.store, left_iri, right_iri, ctx.suggester, ctx.settings.base_iri, ctx.mappings.table()))
    if parameters:       # a new dict: the memo's analysis is shared and never changed
        result = {**result, "parameters": ctx.memo("parameter differences", (left_iri, right_iri), lambda:
                                                   compare_service.parameter_differences(result, ctx.suggester.articles))}
    if format == "csv":
        return docx.csv_response(compare_service.compare_csv(result), docx.gap_analysis_name(result))
    if format == "docx":
        return docx.response(docx.gap_analysis(result, {a["iri"]: a["title"] for a in ctx.acts()}),
                             docx.gap_analysis_name(result))
    if wants_html(request, format):
        return page.compare_page(request, result, {"left_act": left_act, "right_act": right_act,
                                                   **({"parameters": "true"} if parameters else {})}, show)
    return result


@router.get("/changes", summary="What changed between two redactions of an act",
            responses=documented(ChangesAnswer, "text/html"))
def changes(request: Request, act: str, from_: str = Query(..., alias="from"), to: str = Query(...),
            format: str | None = Query(None, pattern="^(json|html)$")) -> Any:
    """Articles added, repealed, changed (with redlines), renumbered or moved between two dates."""
    ctx = context.of(request)
    checked_date(from_, "from")
    checked_date(to, "to")
    work = _act(ctx, act, "act")
    result = ctx.memo("changes", (work, from_, to),
                      lambda: compare_service.changes(ctx.store, ctx.settings, work, from_, to))
    if wants_html(request, format):
        return page.changes_page(request, result, {"act": act, "from": from_, "to": to})
    return result
