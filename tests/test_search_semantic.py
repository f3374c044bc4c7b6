"""Dense retrieval blended into search (issue 21): everyday words find the statute's article on
the real corpus, on both backends; the article vectors are cached on disk per index state and
rebuilt when an ingest changes the index; operators, dates and hostile queries keep their answers."""
from __future__ import annotations

import numpy as np
import pytest

from api import search as S
from ingest.index import semantic
from ingest.index.backend import Filters
from tests.searching import run

pytest.importorskip("natasha", reason="the navec vectors ship in natasha's wheel")

BACKENDS = ["tantivy", "whoosh"]
RU_SK = "eli/ru/kodeks/1995/223-fz"
BY_KOBS = "eli/by/kodeks/1999/278-z"




def articles(data: dict) -> list[str]:
    return ["eli/" + r["article"]["iri"].split("/eli/", 1)[1] for r in data["results"]]


def words_only(search_env, q, backend="tantivy", monkeypatch=None, **kw) -> dict:
    monkeypatch.setenv("LEXMAP_SEARCH_SEMANTIC", "0")
    try:
        return run(search_env, q, backend, **kw)
    finally:
        monkeypatch.delenv("LEXMAP_SEARCH_SEMANTIC")


@pytest.mark.parametrize("backend", BACKENDS)
def test_everyday_words_find_the_statutes_article(search_env, backend, monkeypatch):
    cases = [
        # "снять отцовство": the code says "оспаривание отцовства". Second after art. 49
        # ("Установление отцовства в судебном порядке") on the whole corpus, with the reranker
        # fitted before the counterparts of every code pair were weighed as with the one fitted
        # after (2026-11-25); on this small corpus first with the former, third with the latter
        # (after art. 162, paternity under foreign law), which scores better held out on dev
        ("ребенок не от меня как снять отцовство", "ru", f"{RU_SK}/art_52", 3),
        # "переработки": the code says "сверхурочная работа"; the words alone miss the article
        ("переработки оплачиваются в двойном размере", "ru", "eli/ru/kodeks/2001/197-fz/art_152", 5),
        # "вырвал сумку": the code says "грабеж, то есть открытое хищение чужого имущества"
        # (the reranker puts the civil code's "open" companies and torts first on this corpus).
        # 15th here: it stood within 10 only while "вырвал" and "прохожей" were "corrected" to
        # "вызвал" and "похожей" (dictionary words are no typos since 2026-11-25; on the whole
        # corpus that put it 30th, the "corrected" query nowhere in the first 50)
        ("открыто вырвал сумку у прохожей", "by", "eli/by/kodeks/1999/275-z/art_206", 20),
    ]
    for q, jur, want, within in cases:
        got = articles(run(search_env, q, backend, jurisdiction=(jur,), limit=max(10, within)))
        assert want in got[:within], (q, jur, got)


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_blend_lifts_what_the_words_alone_rank_low_and_counts_stay_exact(search_env, backend, monkeypatch):
    q = "переработки оплачиваются в двойном размере"
    want = "eli/ru/kodeks/2001/197-fz/art_152"            # Оплата сверхурочной работы
    alone = words_only(search_env, q, backend, monkeypatch, jurisdiction=("ru",))
    blended = run(search_env, q, backend, jurisdiction=("ru",))
    assert want not in articles(alone) and want in articles(blended)
    # only the order changes: the same articles match the words, counted alike
    assert blended["total"] == alone["total"] and blended["facets"] == alone["facets"]
    scores = [r["score"] for r in blended["results"]]
    assert scores == sorted(scores, reverse=True)


def test_pages_of_a_blended_ranking_do_not_overlap(search_env):
    q = "переработки оплачиваются в двойном размере"
    pages = [articles(run(search_env, q, jurisdiction=("ru",), limit=10, offset=o)) for o in (0, 10, 20)]
    assert all(len(p) == 10 for p in pages)
    assert len(set(pages[0]) | set(pages[1]) | set(pages[2])) == 30
    assert articles(run(search_env, q, jurisdiction=("ru",), limit=30)) == pages[0] + pages[1] + pages[2]


@pytest.mark.parametrize("backend", BACKENDS)
def test_statute_words_keep_their_article_first(search_env, backend):
    for q, jur, want in (("общий срок исковой давности", "ru", "eli/ru/kodeks/1994/51-fz/art_196"),
                         ("расторжение трудового договора по инициативе нанимателя", "by",
                          "eli/by/kodeks/1999/296-z/art_42")):
        assert articles(run(search_env, q, backend, jurisdiction=(jur,)))[0] == want, q


def test_operators_dates_and_other_statuses_are_answered_by_the_words_alone(search_env, monkeypatch):
    for q, kw in (('"исковой давности"', {}), ("давность -исковая", {}), ("довер*", {}),
                  ("срок исковой давности", {"date": "2020-01-01"}),
                  ("срок исковой давности", {"status": ("repealed", "in_force")})):
        assert articles(run(search_env, q, **kw)) == articles(words_only(search_env, q, monkeypatch=monkeypatch, **kw)), (q, kw)


def test_filters_bound_what_dense_retrieval_ranks(search_env):
    data = run(search_env, "ребенок не от меня как снять отцовство", act=(RU_SK,))
    assert data["results"] and all(r["act"] == RU_SK for r in data["results"])
    data = run(search_env, "ребенок не от меня как снять отцовство", jurisdiction=("by",), limit=30)
    assert data["results"] and all(r["jurisdiction"] == "by" for r in data["results"])
    assert all(r["status"] == "in_force" for r in data["results"])


def test_the_switch_turns_it_off(search_env, monkeypatch):
    q = "переработки оплачиваются в двойном размере"
    monkeypatch.setenv("LEXMAP_SEARCH_SEMANTIC", "0")
    assert not S.semantic_enabled()
    off = run(search_env, q, jurisdiction=("ru",))
    monkeypatch.delenv("LEXMAP_SEARCH_SEMANTIC")
    assert articles(run(search_env, q, jurisdiction=("ru",))) != articles(off)


def test_the_vectors_are_cached_per_index_state_and_rebuilt_when_it_changes(loaded, tmp_path):
    from dataclasses import replace

    from ingest.index.indexer import open_backend, sync
    settings, store = loaded
    own = replace(settings, data_dir=tmp_path)
    backend = open_backend(own, "tantivy")
    sk = next(w for w in store.select("SELECT ?w WHERE { ?w a lexmap:Act }") if w["w"].endswith("/223-fz"))["w"]
    tk = next(w for w in store.select("SELECT ?w WHERE { ?w a lexmap:Act }") if w["w"].endswith("/197-fz"))["w"]
    sync(store, backend, works=[sk])
    first = semantic.article_vectors(backend)
    files = list((tmp_path / "cache" / "search-vectors").glob("*.npz"))
    assert len(files) == 1 and files[0].stem == semantic.index_digest(backend)
    assert first is semantic.article_vectors(backend)               # kept in memory while the index stays
    assert {iri.rsplit("/", 1)[0] for iri in first.iris} == {sk}
    # a server started afresh reads the file instead of building again
    semantic._HELD.clear()
    again = semantic.article_vectors(backend)
    assert again is not first and np.array_equal(again.matrix, first.matrix) and again.iris == first.iris
    # an ingest commits another act: the index state changes, the vectors are made afresh
    sync(store, backend, works=[tk])
    grown = semantic.article_vectors(backend)
    assert len(grown.iris) > len(first.iris)
    assert {iri.rsplit("/", 1)[0] for iri in grown.iris} == {sk, tk}
    assert len(list((tmp_path / "cache" / "search-vectors").glob("*.npz"))) == 2
    # every row a unit vector, every article once
    assert np.allclose(np.linalg.norm(grown.matrix, axis=1), 1.0, atol=1e-3)
    assert len(set(grown.iris)) == len(grown.iris)
    backend.close()


def test_an_unreadable_cache_file_is_built_again(loaded, tmp_path):
    from dataclasses import replace

    from ingest.index.indexer import open_backend, sync
    settings, store = loaded
    backend = open_backend(replace(settings, data_dir=tmp_path), "tantivy")
    sk = next(w for w in store.select("SELECT ?w WHERE { ?w a lexmap:Act }") if w["w"].endswith("/223-fz"))["w"]
    sync(store, backend, works=[sk])
    path = semantic.cache_dir(backend) / f"{semantic.index_digest(backend)}.npz"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a numpy file")
    vectors = semantic.article_vectors(backend)
    assert vectors is not None and len(vectors.iris) > 100
    assert semantic.ArticleVectors.load(path).iris == vectors.iris
    backend.close()


def test_query_words_and_vectors(search_env):
    backend = search_env[2]["tantivy"]
    vectors = semantic.article_vectors(backend)
    assert vectors.query_vector([]) is None
    assert vectors.query_vector([("zzqxw", "zzqxw")]) is None            # unknown to the vectors
    v = vectors.query_vector([("уволить", "уволили"), ("пьянка", "пьянку")])
    assert v is not None and abs(float(np.linalg.norm(v)) - 1) < 1e-4
    cos = vectors.scores(v, Filters(jurisdictions=("ru",)))
    assert (cos[vectors.jurisdiction != "ru"] == -2).all()
    assert cos[vectors.jurisdiction == "ru"].max() <= 1.0001


@pytest.mark.parametrize("q, status", [
    ("уволили за пьянку " * 600, 400),                       # 10,000 characters
    ("и в на с по", 400),                                     # stop words only
    ("statute of limitations", 200),                          # Latin
    ("пьянка", 200),                                          # a word only the vectors know
    ("zzqx qqq wwww", 200),                                   # nothing anyone knows
])
def test_hostile_queries_answer_4xx_or_200_never_5xx(client, q, status):
    r = client.get("/search", params={"q": q[:10_000]})
    assert r.status_code == status, r.text
    if status == 200:
        assert isinstance(r.json()["results"], list)
