"""/openapi.json documents every answer: real answers on the real codes validate against the
models the routes declare (the fuzz test checks the error answers and random inputs)."""
from __future__ import annotations

import pytest

from api import schemas


def _documented(client, path: str, method: str = "get", status: str = "200") -> type:
    ref = client.get("/openapi.json").json()["paths"][path][method]["responses"][status]["content"][
        "application/json"]["schema"]["$ref"]
    return getattr(schemas, ref.rsplit("/", 1)[1])


CASES = [
    ("/acts", "/acts"),
    ("/acts?date=2020-01-01", "/acts"),
    ("/eli/ru/kodeks/1994/51-fz", "/eli/{path}"),
    ("/eli/ru/kodeks/1994/51-fz/art_196", "/eli/{path}"),
    ("/eli/ru/kodeks/2001/197-fz/art_81__para_2", "/eli/{path}"),
    ("/search?q=исковая давность", "/search"),
    ("/search?q=ст. 196 ГК РФ", "/search"),
    ("/resolve?cite=ч. 2 ст. 81 ТК РФ", "/resolve"),
    ("/mappings?source=ru-tk&limit=50", "/mappings"),
    ("/mappings/suggest?source=eli/ru/kodeks/1994/51-fz/art_196&target_act=by-gk", "/mappings/suggest"),
    ("/diff?left=eli/ru/kodeks/1994/51-fz/art_196&right=eli/by/kodeks/1998/218-z/art_197", "/diff"),
    ("/compare?left_act=ru-sk&right_act=by-kobs", "/compare"),
    ("/health", "/health"),
]


@pytest.mark.parametrize("url, path", CASES)
def test_real_answers_match_their_documented_model(client, url, path):
    r = client.get(url)
    assert r.status_code == 200, r.text[:300]
    model = _documented(client, path)
    model.model_validate(r.json())


def test_a_mapping_and_its_history_match_the_model(client):
    first = client.get("/mappings?limit=1").json()["mappings"][0]
    r = client.get(f"/mappings/{first['id']}")
    assert r.status_code == 200 and r.headers["etag"]
    _documented(client, "/mappings/{record_id}").model_validate(r.json())


def test_changes_match_the_model(client):
    acts = {a["eli"]: a for a in client.get("/acts").json()["acts"]}
    several = [a for a in acts.values() if a["redactions"] > 1]
    assert several, "the test store has an act with two redactions"
    reds = client.get("/" + several[0]["eli"]).json()["redactions"]
    r = client.get("/changes", params={"act": several[0]["eli"], "from": reds[0]["date"], "to": reds[-1]["date"]})
    assert r.status_code == 200, r.text[:300]
    _documented(client, "/changes").model_validate(r.json())


def test_every_json_route_documents_a_model(client):
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            ok = op["responses"].get("200") or op["responses"].get("201")
            schema = (ok or {}).get("content", {}).get("application/json", {}).get("schema", {})
            if path.startswith(("/sparql", "/feeds/", "/dumps/")) or path == "/mappings/export":
                continue        # answers in the formats the client asks for (Atom, dump files)
            assert "$ref" in schema, f"{method.upper()} {path} documents no answer model"
