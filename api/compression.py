"""Compressed answers for clients that accept gzip (every browser and most HTTP libraries).

Legal texts compress well: the whole-act reading page of ГК РФ part one is ~1.7 MB of HTML and
travels as a fraction of it; a search answer's JSON shrinks about fourfold. Starlette's
GZipMiddleware does the work (large bodies in a worker thread, streams chunk by chunk, already
compressed types such as dumps, DOCX and images left alone, Vary: Accept-Encoding set).

Not compressed: answers to a signed-in browser (the session cookie). Its pages carry a CSRF
token next to text the request chose (the query shown back), which is what a BREACH attack
needs to read the token from the compressed sizes; anonymous answers hold no secret.
"""
from __future__ import annotations

from starlette.middleware.gzip import DEFAULT_EXCLUDED_CONTENT_TYPES, GZipMiddleware

from .web_session import COOKIE

# zlib level 5: most of level 9's gain for a fraction of its CPU on text
LEVEL = 5
MINIMUM_BYTES = 1024
EXCLUDED = DEFAULT_EXCLUDED_CONTENT_TYPES + (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",   # DOCX: a zip
    "application/x-bzip2", "application/x-xz",
)


class Compression:
    """gzip for anonymous clients that accept it; answers to a session pass as they are."""

    def __init__(self, app):
        self.app = app
        self.gzip = GZipMiddleware(app, minimum_size=MINIMUM_BYTES, compresslevel=LEVEL,
                                   exclude_content_types=EXCLUDED)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or _has_session(scope):
            await self.app(scope, receive, send)
            return
        await self.gzip(scope, receive, send)


def _has_session(scope) -> bool:
    """Whether the request carries the web session's cookie."""
    marker = COOKIE.encode() + b"="
    return any(name == b"cookie" and marker in value for name, value in scope.get("headers", ()))
