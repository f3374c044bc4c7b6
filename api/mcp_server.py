"""The Model Context Protocol server: lexmap's read services as tools an AI assistant can call.

Built with the official `mcp` SDK (FastMCP) over the same services as the HTTP API — search,
citations, provisions, counterparts, redlines, gap analysis, changes between redactions,
references — with the API's limits and error table. Two transports share one server: the app
mounts streamable HTTP at /mcp (`mount`), `lexmap mcp` speaks stdio (`run_stdio`).

Answers are section-sized: one provision with its parts (its text capped at MAX_TEXT chars,
an act or a chapter answers its contents, never its whole text), paged rows for the whole-act
comparisons; every text comes with the sha256 of its UTF-8 bytes, so an assistant's quotation
can be checked against the source. Resources are addressable by their ELI IRI.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import anyio
from mcp.server.fastmcp import Context, FastMCP
from mcp.server.fastmcp.exceptions import ToolError
from mcp.server.transport_security import TransportSecuritySettings
from mcp.types import ToolAnnotations
from pydantic import Field

from ingest.identifiers import eli_of
from ingest.query import InvalidTerm

from . import compare as compare_service, mappings as mapping_service, references as reference_service
from . import resources, search as search_service
from .context import AppContext
from .errors import ERRORS, Problem
from .guard import TokenBuckets
from .params import parse_date, split

log = logging.getLogger("lexmap.mcp")
T = TypeVar("T")

MAX_TEXT = 40_000        # chars of a provision's text in one answer (the longest article is ~24 000)
MAX_PAGE = 100           # rows per page of a gap analysis, of changes, of references
MAX_PASSAGES = 200       # changed passages of one redline
CONTEXT_CHARS = 80       # unchanged text shown before a changed passage
INSTRUCTIONS = (
    "lexmap: законодательство России и Беларуси (кодексы, конституции, законы) в нескольких редакциях, "
    "с соответствиями статей между юрисдикциями. Идентификаторы — ELI (eli/ru/kodeks/1994/51-fz/art_196). "
    "Каждый ответ — одна статья или страница строк; sha256 позволяет проверить цитату.\n"
    "lexmap: legislation of Russia and Belarus (codes, constitutions, laws) in several redactions, with "
    "article-level mappings between the jurisdictions. Identifiers are ELI paths. Every answer is one "
    "provision or one page of rows; sha256 lets a quotation be verified.")
READ_ONLY = ToolAnnotations(readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False)

Eli = Annotated[str, Field(min_length=1, max_length=512,
                           description="ELI-путь или IRI, напр. eli/ru/kodeks/1994/51-fz/art_196 / ELI path or IRI")]
Date = Annotated[str | None, Field(None, max_length=10,
                                   description="ГГГГ-ММ-ДД: редакция, действовавшая на эту дату (по умолчанию — "
                                               "последняя) / YYYY-MM-DD: the redaction in force on that day")]
Limit = Annotated[int, Field(20, ge=1, le=MAX_PAGE, description="строк на странице / rows per page (1-100)")]
Offset = Annotated[int, Field(0, ge=0, le=100_000, description="пропустить строк / rows to skip")]
Strings = Annotated[list[str], Field(default_factory=list, max_length=20)]


class Tools:
    """The tools over one application context (`ctx()` is read on every call: the app builds
    its context in its lifespan, after the server is made)."""

    def __init__(self, ctx: Callable[[], AppContext]):
        self.ctx = ctx
        self._buckets: TokenBuckets | None = None

    # ------------------------------------------------------------------ plumbing

    async def call(self, fn: Callable[[], T], expensive: bool = False, client: str = "stdio") -> T:
        """`fn()` in a worker thread (the services block); domain errors become tool errors
        worded as the API's problem answers; the API's rate limit on expensive work."""
        if expensive:
            self._take(client)
        try:
            return await anyio.to_thread.run_sync(fn)
        except ToolError:
            raise
        except Exception as exc:  # noqa: BLE001 - answered as a tool error, never a crash
            raise ToolError(problem_text(exc)) from None

    def _take(self, client: str) -> None:
        limits = self.ctx().settings.limits
        if limits.rate_limit <= 0:
            return
        if self._buckets is None:
            self._buckets = TokenBuckets(limits.rate_limit, limits.rate_window)
        wait = self._buckets.take(client)
        if wait > 0:
            raise ToolError(f"429 Too many requests: more than {limits.rate_limit} expensive calls "
                            f"(gap analysis, changes) in {limits.rate_window:g} s; retry in {max(1, round(wait))} s")

    # ------------------------------------------------------------------ the tools' bodies

    def search(self, q: str, jurisdiction: list[str], act: list[str], type: list[str], status: list[str],
               date: str | None, limit: int, offset: int) -> dict:
        ctx = self.ctx()
        known = ctx.known_filters()
        req = search_service.Request(q=q, jurisdiction=split(jurisdiction), act=split(act), type=split(type),
                                     status=split(status) or ("in_force",), date=_date(date),
                                     limit=min(limit, search_service.MAX_LIMIT), offset=offset,
                                     max_depth=ctx.settings.limits.query_max_depth)
        result = search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus, known,
                                       ctx.search_counterparts)
        for r in result["results"]:
            r["eli"] = eli_of(r["iri"])
        return result

    def resolve_citation(self, cite: str, jurisdiction: list[str]) -> dict:
        ctx = self.ctx()
        return search_service.citation_answer(ctx.store, cite, split(jurisdiction), ctx.known_filters()["citable"])

    def get_provision(self, eli: str, date: str | None) -> dict:
        ctx = self.ctx()
        path = _path(ctx, eli)
        data = ctx.memo("resource", (path, _date(date)),
                        lambda: resources.get_act(ctx.store, ctx.settings, path, date))
        return section(data)

    def get_counterparts(self, eli: str) -> dict:
        ctx = self.ctx()
        iri, _ = mapping_service.provision_iri(ctx.mappings, _path(ctx, eli))
        rows = mapping_service.for_provision(ctx.mappings, iri)
        return {"provision": iri, "eli": eli_of(iri), "total": len(rows), "counterparts": [_counterpart(m, iri)
                                                                                          for m in rows]}

    def compare_provisions(self, left: str, right: str, mode: str, left_date: str | None,
                           right_date: str | None, max_passages: int) -> dict:
        ctx = self.ctx()
        result = compare_service.diff_provisions(ctx.store, ctx.settings, left, right, mode, _date(left_date, "left_date"),
                                                 _date(right_date, "right_date"))
        return redline_summary(result, max_passages)

    def gap_analysis(self, left_act: str, right_act: str, status: str | None, limit: int, offset: int) -> dict:
        ctx = self.ctx()
        left_iri, right_iri = _act(ctx, left_act, "left_act"), _act(ctx, right_act, "right_act")
        # the same memo entry as GET /compare: the page, the API and the assistant share one analysis
        result = ctx.memo("gap analysis", (left_iri, right_iri), lambda: compare_service.compare_acts(
            ctx.store, left_iri, right_iri, ctx.suggester, ctx.settings.base_iri, ctx.mappings.table()))
        rows = [r for r in result["pairs"] if status is None or r["status"] == status]
        return {"left_act": left_iri, "right_act": right_iri, "summary": result["summary"],
                "chapters": result["chapters"], "status": status, "total": len(rows), "offset": offset,
                "limit": limit, "rows": [_gap_row(r) for r in rows[offset:offset + limit]],
                "right_only": len(result["right_only"])}

    def changes(self, act: str, date_from: str, date_to: str, kind: str | None, limit: int, offset: int) -> dict:
        ctx = self.ctx()
        _date(date_from, "from"), _date(date_to, "to")
        work = _act(ctx, act, "act")
        result = ctx.memo("changes", (work, date_from, date_to),
                          lambda: compare_service.changes(ctx.store, ctx.settings, work, date_from, date_to))
        rows = [_change_row(k, x) for k in CHANGE_KINDS if kind in (None, k) for x in result[k]]
        return {"act": result["act"], "from": result["from"], "to": result["to"], "unit": result["unit"],
                "summary": result["summary"], "kind": kind, "total": len(rows), "offset": offset, "limit": limit,
                "rows": rows[offset:offset + limit]}

    def references(self, eli: str, date: str | None, incoming: bool, limit: int, offset: int) -> dict:
        ctx = self.ctx()
        path = _path(ctx, eli)
        fn = reference_service.incoming if incoming else reference_service.outgoing
        result = fn(ctx.store, ctx.settings, path, _date(date))
        refs = result["references"]
        return {**{k: v for k, v in result.items() if k != "references"}, "total": len(refs), "offset": offset,
                "limit": limit, "references": refs[offset:offset + limit]}


CHANGE_KINDS = ("added", "repealed", "changed", "renumbered", "moved", "removed")


def problem_text(exc: BaseException) -> str:
    """An error as the API words it (api/errors.py's table): "404 Not found: no act … in the store"."""
    for kind in type(exc).__mro__:
        rule = ERRORS.get(kind)
        if rule is not None:
            status = rule.status(exc) if callable(rule.status) else rule.status
            title = rule.title(exc) if callable(rule.title) else rule.title
            return f"{status} {title}: {rule.detail(exc)}"
    if isinstance(exc, ValueError):     # a malformed identifier or value (parse_eli_path, …)
        return f"400 Invalid request: {exc}"
    if isinstance(exc, KeyError):
        return f"404 Not found: {exc.args[0] if exc.args else exc}"
    log.error("unexpected error in an MCP tool", exc_info=exc)
    return "500 Internal error: the server failed on this call; it has been logged"


def _date(value: str | None, name: str = "date") -> str | None:
    try:
        return parse_date(value or None, name)
    except ValueError as exc:
        raise Problem(400, "Invalid date", str(exc)) from None


def _path(ctx: AppContext, ref: str) -> str:
    """An ELI path of what `ref` names (path, IRI under the base, or manifest key)."""
    try:
        return mapping_service.to_iri(ctx.mappings, ref.strip()).removeprefix(ctx.settings.base_iri + "/")
    except (mapping_service.BadRequest, InvalidTerm) as exc:
        raise Problem(400, "Malformed identifier", str(exc)) from None


def _act(ctx: AppContext, ref: str, name: str) -> str:
    try:
        return mapping_service.act_iri(ctx.mappings, ref)
    except mapping_service.BadRequest as exc:
        raise compare_service.CompareError(f"{name}: {exc}", 404) from None


def sha256(text: str | None) -> str | None:
    """sha256 (hex) of the UTF-8 bytes of `text`, exactly as answered."""
    return None if text is None else hashlib.sha256(text.encode("utf-8")).hexdigest()


def section(data: dict) -> dict:
    """A provision (or act) as one section-sized answer: identity, redaction, its parts, its
    text with its sha256 — or, past MAX_TEXT, no text and the parts to ask for instead."""
    contents = data.get("contents") if data.get("kind") == "act" else data.get("children")
    parts = [{"eli": eli_of(c["iri"]), "kind": c["kind"], "label": c.get("label") or c.get("number"),
              "title": c.get("title"), "status": c.get("status")} for c in contents or []]
    base = {"iri": data["iri"], "eli": eli_of(data["iri"]), "kind": data.get("kind"),
            "redaction": data.get("redaction"), "title": data.get("title"), "parts": parts[:500],
            "parts_total": len(parts)}
    if data.get("kind") == "act":
        return {**base, "jurisdiction": data.get("jurisdiction"), "number": data.get("number"),
                "adopted": data.get("adopted"), "redactions": [r["date"] for r in data.get("redactions", [])],
                "text": None, "sha256": None,
                "note": "an act answers its contents; ask for one of its parts / акт: запросите его часть"}
    text = data.get("full_text") or ""
    omitted = len(text) > MAX_TEXT
    crumbs = " › ".join(x for c in data.get("breadcrumb", []) for x in [" ".join(
        y for y in (c.get("label"), c.get("title")) if y)] if x)
    return {**base, "label": data.get("label"), "number": data.get("number"), "act": data.get("act"),
            "expression": data.get("expression"), "in_redaction": data.get("in_redaction"),
            "status": data.get("status"), "breadcrumb": crumbs,
            "text": None if omitted else text, "sha256": None if omitted else sha256(text),
            "text_chars": len(text), "notes": data.get("notes", []), "source_defects": data.get("source_defects", []),
            "redactions": [{"date": r.get("date"), "exists": r.get("exists"), "changed": r.get("changed")}
                           for r in data.get("redactions", [])],
            **({"note": f"the text has {len(text)} characters (over {MAX_TEXT}): ask for one of its parts / "
                        "текст слишком велик: запросите его часть"} if omitted else {})}


def _counterpart(m: dict, iri: str) -> dict:
    mine = (m.get("subject") or {}).get("iri") == iri or not m.get("object")
    other = (m.get("object") if mine else m.get("subject")) or None
    return {"mapping": m["id"], "counterpart": other and {"iri": other["iri"], "eli": other.get("eli"),
                                                         "label": other.get("label"), "redaction": other.get("redaction")},
            "no_counterpart": m["no_counterpart"], "relation": m["relation"], "harmonization": m["harmonization"],
            "review_status": m["lifecycle"], "stale": m["stale"], "confidence": m["confidence"],
            "comment": m["comment"], "reviewer": (m.get("reviewer") or {}).get("label"),
            "author": (m.get("author") or {}).get("label") or (m.get("author") or {}).get("iri"),
            "mapping_date": m.get("mapping_date")}


def redline_summary(result: dict, max_passages: int = MAX_PASSAGES) -> dict:
    """A redline as a summary and its changed passages (each with the unchanged words before it)."""
    passages, before = [], ""
    for o in result["ops"]:
        if o["op"] == "equal":
            before = o["right"]
            continue
        passages.append({"op": o["op"], "deleted": o["left"], "inserted": o["right"],
                         "context": before[-CONTEXT_CHARS:].lstrip()})
    side = lambda s: {**s, "eli": eli_of(s["iri"])}  # noqa: E731
    return {"left": side(result["left"]), "right": side(result["right"]), "mode": result["mode"],
            "similarity": result["similarity"], "identical": result["identical"], "stats": result["stats"],
            "passages_total": len(passages), "passages": passages[:max_passages]}


def _gap_row(r: dict) -> dict:
    a, b = r["left"], r["right"]
    return {"left": {"eli": eli_of(a["iri"]), "label": a["label"], "title": a["title"], "chapter": a["chapter"]},
            "right": b and {"eli": eli_of(b["iri"]), "label": b["label"], "title": b["title"]},
            "status": r["status"], "relation": r["relation"], "harmonization": r["harmonization"],
            "source": r["source"], "similarity": r["similarity"], "confidence": r["confidence"],
            "stale": r["stale"], "comment": r["comment"]}


def _change_row(kind: str, x: dict) -> dict:
    if kind == "renumbered":
        return {"kind": kind, "from": {**x["from"], "eli": eli_of(x["from"]["iri"])},
                "to": {**x["to"], "eli": eli_of(x["to"]["iri"])}, "similarity": x.get("similarity")}
    row = {"kind": kind, "eli": eli_of(x["iri"]), "label": x["label"], "title": x["title"], "chapter": x["chapter"]}
    for k in ("status", "from_chapter", "to_chapter", "similarity", "stats"):
        if k in x:
            row[k] = x[k]
    return row


def _client(c: Context) -> str:
    """Who calls, for the rate limit: the HTTP client's address, or the one stdio client."""
    try:
        request = c.request_context.request if c is not None else None
    except (ValueError, AttributeError):   # no request in flight (stdio)
        return "stdio"
    client = getattr(request, "client", None)
    return client.host if client else "stdio"


def build(ctx: Callable[[], AppContext]) -> FastMCP:
    """The MCP server over the context `ctx()` returns; every tool read-only."""
    tools = Tools(ctx)
    # Stateless, JSON answers: any worker of `lexmap serve --workers N` can answer any call. The
    # SDK's DNS-rebinding guard (Host allow-list) is off: the tools read what the open API serves,
    # and the app may be served under any host name.
    server = FastMCP("lexmap", instructions=INSTRUCTIONS, stateless_http=True, json_response=True,
                     streamable_http_path="/mcp", log_level="WARNING",
                     transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False))

    @server.tool(annotations=READ_ONLY, description=(
        "Полнотекстовый поиск по статьям (морфология, фразы в кавычках, AND/OR/NOT, ссылки вида «ст. 196 ГК РФ»); "
        "фильтры как в API. / Full-text search over provisions with Russian morphology, phrases, operators and "
        "citations; filters as GET /search. One result per article, cited provisions first."))
    async def search(q: Annotated[str, Field(min_length=1, max_length=1000, description="запрос / query")],
                     jurisdiction: Strings, act: Strings, type: Strings,
                     status: Annotated[list[str], Field(default_factory=lambda: ["in_force"], max_length=4,
                                                        description="in_force | repealed | excluded | all")],
                     date: Date = None,
                     limit: Annotated[int, Field(10, ge=1, le=search_service.MAX_LIMIT)] = 10,
                     offset: Annotated[int, Field(0, ge=0, le=search_service.MAX_OFFSET)] = 0) -> dict[str, Any]:
        return await tools.call(lambda: tools.search(q, jurisdiction, act, type, status, date, limit, offset))

    @server.tool(annotations=READ_ONLY, description=(
        "Ссылка на норму («ч. 2 ст. 81 ТК РФ», «статья 197 ГК РБ») → идентификаторы ELI. / A citation → the ELI "
        "identifiers it names; an error says why when it names nothing."))
    async def resolve_citation(cite: Annotated[str, Field(min_length=1, max_length=500)],
                               jurisdiction: Strings) -> dict[str, Any]:
        return await tools.call(lambda: tools.resolve_citation(cite, jurisdiction))

    @server.tool(annotations=READ_ONLY, description=(
        "Одна норма в редакции на дату: текст с частями, ELI, дата редакции, sha256 текста, примечания. Акт "
        "отвечает оглавлением, не текстом. / One provision as in force on a date: its text with its parts, ELI, "
        "redaction date, sha256 of the text (UTF-8) to verify quotations, notes; an act answers its contents."))
    async def get_provision(eli: Eli, date: Date = None) -> dict[str, Any]:
        return await tools.call(lambda: tools.get_provision(eli, date))

    @server.tool(annotations=READ_ONLY, description=(
        "Соответствующие нормы другой юрисдикции: отношение, гармонизация (ЕАЭС), статус проверки, уверенность, "
        "комментарий. / Counterparts of a provision in the other jurisdiction: relation (NIST IR 8477), "
        "harmonization (EAEU), review status, confidence, comment."))
    async def get_counterparts(eli: Eli) -> dict[str, Any]:
        return await tools.call(lambda: tools.get_counterparts(eli))

    @server.tool(annotations=READ_ONLY, description=(
        "Сравнение двух норм: сходство, число изменённых слов и изменённые фрагменты. / Redline of two provisions: "
        "similarity, changed-word counts and the changed passages (deleted, inserted, with context)."))
    async def compare_provisions(left: Eli, right: Eli,
                                 mode: Annotated[str, Field("words", pattern="^(words|lemmas)$")] = "words",
                                 left_date: Date = None, right_date: Date = None,
                                 max_passages: Annotated[int, Field(50, ge=1, le=MAX_PASSAGES)] = 50) -> dict[str, Any]:
        return await tools.call(lambda: tools.compare_provisions(left, right, mode, left_date, right_date, max_passages))

    @server.tool(annotations=READ_ONLY, description=(
        "Сравнительная таблица двух актов: сводка (совпадает / расходится / нет соответствия) и строки постранично. "
        "/ Gap analysis of two acts: summary per status and chapter, then paged rows (mapping or suggestion)."))
    async def gap_analysis(left_act: Eli, right_act: Eli,
                           status: Annotated[str | None, Field(None, pattern="^(matched|diverging|missing)$")] = None,
                           limit: Limit = 20, offset: Offset = 0, context: Context = None) -> dict[str, Any]:
        return await tools.call(lambda: tools.gap_analysis(left_act, right_act, status, limit, offset),
                                expensive=True, client=_client(context))

    @server.tool(annotations=READ_ONLY, description=(
        "Изменения акта между двумя редакциями: добавленные, утратившие силу, изменённые, перенумерованные, "
        "перемещённые статьи, постранично. / Changes of an act between two redactions, paged."))
    async def changes_between_redactions(
            act: Eli, date_from: Annotated[str, Field(min_length=10, max_length=10, description="YYYY-MM-DD")],
            date_to: Annotated[str, Field(min_length=10, max_length=10, description="YYYY-MM-DD")],
            kind: Annotated[str | None, Field(None, pattern="^(added|repealed|changed|renumbered|moved|removed)$")] = None,
            limit: Limit = 20, offset: Offset = 0, context: Context = None) -> dict[str, Any]:
        return await tools.call(lambda: tools.changes(act, date_from, date_to, kind, limit, offset),
                                expensive=True, client=_client(context))

    @server.tool(annotations=READ_ONLY, description=(
        "Ссылки в тексте нормы на другие нормы (с цитатой и целью). / References in a provision's text: quote, "
        "kind and the provision cited, paged."))
    async def references(eli: Eli, date: Date = None, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        return await tools.call(lambda: tools.references(eli, date, False, limit, offset))

    @server.tool(annotations=READ_ONLY, description=(
        "Нормы, ссылающиеся на данную. / What cites a provision (cited by), paged."))
    async def cited_by(eli: Eli, date: Date = None, limit: Limit = 20, offset: Offset = 0) -> dict[str, Any]:
        return await tools.call(lambda: tools.references(eli, date, True, limit, offset))

    _resources(server, tools, ctx)
    return server


def _resources(server: FastMCP, tools: Tools, ctx: Callable[[], AppContext]) -> None:
    """Acts and provisions as resources, addressed by their ELI IRI (latest redaction, or a dated one)."""
    base = tools_base(ctx)
    desc = "Норма или акт по ELI (JSON, как get_provision) / A provision or act by its ELI IRI (JSON, as get_provision)"

    def read(path: str) -> Callable[[], dict]:
        return lambda: section(resources.get_act(ctx().store, ctx().settings, path))

    async def one(path: str) -> dict:
        return await tools.call(read(path))

    @server.resource(base + "/eli/{jurisdiction}/{type}/{year}/{number}", mime_type="application/json",
                     description=desc)
    async def act(jurisdiction: str, type: str, year: str, number: str) -> dict:
        return await one(f"eli/{jurisdiction}/{type}/{year}/{number}")

    @server.resource(base + "/eli/{jurisdiction}/{type}/{year}/{number}/{eid}", mime_type="application/json",
                     description=desc)
    async def provision(jurisdiction: str, type: str, year: str, number: str, eid: str) -> dict:
        return await one(f"eli/{jurisdiction}/{type}/{year}/{number}/{eid}")

    @server.resource(base + "/eli/{jurisdiction}/{type}/{year}/{number}/{date}/{lang}/{eid}",
                     mime_type="application/json", description=desc + " — в редакции / in one redaction")
    async def provision_in(jurisdiction: str, type: str, year: str, number: str, date: str, lang: str,
                           eid: str) -> dict:
        return await one(f"eli/{jurisdiction}/{type}/{year}/{number}/{date}/{lang}/{eid}")


def tools_base(ctx: Callable[[], AppContext]) -> str:
    """The base IRI of resources; the settings are read at build time (the app's context may
    not exist yet, its settings do)."""
    c = ctx()
    return c.settings.base_iri


def mount(app: Any, settings: Any) -> FastMCP:
    """Serve the MCP server at /mcp of the FastAPI `app` (streamable HTTP), a session manager
    running for each run of the app's lifespan."""
    # the app's context exists once its lifespan ran: read it per call
    server = build(lambda: getattr(app.state, "ctx", None) or _SettingsOnly(settings))
    endpoint = _Endpoint()
    app.add_route("/mcp", endpoint, methods=["GET", "POST", "DELETE"], include_in_schema=False)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any):
        async with inner(a) as state:
            # a session manager runs once: a fresh one per lifespan (an app may be started twice)
            server._session_manager = None
            server.streamable_http_app()
            endpoint.manager = server.session_manager
            try:
                async with endpoint.manager.run():
                    yield state
            finally:
                endpoint.manager = None

    app.router.lifespan_context = lifespan
    return server


class _Endpoint:
    """The ASGI endpoint of /mcp: the running session manager, or 503 outside the lifespan."""

    manager: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if self.manager is None:
            from .problems import problem_response
            resp = problem_response(503, "MCP server not running", "the MCP server runs while the app is served; "
                                    "start it with `lexmap serve`", scope.get("path", ""))
            return await resp(scope, receive, send)
        await self.manager.handle_request(scope, receive, send)


class _SettingsOnly:
    """Stands for the context before the app's lifespan built it: only the settings are read."""

    def __init__(self, settings: Any):
        self.settings = settings


def run_stdio(ctx: AppContext) -> None:
    """Serve `ctx` over standard input and output until the client closes them."""
    build(lambda: ctx).run("stdio")
