"""The reranker of plain-word queries (issue 21, ingest/index/rerank.py): its article features,
its cache, its model file, the nearest articles it adds (shown with their documents) and its
off switch, on both backends."""
from __future__ import annotations

import numpy as np
import pytest

from api import search as S
from ingest.index import rerank, semantic
from tests.searching import run

pytest.importorskip("natasha", reason="the navec vectors ship in natasha's wheel")

BACKENDS = ["tantivy", "whoosh"]


def _docs() -> list[dict]:
    return [{"label": "Статья 1.", "title": "Залог", "text": "Залог обеспечивает обязательство. Залог вещи."},
            {"label": "Статья 2.", "title": "Поручительство", "text": "Поручитель отвечает за должника."},
            {"label": "Статья 3.", "title": "Неустойка", "text": "Неустойка и залог."}]


def test_features_are_bm25_and_coverage_of_the_whole_article():
    terms = rerank.ArticleTerms.build(_docs()).place(np.array(["ru"] * 3), np.array(["a", "a", "b"]))
    q = rerank.stems("залог поручитель")
    x = terms.features(q, np.array([0, 1, 2, -1]))
    assert x.shape == (4, 4)
    assert x[:, 0].max() == pytest.approx(1.0) and x[0, 0] > x[2, 0] > 0   # three "залог" beat one
    assert x[0, 2] > 0 and x[2, 2] == 0          # "залог" in the first heading only
    assert x[0, 1] + x[1, 1] == pytest.approx(1.0)   # each holds one of the two (idf-weighted) stems
    assert x[2, 1] == pytest.approx(x[0, 1])
    assert not x[3].any()                        # no article: nothing
    # the query names the whole heading "Залог"; "Поручительство" is not "поручитель"
    assert x[:, 3].tolist() == [1.0, 0.0, 0.0, 0.0]
    assert terms.features(rerank.stems("залог вещи"), np.array([0]))[0, 3] == 1.0
    assert terms.features(rerank.stems("неустойка"), np.array([2]))[0, 3] == 1.0
    assert not terms.features(rerank.stems("ипотека"), np.array([0, 1])).any()


def test_each_jurisdiction_has_its_own_idf_and_best():
    terms = rerank.ArticleTerms.build(_docs() + [{"title": "Залог", "text": "Залог."}])
    terms.place(np.array(["by", "by", "by", "ru"]), np.array(["a", "a", "b", "c"]))
    x = terms.features(rerank.stems("залог"), np.array([0, 2, 3]))
    assert x[2, 0] == pytest.approx(1.0) and x[0, 0] == pytest.approx(1.0)   # the best of each
    assert x[2, 1] == pytest.approx(1.0) and x[2, 2] == pytest.approx(1.0)


def test_act_share_counts_the_best_candidates_acts():
    terms = rerank.ArticleTerms.build(_docs()).place(np.array(["ru"] * 3), np.array(["a", "a", "b"]))
    x = np.zeros((3, len(rerank.FEATURES)), np.float32)
    x[:, 1] = [1.0, 0.5, 0.0]          # the words brought rows 0 and 1
    x[:, 2] = [0.0, 0.2, 1.0]          # row 2 is the nearest
    share = terms.act_share(x, np.array([0, 1, 2]))
    assert share[0] == share[1] == pytest.approx(4 / 5) and share[2] == pytest.approx(1 / 5)


def test_terms_survive_a_round_trip_to_disk(tmp_path):
    terms = rerank.ArticleTerms.build(_docs())
    terms.save(tmp_path / "t.npz")
    back = rerank.ArticleTerms.load(tmp_path / "t.npz")
    q = rerank.stems("неустойка залог")
    rows = np.array([0, 1, 2])
    for t in (terms, back):
        t.place(np.array(["ru"] * 3), np.array(["a", "a", "b"]))
    assert np.allclose(back.features(q, rows), terms.features(q, rows))


def test_the_shipped_model_fits_the_features():
    m = rerank.model()
    assert m is not None and m.weights.shape == (len(rerank.FEATURES),) and m.candidates > 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_reranked_pages_show_documents_and_the_switch_turns_it_off(search_env, backend, monkeypatch):
    q = "бывшая жена не дает видеться с ребенком"
    on = run(search_env, q, backend, jurisdiction=("ru",), limit=20)
    monkeypatch.setenv("LEXMAP_SEARCH_RERANK", "0")
    off = run(search_env, q, backend, jurisdiction=("ru",), limit=20)
    # every result shown has its document (the nearest articles added are read for the page)
    assert all(r["iri"] and r["article"]["label"] and r["snippet"] for r in on["results"])
    assert len({r["article"]["iri"] for r in on["results"]}) == len(on["results"]) == 20
    assert [r["article"]["iri"] for r in on["results"]] != [r["article"]["iri"] for r in off["results"]]
    assert on["facets"] == off["facets"]
    scores = [r["score"] for r in on["results"]]
    assert scores == sorted(scores, reverse=True)


def test_an_added_nearest_article_is_read_for_the_page(search_env):
    settings, store, indexes, th = search_env
    backend = indexes["tantivy"]
    vectors = semantic.article_vectors(backend)
    row = vectors.iris.index(next(i for i in vectors.iris if i.endswith("/eli/ru/kodeks/1995/223-fz/art_66")))
    hit = S.Hit(0.0, None, vectors.keys[row], 1.0, None)
    near = S.Near(vectors, None, 0.0, 1.0, [row], None)      # the dense retrieval it came from
    S._placeholders(backend, near, [hit], S.Filters())
    assert hit.doc is not None and hit.doc["article"] == vectors.iris[row] and hit.doc["kind"] == "article"


def test_the_stem_postings_are_cached_per_index_state(search_env):
    settings, store, indexes, th = search_env
    backend = indexes["tantivy"]
    vectors = semantic.article_vectors(backend)
    terms = rerank.article_terms(backend, vectors)
    assert terms is not None and len(terms.length) == len(vectors.iris)
    files = list((backend.directory.parent.parent / "cache" / "search-terms").glob("*.npz"))
    assert len(files) == 1
    assert rerank.article_terms(backend, vectors) is terms


def test_counterparts_take_the_best_link_weighted_of_the_other_side():
    iris = ["by/1", "by/2", "by/3", "ru/1", "ru/2"]            # a jurisdiction's rows together, as the vectors'
    cps = rerank.Counterparts.build([("ru/1", "by/1", 1.0), ("ru/1", "by/2", 0.5), ("by/3", "ru/2", 0.4),
                                     ("ru/2", "by/3", 0.9), ("ru/1", "gone", 1.0)], iris)
    assert len(cps) == 6                          # both ways; of by/3~ru/2 the heavier (0.9) stands
    terms = rerank.ArticleTerms.build(
        [{"title": "Залог", "text": "Залог вещи"}, {"title": "Неустойка"}, {"title": "Аренда"},
         {"title": "Залог"}, {"title": "Аренда"}]).place(np.array(["by"] * 3 + ["ru"] * 2),
                                                          np.array(["b", "b", "b", "a", "a"]))
    cos = np.array([0.9, 0.5, 0.2, 0.0, 0.0], np.float32)
    x = cps.features(np.array([3, 4, 0, -1]), lambda r: cos[r], 0.1, 0.8, terms, rerank.stems("залог"))
    assert x.shape == (4, 2)
    # ru/1: by/1 (cosine 0.9 -> 1.0, holds "залог") fully; by/2 (0.5 -> 0.5) at half weight is less
    assert x[0].tolist() == pytest.approx([1.0, 1.0])
    # ru/2: by/3 at 0.9, cosine 0.2 -> 0.125, no "залог"
    assert x[1].tolist() == pytest.approx([0.9 * 0.125, 0.0])
    # by/1: ru/1 holds "залог", its cosine (0) is below the floor
    assert x[2].tolist() == pytest.approx([0.0, 1.0])
    assert not x[3].any()


def _row(vectors, eli: str) -> int:
    return next(i for i, iri in enumerate(vectors.iris) if iri.endswith("/" + eli))


def test_the_apps_counterparts_are_its_mappings_and_the_suggesters_best(client):
    from api import pair_search
    ctx = client.app.state.ctx
    pair_search.warm_counterparts(ctx)
    cps = pair_search.search_counterparts(ctx)
    vectors = semantic.article_vectors(ctx.backend)
    assert cps is not None and cps.iris is vectors.iris
    ru, by = _row(vectors, "eli/ru/kodeks/2001/197-fz/art_70"), _row(vectors, "eli/by/kodeks/1999/296-z/art_28")
    # the reviewed mapping ТК РФ 70 ~ ТК РБ 28 (probation) counts fully, both ways
    for a, b in ((ru, by), (by, ru)):
        lo, hi = cps.starts[a], cps.starts[a + 1]
        assert cps.weight[lo:hi][cps.rows[lo:hi] == b].tolist() == [1.0]
    src = np.repeat(np.arange(len(vectors.iris)), np.diff(cps.starts))
    assert (vectors.jurisdiction[src] != vectors.jurisdiction[cps.rows]).all()
    # suggestions count by their calibrated probability (far more of them than mappings)
    suggested = (cps.weight > 0) & (cps.weight < 0.8)
    assert suggested.sum() > 1000 and (cps.weight <= 1.0).all()


def test_the_reranker_weighs_counterparts_and_named_headings(client):
    from api import pair_search
    pair_search.warm_counterparts(client.app.state.ctx)
    S.RERANK_SINK = []
    try:
        client.get("/search", params={"q": "испытательный срок при приеме на работу", "jurisdiction": "by"})
        client.get("/search", params={"q": "необходимая оборона", "jurisdiction": "ru"})
        (probation_iris, probation), (defence_iris, defence) = S.RERANK_SINK[-2:]
    finally:
        S.RERANK_SINK = None
    f = {name: k for k, name in enumerate(rerank.FEATURES)}
    # ТК РБ 28 says "предварительное испытание"; its counterpart ТК РФ 70 "испытание при приеме на работу"
    at = next(k for k, iri in enumerate(probation_iris) if iri and iri.endswith("/eli/by/kodeks/1999/296-z/art_28"))
    assert probation[at, f["cp_coverage"]] > probation[at, f["coverage"]] and probation[at, f["cp_dense"]] > 0
    named = {iri.rsplit("/eli/", 1)[1]: x for iri, x in zip(defence_iris, defence[:, f["title_named"]]) if iri}
    assert named["ru/kodeks/1996/63-fz/art_37"] == 1.0              # "Необходимая оборона"
    assert named["ru/kodeks/1996/14-fz/art_1066"] == 0.0            # "... в состоянии необходимой обороны"
    top = client.get("/search", params={"q": "испытательный срок при приеме на работу", "jurisdiction": "by",
                                        "limit": 3}).json()["results"]
    assert any(r["article"]["iri"].endswith("/eli/by/kodeks/1999/296-z/art_28") for r in top)


def test_a_flood_of_distinct_searches_does_not_evict_the_counterparts(client, monkeypatch):
    """The counterparts the reranker weighs are built once per data version and kept as a
    data-wide memo entry: distinct requests between searches, far more than the memo keeps, never
    make a search rebuild them (each rebuild reads every mapping's counterparts again)."""
    from api import pair_search
    ctx = client.app.state.ctx
    assert client.get("/search", params={"q": "договор"}).status_code == 200   # the app's first use
    pair_search.search_counterparts(ctx)
    builds: list[int] = []
    real = rerank.Counterparts.build
    monkeypatch.setattr(rerank.Counterparts, "build", classmethod(lambda cls, *a: builds.append(1) or real(*a)))
    monkeypatch.setattr(ctx._memo, "limit", 3)          # a small LRU: the flood below overflows it
    before = ctx.search_counterparts()
    words = ["залог", "аренда", "дарение", "наследство", "кража", "отпуск", "алименты", "неустойка"]
    for k, w in enumerate(words):
        assert client.get("/search", params={"q": w}).status_code == 200
        for n in range(4):        # between searches, other requests' entries (provisions, analyses …)
            ctx.memo("flood", (k, n), lambda: None)
    assert len(ctx._memo._lru) <= 3                     # the requests' entries did overflow it
    assert ctx.search_counterparts() is before and builds == []
