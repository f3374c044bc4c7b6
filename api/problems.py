"""RFC 9457 problem+json responses, the one error shape of every route."""
from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse


def problem_response(status: int, title: str, detail: str, instance: str = "", **extra: Any) -> JSONResponse:
    """A problem+json answer; a 401 also says which authentication scheme to use."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json",
                        headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
