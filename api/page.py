"""The web page lawyers use: search, provision with counterparts and suggestions, side-by-side views,
and the reviewer's forms (sign in with a key, accept/reject, add a mapping).

Pages are server-rendered (api/web/templates) and work without JavaScript; every view is a
GET with its state in the query, so its URL can be pasted into a memo. Writes are HTML
forms posted here, answered with a redirect back to the page (post/redirect/get).
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ingest.identifiers import ELI_MARK, eli_of, top_unit_of
from ingest.mappings.repository import MappingError, ReviewConflict, VersionMismatch

from . import auth, context, reflinks, resources, search as search_service, web_session
from . import mappings as mapping_service
from .params import split as _split
from .templating import templates

RESULTS_PER_PAGE = 20
SUGGESTIONS_SHOWN = 3


def _ctx(request: Request) -> mapping_service.Context:
    return context.of(request).mappings


def _here(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def _safe_next(url: str | None) -> str:
    """Only a path on this site: a form's `next` never sends the browser elsewhere."""
    if not url or not url.startswith("/") or url.startswith("//") or urlsplit(url).netloc:
        return "/"
    return url


def common(request: Request) -> dict[str, Any]:
    """What every page needs: who is signed in, the CSRF token of their forms, this page's URL."""
    holder = web_session.current(request)
    return {"holder": holder, "csrf": web_session.csrf_token(request) if holder else "", "here": _here(request),
            "can_review": bool(holder and "reviewer" in holder.roles),
            "can_add": bool(holder and set(holder.roles) & {"editor", "reviewer"})}


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {**common(request), **context}, status_code=status_code)


def message(request: Request, status: int, title: str, detail: str, back: str | None = None) -> HTMLResponse:
    """An error or notice as a page (the forms' answer to bad input), with a way back."""
    return render(request, "message.html", status_code=status, title=title, detail=detail, back=back)


# ------------------------------------------------------------------ views used by the API routes

def all_acts(request: Request) -> list[dict]:
    """The acts of the store, kept by the app context until an ingest changes them."""
    return context.of(request).acts()


def act_titles(request: Request) -> dict[str, dict]:
    return {a["iri"]: a for a in all_acts(request)}


def provision_page(request: Request, data: dict) -> HTMLResponse:
    """An act or a provision: text of the chosen redaction, counterparts, unreviewed suggestions."""
    suggestions = _suggestions(request, data) if data.get("kind") != "act" and data.get("in_redaction", True) else []
    refs = _references_view(request, data) if data.get("kind") != "act" else {"parts": None, "cited_by": []}
    return render(request, "resource.html", r=data, suggestions=suggestions, refs=refs)


def _references_view(request: Request, data: dict) -> dict:
    """The text with its references linked and the list of what cites the provision, kept until
    the next write (keyed by what they are built from, so another date's "cited by" is its own)."""
    ctx = context.of(request)
    key = (data["expression"], tuple((r["provision"], r["start"]) for r in data.get("references") or []),
           tuple((r["provision"], r.get("redaction"), r["start"]) for r in data.get("cited_by") or []))
    return ctx.memo("page-references", key, lambda: reflinks.page_view(
        ctx.store, data, {a["iri"]: a["title"] for a in all_acts(request)}))


def _suggestions(request: Request, data: dict) -> list[dict]:
    """Per counterpart act: top candidates the mappings do not already name (any review state)."""
    ctx = _ctx(request)
    acts = act_titles(request)
    article = top_unit_of(data["iri"])
    named = {x for m in data.get("mappings", []) for x in
             ((m["subject"] or {}).get("iri"), (m["object"] or {}).get("iri")) if x}
    out = []
    suggester, table = context.of(request).suggester, ctx.table()
    for other in table.counterpart_acts(data["act"]):
        try:
            cands = mapping_service.ranked(table, suggester, article, data["act"], other, SUGGESTIONS_SHOWN + len(named))
        except KeyError:   # not an article in force (a repealed stub, a chapter): nothing to suggest
            continue
        fresh = [c.as_dict() for c in cands if c.iri not in named][:SUGGESTIONS_SHOWN]
        if fresh:
            out.append({"act": acts.get(other, {"iri": other, "title": other}), "candidates": fresh})
    return out


def diff_page(request: Request, result: dict, query: dict) -> HTMLResponse:
    return render(request, "diff.html", d=result, query=query)


def compare_page(request: Request, result: dict, query: dict, show: str | None) -> HTMLResponse:
    acts = act_titles(request)
    rows = [r for r in result["pairs"] if not show or r["status"] == show]
    return render(request, "compare.html", c=result, rows=rows, show=show, query=query,
                  left=acts.get(result["left_act"], {}), right=acts.get(result["right_act"], {}))


def changes_page(request: Request, result: dict, query: dict) -> HTMLResponse:
    acts = act_titles(request)
    return render(request, "changes.html", ch=result, query=query, act=acts.get(result["act"], {}))


# ------------------------------------------------------------------ routes of the page

def build_router() -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/", response_class=HTMLResponse)
    def index(request: Request, q: str | None = None, jurisdiction: list[str] = Query([]),
              act: list[str] = Query([]), offset: int = 0) -> Any:
        """The home page: the search box (results when q is given) and the acts; comparison forms."""
        ctx = context.of(request)
        results, error = None, None
        jur, acts_f = _split(jurisdiction), _split(act)
        if q:
            req = search_service.Request(q=q, jurisdiction=jur, act=acts_f, limit=RESULTS_PER_PAGE,
                                         offset=max(0, offset), max_depth=ctx.settings.limits.query_max_depth)
            try:
                results = search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus,
                                                ctx.known_filters())
            except search_service.SearchError as exc:
                error = str(exc)
            cited = [i for c in (results or {}).get("citations", []) for i in c["iris"]]
            if results and len(cited) == 1 and results["results"] and all(x["citation"] for x in results["results"]):
                # a bare citation goes straight to the provision
                return RedirectResponse("/" + eli_of(results["results"][0]["iri"]), status_code=303)
        acts = all_acts(request)
        return render(request, "index.html", acts=acts, q=q or "", results=results, error=error,
                      jurisdiction=jur, act=acts_f, offset=offset, act_by_path={a["eli"]: a for a in acts},
                      query={"q": q, "jurisdiction": list(jur), "act": list(acts_f)})

    @r.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> Any:
        return render(request, "login.html", next=_safe_next(next), error=None)

    @r.post("/login")
    def login(request: Request, key: str = Form(""), next: str = Form("/")) -> Any:
        response = RedirectResponse(_safe_next(next), status_code=303)
        try:
            web_session.sign_in(request, response, key)
        except auth.AuthError:
            return render(request, "login.html", status_code=401, next=_safe_next(next),
                          error="Ключ не подходит. Ключ выдаёт администратор командой «lexmap keys add».")
        return response

    @r.post("/logout")
    def logout(request: Request, next: str = Form("/")) -> Any:
        """Sign out: the session is revoked on the server (a saved cookie stops working), then deleted."""
        response = RedirectResponse(_safe_next(next), status_code=303)
        web_session.sign_out(request, response)
        return response

    def _holder(request: Request, csrf: str, roles: set[str]) -> auth.KeyHolder:
        holder = web_session.current(request)
        if holder is None:
            raise auth.AuthError(401, "sign in with your key first")
        web_session.check_post(request, csrf)
        if not set(holder.roles) & roles:
            raise auth.AuthError(403, f"the key of {holder.name} has roles {', '.join(holder.roles) or 'none'}")
        return holder

    @r.post("/page/mappings/{record_id}/review")
    def review(request: Request, record_id: str, decision: str = Form(...), comment: str = Form(""),
               next: str = Form("/"), csrf: str = Form(""), version: str = Form("")) -> Response:
        """Accept or reject as the API does: only a proposed or stale mapping, once; `version`
        (the mapping's ETag, optional) makes the form act only on the state it showed."""
        back = _safe_next(next)
        try:
            holder = _holder(request, csrf, {"reviewer"})
            mapping_service.review_mapping(_ctx(request), record_id, decision,
                                           holder.agent_iri(context.of(request).settings.base_iri),
                                           comment.strip() or None, holder.label or holder.name,
                                           if_match=(version.strip(),) if version.strip() else None)
        except auth.AuthError as exc:
            return message(request, exc.status, "Нет права на проверку", _auth_ru(exc), back)
        except KeyError:
            return message(request, 404, "Нет такого соответствия", f"Соответствие {record_id} не найдено.", back)
        except ReviewConflict as exc:
            return message(request, 409, "Соответствие уже проверено",
                           f"Проверка не сохранена: {exc}. Обновите страницу.", back)
        except VersionMismatch as exc:
            return message(request, 412, "Соответствие изменилось",
                           f"Проверка не сохранена: {exc}. Обновите страницу.", back)
        except MappingError as exc:
            return message(request, 422, "Проверка не сохранена",
                           "; ".join([str(exc), *exc.problems]), back)
        return RedirectResponse(f"{back}#m-{record_id}", status_code=303)

    @r.post("/page/mappings")
    def add(request: Request, subject: str = Form(...), object: str = Form(""), no_counterpart: str = Form(""),
            relation: str = Form(""), harmonization: str = Form(""), confidence: str = Form("0.8"),
            comment: str = Form(""), next: str = Form("/"), csrf: str = Form("")) -> Response:
        back = _safe_next(next)
        try:
            holder = _holder(request, csrf, {"editor", "reviewer"})
            target = None if no_counterpart else _target(request, object)
            body = {"subject": subject, "object": target, "relation": relation or None,
                    "harmonization": harmonization or None, "confidence": confidence.replace(",", "."),
                    "comment": comment.strip() or None}
            if target is None and not no_counterpart:
                raise mapping_service.BadRequest("name the counterpart (ELI path or citation) or tick "
                                                 "'no counterpart'")
            created = mapping_service.create_mapping(_ctx(request), body,
                                                     holder.agent_iri(context.of(request).settings.base_iri),
                                                     holder.label or holder.name)
        except auth.AuthError as exc:
            return message(request, exc.status, "Нет права добавлять соответствия", _auth_ru(exc), back)
        except (mapping_service.BadRequest, MappingError) as exc:
            problems = getattr(exc, "problems", [])
            return message(request, 422, "Соответствие не добавлено", "; ".join([str(exc), *problems]), back)
        return RedirectResponse(f"{back}#m-{created['id']}", status_code=303)

    return r


def _target(request: Request, ref: str) -> str | None:
    """The counterpart as typed: an ELI path, a page URL, or a citation ('ст. 197 ГК РБ')."""
    ref = ref.strip()
    if not ref:
        return None
    if ELI_MARK in ref:
        ref = eli_of(ref)
    if ref.startswith("eli/"):
        return ref.split("?", 1)[0].split("#", 1)[0]
    try:
        found = search_service.resolve_citation(context.of(request).store, ref)
    except search_service.QueryError as exc:
        raise mapping_service.BadRequest(str(exc)) from None
    iris = [i for c in found for i in c.iris]
    if len(iris) != 1:
        raise mapping_service.BadRequest(f"the citation {ref!r} names {len(iris)} provisions; give one "
                                         "(e.g. 'ст. 197 ГК Республики Беларусь') or its ELI path")
    return eli_of(iris[0])


def _auth_ru(exc: auth.AuthError) -> str:
    if exc.status == 401:
        return "Войдите с ключом рецензента (ссылка «Войти» вверху страницы)."
    return f"Запрос отклонён: {exc}."
