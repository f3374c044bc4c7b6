"""One table from the errors of the domain to problem+json answers (RFC 9457).

Routes and services raise what they mean (NotFound, CompareError, ReviewConflict...); this
table says which status, title, extra members and headers each becomes. An error that is
not in it is a bug: logged with its traceback, answered 500 without it. A browser asking for a
page (Accept: text/html) gets each of them as a page in Russian (api/page.py: error_page).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from ingest.mappings.repository import MappingError, ReviewConflict, VersionMismatch
from ingest.query import InvalidTerm
from ingest.store import StoreError

from . import auth, compare as compare_service, mappings as mapping_service, resources, search as search_service
from .negotiation import negotiate
from .problems import problem_response
from .sparql_endpoint import SparqlError

log = logging.getLogger("lexmap.api")


class Problem(Exception):
    """An error answered as given: status, title, detail, extra members and headers."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any):
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers, self.extra = status, title, detail, headers or {}, extra


@dataclass(frozen=True)
class Rule:
    """How one kind of error is answered; callables read the exception."""

    status: int | Callable[[Any], int]
    title: str | Callable[[Any], str]
    detail: Callable[[Any], str] = str
    extra: Callable[[Any], dict] = field(default=lambda e: {})
    headers: Callable[[Any], dict] = field(default=lambda e: {})


def _validation_errors(exc: RequestValidationError) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]


def _mapping_detail(exc: MappingError) -> str:
    return str(exc) + (": " + "; ".join(exc.problems) if exc.problems else "")


ERRORS: dict[type[BaseException], Rule] = {
    Problem: Rule(lambda e: e.status, lambda e: e.title, lambda e: e.detail, lambda e: e.extra, lambda e: e.headers),
    SparqlError: Rule(lambda e: e.status, lambda e: e.title, lambda e: e.detail, lambda e: e.extra,
                      lambda e: e.headers or {}),
    resources.NotFound: Rule(404, "Not found"),
    InvalidTerm: Rule(400, "Malformed identifier"),
    search_service.SearchError: Rule(400, "Invalid search"),
    search_service.InvalidCitation: Rule(400, "Invalid citation"),
    search_service.CitationNotFound: Rule(404, lambda e: e.title,
                                          extra=lambda e: {"citations": e.citations} if e.citations else {}),
    compare_service.CompareError: Rule(lambda e: e.status, "Cannot compare"),
    mapping_service.BadRequest: Rule(400, "Invalid request"),
    MappingError: Rule(422, "Invalid mapping", _mapping_detail, lambda e: {"problems": e.problems}),
    ReviewConflict: Rule(409, "Conflict", str, lambda e: {"lifecycle": e.lifecycle, "reviewer": e.reviewer,
                                                         "since": e.since},
                         lambda e: {"ETag": e.etag} if e.etag else {}),
    VersionMismatch: Rule(412, "Precondition failed", headers=lambda e: {"ETag": e.etag}),
    auth.AuthError: Rule(lambda e: e.status, lambda e: "Unauthorized" if e.status == 401 else "Forbidden"),
    auth.AuthFileError: Rule(503, "Keys file unusable"),
    StoreError: Rule(503, "Store unavailable"),
    RequestValidationError: Rule(422, "Invalid request",
                                 lambda e: "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}"
                                                     for x in _validation_errors(e)),
                                 lambda e: {"errors": _validation_errors(e)}),
    StarletteHTTPException: Rule(lambda e: e.status_code, lambda e: str(e.detail), lambda e: str(e.detail)),
}


def _value(v: Any, exc: BaseException) -> Any:
    return v(exc) if callable(v) else v


def answer(request: Request, exc: BaseException, rule: Rule) -> Response:
    """The problem+json answer of `exc` under `rule`; a browser (Accept: text/html) gets the same
    error as a page in Russian that says what to do next."""
    status, title, detail = _value(rule.status, exc), _value(rule.title, exc), rule.detail(exc)
    resp = _page(request, status, detail) if wants_page(request) else None
    if resp is None:
        resp = problem_response(status, title, detail, str(request.url.path), **rule.extra(exc))
    resp.headers.update(rule.headers(exc))
    return resp


def wants_page(request: Request) -> bool:
    """A browser asking for a page (text/html before JSON), not an API client."""
    return request.method in ("GET", "HEAD", "POST") and negotiate(request.headers.get("accept", "")) == "html"


def _page(request: Request, status: int, detail: str) -> Response | None:
    """The error page (api/page.py), or None when even that fails: then the client gets problem+json."""
    from . import page     # the page's router imports the services this table names: imported late
    try:
        return page.error_page(request, status, detail)
    except Exception:      # noqa: BLE001 - an error while answering an error: fall back to JSON
        log.exception("the error page failed on %s", request.url.path)
        return None


def install(app: FastAPI) -> None:
    """Register the table (Starlette picks the most specific class of a raised error)."""
    for kind, rule in ERRORS.items():
        app.add_exception_handler(kind, lambda request, exc, rule=rule: answer(request, exc, rule))

    async def unexpected(request: Request, exc: Exception) -> Response:
        # a bug, not the caller's fault: logged with its traceback, answered without it
        log.exception("unhandled error on %s", request.url.path)
        detail = "the server failed on this request; it has been logged"
        return (_page(request, 500, detail) if wants_page(request) else None) or problem_response(
            500, "Internal error", detail, str(request.url.path))

    app.add_exception_handler(Exception, unexpected)
