"""Static files: the page's stylesheet and the API docs (Swagger UI) served from packages.

Swagger UI comes from the fastapi-offline wheel, so /docs works without internet and
without inline script (the page's Content-Security-Policy forbids it).
"""
from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

WEB_STATIC = Path(__file__).resolve().parent / "web" / "static"
SWAGGER_STATIC = Path(fastapi_offline.__file__).resolve().parent / "static"

_DOCS_HTML = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lexmap API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/swagger/swagger-ui.css">
<link rel="icon" href="/static/swagger/favicon.png"></head>
<body><div id="swagger-ui"></div>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script src="/static/docs-init.js"></script>
</body></html>"""


def install(app: FastAPI) -> None:
    """Mount /static (stylesheet, docs script), /static/swagger (Swagger UI) and /docs."""
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_STATIC), name="swagger")
    app.mount("/static", StaticFiles(directory=WEB_STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(_DOCS_HTML)
