"""The fast search path gives exactly the answers of the straightforward one (tests/search_reference.py):
the same hits in the same order with the same scores, the same facet counts, the same snippets,
on the real corpus index, for judged queries, every operator of the query language, filters,
pages and citations; and its caches follow the index when it changes."""
from __future__ import annotations

import random

import pytest
import tantivy

from api import search as S
from ingest.index.documents import act_documents
from ingest.index.querylang import Thesaurus, all_terms, parse
from ingest.index.relevance import load

from . import search_reference as ref

RU_GK = "eli/ru/kodeks/1994/51-fz"

# every construct of the query language, citations mixed with words, hostile spellings
QUERIES = [
    "срок исковой давности", "исковую давность", '"исковой давности"', '"Общий срок исковой давности"',
    "залог AND ипотека", "залог OR ипотека", "договор NOT аренда", "договор -аренда", "+договор +аренда",
    "довер*", "довер* AND срок", "(залог OR ипотека) AND договор", "NOT договор", "-договор -аренда",
    "ст. 196 ГК РФ", "ст. 196 ГК РФ срок", "ч. 2 ст. 81 ТК РФ", "работодатель наниматель", "что такое залог",
    "компенсация морального вреда", "право на жизнь", "67.1", "51-ФЗ", "<b>договор</b> & \"кража\"",
    "стали", "ЁЛКА ёлка", "працоўны дагавор", "утратить силу",
]


@pytest.fixture(scope="module")
def env(loaded, indexes):
    settings, store = loaded
    return store, indexes, Thesaurus.load(settings.thesaurus), S.known_values(store)


def both(env, backend: str, q: str, **kw) -> tuple[dict | str, dict | str]:
    """(fast answer, reference answer); a SearchError stands as its message."""
    store, indexes, th, known = env
    out = []
    for fn in (S.search, ref.search):
        try:
            out.append(fn(store, indexes[backend], S.Request(q=q, **kw), {"ru-gk-1": RU_GK}, th, known))
        except S.SearchError as exc:
            out.append(f"SearchError: {exc}")
    return out[0], out[1]


def judged_and_title_queries(store, n: int = 40) -> list[str]:
    """The judged queries and the first words of article titles drawn at random (seed 11)."""
    titles = sorted({d.title for d in act_documents(store, f"https://lexmap.org/{RU_GK}")
                     if d.kind == "article" and d.title})
    rnd = random.Random(11)
    return [j.q for j in load()] + [" ".join(t.split()[:5]) for t in rnd.sample(titles, n)]


def test_same_answers_as_the_reference_on_judged_and_title_queries(env):
    store = env[0]
    checked = 0
    for q in judged_and_title_queries(store):
        for jur in ((), ("ru",), ("by",)):
            fast, slow = both(env, "tantivy", q, jurisdiction=jur)
            assert fast == slow, (q, jur)
            checked += isinstance(fast, dict) and bool(fast["results"])
    assert checked > 100


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("kw", [{}, {"limit": 50}, {"offset": 10, "limit": 7}, {"status": ("all",)},
                                {"status": ("repealed",)}, {"date": "2015-06-01"}, {"act": ("ru-gk-1",)},
                                {"type": ("kodeks",), "jurisdiction": ("by",)}])
def test_same_answers_as_the_reference_for_every_operator_filter_and_page(env, q, kw):
    fast, slow = both(env, "tantivy", q, **kw)
    assert fast == slow


@pytest.mark.parametrize("q", ["срок исковой давности", "довер*", "договор NOT аренда", "ст. 196 ГК РФ срок",
                               '"трудового договора"', "залог OR ипотека"])
def test_the_whoosh_backend_takes_the_same_service_path(env, q):
    fast, slow = both(env, "whoosh", q, limit=20)
    assert fast == slow


@pytest.mark.parametrize("q", QUERIES + ["договор", "срок исковой давности составляет три года"])
def test_the_counting_query_matches_exactly_what_the_ranking_query_matches(env, q):
    store, indexes, th, known = env
    node = parse(q, th)
    if node is None:
        pytest.skip("only stop words")
    b = indexes["tantivy"]
    searcher = b.index.searcher()
    for flt in (S.make_filters(store, S.Request(q=q), None, known),
                S.make_filters(store, S.Request(q=q, status=("all",), jurisdiction=("by",)), None, known)):
        rank = tantivy.Query.boolean_query([(tantivy.Occur.Must, b.compiler.compile(node))]
                                           + [(tantivy.Occur.Must, f) for f in b._filter(flt)])
        count = tantivy.Query.boolean_query([(tantivy.Occur.Must, b.compiler.matching(node))]
                                            + [(tantivy.Occur.Must, f) for f in b._filter(flt)])
        n = searcher.search(rank, limit=1, count=True).count
        assert searcher.search(count, limit=1, count=True).count == n
        if n <= 3000:      # the very documents, not only as many
            same = {(a.segment_ord, a.doc) for _, a in searcher.search(rank, limit=n + 1, count=False).hits}
            assert same == {(a.segment_ord, a.doc) for _, a in searcher.search(count, limit=n + 1).hits}


@pytest.mark.parametrize("q", ["срок исковой давности", "довер* договор", "работника работодатель", "67.1 статья",
                               "кража", "працоўны"])
def test_snippets_match_the_reference_on_every_text_of_an_act(env, q):
    store, indexes, th, known = env
    terms, prefixes = all_terms(parse(q, th))
    highlight = S.Highlighter(terms, prefixes)            # one per query: its memo is shared
    texts = [d.text for w in (f"https://lexmap.org/{RU_GK}", "https://lexmap.org/eli/by/kodeks/1999/296-z")
             for d in act_documents(store, w) if d.latest]
    assert len(texts) > 1000
    for text in texts + ["", "—", "и в на", "<script>&amp;</script> договор", " довер " * 40]:
        assert highlight(text) == ref.snippet(text, terms, prefixes)


def test_facet_and_query_caches_follow_the_index_when_another_process_writes(loaded, tmp_path):
    """A reader (a server worker) keeps facets per query; a writer (an ingest) in another
    instance commits: the reader's next facets count the new documents."""
    from ingest.index.tantivy_backend import TantivyBackend
    settings, store = loaded
    work = f"https://lexmap.org/{RU_GK}"
    writer = TantivyBackend(tmp_path / "idx")
    writer.replace_act(work, act_documents(store, work), "first")
    reader = TantivyBackend(tmp_path / "idx")
    node, flt = parse("срок исковой давности"), S.make_filters(store, S.Request(q="x"))
    before = reader.facets(node, flt)
    assert before.total > 0 and set(before.act) == {RU_GK}
    assert reader.facets(node, flt) is before                  # kept while nothing changed
    writer.replace_act(work, [], "emptied")
    reader.refresh_if_changed()                                 # what the app does on each request
    assert reader.facets(node, flt).total == 0
    writer.close()
    reader.close()


def test_parsed_queries_are_kept_per_thesaurus(env):
    th = env[2]
    assert S.parsed("работодатель", th, 20) is S.parsed("работодатель", th, 20)
    plain = S.parsed("работодатель", None, 20)
    assert plain != S.parsed("работодатель", th, 20)            # the thesaurus adds related terms
    with pytest.raises(S.QueryError):
        S.parsed('"unbalanced', th, 20)
    with pytest.raises(S.QueryError):
        S.parsed('"unbalanced', th, 20)                          # an error is not remembered as a result


def test_default_view_filters_by_terms_match_what_ranges_and_term_sets_match(env):
    """The default view (in force, latest redaction) and a one-value filter are term queries (a
    range or a term set gathers every document it holds per query); they must select exactly
    the documents the range and the term set select, with the same scores."""
    store, indexes, th, known = env
    backend = indexes["tantivy"]
    searcher = backend._search()
    from ingest.index.backend import Filters
    from ingest.index.documents import OPEN_END

    def old_style(filters: Filters) -> list:
        out = [tantivy.Query.term_set_query(backend.schema, fld, list(values))
               for fld, values in (("jurisdiction", filters.jurisdictions), ("status", filters.statuses)) if values]
        out.append(tantivy.Query.range_query(backend.schema, "valid_to", tantivy.FieldType.Unsigned, OPEN_END, OPEN_END))
        return [tantivy.Query.const_score_query(q, 0.0) for q in out]

    compared = 0
    for q in judged_and_title_queries(store, 15):
        node = parse(q, th)
        if node is None:
            continue
        for filters in (Filters(), Filters(jurisdictions=("by",)), Filters(jurisdictions=("ru",))):
            words = backend.compiler.compile(node)
            served = searcher.search(backend._query(node, filters), limit=100, count=True)
            ranged = searcher.search(tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, words)] + [(tantivy.Occur.Must, f) for f in old_style(filters)]),
                limit=100, count=True)
            assert served.count == ranged.count, (q, filters)
            assert [a for _, a in served.hits] == [a for _, a in ranged.hits], (q, filters)
            assert [s for s, _ in served.hits] == pytest.approx([s for s, _ in ranged.hits]), (q, filters)
            compared += served.count > 0
    assert compared > 30


def test_a_search_beside_another_counts_in_its_own_thread_with_the_same_answer(env, monkeypatch):
    """While another search runs in the process, counting and the cosines are done in the
    request's own thread (the cores are busy anyway); the answer is the same as when alone."""
    store, indexes, th, known = env
    q = "работник расторгнуть трудовой договор"
    alone = S.search(store, indexes["tantivy"], S.Request(q=q), None, th, known)

    def no_pool(*a, **kw):
        raise AssertionError("the pool is not used while another search runs")
    with S._IN_FLIGHT:                              # another search, in flight
        monkeypatch.setattr(S._COUNTING, "submit", no_pool)
        beside = S.search(store, indexes["tantivy"], S.Request(q=q), None, th, known)
    assert beside == alone
    assert alone["total"] > 10 and alone["results"]
    assert S._IN_FLIGHT.n == 0                      # every search leaves the count as it found it


@pytest.mark.parametrize("q", ["срок исковой давности", "работника работодатель", "67.1 статья", "кража"])
def test_snippets_from_the_term_vectors_match_the_reference_on_every_text_of_an_act(env, q):
    """The index's term vectors (api/snippet_table) give the very passage splitting gives, for
    every current text of two codes; a text that is not the one the table holds under its
    key (re-indexed since: another checksum) is cut by splitting, never at the table's offsets."""
    from api import snippet_table
    store, indexes, th, known = env
    table = snippet_table.table(indexes["tantivy"])
    terms, prefixes = all_terms(parse(q, th))
    highlight = S.Highlighter(terms, prefixes, table=table)
    docs = [d for w in (f"https://lexmap.org/{RU_GK}", "https://lexmap.org/eli/by/kodeks/1999/296-z")
            for d in act_documents(store, w) if d.latest]
    assert len(docs) > 1000 and all(d.id in table.ranges for d in docs)
    assert sum(highlight._from_table(d.text, d.id) is not None for d in docs) > 1000   # the table's path
    for d in docs:
        assert highlight(d.text, d.id) == ref.snippet(d.text, terms, prefixes)
    long = max(docs, key=lambda d: len(d.text))
    edited = long.text.replace("о", "а")                                 # same length, other words
    moved = long.text[1:] + long.text[0]                                  # same words, other places
    for text in (edited, moved, long.text + " договор", "", "кража"):
        assert highlight._from_table(text, long.id) is None
        assert highlight(text, long.id) == ref.snippet(text, terms, prefixes)


def test_search_cuts_snippets_from_the_term_vectors_once_they_are_built(env):
    """A search before the table is built answers at once (snippets by splitting) and starts
    building it; the searches after use it, with the same answers."""
    from api import snippet_table
    store, indexes, th, known = env
    backend = indexes["tantivy"]
    snippet_table._HELD.clear()
    seen: list = []
    real = S.Highlighter._from_table
    S.Highlighter._from_table = lambda self, text, key: seen.append(key) or real(self, text, key)
    try:
        req = S.Request(q="срок исковой давности")
        first = S.search(store, backend, req, None, th, known)
        assert snippet_table.table(backend) is not None             # waits for the background build
        seen.clear()
        again = S.search(store, backend, req, None, th, known)
    finally:
        S.Highlighter._from_table = real
    assert len(seen) == len(again["results"]) > 0
    assert [r["snippet"] for r in first["results"]] == [r["snippet"] for r in again["results"]]


def test_snippet_table_file_round_trip_and_damaged_files_refused(tmp_path):
    """The table's cache file reads back as written (ids and starts mapped); a file cut short or
    not a table is refused (then rebuilt: derived.read_or_build); a key two texts share is left
    out (those texts are cut by splitting)."""
    from api.snippet_table import TokenTable
    docs = [{"id": "a", "text": "Договор займа, договор.", "label": "", "title": ""},
            {"id": "b", "text": "", "label": "Статья 1", "title": "Заём"},
            {"id": "c", "text": "одно", "label": "", "title": ""}, {"id": "c", "text": "другое", "label": "", "title": ""}]
    table = TokenTable.build(docs)
    assert set(table.ranges) == {"a", "b"}
    lo, hi, _ = table.ranges["a"]
    assert [table.vocab[i] for i in table.ids[lo:hi]] == ["Договор", "займа", "договор"]
    assert [int(x) for x in table.starts[lo:hi]] == [0, 8, 15]
    path = tmp_path / "t.table"
    table.save(path)
    again = TokenTable.load(path)
    assert again.ranges == table.ranges and again.vocab == table.vocab and again.terms == table.terms
    assert again.ids.tolist() == table.ids.tolist() and again.starts.tolist() == table.starts.tolist()
    for damaged in (path.read_bytes()[:-3], b"not a table at all", b""):
        path.write_bytes(damaged)
        with pytest.raises(ValueError):
            TokenTable.load(path)


def test_a_snippet_table_that_cannot_be_built_is_not_tried_by_every_search(env, monkeypatch):
    """A build that fails (here: every time) is logged and not started again by the searches
    after it for the same index state: each would otherwise read the whole index in a thread."""
    import threading
    from api import snippet_table
    store, indexes, th, known = env
    backend = indexes["whoosh"]
    snippet_table._HELD.clear()
    snippet_table._FAILED.pop(id(backend), None)
    calls = []
    done = threading.Event()

    def failing(docs):
        calls.append(1)
        done.set()
        raise RuntimeError("no table")
    monkeypatch.setattr(snippet_table.TokenTable, "build", staticmethod(failing))
    monkeypatch.setattr(snippet_table.derived, "read_or_build", lambda path, load, fresh, save: fresh())
    try:
        assert snippet_table.ready(backend) is None
        assert done.wait(60)
        for _ in range(50):
            if id(backend) not in snippet_table._BUILDING:
                break
            threading.Event().wait(0.1)
        answers = [S.search(store, backend, S.Request(q=q), None, th, known) for q in ("кража", "договор займа")]
        assert all(a["results"] for a in answers)          # snippets cut by splitting meanwhile
        assert snippet_table.ready(backend) is None and len(calls) == 1
    finally:
        snippet_table._FAILED.pop(id(backend), None)
        snippet_table._HELD.clear()
