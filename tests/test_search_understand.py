"""Search that understands people (issues 19 item 3 and 21) on the real corpus, both backends:
typos are corrected from the index's own vocabulary ("Возможно, вы имели в виду"), question
words and English function words do not rank, the judged sets load only when well-formed."""
from __future__ import annotations

import hashlib
import json

import pytest

from api import search as S
from ingest.index.relevance import EVERYDAY_SETS, load, load_everyday, part_of
from ingest.index.understand import Understanding, correct_word
from ingest.index.querylang import parse
from tests.searching import run

RU_GK = "eli/ru/kodeks/1994/51-fz"
BY_GK = "eli/by/kodeks/1998/218-z"
RU_TK = "eli/ru/kodeks/2001/197-fz"
BY_TK = "eli/by/kodeks/1999/296-z"
RU_UK = "eli/ru/kodeks/1996/63-fz"
BY_UK = "eli/by/kodeks/1999/275-z"
BACKENDS = ["tantivy", "whoosh"]




def eli(iri: str) -> str:
    return "eli/" + iri.split("/eli/", 1)[1]


def articles(data: dict) -> list[str]:
    return [eli(r["article"]["iri"]) for r in data["results"]]


def titles(data: dict) -> list[str]:
    return [r["article"]["label"].lower() for r in data["results"]]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_misspelt_query_finds_the_articles_and_says_what_it_meant(search_env, backend):
    data = run(search_env, "растаржение трудавого дагавора", backend, jurisdiction=("ru",))
    assert data["suggestion"] == {"q": "расторжение трудового договора", "hits": data["total"]}
    assert data["total"] > 0
    # the articles on termination of an employment contract, as the correctly spelt query ranks them
    right = run(search_env, "расторжение трудового договора", backend, jurisdiction=("ru",))
    assert right["suggestion"] is None
    assert articles(data)[:5] == articles(right)[:5]
    assert all(a.startswith(RU_TK) for a in articles(data)[:3])
    assert "расторжение трудового договора" in titles(data)[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_one_misspelt_word_of_two_is_corrected_not_dropped(search_env, backend):
    for jur, act in (("ru", RU_GK), ("by", BY_GK)):
        data = run(search_env, "исковая давнасть", backend, jurisdiction=(jur,))
        assert data["suggestion"]["q"] == "исковая давность"
        top = articles(data)[:3]
        assert any(a.startswith(act) for a in top), top
        assert all("исков" in t and "давност" in t for t in titles(data)[:3]), titles(data)[:3]
        # the corrected word is what is highlighted
        assert "<mark>давност" in " ".join(r["snippet"] for r in data["results"][:3])


def test_a_query_the_index_knows_has_no_suggestion(search_env):
    for q in ("срок исковой давности", "договор дарения", '"трудового договора"'):
        assert run(search_env, q)["suggestion"] is None


def test_the_api_answers_with_the_suggestion(client):
    r = client.get("/search", params={"q": "исковая давнасть", "limit": 3})
    assert r.status_code == 200
    body = r.json()
    assert body["suggestion"]["q"] == "исковая давность" and body["suggestion"]["hits"] == body["total"] > 0
    assert client.get("/search", params={"q": "исковая давность"}).json()["suggestion"] is None


def test_corrections_come_from_the_vocabulary_given():
    vocabulary = {"договор": 100, "дарение": 5}
    df = lambda t: vocabulary.get(t, 0)                                        # noqa: E731
    assert correct_word("дагавора", df) == "договора"                          # two unstressed vowels
    assert correct_word("договр", df) == "договор"                             # one letter missing
    assert correct_word("дорение", df) == "дарение"
    assert correct_word("давнасть", df) is None                                # not in this vocabulary
    assert correct_word("дог", df) is None                                     # too short to guess
    assert correct_word("statute", df) is None and correct_word("51-фз", df) is None


def test_a_dictionary_word_the_codes_lack_is_no_typo():
    vocabulary = {"сила": 100, "договор": 100}
    df = lambda t: vocabulary.get(t, 0)                                        # noqa: E731
    assert correct_word("сбил", df) == "сил"          # a neighbour one edit away exists ...
    u = Understanding(df)
    out = u(parse("сбил пешехода"))
    # ... but "сбил" is a word (of "сбить"): an everyday word the codes do not use, kept as typed
    assert not out.corrections and out.tried == ["сбил", "пешехода"]
    assert u(parse("дагавор")).corrections == {"дагавор": "договор"}          # a typo still is corrected


def test_acronyms_are_learned_from_the_codes_runs_that_read_as_names():
    from ingest.index import acronyms as A
    texts = (["освобождение условно-досрочное освобождение от отбывания наказания"] * 3
             + ["уголовное дело открыто"] * 9                   # у-д-о too, but not a name (an adverb ends it)
             + ["указанный документ организации"] * 4)          # a name, of something else
    found = A.build(texts, {"удо"})
    assert found == {"удо": [("указанный документ организации", 4), ("условно-досрочное освобождение", 3)]}
    vectors = {"удо": (1.0, 0.0), "условно-досрочный": (0.8, 0.6), "освобождение": (1.0, 0.0),
               "указанный": (0.0, 1.0), "документ": (0.0, 1.0), "организация": (0.0, 1.0)}
    vec = lambda w: None if w not in vectors else __import__("numpy").array(vectors[w])   # noqa: E731
    assert A.choose("удо", found["удо"], vec) == "условно-досрочное освобождение"      # nearest in meaning
    assert A.choose("ооо", found["удо"], vec) is None                                    # no vector of its own
    assert A.typed_as_acronym("УДО") and A.typed_as_acronym("загс") and not A.typed_as_acronym("сбил")


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_acronym_is_searched_as_the_words_of_the_codes_it_stands_for(search_env, backend):
    from ingest.index import acronyms as A
    assert A.table()["удо"] == "условно-досрочном освобождении"
    assert A.table()["ооо"] == "общества с ограниченной ответственностью"
    assert not {"гк", "тк", "упк", "рф", "рб"} & set(A.table())      # acts' short titles: citations read them
    for jur, art in (("ru", f"{RU_UK}/art_79"), ("by", f"{BY_UK}/art_90")):
        data = run(search_env, "когда выпускают по УДО", backend, jurisdiction=(jur,))
        assert art in articles(data)[:3], articles(data)[:3]
        # the answer says what the acronym was searched as (the page shows it)
        assert data["acronyms"] == [{"typed": "УДО", "searched": "условно-досрочном освобождении"}]
    assert run(search_env, "условно-досрочное освобождение", backend)["acronyms"] == []
    u = S.understanding(search_env[2][backend])(parse("выйти по УДО"))
    assert u.expanded == {"УДО": "условно-досрочном освобождении"} and not u.corrections


def test_only_the_reviewed_acronyms_are_served(tmp_path, monkeypatch):
    from ingest.index import acronyms as A
    # the real table: learned wrongly and judged "no" (ПАО is a публичное акционерное общество,
    # РЖД the Российские железные дороги), so not served, though typed in capitals
    learned, judged = A.learned(), A.verdicts()
    for k in ("пао", "ржд"):
        assert k in learned and judged[(k, learned[k])] == "no"
        assert k not in A.table() and A.expansion(k.upper()) is None
    assert judged[("удо", learned["удо"])] == "yes" and A.expansion("УДО") == learned["удо"]
    # a temp table: an entry the review lacks, or regenerated with another expansion, is not served
    entries = {"удо": "условно-досрочном освобождении", "ооо": "органа общей опеки",   # regenerated
               "тсж": "товарищества собственников жилья"}                              # not judged
    (tmp_path / "acronyms.json").write_text(json.dumps({"acronyms": entries}), encoding="utf-8")
    (tmp_path / "review.tsv").write_text(
        "# comment\nacronym\texpansion\tverdict\tnote\n"
        "удо\tусловно-досрочном освобождении\tyes\t\n"
        "ооо\tобщества с ограниченной ответственностью\tyes\t\n", encoding="utf-8")
    monkeypatch.setattr(A, "ACRONYMS_PATH", tmp_path / "acronyms.json")
    monkeypatch.setattr(A, "REVIEW_PATH", tmp_path / "review.tsv")
    A.table.cache_clear()
    try:
        assert A.table() == {"удо": "условно-досрочном освобождении"}
        assert A.expansion("ТСЖ") is None and A.expansion("ООО") is None
    finally:
        monkeypatch.undo()
        A.table.cache_clear()
    assert A.table()["ооо"] == "общества с ограниченной ответственностью"


@pytest.mark.parametrize("backend", BACKENDS)
def test_english_function_words_do_not_rank(search_env, backend):
    data = run(search_env, "statute of limitations", backend)
    plain = run(search_env, "statute limitations", backend)
    assert data["total"] == plain["total"]
    assert not any("<mark>of</mark>" in r["snippet"].lower() for r in data["results"])
    assert "of" in S.understanding(search_env[2][backend])(parse("statute of limitations")).dropped


@pytest.mark.parametrize("backend", BACKENDS)
def test_question_words_are_dropped_from_a_question_and_the_rule_is_found(search_env, backend):
    q = "могут ли уволить беременную женщину по инициативе работодателя"
    data = run(search_env, q, backend, jurisdiction=("ru",))
    core = run(search_env, "уволить беременную женщину по инициативе работодателя", backend, jurisdiction=("ru",))
    assert articles(data) == articles(core)
    assert f"{RU_TK}/art_261" in articles(data)[:3]
    u = S.understanding(search_env[2][backend])(parse(q))
    assert u.dropped == ["могут"]           # "ли" is a stop word of the index already


def test_a_query_of_question_words_only_still_searches(search_env):
    data = run(search_env, "можно ли")
    assert data["total"] > 0           # nothing else to search by: the words are kept


def test_long_question_in_everyday_order_finds_the_probation_article(search_env):
    for backend in BACKENDS:
        data = run(search_env, "сколько длится испытательный срок при приеме на работу", backend, jurisdiction=("ru",))
        assert articles(data)[0] == f"{RU_TK}/art_70", articles(data)[:3]


def test_backends_share_the_vocabulary(search_env):
    t, w = search_env[2]["tantivy"], search_env[2]["whoosh"]
    for term in ("договор", "давность", "наниматель", "работодатель"):
        assert t.doc_freq(term) == w.doc_freq(term) > 0
    assert t.doc_freq("давнасть") == w.doc_freq("давнасть") == 0
    tv, wv = dict(t.vocabulary(min_df=50)), dict(w.vocabulary(min_df=50))
    assert tv == wv and len(tv) > 1000


def test_understanding_is_remembered_and_does_not_touch_phrases_or_exclusions(search_env):
    u = Understanding(search_env[2]["tantivy"].doc_freq)
    node = parse('"исковая давнасть" -дагавора')
    assert u(node) is u(node)
    assert u(node).node == node and not u(node).corrections      # quoted and excluded words as typed


# judged sets -------------------------------------------------------------------------------

def test_the_judged_sets_load_and_their_parts_are_those_of_the_hash():
    assert len(load()) >= 50
    for path in EVERYDAY_SETS:
        if path.exists():
            qs = load(path)
            assert qs and all(q.part == part_of(q.q) for q in qs)
            assert {q.part for q in qs} == {"dev", "test"}
    assert all(q.part == "dev" for q in load_everyday("dev"))


def test_part_of_is_the_documented_hash():
    q = "муж не платит алименты на ребенка"
    assert part_of(q) == ("test" if int(hashlib.sha1(q.encode()).hexdigest(), 16) % 2 else "dev")


ENTRY = '''[[query]]
q = "{q}"
kind = "{kind}"
persona = "citizen"
topic = "civil"
part = "{part}"
ru = ["eli/ru/kodeks/1994/51-fz/art_196"]
by = {by}
'''


@pytest.mark.parametrize("change, says", [
    ({"part": "flip"}, "the hash of q says"),
    ({"kind": "gossip"}, "kind 'gossip'"),
    ({"by": '["eli/ru/kodeks/1994/51-fz/art_196"]'}, "another jurisdiction"),
    ({"by": '["art_196"]'}, "article ELI paths"),
    ({"q": ""}, "non-empty q"),
])
def test_a_malformed_judged_entry_is_refused_with_where_and_why(tmp_path, change, says):
    q = change.get("q", "исковая давность по спорам")
    good = part_of(q) if q else "dev"
    part = {"dev": "test", "test": "dev"}[good] if change.get("part") == "flip" else good
    text = ENTRY.format(q=q, kind=change.get("kind", "question"), part=part,
                        by=change.get("by", '["eli/by/kodeks/1998/218-z/art_197"]'))
    path = tmp_path / "everyday_x.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=says):
        load(path)


def test_a_duplicate_judged_query_is_refused(tmp_path):
    q = "исковая давность по спорам"
    entry = ENTRY.format(q=q, kind="words", part=part_of(q), by="[]")
    path = tmp_path / "everyday_x.toml"
    path.write_text(entry + "\n" + entry, encoding="utf-8")
    with pytest.raises(ValueError, match="appears twice"):
        load(path)


def test_the_optional_expansion_adds_only_index_terms_weighted_below_the_word(search_env):
    pytest.importorskip("natasha", reason="the navec vectors ship in natasha's wheel (pip install .[bench])")
    from ingest.index.querylang import Word
    from ingest.index.understand import Expansion
    backend = search_env[2]["tantivy"]
    vocab = backend.vocabulary(min_df=3)
    exp = Expansion(vocab)
    w = exp.expand(Word(("уволить",), "уволили"))
    assert w.weighted, "a word the vectors know gets neighbours"
    held = {t for t, _ in vocab}
    assert all(t in held and 0 < weight < 1 for t, weight in w.weighted)
    assert "увольнение" in {t for t, _ in w.weighted}
    assert exp.expand(Word(("zzqx",), "zzqx")) == Word(("zzqx",), "zzqx")     # unknown to the vectors


@pytest.mark.parametrize("q", [
    " ".join(f"кракозябрище{i}" for i in range(70))[:1000],       # a hundred words the index lacks
    "ж" * 999,                                                      # one endless word
    "statute of the of a an the",                                   # function words only, in English
    "давнасть -давнасть",                                           # the typo both wanted and excluded
])
def test_hostile_queries_are_answered_not_crashed(search_env, q):
    for backend in BACKENDS:
        data = run(search_env, q, backend)
        assert data["total"] >= 0 and isinstance(data["results"], list)
        assert data["suggestion"] is None or data["suggestion"]["q"] != q


# ------------------------------------------------------------------ the colloquial lexicon

@pytest.mark.parametrize("backend", BACKENDS)
def test_everyday_words_also_search_the_codes_words_for_them(search_env, backend):
    """corpus/colloquial.toml: "отпуск за свой счет" is the codes' "отпуск без сохранения
    заработной платы" (ТК РФ 128, ТК РБ 189-191); the answer says what was added, and without
    the lexicon the same query does not find the article."""
    from dataclasses import replace
    settings, store, indexes, th = search_env
    bare = replace(th, rewrites=tuple(r for r in th.rewrites if "свой" not in r.phrase),
                   by_first={k: tuple(r for r in v if "свой" not in r.phrase) for k, v in th.by_first.items()})
    for jur, wanted in (("ru", {f"{RU_TK}/art_128"}), ("by", {f"{BY_TK}/art_189", f"{BY_TK}/art_190"})):
        q = "можно ли взять отпуск за свой счет на неделю"
        data = run(search_env, q, backend, jurisdiction=(jur,))
        assert wanted & set(articles(data)[:3]), articles(data)[:3]
        assert {"typed": "отпуск за свой счет", "searched": "отпуск без сохранения заработной платы"} in data["rewrites"]
        without = S.search(store, indexes[backend], S.Request(q=q, jurisdiction=(jur,)), None, bare)
        assert not wanted & set(articles(without)), articles(without)
        assert without["rewrites"] == []
    # a word only the lexicon knows is no typo: it is not "corrected" into a word of the index
    u = S.understanding(indexes[backend])(parse("минималка в 2024", th), th)
    assert not u.corrections
    data = run(search_env, "какая сейчас минималка", backend, jurisdiction=("ru",))
    assert f"{RU_TK}/art_133" in articles(data)[:3] and data["suggestion"] is None
    # operators and phrases run as typed: no rewrite
    assert run(search_env, '"отпуск за свой счет"', backend)["rewrites"] == []


def test_the_lexicon_reads_by_lemma_and_refuses_a_malformed_entry(tmp_path):
    from ingest.index.querylang import Thesaurus
    (tmp_path / "thesaurus.toml").write_text('[[rewrite]]\nphrase = "что такое"\nadds = "понятие"\n', encoding="utf-8")
    (tmp_path / "colloquial.toml").write_text(
        '[[colloquial]]\ntyped = ["своровать", "стащить в магазине"]\nstatute = "хищение кража"\n'
        '[[colloquial]]\ntyped = ["гаишник"]\nstatute = "сотрудник органов внутренних дел"\n', encoding="utf-8")
    th = Thesaurus.load(tmp_path / "thesaurus.toml")
    found = th.applied("что такое: стащил в магазине шоколадку и своровал ещё, а гаишники видели")
    assert [(r.typed, r.adds) for r in found] == [("что такое", "понятие"), ("стащить в магазине", "хищение кража"),
                                                 ("своровать", "хищение кража"),
                                                 ("гаишник", "сотрудник органов внутренних дел")]
    assert th.expand("своровал") == "своровал хищение кража"
    assert th.applied("стащить в большом магазине") == []          # a phrase is matched in order, whole
    (tmp_path / "colloquial.toml").write_text('[[colloquial]]\ntyped = "одно"\nstatute = "x"\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"colloquial.toml: colloquial entry #1 needs typed"):
        Thesaurus.load(tmp_path / "thesaurus.toml")
    (tmp_path / "colloquial.toml").write_text('[[colloquial]]\ntyped = ["слово"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"colloquial entry #1 needs a phrase and the codes' words"):
        Thesaurus.load(tmp_path / "thesaurus.toml")


def test_no_phrase_of_the_lexicon_is_the_codes_own_wording(search_env):
    """The lexicon's rule (ingest/index/colloquial.py): no typed phrase is held by MAX_IN_CODES or
    more articles in force of the codes (here those of the test store; bench/colloquial.py checks
    the whole corpus), and every entry says where the codes word it."""
    from ingest.index import colloquial as C
    from ingest.index.querylang import COLLOQUIAL_FILE
    settings, store, indexes, th = search_env
    path = settings.thesaurus.with_name(COLLOQUIAL_FILE)
    entries = C.entries(path)
    assert len(entries) >= 400
    for e in entries:
        assert e["typed"] and e["statute"].strip() and e["note"].strip() and (e["ru"] or e["by"]), e
    counts = C.in_codes(indexes["tantivy"], path)
    assert C.codes_wording(counts) == []
    assert sum(p.articles > 0 for p in counts) > 10       # the count is real: some phrases do occur
