"""The web page served by the same app: search with permanent URLs, citations, provision pages
with their counterparts and redactions (server-rendered HTML, read without a browser)."""
from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def client(curated_client):
    return curated_client


def test_search_page_has_results_snippets_and_pages(client):
    r = client.get("/", params={"q": "исковая давность", "jurisdiction": "by"})
    assert r.status_code == 200
    assert "<mark>" in r.text and "/eli/by/kodeks/1998/218-z/art_" in r.text
    assert "дальше →" in r.text and 'value="исковая давность"' in r.text


def test_bare_citation_goes_straight_to_the_provision(client):
    r = client.get("/", params={"q": "ст. 196 ГК РФ"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/eli/ru/kodeks/1994/51-fz/art_196"


def test_bad_query_is_shown_not_a_500(client):
    r = client.get("/", params={"q": '"незакрытая кавычка'})
    assert r.status_code == 200 and 'class="error"' in r.text


def test_provision_page_shows_counterparts_and_redactions(client):
    r = client.get("/eli/ru/kodeks/1994/51-fz/art_196", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "Соответствия" in r.text and 'href="/eli/by/kodeks/1998/218-z/art_197"' in r.text
    assert "intersects_with" in r.text and "lexmap curators" in r.text
    assert 'href="?date=2016-07-03"' in r.text and 'type="date"' in r.text
    old = client.get("/eli/ru/kodeks/1994/51-fz/art_141.1", params={"date": "2017-01-01"},
                     headers={"Accept": "text/html"})
    assert "В этой редакции статьи нет" in old.text
