"""Content negotiation: which representation a request asks for."""
from __future__ import annotations

from fastapi import Request


def negotiate(accept: str) -> str:
    """The format an Accept header asks for: ttl, jsonld, akn, html or json (the default)."""
    accept = accept.lower()
    if "text/turtle" in accept:
        return "ttl"
    if "application/ld+json" in accept:
        return "jsonld"
    if "application/akn+xml" in accept:
        return "akn"
    if "text/html" in accept and "application/json" not in accept:
        return "html"
    return "json"


def wants_html(request: Request, fmt: str | None) -> bool:
    """format=html, or no format and a browser's Accept (text/html before JSON)."""
    if fmt:
        return fmt == "html"
    return negotiate(request.headers.get("accept", "")) == "html"
