"""The app's JSON answer: orjson, as FastAPI's ORJSONResponse did before it was deprecated.

FastAPI deprecates ORJSONResponse in favour of serialising through a response model; most
routes here return plain dicts built by the services (no response model on the hot paths), so
orjson stays the fastest way to write them (the search answer is written without a
jsonable_encoder walk). Same bytes as ORJSONResponse: non-string keys and numpy values allowed.
"""
from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import JSONResponse


class FastJSONResponse(JSONResponse):
    """application/json written by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
