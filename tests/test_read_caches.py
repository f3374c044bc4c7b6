"""The read paths' caches (issue 15): the mapping table answers exactly what the mapping queries
answer on the real corpus, the suggestions and the gap analysis built on it are those of the
suggester's own queries, and every memo of the app context is dropped by the next write, so a
mapping written or reviewed shows in the very next list, provision, page, export and gap analysis."""
from __future__ import annotations

import csv
import io

import pytest

from api import compare, mappings as mapping_service
from api.context import AppContext
from ingest.identifiers import top_unit_of
from ingest.mappings.model import HARMONIZATION, LIFECYCLE, NO_TERM_FOUND, RELATIONS, Mapping
from ingest.mappings.repository import Filters, MappingRepository
from ingest.mappings.suggest import Suggester

RU, BY = "eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z"


def _same(found, expected) -> None:
    """Same mappings in the query's order (by subject, then object; ties in any order)."""
    assert [(m.subject, m.object) for m in found] == [(m.subject, m.object) for m in expected]
    key = lambda m: (m.subject, m.object, m.record_id)  # noqa: E731
    assert sorted(found, key=key) == sorted(expected, key=key)


def test_mapping_table_answers_as_the_mapping_query(loaded):
    settings, store = loaded
    repo = MappingRepository(store, settings.base_iri)
    table = repo.table()
    everything = repo.list()
    assert len(everything) > 100
    _same(table.select(), everything)
    works = sorted({w for m in everything for end in (m.subject, m.object) for w in table.acts.get(end, ())})
    assert len(works) >= 8
    ends = sorted({m.subject for m in everything} | {m.object for m in everything if m.object != NO_TERM_FOUND})
    sample = ends[::max(1, len(ends) // 6)]
    filters = ([Filters(source_act=w) for w in works[::2]] + [Filters(target_act=w) for w in works[1::2]]
               + [Filters(act=w) for w in works[:3]]
               + [Filters(provision=p) for p in sample] + [Filters(provision=top_unit_of(p) + "__para_1") for p in sample[:2]]
               + [Filters(lifecycle=(k,)) for k in LIFECYCLE] + [Filters(relation=(k,)) for k in RELATIONS]
               + [Filters(harmonization=(k,)) for k in HARMONIZATION]
               + [Filters(source_act=works[0], target_act=w, lifecycle=("accepted", "stale"),
                          harmonization=("harmonized", "unified")) for w in works[1:3]])
    nonempty = 0
    for f in filters:
        found = table.select(f)
        _same(found, repo.list(f))
        nonempty += bool(found)
    assert nonempty >= len(filters) // 2      # the filters above select something, not only nothing
    assert table.act_pairs() == repo.act_pairs()
    for w in works:
        assert table.counterpart_acts(w) == repo.counterpart_acts(w)
    suggester = Suggester(store)
    for a, b in sorted(repo.act_pairs()):
        assert sorted(set(table.accepted_pairs(a, b))) == sorted(set(suggester.accepted_pairs(a, b)))


def test_suggestions_from_the_table_are_the_suggesters(loaded):
    settings, store = loaded
    table = MappingRepository(store, settings.base_iri).table()
    suggester = Suggester(store)
    left, right = f"{settings.base_iri}/{RU}", f"{settings.base_iri}/{BY}"
    model = suggester.pair(left, right)
    iris = [a.iri for a in model.source.articles]
    assert len(iris) > 300
    mine = mapping_service.ranked_many(table, suggester, iris, left, right, 3)
    theirs = suggester.suggest_many(iris, left, right, 3)
    assert {k: [c.as_dict() for c in v] for k, v in mine.items()} == \
        {k: [c.as_dict() for c in v] for k, v in theirs.items()}
    for iri in iris[::40] + [iris[5] + "__para_1"]:
        assert [c.as_dict() for c in mapping_service.ranked(table, suggester, iri, left, right, 5)] == \
            [c.as_dict() for c in suggester.suggest(iri, left, right, 5)]
    with pytest.raises(KeyError):
        mapping_service.ranked(table, suggester, f"{left}/chp_1", left, right)


def test_memo_is_dropped_by_a_write_even_one_made_during_its_build(own_store, indexes):
    settings, store = own_store
    ctx = AppContext.build(settings, store, indexes["tantivy"])
    builds = []

    def build():
        builds.append(1)
        return len(builds)

    assert ctx.memo("k", 1, build) == 1 and ctx.memo("k", 1, build) == 1   # kept
    assert ctx.memo("k", 2, build) == 2                                     # per key
    store.replace_graph("urn:lexmap:test", "<urn:lexmap:a> <urn:lexmap:b> <urn:lexmap:c> .")
    assert ctx.memo("k", 1, build) == 3                                     # the write dropped it

    def writing_build():
        value = build()
        store.replace_graph("urn:lexmap:test", "<urn:lexmap:a> <urn:lexmap:b> <urn:lexmap:d> .")
        return value
    assert ctx.memo("w", 1, writing_build) == 4
    assert ctx.memo("w", 1, writing_build) == 5     # built before its own write: never served after it
    assert ctx.memo("k", 1, build) == 6
    assert ctx.memo("k", 1, build) == 6


def test_views_of_the_texts_outlive_a_mapping_write_and_not_an_ingest(own_store, indexes):
    """A reviewer's write drops the entries built from mappings (the mapping table) but keeps
    those built from the texts alone (a provision's text, its history, references): the next
    page after a review no longer reads the amendment notes again. A write of the texts drops both."""
    settings, store = own_store
    ctx = AppContext.build(settings, store, indexes["tantivy"])
    builds: list[str] = []

    def build(kind):
        def make():
            builds.append(kind)
            return len(builds)
        return make

    text_value = ctx.memo("provision effects", ("w", "x"), build("text"))
    other_value = ctx.memo("search counterparts", "k", build("mappings"))
    table = ctx.mappings.table()
    assert ctx.mappings.table() is table
    body = {"subject": f"{RU}/art_200", "object": f"{BY}/art_201", "relation": "intersects_with",
            "harmonization": "harmonized", "confidence": 0.5}
    mapping_service.create_mapping(ctx.mappings, body, f"{settings.base_iri}/agent/test", "test")
    assert ctx.memo("provision effects", ("w", "x"), build("text")) == text_value    # texts: kept
    assert ctx.memo("search counterparts", "k", build("mappings")) != other_value    # mappings: dropped
    assert builds == ["text", "mappings", "mappings"]
    fresh = ctx.mappings.table()
    assert fresh is not table and len(fresh.mappings) == len(table.mappings) + 1
    store.replace_graph("urn:lexmap:test", "<urn:lexmap:a> <urn:lexmap:b> <urn:lexmap:c> .")
    assert ctx.memo("provision effects", ("w", "x"), build("text")) != text_value    # a write of texts
    assert builds == ["text", "mappings", "mappings", "text"]


def test_a_mapping_written_here_updates_the_kept_table_as_reading_it_again_would(own_store, indexes, monkeypatch):
    """The mapping table after this process's own write (a proposal, then its review) is the kept
    table with that mapping read again — the same as reading every mapping afresh, without doing
    so; after a write it did not make alone (here: a second write it did not carry) it is read whole."""
    settings, store = own_store
    ctx = AppContext.build(settings, store, indexes["tantivy"])
    repo = MappingRepository(store, settings.base_iri)
    reads: list[int] = []
    whole = MappingRepository.table
    monkeypatch.setattr(MappingRepository, "table", lambda self: reads.append(1) or whole(self))
    before = ctx.mappings.table()
    assert reads == [1]
    body = {"subject": f"{RU}/art_200", "object": f"{BY}/art_201", "relation": "intersects_with",
            "harmonization": "harmonized", "confidence": 0.5, "comment": "проверка"}
    created = mapping_service.create_mapping(ctx.mappings, body, f"{settings.base_iri}/agent/ivanova", "Иванова")
    carried = ctx.mappings.table()
    assert reads == [1]                                              # not read again
    assert carried.mappings == whole(repo).mappings and carried.acts == whole(repo).acts
    assert len(carried.mappings) == len(before.mappings) + 1
    mapping_service.review_mapping(ctx.mappings, created["id"], "accept", f"{settings.base_iri}/agent/petrov", None)
    reviewed = ctx.mappings.table()
    assert reads == [1]
    assert reviewed.mappings == whole(repo).mappings
    assert [m.lifecycle for m in reviewed.mappings if m.record_id == created["id"]] == ["accepted"]
    assert (f"{settings.base_iri}/{RU}/art_200", f"{settings.base_iri}/{BY}/art_201") in \
        reviewed.accepted_pairs(f"{settings.base_iri}/{RU}", f"{settings.base_iri}/{BY}")
    # a write the context did not carry (straight to the repository): the next table is read whole
    repo.create(Mapping(subject=f"{settings.base_iri}/{RU}/art_202", object=f"{settings.base_iri}/{BY}/art_203",
                        relation="equal", harmonization="harmonized", confidence=0.7, author="x",
                        mapping_date="2026-11-25", justification="semapv:ManualMappingCuration"),
                f"{settings.base_iri}/agent/ivanova")
    assert len(ctx.mappings.table().mappings) == len(reviewed.mappings) + 1 and reads == [1, 1]


def _gap_row(result: dict, left_iri: str) -> dict:
    return next(r for r in result["pairs"] if r["left"]["iri"] == left_iri)


def test_a_mapping_write_shows_in_the_next_read_of_every_cached_view(api, own_store):
    c, k = api
    settings, store = own_store
    base = settings.base_iri
    gap = c.get(f"/compare?left_act={RU}&right_act={BY}").json()
    # a RU article the curated sets do not map, and a BY article that is not its suggestion
    row = next(r for r in gap["pairs"] if r["source"] != "mapping" and r["right"] is not None)
    left_iri = row["left"]["iri"]
    other = next(r["right"]["iri"] for r in gap["pairs"] if r["right"] and r["right"]["iri"] != row["right"]["iri"])
    path = left_iri.removeprefix(base + "/")
    before = {"list": c.get(f"/mappings?provision={path}").json()["total"],
              "json": len(c.get(f"/{path}").json()["mappings"]),
              "csv": c.get(f"/mappings/export?format=csv&source_act={RU}&target_act={BY}").text}
    assert c.get(f"/{path}", headers={"Accept": "text/html"}).status_code == 200   # page kept too
    r = c.post("/mappings", json={"subject": path, "object": other.removeprefix(base + "/"), "relation": "equal",
                                  "harmonization": "harmonized", "confidence": 0.9},
               headers={"Authorization": f"Bearer {k['editor']}"})
    assert r.status_code == 201, r.text
    rid = r.json()["id"]
    assert c.get(f"/mappings?provision={path}").json()["total"] == before["list"] + 1
    assert rid in {m["id"] for m in c.get(f"/{path}").json()["mappings"]}
    assert f'id="m-{rid}"' in c.get(f"/{path}", headers={"Accept": "text/html"}).text
    rows = list(csv.reader(io.StringIO(c.get(f"/mappings/export?format=csv&source_act={RU}&target_act={BY}").text)))
    assert rid in {x[0] for x in rows} and rid not in before["csv"]
    assert _gap_row(c.get(f"/compare?left_act={RU}&right_act={BY}").json(), left_iri)["mapping"] is None  # proposed
    r = c.post(f"/mappings/{rid}/review", json={"decision": "accept"}, headers={"Authorization": f"Bearer {k['reviewer']}"})
    assert r.status_code == 200, r.text
    served = c.get(f"/compare?left_act={RU}&right_act={BY}").json()
    assert _gap_row(served, left_iri)["mapping"] == rid and _gap_row(served, left_iri)["right"]["iri"] == other
    # the kept analysis is the one computed afresh (mappings and anchors read by queries)
    fresh = compare.compare_acts(store, f"{base}/{RU}", f"{base}/{BY}", Suggester(store), base)
    assert served == fresh
    assert c.get(f"/mappings?status=accepted&provision={path}").json()["total"] >= 1


def test_lemma_bags_kept_on_disk_give_the_same_suggestions(loaded, tmp_path):
    """The suggester's lemma bags (BagCache) written by one run and read by the next give the
    same profiles and the same ranked candidates; a damaged file is made again, not trusted."""
    settings, store = loaded
    left, right = f"{settings.base_iri}/{RU}", f"{settings.base_iri}/{BY}"
    bags = tmp_path / "bags"
    first = Suggester(store, bags).pair(left, right)
    files = sorted(bags.glob("*.json"))
    assert len(files) == 2                      # one per act, named by a digest of their texts
    again = Suggester(store, bags).pair(left, right)
    for a, b in zip(first.source.articles + first.target.articles, again.source.articles + again.target.articles):
        assert (a.iri, a.text_terms, a.title_terms, a.chapter_terms, a.defined) == \
               (b.iri, b.text_terms, b.title_terms, b.chapter_terms, b.defined)
    plain = Suggester(store).pair(left, right)
    assert [a.text_terms for a in plain.source.articles] == [a.text_terms for a in again.source.articles]
    for f in files:
        f.write_text("{not json", encoding="utf-8")
    damaged = Suggester(store, bags).pair(left, right)
    assert [a.text_terms for a in damaged.source.articles] == [a.text_terms for a in plain.source.articles]
    assert all(f.read_text(encoding="utf-8").startswith("[") for f in files)   # written again
