"""Reviews are decided once and only from `proposed` or `stale`: racing reviews, re-reviews,
If-Match against stale reads, the page's form, and re-loads of the curated sets that must
not write over a later review or stale flag (the PROV trail decides)."""
from __future__ import annotations

import re
import threading

import pytest
from fastapi.testclient import TestClient

from ingest.mappings.curated import MAPPINGS_DIR, load_curated
from ingest.mappings.model import NO_TERM_FOUND, Mapping
from ingest.mappings.repository import MappingRepository, ReviewConflict

from .conftest import make_settings

B = "https://lexmap.org"
BY_GK = f"{B}/eli/by/kodeks/1998/218-z"
SK_SET = "ru-sk-by-kobs"
ROUNDS = 10


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _proposed(store, settings, article: int) -> str:
    """A new `proposed` mapping by ivanova (a gap: no counterpart, so no suggester anchor)."""
    repo = MappingRepository(store, settings.base_iri)
    m = repo.create(Mapping(subject=f"{BY_GK}/art_{article}", object=NO_TERM_FOUND, relation=None,
                            harmonization="divergent", confidence=0.6, author="x", mapping_date="2026-11-22"),
                    repo.agent_iri("ivanova"))
    return m.record_id


def _lifecycle_changes(history: list[dict]) -> list[str]:
    return [c for h in history for c in h["changes"] if c.startswith("lifecycle:")]


def _state(repo: MappingRepository) -> set[tuple[str, str, str | None]]:
    return {(m.record_id, m.lifecycle, m.reviewer) for m in repo.list()}


# ------------------------------------------------------------------ API

def test_racing_accept_and_reject_one_wins(api, own_store):
    c, k = api
    settings, store = own_store
    for i in range(ROUNDS):
        rid = _proposed(store, settings, 400 + i)
        barrier, answers = threading.Barrier(2), {}

        def review(decision: str, key: str) -> None:
            barrier.wait()
            answers[decision] = c.post(f"/mappings/{rid}/review", json={"decision": decision}, headers=_bearer(key))

        threads = [threading.Thread(target=review, args=("accept", k["reviewer"])),
                   threading.Thread(target=review, args=("reject", k["both"]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in answers.values())
        assert codes == [200, 409], (i, {d: (r.status_code, r.text[:300]) for d, r in answers.items()})
        won = next(r for r in answers.values() if r.status_code == 200).json()
        lost = next(r for r in answers.values() if r.status_code == 409)
        assert lost.headers["content-type"].startswith("application/problem+json")
        assert lost.json()["lifecycle"] == won["lifecycle"]
        now = c.get(f"/mappings/{rid}").json()
        assert now["lifecycle"] == won["lifecycle"]
        assert _lifecycle_changes(now["history"]) == [f"lifecycle: proposed -> {won['lifecycle']}"]


def test_accepted_and_curated_mappings_are_not_reviewed_again(api, own_store):
    c, k = api
    settings, store = own_store
    rid = _proposed(store, settings, 420)
    assert c.post(f"/mappings/{rid}/review", json={"decision": "accept"}, headers=_bearer(k["reviewer"])).status_code == 200
    again = c.post(f"/mappings/{rid}/review", json={"decision": "reject"}, headers=_bearer(k["both"]))
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    problem = again.json()
    assert problem["lifecycle"] == "accepted" and problem["reviewer"].endswith("/agent/petrov")
    assert "accepted" in problem["detail"] and "Петров П. П." in problem["detail"]
    assert c.get(f"/mappings/{rid}").json()["lifecycle"] == "accepted"
    repo = MappingRepository(store, settings.base_iri)
    cur = next(m for m in repo.list() if m.lifecycle == "accepted" and m.mapping_set.endswith(f"/{SK_SET}"))
    before = c.get(f"/mappings/{cur.record_id}").json()
    r = c.post(f"/mappings/{cur.record_id}/review", json={"decision": "reject"}, headers=_bearer(k["reviewer"]))
    assert r.status_code == 409 and "lexmap curators" in r.json()["detail"]
    assert c.get(f"/mappings/{cur.record_id}").json() == before


def test_if_match_guards_against_a_stale_read(api, own_store):
    c, k = api
    settings, store = own_store
    rid = _proposed(store, settings, 421)
    got = c.get(f"/mappings/{rid}")
    etag = got.headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag) and got.json()["version"] == etag
    assert c.get(f"/mappings/{rid}").headers["etag"] == etag          # a validator of the state, not the read
    r = c.post(f"/mappings/{rid}/review", json={"decision": "accept"},
               headers={**_bearer(k["reviewer"]), "If-Match": '"0123456789abcdef0123456789abcdef"'})
    assert r.status_code == 412 and r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["etag"] == etag and c.get(f"/mappings/{rid}").json()["lifecycle"] == "proposed"
    r = c.post(f"/mappings/{rid}/review", json={"decision": "accept"},
               headers={**_bearer(k["reviewer"]), "If-Match": f"W/{etag}"})
    assert r.status_code == 412                                        # If-Match compares strongly
    r = c.post(f"/mappings/{rid}/review", json={"decision": "accept"},
               headers={**_bearer(k["reviewer"]), "If-Match": etag})
    assert r.status_code == 200 and r.json()["lifecycle"] == "accepted"
    new = r.headers["etag"]
    assert new != etag and c.get(f"/mappings/{rid}").headers["etag"] == new
    # the first read is stale now: 412 before anything else; the current one says why not: 409
    stale = c.post(f"/mappings/{rid}/review", json={"decision": "reject"},
                   headers={**_bearer(k["both"]), "If-Match": etag})
    assert stale.status_code == 412 and stale.headers["etag"] == new
    assert c.post(f"/mappings/{rid}/review", json={"decision": "reject"},
                  headers={**_bearer(k["both"]), "If-Match": new}).status_code == 409
    assert _lifecycle_changes(c.get(f"/mappings/{rid}").json()["history"]) == ["lifecycle: proposed -> accepted"]


def test_racing_reviews_with_if_match(api, own_store):
    c, k = api
    settings, store = own_store
    rid = _proposed(store, settings, 422)
    etag = c.get(f"/mappings/{rid}").headers["etag"]
    barrier, answers = threading.Barrier(2), {}

    def review(decision: str, key: str) -> None:
        barrier.wait()
        answers[decision] = c.post(f"/mappings/{rid}/review", json={"decision": decision},
                                   headers={**_bearer(key), "If-Match": etag})

    threads = [threading.Thread(target=review, args=("accept", k["reviewer"])),
               threading.Thread(target=review, args=("reject", k["both"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in answers.values()) == [200, 412]
    assert len(_lifecycle_changes(c.get(f"/mappings/{rid}").json()["history"])) == 1


def test_page_form_shows_a_conflict_as_a_message(api, own_store):
    c, k = api
    settings, store = own_store
    rid = _proposed(store, settings, 423)
    assert c.post(f"/mappings/{rid}/review", json={"decision": "reject"}, headers=_bearer(k["both"])).status_code == 200
    page = TestClient(c.app)
    back = "/eli/by/kodeks/1998/218-z/art_423"
    assert page.post("/login", data={"key": k["reviewer"], "next": back}, follow_redirects=False).status_code == 303
    csrf = re.search(r'name="csrf" value="([0-9a-f]+)"', page.get(back, headers={"Accept": "text/html"}).text)
    r = page.post(f"/page/mappings/{rid}/review", data={"decision": "accept", "csrf": csrf.group(1), "next": back},
                  follow_redirects=False)
    assert r.status_code == 409 and r.headers["content-type"].startswith("text/html")
    assert "Соответствие уже проверено" in r.text and "rejected" in r.text
    assert c.get(f"/mappings/{rid}").json()["lifecycle"] == "rejected"


# ------------------------------------------------------------------ curated sets re-loaded

@pytest.fixture()
def sk_store(tmp_path, manifest):
    """A store of its own (texts are changed here): the family codes and their curated set."""
    from ingest.load import ingest
    from ingest.store import open_store
    settings = make_settings(tmp_path)
    store = open_store(settings)
    reports = ingest(store, manifest, settings, [manifest.find("ru-sk"), manifest.find("by-kobs")],
                     progress=lambda m: None)
    assert all(r.status == "loaded" for r in reports)
    loaded = {r.name: r.status for r in load_curated(store, settings)}
    assert loaded[SK_SET] == "loaded"
    yield settings, store
    store.close()


def _change_text(store, repo: MappingRepository, provision: str) -> None:
    """Edit the text of a provision (and its parts) in its latest redaction, as a new redaction would."""
    expr = repo.ends({provision})[provision].expression
    store.update(f"""DELETE {{ GRAPH ?g {{ ?pe lexmap:text ?t }} }} INSERT {{ GRAPH ?g {{ ?pe lexmap:text ?new }} }}
                     WHERE {{ GRAPH ?g {{ ?pe eli:realizes ?p ; lexmap:text ?t }}
                              FILTER(STRSTARTS(STR(?pe), "{expr}/"))
                              FILTER(?p = <{provision}> || STRSTARTS(STR(?p), "{provision}__"))
                              BIND(CONCAT(?t, " (изменено)") AS ?new) }}""")


def _flag_stale(store, repo: MappingRepository, count: int) -> list[str]:
    """Change the subject texts of curated mappings until `count` are flagged stale; their ids."""
    flagged: list[str] = []
    for subject in sorted({m.subject for m in repo.list() if m.lifecycle == "accepted"}):
        _change_text(store, repo, subject)
        flagged += repo.mark_stale()
        if len(flagged) >= count:
            return flagged
    raise AssertionError("not enough mappings to flag")


def test_force_reload_keeps_reviews_and_stale_flags(sk_store):
    settings, store = sk_store
    repo = MappingRepository(store, settings.base_iri)
    rejected, confirmed, stale = _flag_stale(store, repo, 3)[:3]
    reviewer = repo.agent_iri("petrov")
    repo.review(rejected, "reject", reviewer, "не соответствует новой редакции")
    repo.review(confirmed, "accept", reviewer, "сверено с новой редакцией")
    before = _state(repo)
    trails = {rid: repo.history(rid) for rid in (rejected, confirmed, stale)}
    # what `lexmap ingest --force` does with the curated sets, the files unchanged
    reports = {r.name: r for r in load_curated(store, settings, force=True)}
    assert repo.get(rejected).lifecycle == "rejected" and repo.get(rejected).reviewer == reviewer
    assert repo.get(confirmed).lifecycle == "accepted" and repo.get(confirmed).reviewer == reviewer
    assert repo.get(stale).lifecycle == "stale"
    assert _state(repo) == before
    assert {rid: repo.history(rid) for rid in trails} == trails
    assert reports[SK_SET].status == "unchanged" and reports[SK_SET].changed == 0
    assert repo.mark_stale() == []                # the confirmation stands on the changed text
    with pytest.raises(ReviewConflict):           # curated and accepted: not open for review
        repo.review(next(m.record_id for m in repo.list() if m.lifecycle == "accepted"), "reject", reviewer)


def test_changed_rows_come_in_through_the_trail(sk_store, tmp_path):
    settings, store = sk_store
    repo = MappingRepository(store, settings.base_iri)
    rejected, stale = _flag_stale(store, repo, 2)[:2]
    repo.review(rejected, "reject", repo.agent_iri("petrov"))
    untouched = sorted(m.record_id for m in repo.list() if m.lifecycle == "accepted")
    lines = (MAPPINGS_DIR / f"{SK_SET}.sssom.tsv").read_text().splitlines()
    header = next(line for line in lines if line.startswith("record_id\t")).split("\t")
    at = {line.split("\t", 1)[0].removeprefix("lexmapmapping:"): i for i, line in enumerate(lines)
          if line.startswith("lexmapmapping:")}
    for rid in (rejected, untouched[0]):
        cells = lines[at[rid]].split("\t")
        cells[header.index("comment")] += " (уточнено)"
        lines[at[rid]] = "\t".join(cells)
    gone = {at[untouched[1]], at[stale]}
    path = tmp_path / "sets" / f"{SK_SET}.sssom.tsv"
    path.parent.mkdir()
    path.write_text("\n".join(line for i, line in enumerate(lines) if i not in gone) + "\n")
    others = {s for s in _state(repo) if s[0] not in {rejected, untouched[0], untouched[1]}}

    report = load_curated(store, settings, paths=[path], force=True)[0]
    again = repo.get(rejected)                     # reviewed since its import: a new proposal, in the trail
    assert again.lifecycle == "proposed" and again.reviewer is None and again.comment.endswith("(уточнено)")
    last = repo.history(rejected)[-1]
    assert last["action"] == "curated edit" and "lifecycle: rejected -> proposed" in last["changes"]
    edited = repo.get(untouched[0])                # untouched since: follows its file, the edit in the trail
    assert edited.lifecycle == "accepted" and edited.comment.endswith("(уточнено)")
    assert any(c.startswith("comment: ") for c in repo.history(untouched[0])[-1]["changes"])
    assert repo.get(untouched[1]) is None          # withdrawn from the file and untouched: removed
    assert repo.get(stale).lifecycle == "stale"    # withdrawn but flagged since: kept
    assert others <= _state(repo)
    assert (report.status, report.updated, report.proposed, report.removed) == ("loaded", 1, 1, 1)
    settled = _state(repo)
    assert load_curated(store, settings, paths=[path], force=True)[0].changed == 0
    assert _state(repo) == settled
