"""Clause mappings on the real codes: curated sets, shapes, API writes with keys,
PROV trail, staleness, suggestions, import and export."""
from __future__ import annotations

import csv
import io
import json

import pytest
from rdflib import Graph

from api import auth
from api.cli import main as cli_main
from ingest.mappings.curated import MAPPINGS_DIR, load_curated
from ingest.mappings.evaluate import evaluate, gold_pairs, query_features
from ingest.mappings.model import NO_TERM_FOUND, Mapping
from ingest.mappings.repository import MappingError, MappingRepository
from ingest.mappings.sssom_tsv import MappingFileError, parse
from ingest.mappings.suggest import DEFAULT_WEIGHTS, Suggester
from ontology import LEXMAP

from .conftest import make_settings

B = "https://lexmap.org"
RU_GK, BY_GK = f"{B}/eli/ru/kodeks/1994/51-fz", f"{B}/eli/by/kodeks/1998/218-z"
SETS = sorted(MAPPINGS_DIR.glob("*.sssom.tsv"))


# ------------------------------------------------------------------ curated sets

def test_curated_sets_are_valid_sssom_per_the_schema():
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate
    for path in SETS:
        msdf = parse_sssom_table(str(path))
        report = validate(msdf, [SchemaValidationType.JsonSchema, SchemaValidationType.PrefixMapCompleteness],
                          fail_on_error=False)
        assert all(not r.results for r in report.values()), (path.name, report)
        assert len(msdf.df) > 20


def test_schema_check_catches_a_broken_set(tmp_path):
    from sssom.constants import SchemaValidationType
    from sssom.parsers import parse_sssom_table
    from sssom.validators import validate
    text = SETS[0].read_text().replace("semapv:ManualMappingCuration", "semapv:Guesswork", 1)
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text(text)
    report = validate(parse_sssom_table(str(bad)), [SchemaValidationType.JsonSchema], fail_on_error=False)
    assert any(r.results for r in report.values())


def test_curated_sets_cover_the_asked_scope():
    sets = {p.name: parse(p.read_text(), p.name) for p in SETS}
    allm = [m for s in sets.values() for m in s.mappings]
    assert len(allm) >= 400
    assert all("art_" in m.subject.rsplit("/", 1)[-1] for m in allm)          # article level
    assert {m.relation for m in allm} >= {"equal", "intersects_with", "superset_of", "subset_of", "not_related", None}
    assert sum(m.no_counterpart for m in allm) >= 10
    assert all(m.comment for m in allm if m.relation != "equal"), "a relation other than equal needs a comment"
    assert all(m.lifecycle == "accepted" and m.reviewer for m in allm)
    names = set(sets)
    assert {"ru-gk-by-gk.sssom.tsv", "ru-uk-by-uk.sssom.tsv", "ru-tk-by-tk.sssom.tsv", "ru-sk-by-kobs.sssom.tsv"} <= names


def test_curated_sets_load_and_reload_is_skipped(own_store):
    settings, store = own_store
    repo = MappingRepository(store, settings.base_iri)
    total = sum(len(parse(p.read_text(), p.name).mappings) for p in SETS)
    assert len(repo.list()) >= total
    again = load_curated(store, settings)
    assert {r.status for r in again} == {"unchanged"}


# ------------------------------------------------------------------ shapes

def _mapping(**kw) -> Mapping:
    base = dict(subject=f"{RU_GK}/art_196", object=f"{BY_GK}/art_197", relation="intersects_with",
                harmonization="harmonized", confidence=0.8, author=f"{B}/agent/t", mapping_date="2026-11-22")
    base.update(kw)
    return Mapping(**base)


@pytest.mark.parametrize("changes, message", [
    ({"object": f"{RU_GK}/art_197"}, "same jurisdiction"),
    ({"confidence": 1.5}, "between 0 and 1"),
    ({"lifecycle": "accepted"}, "names its reviewer"),
    ({"object": f"{BY_GK}/art_99999"}, "exists in the store"),
    ({"relation": "similar_to"}, "set relation"),
    ({"harmonization": "almost"}, "harmonization status"),
])
def test_shapes_refuse_bad_mappings(loaded, changes, message):
    settings, store = loaded
    repo = MappingRepository(store, settings.base_iri)
    m = _mapping(**changes)
    violations = repo.validate([m], repo.ends({m.subject, m.object}))
    assert any(message in v.message or message in v.message.lower() for v in violations), violations


def test_shapes_accept_a_good_mapping_and_a_gap(loaded):
    settings, store = loaded
    repo = MappingRepository(store, settings.base_iri)
    ok = [_mapping(), _mapping(object=NO_TERM_FOUND, relation=None, harmonization="divergent"),
          _mapping(object=f"{BY_GK}/art_198", lifecycle="accepted", reviewer=f"{B}/agent/r")]
    assert repo.validate(ok, repo.ends({x for m in ok for x in (m.subject, m.object)})) == []


# ------------------------------------------------------------------ import errors

def test_import_rejects_invalid_tsv_with_line_and_reason(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LEXMAP_DATA_DIR", str(tmp_path / "data"))
    text = SETS[0].read_text()
    lines = text.splitlines()
    first_row = next(i for i, line in enumerate(lines) if not line.startswith("#")) + 1
    cells = lines[first_row].split("\t")
    cells[8] = "высокая"                     # confidence
    lines[first_row] = "\t".join(cells)
    bad = tmp_path / "bad.sssom.tsv"
    bad.write_text("\n".join(lines) + "\n")
    with pytest.raises(MappingFileError) as exc:
        parse(bad.read_text(), str(bad))
    assert f"line {first_row + 1}: confidence 'высокая' is not a number" in str(exc.value)
    assert cli_main(["mappings", "import", str(bad)]) == 1
    assert f"line {first_row + 1}" in capsys.readouterr().err


def test_import_reports_unknown_prefix_and_missing_column():
    with pytest.raises(MappingFileError) as exc:
        parse("#mapping_set_id: x\n#license: y\nsubject_id\tobject_id\nfoo:1\tbar:2\n", "t.tsv")
    assert "missing required column" in str(exc.value)
    head = SETS[0].read_text().split("record_id\t", 1)[0]
    row = SETS[0].read_text().splitlines()
    cols = next(r for r in row if r.startswith("record_id"))
    data = next(r for r in row if r.startswith("lexmapmapping:")).replace("\tru_gk1:", "\tnope:", 1)
    with pytest.raises(MappingFileError) as exc:
        parse(head + cols + "\n" + data + "\n", "t.tsv")
    assert "prefix 'nope'" in str(exc.value)


# ------------------------------------------------------------------ reads

def test_provision_lists_its_counterparts(client):
    c = client
    r = c.get("/eli/ru/kodeks/1994/51-fz/art_196")
    assert r.status_code == 200
    maps = r.json()["mappings"]
    target = [m for m in maps if m["object"] and m["object"]["eli"] == "eli/by/kodeks/1998/218-z/art_197"]
    assert target and target[0]["relation"] == "intersects_with" and target[0]["comment"]
    assert target[0]["author"]["label"] == "lexmap curators" and target[0]["confidence"] > 0


def test_real_counterparts_come_before_not_related(client):
    """СК РФ art. 10 has a reviewed `not_related` row (КоБС art. 10) beside its real counterparts
    (КоБС art. 15, 20): a lawyer reads the counterparts first."""
    maps = client.get("/eli/ru/kodeks/1995/223-fz/art_10").json()["mappings"]
    relations = [m["relation"] for m in maps]
    assert "not_related" in relations and len(set(relations)) > 1
    first_unrelated = relations.index("not_related")
    assert all(r == "not_related" or r is None for r in relations[first_unrelated:]), relations


def test_list_filters(client):
    c = client
    r = c.get("/mappings", params={"source": "ru-sk", "target": "by-kobs", "relation": "not_related"})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] >= 1 and all(m["relation"] == "not_related" for m in body["mappings"])
    gaps = c.get("/mappings", params={"act": "eli/by/kodeks/1999/296-z", "limit": 500}).json()["mappings"]
    assert any(m["no_counterpart"] for m in gaps)
    assert c.get("/mappings", params={"relation": "similar"}).status_code == 400
    assert c.get("/mappings", params={"source": "eli/ru/kodeks/1900/1"}).status_code == 400


# ------------------------------------------------------------------ writes, keys, PROV

def test_writes_need_a_key_with_the_right_role(api):
    c, k = api
    body = {"subject": "eli/ru/kodeks/1994/51-fz/art_200", "object": "eli/by/kodeks/1998/218-z/art_201",
            "relation": "equal", "harmonization": "harmonized", "confidence": 0.9}
    assert c.post("/mappings", json=body).status_code == 401
    assert c.post("/mappings", json=body, headers={"Authorization": "Bearer nope"}).status_code == 401
    assert c.post("/mappings", json=body, headers={"Authorization": f"Bearer {k['reviewer']}"}).status_code == 403
    same = {**body, "object": "eli/ru/kodeks/1994/51-fz/art_201"}
    r = c.post("/mappings", json=same, headers={"Authorization": f"Bearer {k['editor']}"})
    assert r.status_code == 422 and "same jurisdiction" in r.json()["detail"]


def test_create_review_and_history(api):
    c, k = api
    body = {"subject": "eli/ru/kodeks/1994/51-fz/art_202", "object": "eli/by/kodeks/1998/218-z/art_203",
            "relation": "intersects_with", "harmonization": "harmonized", "confidence": 0.7,
            "comment": "приостановление давности: РБ добавляет медиацию"}
    r = c.post("/mappings", json=body, headers={"Authorization": f"Bearer {k['editor']}"})
    assert r.status_code == 201, r.text
    m = r.json()
    assert m["lifecycle"] == "proposed" and m["author"]["label"] == "Иванова И. И." and m["reviewer"] is None
    assert c.post(f"/mappings/{m['id']}/review", json={"decision": "accept"},
                  headers={"Authorization": f"Bearer {k['editor']}"}).status_code == 403
    assert c.post(f"/mappings/{m['id']}/review", json={"decision": "maybe"},
                  headers={"Authorization": f"Bearer {k['reviewer']}"}).status_code == 422
    r = c.post(f"/mappings/{m['id']}/review", json={"decision": "accept", "comment": "сверено"},
               headers={"Authorization": f"Bearer {k['reviewer']}"})
    assert r.status_code == 200 and r.json()["lifecycle"] == "accepted"
    assert r.json()["reviewer"]["iri"].endswith("/agent/petrov")
    hist = c.get(f"/mappings/{m['id']}").json()["history"]
    assert [h["action"] for h in hist] == ["create", "review"]
    assert hist[1]["comment"] == "сверено" and "lifecycle: proposed -> accepted" in hist[1]["changes"]
    gap = c.post("/mappings", json={"subject": "eli/by/kodeks/1998/218-z/art_28", "object": None,
                                    "harmonization": "divergent", "confidence": 0.8},
                 headers={"Authorization": f"Bearer {k['both']}"})
    assert gap.status_code == 201 and gap.json()["no_counterpart"]
    assert c.post("/mappings/doesnotexist/review", json={"decision": "accept"},
                  headers={"Authorization": f"Bearer {k['reviewer']}"}).status_code == 404


def test_writes_persist_across_a_restart_and_staleness(tmp_path, manifest):
    """A small on-disk store: create, reopen, change an end's text -> stale; review confirms it again."""
    from ingest.load import ingest
    from ingest.store import open_store
    settings = make_settings(tmp_path)
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find("ru-konst"), manifest.find("by-konst")],
                     progress=lambda m: None)
    assert all(r.status == "loaded" for r in reports)
    repo = MappingRepository(store, settings.base_iri)
    ru, by = f"{B}/eli/ru/konst/1993/1993-12-12", None
    by = store.select("SELECT ?w WHERE { ?w a lexmap:Act ; lexmap:jurisdiction 'by' }")[0]["w"]
    m = repo.create(Mapping(subject=f"{ru}/art_2", object=f"{by}/art_2", relation="intersects_with",
                            harmonization="harmonized", confidence=0.8, author="x", mapping_date="2026-11-22"),
                    repo.agent_iri("tester"))
    store.close()
    store = open_store(settings)             # a restart
    repo = MappingRepository(store, settings.base_iri)
    again = repo.get(m.record_id)
    assert again is not None and again.lifecycle == "proposed" and again.subject_hash
    assert repo.mark_stale() == []           # nothing changed yet
    expr = repo.ends({again.subject})[again.subject].expression
    store.update(f"""DELETE {{ GRAPH ?g {{ ?pe lexmap:text ?t }} }} INSERT {{ GRAPH ?g {{ ?pe lexmap:text "Изменённый текст статьи."@ru }} }}
                    WHERE {{ GRAPH ?g {{ ?pe eli:realizes <{again.subject}> ; lexmap:text ?t }}
                             FILTER(STRSTARTS(STR(?pe), "{expr}/")) }}""")
    assert repo.mark_stale() == [m.record_id]
    stale = repo.get(m.record_id)
    assert stale.lifecycle == "stale" and stale.stale_from == "proposed"
    assert any("subject text changed" in c for h in repo.history(m.record_id) for c in h["changes"])
    confirmed = repo.review(m.record_id, "accept", repo.agent_iri("reviewer"))
    assert confirmed.lifecycle == "accepted" and repo.mark_stale() == []
    with pytest.raises(MappingError):
        repo.create(Mapping(subject=f"{ru}/art_2", object=f"{ru}/art_3", relation="equal",
                            harmonization="unified", confidence=0.8, author="x", mapping_date="2026-11-22"),
                    repo.agent_iri("tester"))
    store.close()


# ------------------------------------------------------------------ suggestions

def test_suggest_finds_the_counterpart_with_evidence(client):
    c = client
    r = c.get("/mappings/suggest", params={"source": "eli/ru/kodeks/1994/51-fz/art_196",
                                           "target_act": "eli/by/kodeks/1998/218-z", "limit": 5})
    assert r.status_code == 200
    cands = r.json()["candidates"]
    assert cands[0]["iri"].endswith("/218-z/art_197") and cands[0]["title"] == "Общий срок исковой давности"
    ev = cands[0]["evidence"]
    assert {"text", "title", "position", "chapter", "shared_lemmas"} <= set(ev) and "давность" in ev["shared_lemmas"]
    assert [x["score"] for x in cands] == sorted((x["score"] for x in cands), reverse=True)
    assert c.get("/mappings/suggest", params={"source": "eli/ru/kodeks/1994/51-fz/art_196",
                                              "target_act": "eli/ru/kodeks/2001/197-fz"}).status_code == 400


def test_suggestions_find_counterparts_of_curated_pairs(loaded):
    """Leave-one-out anchors on the criminal and family sets (the hand-written ones)."""
    settings, store = loaded
    sug = Suggester(store)
    for name in ("ru-uk-by-uk", "ru-sk-by-kobs"):
        mset = parse((MAPPINGS_DIR / f"{name}.sssom.tsv").read_text(), name)
        model = sug.pair(str(mset.meta["subject_source"]), str(mset.meta["object_source"]))
        gold = gold_pairs(mset.mappings, model.source, model.target)
        r = evaluate(model, gold, query_features(model, sorted(gold), gold), DEFAULT_WEIGHTS)
        assert r.recall5 >= 0.85 and r.top1 >= 0.7, (name, r.top1, r.recall5, r.misses)


# ------------------------------------------------------------------ export

def test_export_formats_round_trip(client):
    c = client
    params = {"source_act": "ru-sk", "target_act": "by-kobs"}
    tsv = c.get("/mappings/export", params={**params, "format": "sssom"})
    assert tsv.status_code == 200 and tsv.headers["content-type"].startswith("text/tab-separated-values")
    back = parse(tsv.text, "export")
    curated_ids = {m.record_id for m in parse((MAPPINGS_DIR / "ru-sk-by-kobs.sssom.tsv").read_text(), "x").mappings}
    assert curated_ids <= {m.record_id for m in back.mappings}
    rows = list(csv.DictReader(io.StringIO(c.get("/mappings/export", params={**params, "format": "csv"}).text)))
    assert len(rows) == len(back.mappings) and rows[0]["subject"].startswith(B)
    g = Graph().parse(data=c.get("/mappings/export", params={**params, "format": "ttl"}).text, format="turtle")
    assert len(set(g.subjects(None, LEXMAP.Mapping))) == len(back.mappings)
    jl = c.get("/mappings/export", params={**params, "format": "jsonld"}).text
    assert json.loads(jl)
    from rdflib.compare import isomorphic
    assert isomorphic(Graph().parse(data=jl, format="json-ld"), g)       # the same triples in both formats
    assert c.get("/mappings/export", params={"format": "xlsx"}).status_code == 422


def test_cli_keys_and_export(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEXMAP_API_KEYS", str(tmp_path / "k.toml"))
    assert cli_main(["keys", "add", "ann", "--role", "reviewer", "--label", "Ann"]) == 0
    key = capsys.readouterr().out.strip()
    assert key.startswith("lmk_") and key not in (tmp_path / "k.toml").read_text()
    assert auth.authenticate(tmp_path / "k.toml", key, "reviewer").name == "ann"
    with pytest.raises(auth.AuthError):
        auth.authenticate(tmp_path / "k.toml", key, "editor")
    assert cli_main(["keys", "revoke", "ann"]) == 0
    with pytest.raises(auth.AuthError):
        auth.authenticate(tmp_path / "k.toml", key, "reviewer")
