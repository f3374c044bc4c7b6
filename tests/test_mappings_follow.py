"""Mappings follow their texts, and local sources are a supported feature (issue 22).

The RU Family Code and the BY Marriage and Family Code with their curated set, loaded from the
real corpus; then a newer RU redaction the user "downloaded" (a modified copy of the real page:
art. 13 reworded, art. 14 gone, art. 15 reworded) is recorded with `lexmap sources add` and
ingested: the mappings on those articles become stale with the reason, none else does; a
reviewer confirms one; a forced re-ingest with unchanged sources changes no mapping; a re-load
of the curated set keeps every state reached since and brings its own changes in through the
trail. `lexmap sources update` replaces the file of an existing redaction; a bad file is refused
with the reason and the overlay stays as it was; the official manifest is never written."""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from api.cli import main as cli_main
from ingest import pipeline
from ingest.mappings.curated import MAPPINGS_DIR, load_curated
from ingest.mappings.repository import MappingRepository
from ingest.query import catalog as q
from ingest.query.rows import Redaction
from ingest.sources import load_manifest, overlay_path
from ingest.store import open_store

from .conftest import make_settings

PAIR = ["ru-sk", "by-kobs"]
SET = "ru-sk-by-kobs"
NEW = "2024-01-01"
# curated mappings of the set, by their RU article
ART13, ART14, ART15, ART12 = "2d12768fa9c41a8b", "fe5c1db930e32fdc", "5f4f3f221ad26379", "e44635c09e6f0df5"


def states(repo: MappingRepository) -> dict[str, tuple]:
    """record id -> everything a mapping says and where it stands, with the length of its trail."""
    return {m.record_id: (m.lifecycle, m.stale_from, m.reviewer, m.subject_hash, m.object_hash, m.subject_version,
                          m.object_version, m.comment, m.relation, len(repo.history(m.record_id)))
            for m in repo.list()}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def newer_ru_redaction(settings, tmp: Path) -> Path:
    """The real RU Family Code page, as a 'newer redaction': art. 13 reworded, art. 14 removed,
    art. 15 reworded."""
    manifest = load_manifest(settings, overlay=False)
    text = (manifest.corpus_root / manifest.find("ru-sk").latest.path).read_text(encoding="utf-8")
    assert text.count("Брачный возраст устанавливается в восемнадцать лет.") == 1
    text = text.replace("Брачный возраст устанавливается в восемнадцать лет.",
                        "Брачный возраст устанавливается в семнадцать лет.")
    start = text.index('<p class="H">Статья 14. ')
    text = text[:start] + text[text.index('<p class="H">Статья 15. '):]
    assert text.count("составляют врачебную тайну") == 1
    text = text.replace("составляют врачебную тайну", "составляют тайну")
    path = tmp / "downloads" / "sk-2024.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """(settings, store, tmp) after the pair and its curated set were run into a fresh store and
    a newer RU redaction was recorded with `lexmap sources add` and ingested."""
    tmp = tmp_path_factory.mktemp("follow")
    settings = make_settings(tmp / "var")
    official = sha(settings.manifest)
    store = open_store(settings)
    report = pipeline.run(settings, PAIR, store=store, workers=1, progress=lambda m: None)
    assert report.failures == [] and {r.name: r.status for r in report.curated}[SET] == "loaded"
    repo = MappingRepository(store, settings.base_iri)
    assert {repo.get(x).lifecycle for x in (ART12, ART13, ART14, ART15)} == {"accepted"}
    path = newer_ru_redaction(settings, tmp)
    assert cli_main(["sources", "add", "ru-sk", "--file", str(path), "--date", NEW], settings=settings) == 0
    assert cli_main(["ingest", "ru-sk"], settings=settings, store=store) == 0
    assert sha(settings.manifest) == official
    yield settings, store, tmp
    store.close()


def test_added_redaction_is_listed_and_loaded(world, capsys):
    settings, store, tmp = world
    capsys.readouterr()
    assert cli_main(["sources", "list", "ru-sk"], settings=settings) == 0
    out = capsys.readouterr().out
    assert re.search(rf"{NEW}  pravo-html\s+local\s+{re.escape(str(tmp / 'downloads' / 'sk-2024.html'))}", out), out
    assert str(overlay_path(settings)) in out
    act = load_manifest(settings).find("ru-sk")
    dates = [r.d[:10] for r in q.select(store, "act_redactions", Redaction, work=act.work.iri(settings.base_iri))]
    assert dates == [NEW, "2023-07-31"]


def test_mappings_on_changed_or_missing_texts_are_stale_with_the_reason(world):
    settings, store, _ = world
    repo = MappingRepository(store, settings.base_iri)
    stale = {m.record_id for m in repo.list() if m.lifecycle == "stale"}
    assert stale == {ART13, ART14, ART15}
    new_expr = f"{settings.base_iri}/eli/ru/kodeks/1995/223-fz/{NEW}/rus"
    reasons = {x: repo.history(x)[-1]["changes"] for x in stale}
    assert f"subject text changed (now {new_expr})" in reasons[ART13]
    assert (f"subject has no text in the latest redaction of its act ({new_expr}): it is absent there"
            in reasons[ART14])
    assert all("lifecycle: accepted -> stale" in r for r in reasons.values())
    assert repo.get(ART12).lifecycle == "accepted"


def test_forced_reingest_and_curated_reload_keep_what_happened_since(world, tmp_path):
    settings, store, _ = world
    repo = MappingRepository(store, settings.base_iri)
    # a reviewer confirms one stale mapping on the new text
    repo.review(ART15, "accept", repo.agent_iri("petrov"), "п. 2 по-прежнему соответствует", "Петров П. П.")
    before = states(repo)
    assert before[ART15][:3] == ("accepted", None, repo.agent_iri("petrov"))

    # a forced re-ingest with the same sources changes no mapping, not even its trail
    report = pipeline.run(settings, PAIR, store=store, force=True, workers=1, progress=lambda m: None)
    assert {r.status for r in report.acts} == {"loaded"} and report.stale == []
    assert states(repo) == before

    # the curated file changes: the stale mapping's row and an untouched mapping's row get new comments
    rows = (MAPPINGS_DIR / f"{SET}.sssom.tsv").read_text(encoding="utf-8").split("\n")
    assert next(r for r in rows if r.startswith("record_id\t")).split("\t")[-6] == "comment"
    for i, line in enumerate(rows):
        if line.startswith((f"lexmapmapping:{ART13}\t", f"lexmapmapping:{ART12}\t")):
            cells = line.split("\t")
            cells[-6] += " (уточнено)"
            rows[i] = "\t".join(cells)
    edited = tmp_path / f"{SET}.sssom.tsv"
    edited.write_text("\n".join(rows), encoding="utf-8")
    [rep] = load_curated(store, settings, paths=[edited])
    assert rep.status == "loaded" and rep.violations == []
    assert (rep.updated, rep.proposed) == (1, 1), rep
    after = states(repo)
    # the stale mapping whose row changed comes in as a new proposal, recorded in its trail
    m13 = repo.get(ART13)
    assert m13.lifecycle == "proposed" and m13.comment.endswith("(уточнено)")
    last = repo.history(ART13)[-1]
    assert last["action"] == "curated edit" and "lifecycle: stale -> proposed" in last["changes"]
    # the mapping untouched since its import follows its file, as an import in the trail
    assert repo.get(ART12).lifecycle == "accepted" and repo.get(ART12).comment.endswith("(уточнено)")
    assert repo.history(ART12)[-1]["action"] == "import"
    # the confirmed and the stale ones whose rows did not change keep their state and trail
    assert after[ART15] == before[ART15] and after[ART14] == before[ART14]
    assert {k: v for k, v in after.items() if k not in (ART12, ART13)} == {
        k: v for k, v in before.items() if k not in (ART12, ART13)}


def test_update_replaces_the_file_of_an_existing_redaction(world, capsys):
    settings, store, tmp = world
    manifest = load_manifest(settings)
    expr = manifest.find("by-kobs").latest
    tree = json.loads((manifest.corpus_root / expr.path).read_bytes())
    changed = _reword_first_text(tree, "Статья 17")
    path = tmp / "downloads" / "kobs-corrected.json"
    path.write_text(json.dumps(tree, ensure_ascii=False, indent=2), encoding="utf-8")
    assert cli_main(["sources", "update", "by-kobs", "--file", str(path)], settings=settings) == 0
    assert "recorded in" in capsys.readouterr().out
    entry = [e for e in load_manifest(settings).find("by-kobs").expressions if e.date == expr.date]
    assert len(entry) == 1 and entry[0].local and entry[0].sha256 == sha(path)
    assert entry[0].expected == expr.expected           # the same redaction holds the same articles
    assert changed
    report = pipeline.run(settings, ["by-kobs"], store=store, workers=1, progress=lambda m: None)
    assert [r.status for r in report.acts] == ["loaded"]
    rows = q.select(store, "act_sources", work=f"{settings.base_iri}/eli/by/kodeks/1999/278-z")
    assert [r.get("sha") for r in rows] == [sha(path)]
    assert report.stale == [ART12]                      # RU art. 12 ↔ BY art. 17: the one reworded
    repo = MappingRepository(store, settings.base_iri)
    flagged = [h for h in repo.history(ART12) if h["action"] == "stale check"]
    assert f"object text changed (now {settings.base_iri}/eli/by/kodeks/1999/278-z/2019-12-18/rus)" in flagged[-1]["changes"]


def _reword_first_text(node: dict, title_start: str) -> bool:
    """Reword the first paragraph text under the article whose title starts so; whether it did."""
    for child in node.get("children", []):
        if str(child.get("title", "")).startswith(title_start) or str(child.get("text", "")).startswith(title_start):
            for sub in child.get("children", []):
                if sub.get("text"):
                    sub["text"] = sub["text"] + " (в редакции пользователя)"
                    return True
        if _reword_first_text(child, title_start):
            return True
    return False


@pytest.mark.parametrize("args, says", [
    (["sources", "add", "ru-sk", "--file", "{junk}", "--date", "2025-01-01"], "not text"),
    (["sources", "add", "ru-sk", "--file", "{missing}", "--date", "2025-01-01"], "no such file"),
    (["sources", "add", "ru-sk", "--file", "{good}"], "a new redaction needs its date"),
    (["sources", "add", "ru-sk", "--file", "{good}", "--date", "2023-07-31"], "has a redaction dated 2023-07-31 already"),
    (["sources", "update", "ru-sk", "--file", "{good}", "--date", "2020-01-01"], "has no redaction dated 2020-01-01"),
    (["sources", "add", "xx-none", "--file", "{good}", "--date", "2025-01-01"], "no act 'xx-none'"),
    (["sources", "add", "ru-sk", "--file", "{good}", "--date", "2025-01-01", "--format", "nonsense"],
     "no adapter for format 'nonsense'"),
    (["sources", "add", "ru-sk", "--file", "{good}", "--date", "2025-01-01", "--format", "etalon-json"],
     "JSON is not valid"),
])
def test_bad_source_is_refused_and_the_overlay_untouched(world, capsys, args, says):
    settings, _, tmp = world
    junk = tmp / "downloads" / "junk.html"
    junk.write_bytes(bytes(range(256)) * 40)
    files = {"junk": junk, "missing": tmp / "downloads" / "nope.html", "good": tmp / "downloads" / "sk-2024.html"}
    before = overlay_path(settings).read_bytes()
    capsys.readouterr()
    assert cli_main([a.format(**files) for a in args], settings=settings) == 2
    err = capsys.readouterr().err
    assert says in err, err
    assert overlay_path(settings).read_bytes() == before


def test_overlay_naming_an_unknown_act_is_a_clear_error(tmp_path):
    settings = make_settings(tmp_path)
    overlay_path(settings).parent.mkdir(parents=True, exist_ok=True)
    overlay_path(settings).write_text('[[source]]\nact = "xx"\ndate = 2024-01-01\nfile = "/x"\nsha256 = "ab"\n'
                                      'format = "pravo-html"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"names act 'xx'.*lexmap sources remove xx --date 2024-01-01"):
        load_manifest(settings)
    assert cli_main(["sources", "remove", "xx", "--date", "2024-01-01"], settings=settings) == 0
    assert load_manifest(settings).overlay is not None


def test_the_page_says_it_in_russian(world):
    """The stale notice names the previous state in Russian (it printed the code: "(accepted)"),
    and source defects read in Russian."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from api.templating import DEFECT_RU
    from ingest.index.indexer import open_backend
    settings, store, _ = world
    backend = open_backend(settings)
    try:
        with TestClient(create_app(settings, store, backend)) as client:
            html = client.get("/eli/ru/kodeks/1995/223-fz/art_14", headers={"Accept": "text/html"}).text
            assert "В этой редакции такой статьи нет." in html
            notice = re.search(r'<span class="badge stale">устарело</span><br><span class="note">([^<]+)</span>', html)
            assert notice, html[html.find("counterparts"):][:2000]
            assert notice.group(1) == ("текст одной из статей изменился или исчез в новой редакции "
                                       "(до этого: принято); нужна повторная проверка")
            assert "(accepted)" not in html and "stale" not in re.sub(r'class="[^"]*"', "", html)
            html = client.get("/eli/by/kodeks/1999/278-z/sec_7", headers={"Accept": "text/html"}).text
            defects = re.findall(r'<p class="note">Дефект источника: ([^<]+)</p>', html)
            assert defects and all(d in DEFECT_RU.values() for d in defects), defects
    finally:
        backend.close()


def test_every_defect_the_adapters_record_has_a_russian_label():
    """A defect written by an adapter without a Russian label would reach the page in English."""
    import ast

    from api.templating import DEFECT_RU
    from ingest.config import PROJECT_ROOT
    written = set()
    for path in sorted((PROJECT_ROOT / "ingest").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # module constants (MISSING_LIST = "…") stand for their text where a defect is written by name
        named = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                 and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                 for t in n.targets if isinstance(t, ast.Name)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "defects"
                    and node.args):
                arg = node.args[0]
                if isinstance(arg, ast.Constant):
                    written.add(arg.value)
                elif isinstance(arg, ast.Name):
                    assert arg.id in named, f"{path.name}: defect {arg.id} is not a module constant"
                    written.add(named[arg.id])
    assert len(written) >= 8 and written <= set(DEFECT_RU), sorted(written - set(DEFECT_RU))
