"""A redaction that holds much less than what it replaces is refused (ingest.plausibility):
real sources cut at element and at line boundaries, HTML, JSON, XML and plain text, against
the redaction in the store and against the figures the manifest states; `--accept-shrink`
loads them with a warning; a refused load leaves the store as it was; the default corpus
passes."""
from __future__ import annotations

import hashlib
import json
import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from api.cli import main as cli_main
from ingest import pipeline
from ingest.config import load_settings
from ingest.load import ingest, parse_source
from ingest.mappings.curated import load_curated
from ingest.plausibility import check_plausible, figures_of, last_number
from ingest.sources import load_manifest, read_source
from ingest.store import open_store

from .conftest import make_settings

ACTS = ["ru-sk", "by-kobs", "by-konst"]


def quads(store) -> set:
    return set(store.store)


def articles_in_store(store, settings, key: str, day: str) -> int:
    from ingest.identifiers import expression_iri
    from ingest.plausibility import figures_in_store
    from datetime import date
    act = load_manifest(settings).find(key)
    e = expression_iri(act.work.iri(settings.base_iri), date.fromisoformat(day), act.language)
    return figures_in_store(store, e, "").articles


def manifest_with(settings, tmp: Path, key: str, day: str, data: bytes, figures: bool) -> Path:
    """A copy of the manifest whose redaction `key` `day` is the file `data` (written to tmp),
    with the figures the manifest states for it kept or dropped."""
    manifest = load_manifest(settings, overlay=False)
    [expr] = [e for e in manifest.find(key).expressions if e.date.isoformat() == day]
    path = tmp / f"{key}-{day}-cut{Path(expr.path).suffix}"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    text = settings.manifest.read_text(encoding="utf-8")
    text = text.replace(f'path = "{expr.path}"', f'path = "{path}"').replace(expr.sha256, sha)
    if not figures:
        text = re.sub(rf'(sha256 = "{sha}")\narticles = \d+\n(last_article = "[^"]*"\n)?', r"\1\n", text)
    out = tmp / f"sources-{key}-{day}-{int(figures)}.toml"
    out.write_text(text, encoding="utf-8")
    return out


def source(settings, key: str, day: str) -> bytes:
    manifest = load_manifest(settings, overlay=False)
    [expr] = [e for e in manifest.find(key).expressions if e.date.isoformat() == day]
    return read_source(manifest, expr, settings)


# ---------------------------------------------------------------- the truncations

def cut_at_line(data: bytes, share: float = 0.5) -> bytes:
    """The file up to the last line end before `share` of its bytes."""
    return data[:data.rfind(b"\n", 0, int(len(data) * share)) + 1]


def cut_html_at_article(data: bytes, share: float = 0.5) -> bytes:
    """A pravo.gov.ru page ending right before the article heading nearest to `share` of it,
    closed as a page (an element boundary)."""
    text = data.decode("utf-8")
    starts = [m.start() for m in re.finditer(r'<p class="H">Статья ', text)]
    at = min(starts, key=lambda s: abs(s - len(text) * share))
    return (text[:at] + "</body></html>\n").encode("utf-8")


def cut_json_at_element(data: bytes, keep: int) -> bytes:
    """An eTalon JSON with only its first `keep` sections (whole JSON elements)."""
    tree = json.loads(data)
    tree["children"] = tree["children"][:keep]
    return json.dumps(tree, ensure_ascii=False, indent=2).encode("utf-8")


def cut_xml_at_element(data: bytes, keep: int) -> bytes:
    """A CodexesBY XML with only its first `keep` sections (razdel elements)."""
    root = ET.fromstring(data)
    body = root.find("text")
    for razdel in list(body)[keep:]:
        body.remove(razdel)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="utf-8")


# ---------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def loaded(tmp_path_factory, manifest):
    """(settings, store) with ACTS and their curated mapping set loaded from the real corpus."""
    settings = make_settings(tmp_path_factory.mktemp("plausible"))
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find(k) for k in ACTS], workers=1, progress=lambda m: None)
    assert {r.status for r in reports} == {"loaded"}, [(r.key, r.errors) for r in reports]
    load_curated(store, settings)    # as `lexmap ingest` leaves it: a later run changes nothing else
    yield settings, store
    store.close()


def run_cut(settings, store, tmp: Path, key: str, day: str, data: bytes, figures: bool = False, **kw):
    cut = replace(settings, manifest=manifest_with(settings, tmp, key, day, data, figures), **kw)
    manifest = load_manifest(cut)
    reports = ingest(store, manifest, cut, [manifest.find(key)], workers=1, progress=lambda m: None)
    return {r.date: r for r in reports}[day]


CASES = {
    # (act, redaction, how it is cut, what the message must say)
    "html cut at a line": ("ru-sk", "2023-07-31", cut_at_line, r"177 → \d+ articles; last article 170 → \d+"),
    "html cut at an article": ("ru-sk", "2023-07-31", cut_html_at_article, r"177 → \d+ articles; last article 170 → \d+"),
    "json cut at a section": ("by-kobs", "2019-12-18", lambda d: cut_json_at_element(d, 3), r"245 → \d+ articles"),
    "xml cut at a section": ("by-konst", "2004-10-17", lambda d: cut_xml_at_element(d, 4), r"146 → \d+ articles"),
    "text cut at a line": ("by-konst", "2022-02-27", lambda d: cut_at_line(d, 0.4), r"156 → \d+ articles"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cut_source_is_refused_against_the_store(loaded, tmp_path, case):
    settings, store = loaded
    key, day, cut, said = CASES[case]
    data = cut(source(settings, key, day))
    before = quads(store)
    rep = run_cut(settings, store, tmp_path, key, day, data, figures=False)   # the store alone holds it to account
    assert rep.status == "failed", (case, rep.articles, [str(p) for p in rep.problems])
    [problem] = rep.errors
    assert problem.where == "plausibility" and f"the loaded {day} redaction" in problem.message
    assert re.search(said, problem.message), problem.message
    assert "--accept-shrink" in problem.hint
    assert quads(store) == before


def test_line_cut_xml_and_json_do_not_parse_and_change_nothing(loaded, tmp_path):
    """Cut at a line, XML and JSON are no longer well-formed: refused by the parser, with the place."""
    settings, store = loaded
    before = quads(store)
    for key, day, says in (("by-konst", "2004-10-17", "XML is not well-formed"),
                           ("by-kobs", "2019-12-18", "JSON is not valid")):
        rep = run_cut(settings, store, tmp_path, key, day, cut_at_line(source(settings, key, day)))
        assert rep.status == "failed" and says in rep.errors[0].message, rep.errors
    assert quads(store) == before


def test_the_manifest_figures_refuse_a_cut_source_on_a_fresh_store(tmp_path, manifest):
    """No previous redaction in the store: the figures the manifest states are what it is held to."""
    settings = make_settings(tmp_path / "fresh")
    data = cut_html_at_article(source(settings, "ru-sk", "2023-07-31"))
    store = open_store(settings)
    try:
        rep = run_cut(settings, store, tmp_path, "ru-sk", "2023-07-31", data, figures=True)
        assert rep.status == "failed"
        [problem] = rep.errors
        assert problem.message.startswith("the source holds much less than the figures the manifest states: 177 → ")
        assert quads(store) == set()
    finally:
        store.close()


def test_accept_shrink_loads_the_cut_source_with_a_warning(loaded, tmp_path):
    settings, store = loaded
    own = replace(settings, data_dir=tmp_path / "own")
    store.snapshot(own.store_dir)
    copy = open_store(own)
    try:
        data = cut_json_at_element(source(settings, "by-kobs", "2019-12-18"), 3)
        rep = run_cut(own, copy, tmp_path, "by-kobs", "2019-12-18", data, figures=True, accept_shrink=True)
        assert rep.status == "loaded", rep.errors
        warned = [p for p in rep.problems if p.where == "plausibility"]
        assert len(warned) == 2 and all(p.severity == "warning" and "accepted with --accept-shrink" in p.message
                                        for p in warned)
        assert articles_in_store(copy, own, "by-kobs", "2019-12-18") == rep.articles < 245
    finally:
        copy.close()


def test_the_cli_refuses_then_accepts_with_accept_shrink(loaded, tmp_path, capsys):
    """`lexmap ingest` through a manifest named with --manifest: refused (exit 1, the store as it
    was), then loaded with --accept-shrink."""
    settings, store = loaded
    own = replace(settings, data_dir=tmp_path / "own")
    store.snapshot(own.store_dir)
    copy = open_store(own)
    try:
        data = cut_at_line(source(settings, "ru-sk", "2023-07-31"))
        path = manifest_with(settings, tmp_path, "ru-sk", "2023-07-31", data, figures=True)
        before = quads(copy)
        assert cli_main(["--manifest", str(path), "ingest", "ru-sk"], settings=own, store=copy) == 1
        err = capsys.readouterr().err
        assert re.search(r"the source holds much less than the loaded 2023-07-31 redaction: 177 → \d+ articles; "
                         r"last article 170 → \d+; text 0\.16 M → [\d,]+ characters", err), err
        assert "1 act(s) failed and were left as they were in the store: ru-sk (2023-07-31)" in err
        assert quads(copy) == before
        assert cli_main(["--manifest", str(path), "ingest", "ru-sk", "--accept-shrink"], settings=own, store=copy) == 0
        assert "accepted with --accept-shrink" in capsys.readouterr().err
        assert articles_in_store(copy, own, "ru-sk", "2023-07-31") < 177
    finally:
        copy.close()


def test_validate_reports_the_issue_case_from_the_manifest_figures(tmp_path):
    """The RU Civil Code part 1 of 2023 cut in half at a line: `lexmap validate` used to say ok."""
    settings = make_settings(tmp_path)
    data = cut_at_line(source(settings, "ru-gk-1", "2023-08-04"))
    cut = replace(settings, manifest=manifest_with(settings, tmp_path, "ru-gk-1", "2023-08-04", data, figures=True))
    result = {r.date: r for r in pipeline.validate(cut, ["ru-gk-1"])}["2023-08-04"]
    assert not result.ok
    assert re.search(r"607 → \d{3} articles; last article 453 → \d{3}", result.lines()[1]), result.lines()


def test_the_default_corpus_is_plausible(manifest):
    """Every redaction holds what the manifest states, and none loses too much against the
    earlier redaction of its act (the order a fresh store loads them in)."""
    settings = make_settings(Path("/nonexistent"))
    stated = 0
    for act in manifest.acts:
        previous = None
        for expr in sorted(act.expressions, key=lambda e: e.date):
            doc = parse_source(expr, read_source(manifest, expr, settings))
            figures = figures_of(doc)
            assert check_plausible(previous, doc, expr.expected) == [], (act.key, expr.date)
            if expr.expected:
                stated += 1
                assert (figures.articles, figures.last_article) == (expr.expected.articles, expr.expected.last_article)
            previous = replace(figures, label=f"the {expr.date} redaction")
    assert stated == sum(len(a.expressions) for a in manifest.acts)


def test_repealed_articles_count_as_present():
    """A redaction whose articles were repealed keeps their stubs: no loss."""
    from ingest.model import ParsedDocument, Provision
    from ingest.plausibility import RedactionFigures
    arts = [Provision("article", str(n), text="Текст статьи. " * 10) for n in range(1, 101)]
    for a in arts[40:]:
        a.status, a.text = "repealed", ""
    doc = ParsedDocument(arts)
    full = 100 * len(arts[0].text)
    before = RedactionFigures(100, "100", full, "the loaded redaction", same_redaction=True)
    [problem] = check_plausible(before, doc, None)
    # the articles are all there; the text that went with them is the loss
    assert problem.message.endswith(f"text {full:,} → {full * 40 // 100:,} characters"), problem.message
    # a short act losing a paragraph is an edit, not a cut file
    small = RedactionFigures(100, "100", full * 40 // 100 + 900, "the loaded redaction", same_redaction=True)
    assert check_plausible(small, doc, None) == []


def test_last_article_and_tolerance_setting(monkeypatch):
    assert last_number(["9", "10", "10.1", "2", "I"]) == "10.1"
    assert last_number(["I", "II"]) is None
    monkeypatch.setenv("LEXMAP_SHRINK_TOLERANCE", "0.2")
    assert load_settings().shrink_tolerance == 0.2
    monkeypatch.setenv("LEXMAP_SHRINK_TOLERANCE", "five")
    with pytest.raises(ValueError, match="LEXMAP_SHRINK_TOLERANCE"):
        load_settings()
