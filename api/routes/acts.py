"""Acts and provisions: the act list and ELI resolution with content negotiation."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from ingest.identifiers import file_stem, parse_eli_path

from .. import context, docx, effects, mappings as mapping_service, page, rdf_formats, reflinks, resources
from ..errors import Problem
from ..negotiation import negotiate
from ..schemas import ActList, ActOrProvision, documented
from .params import checked_date

router = APIRouter(tags=["acts"])


@router.get("/acts", summary="List acts", responses=documented(ActList))
def acts(request: Request, jurisdiction: str | None = Query(None, pattern="^[a-z]{2}$"),
         date: str | None = Query(None, description="as of this date: the redaction in force then")) -> Any:
    """Every act in the store, optionally of one jurisdiction (ru, by) and as of a date."""
    ctx = context.of(request)
    if checked_date(date) is None:   # the common question, answered from the act list kept per ingest
        return {"date": None, "acts": [a for a in ctx.acts() if jurisdiction is None or a["jurisdiction"] == jurisdiction]}
    return {"date": date, "acts": ctx.memo("acts", (jurisdiction, date),
                                           lambda: resources.list_acts(ctx.store, jurisdiction, date))}


@router.get("/eli/{path:path}", summary="Resolve an ELI identifier",
            responses=documented(ActOrProvision, "text/turtle", "application/ld+json", "text/html",
                                 "application/akn+xml"))
def eli(request: Request, path: str, format: str | None = Query(None, pattern="^(json|ttl|turtle|jsonld|html|akn|docx)$"),
        date: str | None = None) -> Any:
    """An act or provision by its ELI path: JSON by default, Turtle or JSON-LD by Accept (or ?format=),
    Akoma Ntoso of a whole act (?format=akn), the page for a browser."""
    ctx = context.of(request)
    checked_date(date)
    full = f"eli/{path}"
    try:
        parsed = parse_eli_path(full)
    except ValueError as exc:
        raise Problem(400, "Malformed identifier", str(exc)) from None
    fmt = format or negotiate(request.headers.get("accept", ""))
    if fmt == "akn":
        return _akoma_ntoso(ctx, full, parsed.eid, date)
    if fmt in ("ttl", "turtle", "jsonld"):
        nt = resources.describe(ctx.store, ctx.settings, full, date)
        if fmt == "jsonld":
            return Response(rdf_formats.to_jsonld(nt), media_type="application/ld+json")
        return Response(rdf_formats.to_turtle(nt), media_type="text/turtle")
    # kept until the next write (shared: copied before the mappings are added)
    data = ctx.memo("resource", (full, date), lambda: resources.get_act(ctx.store, ctx.settings, full, date))
    if data.get("kind") != "act":
        refs = ctx.memo("provision-references", (full, date),
                        lambda: reflinks.for_provision(ctx.store, ctx.settings, full, date))
        data = {**data, **refs, "mappings": mapping_service.for_provision(ctx.mappings, data["iri"]),
                "effects": effects.history(ctx, data["act"], data["iri"])}
    if fmt == "html":
        return page.provision_page(request, data)
    if fmt == "docx":   # a provision with its counterparts, for a drafter's file
        if data.get("kind") == "act":
            raise Problem(400, "Not a provision", "format=docx is of one provision: add its eId to the path")
        title = next((a["title"] for a in ctx.acts() if a["iri"] == data["act"]), None)
        return docx.response(docx.provision(data, title), docx.provision_name(data))
    return data


def _akoma_ntoso(ctx: context.AppContext, full: str, eid: str | None, date: str | None) -> Response:
    from ingest.akoma_ntoso.writer import ExportError, export_act
    if eid:
        raise Problem(400, "Not an act", "Akoma Ntoso export is of a whole act: drop the eId from the path")
    res = resources.resolve(ctx.store, ctx.settings, full, date)
    try:
        body = export_act(ctx.store, res.work, res.expression)
    except ExportError as exc:
        raise Problem(404, "Not found", str(exc)) from None
    name = file_stem(res.work)
    return Response(body, media_type="application/akn+xml",
                    headers={"Content-Disposition": f'inline; filename="{name}_{res.version}.akn.xml"'})
