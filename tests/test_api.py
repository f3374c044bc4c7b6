"""HTTP API over a store loaded from the real corpus."""
from __future__ import annotations

import json

import pytest

from api.cli import main as cli_main
from .conftest import API_ACTS


def test_acts_filtered_by_jurisdiction(client):
    by = client.get("/acts", params={"jurisdiction": "by"}).json()["acts"]
    assert {a["eli"] for a in by} == {"eli/by/konst/1994/1994-03-15", "eli/by/kodeks/1998/218-z",
                                      "eli/by/kodeks/1999/296-z", "eli/by/kodeks/1999/275-z",
                                      "eli/by/kodeks/1999/278-z"}
    gk = next(a for a in by if a["number"] == "218-З")
    assert gk["articles"] == 1164 and gk["latest_redaction"] == "2019-12-18"
    assert client.get("/acts", params={"jurisdiction": "RUS"}).status_code == 422


def test_article_by_identifier(client):
    r = client.get("/eli/ru/kodeks/1994/51-fz/art_196")
    assert r.status_code == 200
    data = r.json()
    assert data["label"] == "Статья 196" and data["title"] == "Общий срок исковой давности"
    assert [c["eid"] for c in data["children"]] == ["art_196__para_1", "art_196__para_2"]
    assert [b.get("eid") for b in data["breadcrumb"]][1:] == ["sec_1", "sec_1__subsec_5", "chp_12"]
    assert "Общий срок исковой давности составляет три года" in data["full_text"]


def test_superscript_article_and_part(client):
    data = client.get("/eli/by/kodeks/1998/218-z/art_910.1").json()
    assert data["label"] == "Статья 910¹"
    part = client.get("/eli/ru/kodeks/2001/197-fz/art_81__para_1__point_2").json()
    assert part["kind"] == "point" and part["text"].startswith("сокращения численности")


def test_act_resolves_with_contents(client):
    data = client.get("/eli/ru/konst/1993/1993-12-12").json()
    assert data["kind"] == "act" and data["redaction"] == "2022-10-04"
    assert data["contents"][0]["eid"] == "preamble_1"
    assert data["redactions"][0]["sha256"].startswith("77b7ccd7ca415072")


@pytest.mark.parametrize("accept, media, marker", [
    ("text/turtle", "text/turtle", "eli:realizes"),
    ("application/ld+json", "application/ld+json", '"@context"'),
])
def test_content_negotiation(client, accept, media, marker):
    r = client.get("/eli/ru/kodeks/1994/51-fz/art_196", headers={"Accept": accept})
    assert r.status_code == 200 and r.headers["content-type"].startswith(media)
    assert marker in r.text and "art_196" in r.text


def test_errors_are_problem_json(client):
    for url, status in [("/eli/ru/kodeks/1994/51-fz/art_9999", 404), ("/eli/ru/kodeks/1994/999-fz", 404),
                        ("/eli/ru/kodeks/19x4/51-fz", 400), ("/eli/ru/kodeks/1994/51-fz?date=yesterday", 400)]:
        r = client.get(url)
        assert r.status_code == status, url
        assert r.headers["content-type"].startswith("application/problem+json")
        body = r.json()
        assert body["status"] == status and body["detail"]


def test_sparql_select_and_updates_refused(client):
    q = "PREFIX eli: <http://data.europa.eu/eli/ontology#> SELECT (COUNT(DISTINCT ?a) AS ?n) WHERE { ?a a eli:LegalResource }"
    r = client.get("/sparql", params={"query": q})
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/sparql-results+json")
    assert int(r.json()["results"]["bindings"][0]["n"]["value"]) == len(API_ACTS)
    r = client.post("/sparql", content=q, headers={"Content-Type": "application/sparql-query", "Accept": "text/csv"})
    assert r.status_code == 200 and r.text.splitlines()[1] == str(len(API_ACTS))
    for bad in ["INSERT DATA { <a:b> <a:c> <a:d> }", "PREFIX x: <a:>\nDROP ALL"]:
        r = client.get("/sparql", params={"query": bad})
        assert r.status_code == 403 and "read-only" in r.json()["detail"]
    r = client.post("/sparql", data={"update": "CLEAR ALL"})
    assert r.status_code == 403
    assert client.get("/sparql", params={"query": "SELEKT nothing"}).status_code == 400


def test_openapi_and_page(client):
    assert "/eli/{path}" in client.get("/openapi.json").json()["paths"]
    page = client.get("/", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Гражданский кодекс Республики Беларусь" in page.text
    html = client.get("/eli/ru/kodeks/1994/51-fz/art_196", headers={"Accept": "text/html"})
    assert "Общий срок исковой давности" in html.text and "Глава 12" in html.text


def test_cli_show_and_stats(loaded, capsys):
    settings, store = loaded
    # The session store holds the write lock: lend it to the CLI (which then leaves it open).
    cli = lambda argv: cli_main(argv, settings=settings, store=store)  # noqa: E731
    assert cli(["show", "eli/ru/kodeks/1994/51-fz/art_196"]) == 0
    out = capsys.readouterr().out
    assert "Статья 196. Общий срок исковой давности" in out and "Глава 12" in out
    assert cli(["show", "eli/ru/kodeks/1994/51-fz/art_0"]) == 2
    assert cli(["stats", "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["acts"] == len(API_ACTS) and stats["articles"] > 3000
    assert store.ask("ASK { ?s ?p ?o }")     # still open
