"""RFC 9457 problem+json responses, the one error shape of every route."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def problem_response(status: int, title: str, detail: str, instance: str = "", **extra: Any) -> JSONResponse:
    """A problem+json answer; a 401 also says which authentication scheme to use."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)


PROBLEM_SCHEMA = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                   "detail": {"type": "string"}, "instance": {"type": "string"}},
}
_WHY = {400: "Malformed request (identifier, date, query)", 401: "No or unknown API key",
        403: "The key lacks the role, or the request is cross-site", 404: "Names nothing in the store",
        409: "Conflicts with the resource's state", 412: "If-Match does not match the current ETag",
        413: "Body or query too large", 415: "Unsupported media type", 422: "Invalid parameter or body",
        429: "Rate limit: retry after Retry-After seconds", 503: "Busy or unavailable: retry later"}
# Documented on every operation, so clients and fuzzers know what an error looks like.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": why, "content": {"application/problem+json": {"schema": PROBLEM_SCHEMA}}}
    for status, why in _WHY.items()}
