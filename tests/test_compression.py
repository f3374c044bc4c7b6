"""Answers travel gzipped to clients that accept it (api/compression.py): pages, JSON and
exports shrink and decode to the very bytes sent without compression; already compressed
types (DOCX) and answers to a signed-in browser (BREACH: a CSRF token beside reflected text)
pass uncompressed."""
from __future__ import annotations

import gzip

import httpx
import pytest

from api import web_session

RU_GK = "eli/ru/kodeks/1994/51-fz"
HTML = {"Accept": "text/html"}


def _raw(client, url: str, **headers) -> httpx.Response:
    """The answer as sent (no transparent decoding by the test client)."""
    with client.stream("GET", url, headers=headers) as r:
        r.body = b"".join(r.iter_raw())
    return r


@pytest.mark.parametrize("url, headers", [
    (f"/read/{RU_GK}", HTML),                       # the whole act on one page
    ("/search?q=исковая%20давность&limit=20", {}),  # JSON
    (f"/{RU_GK}/art_196", HTML),
    ("/mappings?limit=200", {}),
])
def test_gzip_answers_are_smaller_and_decode_to_the_same_bytes(client, url, headers):
    plain = _raw(client, url, **headers, **{"Accept-Encoding": "identity"})
    packed = _raw(client, url, **headers, **{"Accept-Encoding": "gzip"})
    assert plain.status_code == packed.status_code == 200, url
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip" and "accept-encoding" in packed.headers["vary"].lower()
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) / 3, (url, len(packed.body), len(plain.body))
    # the security headers stay on a compressed answer
    assert packed.headers["x-content-type-options"] == "nosniff"


def test_a_whole_code_page_travels_in_a_fraction_of_its_size(client):
    plain = _raw(client, f"/read/{RU_GK}", **HTML, **{"Accept-Encoding": "identity"})
    packed = _raw(client, f"/read/{RU_GK}", **HTML, **{"Accept-Encoding": "gzip"})
    assert len(plain.body) > 500_000            # the whole part one of the Civil Code
    assert len(packed.body) < len(plain.body) / 5


def test_small_answers_and_docx_are_not_compressed(client):
    small = _raw(client, "/health", **{"Accept-Encoding": "gzip"})
    assert small.status_code == 200 and "content-encoding" not in small.headers
    docx = _raw(client, f"/{RU_GK}/art_196?format=docx", **{"Accept-Encoding": "gzip"})
    assert docx.status_code == 200 and docx.headers["content-type"].startswith("application/vnd.openxml")
    assert "content-encoding" not in docx.headers and docx.body[:2] == b"PK"      # a zip already


def test_a_signed_in_browser_gets_uncompressed_pages(client):
    """A session's pages carry a CSRF token beside the query shown back: compressed, their sizes
    would leak the token (BREACH), so they are sent as they are."""
    cookie = {"Cookie": f"{web_session.COOKIE}=anything.signed"}
    r = _raw(client, "/search?q=исковая%20давность", **HTML, **cookie, **{"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and "content-encoding" not in r.headers
    anonymous = _raw(client, "/search?q=исковая%20давность", **HTML, **{"Accept-Encoding": "gzip"})
    assert anonymous.headers.get("content-encoding") == "gzip"
