"""Hostile inputs: each gives a clear error and leaves the store exactly as it was."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from ingest.load import ingest
from ingest.sources import load_manifest
from ingest.store import open_store

from .conftest import FIXTURES, make_settings

GOOD = (FIXTURES / "tiny_code.html").read_bytes()


def write_manifest(root: Path, files: dict[str, tuple[str, bytes, str | None]]) -> Path:
    """files: key -> (format, bytes, sha256 override)."""
    lines = ['[corpus]', 'root = "corpus"', '']
    for i, (key, (fmt, data, sha)) in enumerate(files.items()):
        name = f"{key}.{ {'etalon-json': 'json', 'akoma-ntoso': 'xml', 'codexesby-xml': 'xml', 'plain-text': 'txt', 'zkonrf-text': 'txt'}.get(fmt, 'html')}"
        (root / "corpus").mkdir(parents=True, exist_ok=True)
        (root / "corpus" / name).write_bytes(data)
        lines += ['[[act]]', f'key = "{key}"', 'jurisdiction = "ru"', 'type = "kodeks"', f'number = "{100 + i}-ФЗ"',
                  'adopted = 2020-01-01', f'title = "Тестовый кодекс {key}"', 'language = "rus"', '',
                  '[[act.expression]]', 'date = 2020-02-01', f'format = "{fmt}"', f'path = "{name}"',
                  f'sha256 = "{sha or hashlib.sha256(data).hexdigest()}"', '']
    (root / "meta").mkdir(exist_ok=True)
    path = root / "meta" / "sources.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def snapshot(store) -> set:
    return set(store.store) if hasattr(store, "store") else set()


@pytest.fixture()
def env(tmp_path):
    settings = make_settings(tmp_path / "var", corpus_root=tmp_path / "corpus")
    store = open_store(settings)
    yield tmp_path, settings, store
    store.close()


def run(tmp_path, settings, store, files, force=False):
    manifest = load_manifest(settings, write_manifest(tmp_path, files))
    return ingest(store, manifest, settings, manifest.acts, force=force, workers=1, progress=lambda m: None)


def test_good_fixture_loads_with_structure(env):
    tmp, settings, store = env
    [rep] = run(tmp, settings, store, {"good": ("pravo-html", GOOD, None)})
    assert rep.status == "loaded" and rep.articles == 4, rep.problems
    rows = store.select('SELECT ?eid ?st WHERE { ?p lexmap:eId ?eid . ?pe eli:realizes ?p ; lexmap:status ?st }')
    status = {r["eid"]: r["st"].rsplit("#")[-1] for r in rows}
    assert status["art_1.1"] == "InForce" and status["art_2"] == "Repealed"
    assert {"art_1__para_2__point_1", "art_1__para_2__point_2", "chp_1"} <= set(status)
    # Re-ingesting the unchanged act does nothing.
    [again] = run(tmp, settings, store, {"good": ("pravo-html", GOOD, None)})
    assert again.status == "unchanged"


def _bad_cases():
    dup = GOOD.replace(b"<p class=\"H\">\xd0\xa1\xd1\x82\xd0\xb0\xd1\x82\xd1\x8c\xd1\x8f 3.",
                       "<p class=\"H\">Статья 1. Повтор</p><p>Другой текст.</p><p class=\"H\">Статья 3.".encode())
    no_text = GOOD.replace("<p>Настоящий Кодекс вступает в силу со дня его опубликования.</p>".encode(), b"")
    return {
        "broken json": ("etalon-json", b'{"id": "x", "children": [ {"type": "ARTICLE", ', None,
                        "JSON is not valid"),
        "duplicate article": ("pravo-html", dup, None, "appears twice"),
        "wrong checksum": ("pravo-html", GOOD + b" ", hashlib.sha256(GOOD).hexdigest(), "checksum mismatch"),
        "shape violation": ("pravo-html", no_text, None, "SHACL: An article, part or point in force has no text"),
        "binary junk": ("pravo-html", bytes(range(256)) * 40, None, "not text"),
        "entity bomb": ("akoma-ntoso", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "xx"><!ENTITY y "&x;&x;&x;&x;">'
                        b']><akomaNtoso><act><body><section><num>1</num><content><p>&y;</p></content></section>'
                        b'</body></act></akomaNtoso>', None, "DTD with entities"),
        "external entity": ("akoma-ntoso", b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
                            b'<akomaNtoso><act><body><section><num>1</num><content><p>&e;</p></content></section>'
                            b'</body></act></akomaNtoso>', None, "DTD with entities"),
        "truncated xml": ("codexesby-xml", b'<document><text><razdel id="1" text="I|x"><article id="1" text="T">',
                          None, "not well-formed"),
        "binary junk as text": ("plain-text", b"\x00\x01\x02" * 500, None, "not text"),
    }


def test_cp1251_source_loads_like_utf8(env):
    tmp, settings, store = env
    [rep] = run(tmp, settings, store, {"cp": ("pravo-html", GOOD.decode("utf-8").encode("cp1251"), None)})
    assert rep.status == "loaded" and rep.articles == 4, rep.problems
    titles = {r["t"] for r in store.select("SELECT ?t WHERE { ?pe eli:title ?t }")}
    assert any("Кодекс" in t or "Статья" in t or t for t in titles)
    assert not any("Ð" in t for t in titles)              # no mojibake in the graph


@pytest.mark.parametrize("case", list(_bad_cases()))
def test_bad_input_fails_clearly_and_leaves_store_unchanged(env, case):
    tmp, settings, store = env
    [first] = run(tmp, settings, store, {"act": ("pravo-html", GOOD, None)})
    assert first.status == "loaded"
    before = snapshot(store)
    assert before
    fmt, data, sha, expected = _bad_cases()[case]
    [rep] = run(tmp, settings, store, {"act": (fmt, data, sha)}, force=True)
    assert rep.status == "failed"
    messages = " | ".join(str(p) for p in rep.errors)
    assert expected in messages, messages
    assert all(p.where for p in rep.errors), "every error says where"
    assert snapshot(store) == before


def test_failing_act_does_not_stop_the_others(env):
    tmp, settings, store = env
    reports = run(tmp, settings, store, {"bad": ("etalon-json", b"[1, 2", None), "good": ("pravo-html", GOOD, None)})
    assert [r.status for r in reports] == ["failed", "loaded"]


def test_duplicate_error_names_file_and_line(env):
    tmp, settings, store = env
    _, data, _, _ = _bad_cases()["duplicate article"]
    [rep] = run(tmp, settings, store, {"dup": ("pravo-html", data, None)})
    err = rep.errors[0]
    assert err.where.startswith("dup.html:") and err.where.split(":")[1].isdigit()
    assert "fix the source file" in err.hint


def test_shacl_engines_agree(env):
    """pyshacl-turbo (default) and pyshacl report the same violations."""
    from rdflib import Literal, URIRef
    from ingest.adapters import get_adapter
    from ingest.identifiers import assign_eids
    from ingest.to_rdf import act_to_graph
    from ingest.validate import validate_graph
    from ontology import ELI, LEXMAP, XSD
    tmp, settings, store = env
    manifest = load_manifest(settings, write_manifest(tmp, {"x": ("pravo-html", GOOD, None)}))
    act = manifest.acts[0]
    doc = get_adapter("pravo-html")(GOOD, "x.html")
    assign_eids(doc)
    ag = act_to_graph(act, act.latest, doc, settings.base_iri, "0" * 64)
    w = URIRef(ag.work_iri)
    g = ag.graph
    g.add((URIRef(f"{w}/art_1"), LEXMAP.sortKey, Literal(999)))                       # two sort keys
    g.add((w, ELI.date_document, Literal("2020-13-45", datatype=XSD.date)))          # invalid date
    g.add((URIRef(f"{ag.expression_iri}/art_3"), LEXMAP.status, URIRef("http://x/bogus")))  # closed list
    g.remove((URIRef(f"{w}/art_3"), LEXMAP.subdivisionKind, None))                     # missing kind
    fast = [(v.focus, v.message) for v in validate_graph(g, ag.origin, "turbo")]
    ref = [(v.focus, v.message) for v in validate_graph(g, ag.origin, "pyshacl")]
    assert sorted(fast) == sorted(ref)
    assert len({m for _, m in fast}) >= 4
