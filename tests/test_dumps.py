"""Bulk dumps: every file read back with a real parser (pyoxigraph for N-Quads and TriG, sssom
for the TSV, rdflib for JSON-LD and the DCAT catalog), its figures checked against the store
and the catalog, served by GET /dumps with the enum guarding the path, refreshed when stale."""
from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import replace

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from rdflib.namespace import DCAT, RDF

from api import dumps
from api.cli import main as cli
from ingest.query import catalog as q

SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")


@pytest.fixture(scope="module")
def dumped(loaded, tmp_path_factory):
    """(settings, store, state) with the dumps of the loaded store in a data dir of their own."""
    settings, store = loaded
    settings = replace(settings, data_dir=tmp_path_factory.mktemp("dumps"))
    assert cli(["dump"], settings=settings, store=store) == 0
    return settings, store, dumps.state(settings)


def _entry(state, file):
    return next(f for f in state["files"] if f["file"] == file.value)


def test_files_match_their_recorded_size_and_sha256(dumped):
    settings, _, state = dumped
    assert {f["file"] for f in state["files"]} == {f.value for f in dumps.DumpFile} - {"catalog.ttl"}
    for f in state["files"]:
        body = (dumps.directory(settings) / f["file"]).read_bytes()
        assert len(body) == f["bytes"] and hashlib.sha256(body).hexdigest() == f["sha256"]
    assert not list(dumps.directory(settings).glob(".building*"))


def test_quads_and_trig_hold_the_whole_store(dumped):
    settings, store, state = dumped
    per_graph = {r["g"]: int(r["n"]) for r in q.select(store, "triples_per_graph")}
    for file, fmt in ((dumps.DumpFile.nquads, ox.RdfFormat.N_QUADS), (dumps.DumpFile.trig, ox.RdfFormat.TRIG)):
        data = gzip.decompress((dumps.directory(settings) / file.value).read_bytes())
        got = ox.Store()
        got.load(data, format=fmt)
        counts: dict[str, int] = {}
        for quad in got:
            counts[quad.graph_name.value] = counts.get(quad.graph_name.value, 0) + 1
        assert counts == {g: n for g, n in per_graph.items() if g in store.graphs()}
        assert sum(counts.values()) == _entry(state, file)["triples"]
    # one graph per redaction: each redaction IRI is a graph of the TriG
    redactions = {r["e"] for w in ("eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z")
                  for r in q.select(store, "act_sources", work=f"{settings.base_iri}/{w}")}
    assert redactions <= set(counts)


def test_mappings_as_sssom_and_jsonld(dumped):
    settings, store, state = dumped
    from sssom.parsers import parse_sssom_table
    msdf = parse_sssom_table(str(dumps.directory(settings) / dumps.DumpFile.sssom.value))
    n = _entry(state, dumps.DumpFile.sssom)["rows"]
    assert len(msdf.df) == n > 400
    g = Graph().parse(dumps.directory(settings) / dumps.DumpFile.mappings_jsonld.value, format="json-ld")
    axioms = set(g.subjects(Namespace("http://www.w3.org/2002/07/owl#").annotatedSource, None))
    assert len(axioms) == _entry(state, dumps.DumpFile.mappings_jsonld)["rows"] == n


def test_provisions_jsonl(dumped, client):
    settings, _, state = dumped
    lines = gzip.decompress((dumps.directory(settings) / dumps.DumpFile.provisions.value).read_bytes()).splitlines()
    assert len(lines) == _entry(state, dumps.DumpFile.provisions)["rows"]
    rows = [json.loads(x) for x in lines]
    for row in rows[::997]:       # spread over acts and redactions: the same text as the API's
        api = client.get(f"/{row['eli']}", params={"date": row["redaction"]}).json()
        assert api["full_text"] == row["text"] and api["redaction"] == row["redaction"]
        assert hashlib.sha256(row["text"].encode()).hexdigest() == row["sha256"]
    acts = client.get("/acts").json()["acts"]
    ru_gk = next(a for a in acts if a["eli"] == "eli/ru/kodeks/1994/51-fz")
    latest = [r for r in rows if r["act"] == ru_gk["eli"] and r["redaction"] == ru_gk["latest_redaction"]
              and r["status"] == "in_force"]
    assert len(latest) == ru_gk["articles"] or len({r["eli"] for r in latest}) <= ru_gk["articles"]


def test_dcat_catalog_lists_every_file(dumped):
    settings, _, state = dumped
    g = Graph().parse(dumps.directory(settings) / "catalog.ttl", format="turtle")
    cat = next(g.subjects(RDF.type, DCAT.Catalog))
    ds = g.value(cat, DCAT.dataset)
    dists = set(g.objects(ds, DCAT.distribution))
    assert len(dists) == len(state["files"])
    for f in state["files"]:
        d = next(x for x in dists if str(g.value(x, DCAT.downloadURL)).endswith("/dumps/" + f["file"]))
        assert int(g.value(d, DCAT.byteSize)) == f["bytes"]
        checksum = g.value(d, SPDX.checksum)
        assert str(g.value(checksum, SPDX.checksumValue)) == f["sha256"]
        count = g.value(d, VOID.triples) or g.value(d, VOID.entities)
        assert int(count) == f.get("triples", f.get("rows"))


def test_served_with_etag_and_only_by_name(dumped, make_client, loaded):
    settings, store, state = dumped
    with make_client(settings, store) as c:
        listing = c.get("/dumps").json()
        assert listing["stale"] is False and len(listing["files"]) == len(state["files"])
        f = _entry(state, dumps.DumpFile.sssom)
        resp = c.get("/dumps/mappings.sssom.tsv")
        assert resp.status_code == 200 and hashlib.sha256(resp.content).hexdigest() == f["sha256"]
        assert resp.headers["etag"] == f'"{f["sha256"]}"'
        assert c.get("/dumps/mappings.sssom.tsv", headers={"if-none-match": resp.headers["etag"]}).status_code == 304
        assert c.get("/dumps/catalog.ttl").headers["content-type"].startswith("text/turtle")
        for bad in ("state.json", "..%2Fstore", "../api-keys.toml", ".building", "lexmap.nq"):
            r = c.get(f"/dumps/{bad}")
            assert r.status_code in (404, 422) and r.headers["content-type"].startswith("application/problem+json")
    # no dump in the loaded store's own data dir: 404 saying what to do
    with make_client() as c:
        if dumps.state(loaded[0]) is None:
            r = c.get("/dumps/catalog.ttl")
            assert r.status_code == 404 and "lexmap dump" in r.json()["detail"]


def test_refreshed_when_the_data_changes(own_store, tmp_path):
    settings, store = own_store
    assert dumps.refresh(store, settings) is None             # no dump yet: nothing to refresh
    first = dumps.write_all(store, settings)
    assert dumps.refresh(store, settings) is None             # unchanged
    from api import mappings as svc
    ctx = svc.Context(store, settings.base_iri, {})
    m = svc.create_mapping(ctx, {"subject": "eli/ru/kodeks/1994/51-fz/art_2", "object": "eli/by/kodeks/1998/218-z/art_3",
                                 "relation": "intersects_with", "harmonization": "harmonized"},
                           f"{settings.base_iri}/agent/test")
    assert dumps.is_stale(store, settings)
    second = dumps.refresh(store, settings)
    assert second is not None and second["fingerprint"] != first["fingerprint"]
    assert _entry(second, dumps.DumpFile.sssom)["rows"] == _entry(first, dumps.DumpFile.sssom)["rows"] + 1
    assert m["id"] in (dumps.directory(settings) / "mappings.sssom.tsv").read_text(encoding="utf-8")
