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
from markupsafe import Markup

from ingest.identifiers import ELI_MARK, eli_of, parse_eli_path, top_unit_of
from ingest.mappings.repository import MappingError, ReviewConflict, VersionMismatch
from ingest.query import catalog as queries, rows

from . import auth, context, pair_search, reading, reflinks, resources, search as search_service, web_session
from . import mappings as mapping_service
from .errors import Problem
from .params import split as _split
from .routes.params import checked_date
from .ru_messages import NEXT_STEP, TITLES, ru_message
from .templating import templates, unit_heading


def _page_counterparts(request: Request, results: dict | None) -> str:
    """The page's hits get their counterparts (once per page, in one batch; see
    templates/_counterparts.html); returns "" so the template prints nothing."""
    hits = (results or {}).get("results") or []
    if hits and "counterparts" not in hits[0]:
        pair_search.counterparts(context.of(request), hits)
    return ""


# the home page's results show each hit's counterparts through this template function: the
# page's route calls the search service, the include asks for the counterparts it shows
templates.env.globals["with_counterparts"] = _page_counterparts

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
    return render(request, "message.html", status_code=status, title=title, detail=ru_message(detail), back=back,
                  next_step=NEXT_STEP.get(status))


def error_page(request: Request, status: int, detail: str) -> HTMLResponse:
    """An error of the error table (api/errors.py) as a browser sees it: a Russian heading, the
    message in Russian, what to do next, the act of an /eli/ address and a search box."""
    try:
        who = common(request)
    except Exception:   # noqa: BLE001 - a broken keys file or session must not hide the error itself
        who = {"holder": None, "csrf": "", "here": _here(request), "can_review": False, "can_add": False}
    act = None
    if request.url.path.startswith("/eli/"):
        try:
            work = parse_eli_path(request.url.path.lstrip("/")).work.path
            act = next(({"href": "/" + a["eli"], "title": a["title"]} for a in all_acts(request)
                        if a["eli"] == work), None)
        except Exception:   # noqa: BLE001 - a malformed path or an unavailable store: no act link
            act = None
    return templates.TemplateResponse(request, "message.html", {
        **who, "title": TITLES.get(status, "Ошибка"), "detail": ru_message(detail), "status": status,
        "next_step": NEXT_STEP.get(status, NEXT_STEP[400] if status < 500 else NEXT_STEP[500]),
        "act_link": act, "search_box": status in (400, 404, 422)}, status_code=status)


# ------------------------------------------------------------------ views used by the API routes

def all_acts(request: Request) -> list[dict]:
    """The acts of the store, kept by the app context until an ingest changes them."""
    return context.of(request).acts()


def act_titles(request: Request) -> dict[str, dict]:
    return {a["iri"]: a for a in all_acts(request)}


def redaction_dates(request: Request, work: str) -> list[str]:
    """The dates of an act's redactions, oldest first (kept until the next write): the forms' choices."""
    ctx = context.of(request)
    return ctx.memo("redaction-dates", work, lambda: sorted(
        r.d for r in queries.select(ctx.store, "act_redactions", rows.Redaction, work=work)))


def acts_with_dates(request: Request) -> list[dict]:
    """The acts with more than one redaction, each with its redaction dates (the changes form)."""
    return [{**a, "dates": redaction_dates(request, a["iri"])} for a in all_acts(request) if a["redactions"] > 1]


def _work_of(request: Request, iri: str) -> str | None:
    try:
        return parse_eli_path(eli_of(iri)).work.iri(context.of(request).settings.base_iri)
    except ValueError:
        return None


def provision_page(request: Request, data: dict) -> HTMLResponse:
    """An act or a provision: text of the chosen redaction, counterparts, unreviewed suggestions."""
    suggestions = _suggestions(request, data) if data.get("kind") != "act" and data.get("in_redaction", True) else []
    refs = _references_view(request, data) if data.get("kind") != "act" else {"parts": None, "cited_by": []}
    labels = {c.get("eid"): c.get("label") for c in data.get("breadcrumb") or []} | {data.get("eid"): data.get("label")}
    heading = unit_heading(data, labels)
    # the text as printed starts with the unit's label and title, which the page already shows as its heading
    printed = f"{data['label']}. {data['title']}" if data.get("label") and data.get("title") else None
    text, parts = data.get("full_text"), refs.get("parts")
    if printed and text and text.startswith(printed + "\n"):
        text, parts = text[len(printed) + 1:], reading.drop_prefix(parts, len(printed) + 1)
    elif printed and text and text.strip() == printed:     # a chapter's own text is its heading alone
        text, parts = "", None
    return render(request, "resource.html", r={**data, "full_text": text}, suggestions=suggestions,
                  refs={**refs, "parts": parts}, heading=heading, act_eli=eli_of(data["act"] if data.get("kind") != "act"
                                                                                 else data["iri"]))


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
    """The redline, with each side's redactions offered as a list (the redaction pickers)."""
    dates = {}
    for side in ("left", "right"):
        work = _work_of(request, result[side]["iri"])
        dates[side] = redaction_dates(request, work) if work else []
    return render(request, "diff.html", d=result, query=query, dates=dates)


def compare_page(request: Request, result: dict, query: dict, show: str | None) -> HTMLResponse:
    acts = act_titles(request)
    rows = [r for r in result["pairs"] if not show or r["status"] == show]
    return render(request, "compare.html", c=result, rows=rows, show=show, query=query,
                  left=acts.get(result["left_act"], {}), right=acts.get(result["right_act"], {}))


def changes_page(request: Request, result: dict, query: dict) -> HTMLResponse:
    acts = act_titles(request)
    return render(request, "changes.html", ch=result, query=query, act=acts.get(result["act"], {}),
                  dates=redaction_dates(request, result["act"]))


def reading_page(request: Request, path: str, date: str | None) -> HTMLResponse:
    """The reading view (api/reading.py) of an act or a container of it: the body (table of contents
    and text, the largest part of the page) rendered once per redaction and kept until the next write."""
    ctx = context.of(request)
    titles = {a["iri"]: a["title"] for a in all_acts(request)}
    view = ctx.memo("reading", (path, date), lambda: _reading_view(ctx, path, date, titles))
    dates = redaction_dates(request, view["act"])
    return render(request, "reading.html", v=view, body=view["html"], dates=dates, path=path,
                  act_eli=eli_of(view["act"]))


def _reading_view(ctx: context.AppContext, path: str, date: str | None, titles: dict[str, str]) -> dict:
    view = reading.read(ctx.store, ctx.settings, path, date, titles)
    html = Markup(templates.env.get_template("_reading_body.html").render(v=view))
    return {k: v for k, v in view.items() if k not in ("blocks", "toc")} | {"html": html}


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
                                                ctx.known_filters(), ctx.search_counterparts)
            except search_service.SearchError as exc:
                error = str(exc)
            cited = [i for c in (results or {}).get("citations", []) for i in c["iris"]]
            if results and len(cited) == 1 and results["results"] and all(x["citation"] for x in results["results"]):
                # a bare citation goes straight to the provision
                return RedirectResponse("/" + eli_of(results["results"][0]["iri"]), status_code=303)
        acts = all_acts(request)
        # a filter given by its short name (act=ru-tk) is the act chosen in the form: the next search keeps it
        chosen = {ctx.aliases.get(a, a).strip("/") for a in acts_f}
        return render(request, "index.html", acts=acts, q=q or "", results=results, error=ru_message(error),
                      jurisdiction=jur, act=list(chosen), offset=offset, act_by_path={a["eli"]: a for a in acts},
                      query={"q": q, "jurisdiction": list(jur), "act": list(acts_f)},
                      changes_acts=acts_with_dates(request))

    @r.get("/read/{path:path}", response_class=HTMLResponse)
    def read(request: Request, path: str, date: str | None = None) -> Any:
        """The reading view of an act, section or chapter: /read/eli/ru/kodeks/1994/51-fz?date=…"""
        checked_date(date)
        full = path if path.startswith("eli/") else f"eli/{path}"
        try:
            parse_eli_path(full)
        except ValueError as exc:
            raise Problem(400, "Malformed identifier", str(exc)) from None
        return reading_page(request, full, date)

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
        ctx = context.of(request)
        found = search_service.resolve_citation(ctx.store, ref, citable=ctx.known_filters()["citable"])
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
