"""The ingest pipeline end to end on one act pair (RU Family Code, BY Marriage and Family Code):
load, index, curated set; a second run does nothing; a forced run changes no mapping; a
corrupted source leaves the store as it was and is reported with its file and place."""
from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from api.cli import main as cli_main
from ingest import pipeline
from ingest.index.backend import Filters
from ingest.index.indexer import open_backend
from ingest.index.querylang import parse
from ingest.mappings.repository import MappingRepository
from ingest.store import open_store

from .conftest import make_settings

PAIR = ["ru-sk", "by-kobs"]
SET = "ru-sk-by-kobs"


def quads(store) -> set:
    """Everything in the store (an embedded one), to compare before and after."""
    return set(store.store)


def mapping_states(store, settings) -> dict[str, tuple]:
    """record id -> what a mapping says and where it stands."""
    return {m.record_id: (m.subject, m.object, m.relation, m.lifecycle, m.subject_hash, m.object_hash)
            for m in MappingRepository(store, settings.base_iri).list()}


@pytest.fixture(scope="module")
def first(tmp_path_factory, manifest):
    """(settings, store, report, progress lines) after the pair was run into a fresh store."""
    settings = make_settings(tmp_path_factory.mktemp("pipeline"))
    store = open_store(settings)
    said: list[str] = []
    report = pipeline.run(settings, PAIR, store=store, progress=said.append)
    yield settings, store, report, said
    store.close()


def test_first_run_loads_indexes_and_curates(first):
    settings, store, report, said = first
    assert [(r.key, r.status) for r in report.acts] == [("ru-sk", "loaded"), ("by-kobs", "loaded")], report.failures
    assert report.failures == [] and report.exit_code() == 0
    works = {f"{settings.base_iri}/eli/ru/kodeks/1995/223-fz", f"{settings.base_iri}/eli/by/kodeks/1999/278-z"}
    assert set(report.index.acts) == works and report.index.documents > 500
    backend = open_backend(settings)
    try:
        hits = backend.search(parse("брачный возраст"), Filters(), 10)
    finally:
        backend.close()
    assert any(h.doc["iri"].endswith("223-fz/art_13") for h in hits), [h.doc["iri"] for h in hits]
    curated = {r.name: r.status for r in report.curated}
    assert curated.pop(SET) == "loaded" and set(curated.values()) == {"skipped"}   # the other pairs are not loaded
    assert mapping_states(store, settings)
    assert report.stale == []
    assert any(line.startswith("index (tantivy): 2 act(s)") for line in said)
    assert any(line.startswith(f"mappings {SET}: loaded") for line in said)


def test_second_run_is_a_no_op(first, capsys):
    settings, store, _, _ = first
    before = quads(store)
    # through the command, which is one call of the pipeline
    assert cli_main(["ingest", *PAIR], settings=settings, store=store) == 0
    out = capsys.readouterr().out
    assert out.count(" unchanged ") == 2 and "total      " in out and "warning(s)" in out
    assert quads(store) == before
    report = pipeline.run(settings, PAIR, store=store, progress=lambda m: None)
    assert [r.status for r in report.acts] == ["unchanged", "unchanged"]
    assert report.index.acts == {} and report.stale == []
    assert {r.status for r in report.curated} == {"unchanged", "skipped"}


def test_forced_run_with_unchanged_sources_changes_no_mapping(first):
    settings, store, _, _ = first
    before = mapping_states(store, settings)
    report = pipeline.run(settings, PAIR, store=store, force=True, workers=1, progress=lambda m: None)
    assert [r.status for r in report.acts] == ["loaded", "loaded"]
    assert report.stale == []
    assert {r.name: r.status for r in report.curated}[SET] == "unchanged"
    assert mapping_states(store, settings) == before


def test_corrupted_source_leaves_the_store_unchanged(first, manifest, tmp_path):
    settings, store, _, _ = first
    expr = manifest.find("by-kobs").expressions[0]
    good = (settings.corpus_root / expr.path).read_bytes()
    bad = good[:good.rfind(b"\n", 0, len(good) // 2)]          # cut off halfway, on a line end
    (tmp_path / "corpus" / expr.path).parent.mkdir(parents=True)
    (tmp_path / "corpus" / expr.path).write_bytes(bad)
    # the manifest vouches for the corrupted copy, so it reaches the parser
    text = settings.manifest.read_text(encoding="utf-8").replace(expr.sha256, hashlib.sha256(bad).hexdigest())
    (tmp_path / "sources.toml").write_text(text, encoding="utf-8")
    bad_settings = replace(settings, manifest=tmp_path / "sources.toml", corpus_root=tmp_path / "corpus")
    before, mappings, indexed = quads(store), mapping_states(store, settings), _indexed(settings)

    report = pipeline.run(bad_settings, ["by-kobs"], store=store, progress=lambda m: None)

    assert [r.status for r in report.acts] == ["failed"]
    [failure] = report.failures
    assert failure.kind == "act" and failure.name == "by-kobs 2019-12-18" and failure.file == expr.path
    [problem] = failure.problems
    assert f"[{expr.path}]" in problem and "JSON is not valid" in problem and "(line " in problem
    assert report.exit_code() == 1 and report.exit_code(keep_going=True) == 0
    assert report.failure_messages() == [
        "1 act(s) failed and were left as they were in the store: by-kobs (2019-12-18)"]
    assert quads(store) == before and mapping_states(store, settings) == mappings
    assert _indexed(settings) == indexed
    # `lexmap validate` prepares the same way, writing nothing
    [result] = pipeline.validate(bad_settings, ["by-kobs"])
    assert not result.ok and result.lines()[0].startswith(f"by-kobs 2019-12-18: error [{expr.path}]: JSON is not valid")


def test_unknown_act_is_refused_before_anything_runs(first):
    settings, store, _, _ = first
    before = quads(store)
    with pytest.raises(KeyError, match="no act 'xx-none'"):
        pipeline.run(settings, ["ru-sk", "xx-none"], store=store, progress=lambda m: None)
    assert quads(store) == before


def _indexed(settings) -> dict[str, str]:
    backend = open_backend(settings)
    try:
        return backend.indexed()
    finally:
        backend.close()

