"""What stands between the open web and the routes: pure ASGI middleware.

- body size: a request body over `Limits.max_body_bytes` is refused with 413 before it is
  read (Content-Length) or as soon as it grows past the limit (chunked);
- write gate: a write to the API (POST /mappings...) without a known key is refused with 401
  before its body is read or parsed;
- rate limit: expensive routes (SPARQL, gap analysis, exports, changes) take a token from the
  client's bucket; an empty bucket answers 429 with Retry-After;
- headers: every answer carries a Content-Security-Policy the page satisfies (no inline
  script or style), nosniff, frame-ancestors/X-Frame-Options and Referrer-Policy.
"""
from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Awaitable, Callable

from html import escape

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from . import auth
from .negotiation import negotiate
from .problems import problem_response
from .ru_messages import NEXT_STEP, TITLES, ru_message

Scope = dict
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI sets style attributes from its script: the API docs alone may use inline styles.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HEADERS = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
           (b"referrer-policy", b"same-origin"), (b"cross-origin-opener-policy", b"same-origin"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

WRITE_PATHS = re.compile(r"^/mappings(?:/[^/]+/review)?/?$")
EXPENSIVE_PATHS = re.compile(r"^/(?:sparql|compare|changes|mappings/export|feeds/[a-z]+\.atom)/?$")


class BodyTooLarge(HTTPException):
    """The request body passed the limit while it was being read (413)."""

    def __init__(self, limit: int):
        super().__init__(413, f"the request body is larger than {limit} bytes (LEXMAP_MAX_BODY_BYTES)")


def _header(scope: Scope, name: bytes) -> str | None:
    for k, v in scope.get("headers", ()):
        if k == name:
            return v.decode("latin-1")
    return None


async def _send_problem(scope: Scope, send: Send, status: int, title: str, detail: str,
                        headers: dict[str, str] | None = None) -> None:
    """A refusal as problem+json, or — to a browser (Accept: text/html) — as a small page in
    Russian: no template and no store, since a refusal must stay cheap under load."""
    accept = _header(scope, b"accept") or ""
    if negotiate(accept) == "html":
        response: Response = _refusal_page(status, detail)
    else:
        response = problem_response(status, title, detail, scope.get("path", ""))
    for k, v in (headers or {}).items():
        response.headers[k] = v
    await response(scope, _no_receive, send)


def _refusal_page(status: int, detail: str) -> HTMLResponse:
    title = TITLES.get(status, "Ошибка")
    body = (f'<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)} — lexmap</title>'
            f'<link rel="stylesheet" href="/static/lexmap.css"></head><body><main><h1>{escape(title)}</h1>'
            f'<p>{escape(ru_message(detail))}</p><p>Что делать: {escape(NEXT_STEP.get(status, NEXT_STEP[400]))}</p>'
            f'<p><a href="/">На главную</a></p></main></body></html>')
    return HTMLResponse(body, status_code=status)


async def _no_receive() -> dict:
    return {"type": "http.disconnect"}


class BodyLimit:
    """413 for bodies over `limit` bytes, before reading them when Content-Length says so."""

    def __init__(self, app: ASGIApp, limit: Callable[[], int]):
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = self.limit()
        length = _header(scope, b"content-length")
        if length is not None:
            if not length.isdigit():
                return await _send_problem(scope, send, 400, "Bad request", "Content-Length is not a number")
            if int(length) > limit:
                return await _send_problem(scope, send, 413, "Request body too large",
                                           f"the body has {length} bytes; the limit is {limit} bytes")
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        try:
            await self.app(scope, counted, send)
        except BodyTooLarge as exc:   # raised outside a route (a middleware reading the body)
            await _send_problem(scope, send, 413, "Request body too large", str(exc.detail))


class WriteGate:
    """401 for an API write without a known key, before the body is read."""

    def __init__(self, app: ASGIApp, keys_file: Callable[[], object]):
        self.app, self.keys_file = app, keys_file

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and WRITE_PATHS.match(scope["path"]):
            header = _header(scope, b"authorization") or ""
            key = header[7:].strip() if header.lower().startswith("bearer ") else _header(scope, b"x-api-key")
            try:
                auth.identify(self.keys_file(), key)
            except auth.AuthError as exc:
                return await _send_problem(scope, send, exc.status, "Unauthorized", str(exc),
                                           {"WWW-Authenticate": "Bearer"})
            except auth.AuthFileError as exc:     # a damaged keys file: the operator must mend it
                return await _send_problem(scope, send, 503, "Keys file unusable", str(exc), {"Retry-After": "60"})
        await self.app(scope, receive, send)


class TokenBuckets:
    """Per-client token buckets: `rate` requests per `window` seconds, bursts up to `rate`."""

    MAX_CLIENTS = 10_000

    def __init__(self, rate: int, window: float):
        self.rate, self.window = rate, window
        self.buckets: dict[str, tuple[float, float]] = {}   # client -> (tokens, time)
        self.lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may go; otherwise seconds until it may."""
        now = time.monotonic() if now is None else now
        per_second = self.rate / self.window
        with self.lock:
            tokens, at = self.buckets.get(client, (float(self.rate), now))
            tokens = min(float(self.rate), tokens + (now - at) * per_second)
            if tokens >= 1:
                self.buckets[client] = (tokens - 1, now)
                if len(self.buckets) > self.MAX_CLIENTS:
                    self._prune(now)
                return 0.0
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / per_second

    def _prune(self, now: float) -> None:
        # clients whose bucket has refilled are indistinguishable from new ones
        full = [c for c, (t, at) in self.buckets.items() if t + (now - at) * self.rate / self.window >= self.rate]
        for c in full:
            del self.buckets[c]


class RateLimit:
    """429 with Retry-After when a client sends expensive requests faster than allowed."""

    def __init__(self, app: ASGIApp, rate: int, window: float):
        self.app = app
        self.buckets = TokenBuckets(rate, window) if rate > 0 else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.buckets is not None and scope["type"] == "http" and EXPENSIVE_PATHS.match(scope["path"]):
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.buckets.take(client)
            if wait > 0:
                retry = max(1, math.ceil(wait))
                return await _send_problem(
                    scope, send, 429, "Too many requests",
                    f"this client sent more than {self.buckets.rate} expensive requests in "
                    f"{self.buckets.window:g} s; retry in {retry} s", {"Retry-After": str(retry)})
        await self.app(scope, receive, send)


class SecurityHeaders:
    """CSP, nosniff, frame and referrer policies on every answer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        csp = (DOCS_CSP if scope["path"].startswith(("/docs", "/redoc")) else CSP).encode()

        async def with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in HEADERS + [(b"content-security-policy", csp)] if k not in present]
                message["headers"] = list(message.get("headers", [])) + extra
            await send(message)

        await self.app(scope, receive, with_headers)


class HeadAsGet:
    """HEAD answered wherever GET is: the request runs as a GET, its status and headers (with the
    GET's Content-Length) are sent, its body is not. The MCP stream (/mcp) is left to its own server."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD" or scope["path"].startswith("/mcp"):
            return await self.app(scope, receive, send)
        ended = False

        async def headers_only(message: dict) -> None:
            nonlocal ended
            if message["type"] == "http.response.body":
                if ended or message.get("more_body", False):
                    return            # the body is dropped; only its end is sent, once
                ended = True
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)
