"""Amendment effects and impact (issue 16, items 5–6): GET /effects (an act's effects table, or a
provision's history) and GET /impact (what cites a provision, directly and transitively, with
the counterparts of each in the other jurisdiction)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request

from ingest.identifiers import parse_reference

from .. import context, effects, impact as impact_service, resources
from ..errors import Problem
from ..negotiation import wants_html
from ..schemas import documented
from .params import checked_date

router = APIRouter(tags=["effects"])


def _path(ctx: context.AppContext, ref: str, name: str) -> str:
    try:
        return parse_reference(ref, ctx.settings.base_iri, ctx.aliases).path
    except ValueError as exc:
        raise Problem(400, "Malformed identifier", f"{name}: {exc}") from None


def known_acts(ctx: context.AppContext) -> set[str]:
    """IRIs of the acts in the store (an amending act among them is linked)."""
    return {a["iri"] for a in ctx.acts()}


def effect_rows(ctx: context.AppContext, work: str, iri: str) -> list[dict]:
    """`effects.collect` for an act or provision, kept until the next write."""
    return ctx.memo("effects", (work, iri), lambda: effects.collect(ctx.store, work, iri, known_acts(ctx)))


@router.get("/effects", summary="Effects table: what amended an act or a provision",
            responses=documented(effects.EffectList, "text/html"))
def list_effects(request: Request,
                 act: str = Query(..., min_length=1, max_length=512,
                                  description="ELI path (or key) of the act, or of a provision: its history"),
                 date_from: str | None = Query(None, alias="from", description="effects dated on or after (YYYY-MM-DD)"),
                 date_to: str | None = Query(None, alias="to", description="effects dated on or before (YYYY-MM-DD)"),
                 amending: str | None = Query(None, max_length=200,
                                              description="only the effects of this amending act: 100-ФЗ or its ELI path"),
                 kind: str | None = Query(None, pattern="^(wording|inserted|repealed|amended)$"),
                 year: int | None = Query(None, ge=1900, le=2100, description="shorthand for from=YYYY-01-01&to=YYYY-12-31"),
                 limit: int = Query(1000, ge=1, le=effects.LIMIT_MAX), offset: int = Query(0, ge=0, le=1_000_000),
                 format: str | None = Query(None, pattern="^(json|html)$")) -> Any:
    """legislation.gov.uk-style effects table read from the amendment notes of every redaction:
    provision affected, kind (wording, inserted, repealed, amended), amending act (type, date,
    number, IRI — linked when in the corpus), date, the note, and the redactions stating it."""
    ctx = context.of(request)
    checked_date(date_from, "from")
    checked_date(date_to, "to")
    if year is not None:
        if date_from or date_to:
            raise Problem(400, "Invalid request", "give year or from/to, not both")
        date_from, date_to = f"{year:04d}-01-01", f"{year:04d}-12-31"
    path = _path(ctx, act, "act")
    try:
        res = resources.resolve(ctx.store, ctx.settings, path)
        result = effects.table(ctx.store, ctx.settings, path, known_acts(ctx), date_from, date_to, amending, kind,
                               limit, offset, rows=effect_rows(ctx, res.work, res.iri))
    except effects.BadFilter as exc:
        raise Problem(400, "Invalid filter", str(exc)) from None
    if wants_html(request, format):
        from .. import page
        return page.render(request, "effects_table.html", t=result, year=year,
                           act=next((a for a in ctx.acts() if a["iri"] == result["act"]), {}),
                           label=effects.provision_label)
    return result


def _indexes(ctx: context.AppContext) -> tuple[dict[str, str], dict]:
    graphs = ctx.memo("latest redaction graphs", None, lambda: impact_service.latest_graphs(ctx.store))
    accepted = ctx.memo("accepted counterparts", None,
                        lambda: impact_service.accepted_counterparts(ctx.mappings.table()))
    return graphs, accepted


@router.get("/impact", summary="What cites a provision, transitively, with counterparts in the other jurisdiction",
            responses=documented(impact_service.ImpactAnswer))
def impact(request: Request,
           provision: str = Query(..., min_length=1, max_length=512, description="ELI path of the provision"),
           depth: int = Query(2, ge=1, le=impact_service.MAX_DEPTH,
                              description=f"steps of citation followed (1 = direct; at most {impact_service.MAX_DEPTH})")) -> Any:
    """The provisions whose text cites `provision` (or a sub-provision of it, or the article holding
    it), then those citing them, up to `depth`; each with the provision it cites, the words, and
    its counterparts through accepted mappings — what a drafter must re-check when amending it."""
    ctx = context.of(request)
    path = _path(ctx, provision, "provision")
    res = resources.resolve(ctx.store, ctx.settings, path)
    if res.iri == res.work:
        raise Problem(400, "Not a provision", "impact is of one provision: add its eId to the path "
                                              "(eli/ru/kodeks/1994/51-fz/art_196)")
    graphs, accepted = _indexes(ctx)
    return ctx.memo("impact", (res.iri, depth),
                    lambda: impact_service.impact(ctx.store, res.iri, depth, graphs, accepted))
