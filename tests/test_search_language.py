"""Russian analysis, the query language, citation parsing and the thesaurus (no store needed)."""
from __future__ import annotations

import re

import pytest

from api.citations import find, _article_eids
from ingest.config import PROJECT_ROOT
from ingest.index.analysis import terms_of, tokenize
from ingest.index.querylang import (All, Any, Not, Phrase, Prefix, QueryError, Ranked, Thesaurus, Word, parse,
                                    phrase_variants)


def terms(text: str) -> list[tuple[str, ...]]:
    return [t.terms for t in tokenize(text)]


def test_inflected_forms_share_their_lemma():
    assert terms("договора договорами договоров") == [("договор",)] * 3
    assert terms_of("давности") == ("давность",)
    assert set(terms_of("исковой")) & set(terms_of("исковая")) & set(terms_of("исковую"))


def test_every_normal_form_of_an_ambiguous_word_is_indexed():
    assert set(terms_of("стали")) >= {"стать", "сталь"}
    assert terms_of("стали")[0] == "стать"          # the likeliest first


def test_yo_is_folded_and_stop_words_keep_positions():
    toks = tokenize("Ёлка и ёлки на ёлке")
    assert [t.terms for t in toks] == [("елка",)] * 3
    assert [t.position for t in toks] == [0, 2, 4]   # "и", "на" dropped, positions kept


def test_negation_is_not_a_stop_word():
    assert terms("не допускается")[0] == ("не",)


def test_numbers_and_citation_tokens_stay_whole():
    assert terms("статья 67.1, закон № 51-ФЗ, доля 1/2") == [("статья",), ("67.1",), ("закон",), ("51-фз",),
                                                              ("доля",), ("1/2",)]


def test_unknown_words_fall_back_to_a_stem():
    assert terms_of("франчайзингополучателя") == terms_of("франчайзингополучателем")


def test_belarusian_text_is_analysed_not_broken():
    toks = tokenize("Працоўны кодэкс Рэспублікі Беларусь; працоўнага заканадаўства — ўстанова")
    assert len(toks) == 7 and all(t.terms and t.terms[0] for t in toks)
    assert toks[0].terms == toks[4].terms                     # працоўны ~ працоўнага
    assert terms("Рэспублікі") == terms("рэспубліка")


def test_query_language_tree():
    q = parse('"исковой давности" залог AND ипотека OR поручительство -неустойка довер*')
    assert isinstance(q, Any) and len(q.items) == 2
    left = q.items[0]
    assert isinstance(left, Ranked)
    kinds = [type(x) for x in left.items]
    assert kinds == [Phrase, All]
    right = q.items[1]
    assert isinstance(right, Ranked) and [type(x) for x in right.items] == [Word, Not, Prefix]
    assert right.items[2] == Prefix("довер")


def test_phrase_keeps_offsets_over_stop_words_and_spells_alternatives():
    p = parse('"срок для защиты права"')
    assert isinstance(p, Phrase)
    assert [off for off, _ in p.words] == [0, 2, 3]           # "для" leaves a gap
    variants = phrase_variants(parse('"стали известны"'))
    assert {v[0][1] for v in variants} >= {"стать", "сталь"}


def test_only_stop_words_parse_to_nothing():
    assert parse("и на в") is None


@pytest.mark.parametrize("bad, says", [
    ('"исковой давности', "unbalanced quotation mark"),
    ("(залог OR ипотека", "unbalanced parenthesis"),
    ("залог)", "unexpected ')'"),
    ("x" * 10_000, "limit is 1000"),
    ("срок\x00давности", "control character U+0000"),
    ("д*", "too short"),
    ("   ", "empty"),
    ("OR", "nothing on one side"),
])
def test_malformed_queries_are_refused_with_a_reason(bad, says):
    with pytest.raises(QueryError, match=re.escape(says)):
        parse(bad)


@pytest.mark.parametrize("text, article, subs, act, jur", [
    ("ст. 196 ГК РФ", "196", [], ["гк"], "ru"),
    ("статья 197 ГК РБ", "197", [], ["гк"], "by"),
    ("ч. 2 ст. 81 ТК РФ", "81", [("ч.", "2")], ["тк"], "ru"),
    ("п. 1 ст. 42 Трудового кодекса Республики Беларусь", "42", [("п.", "1")], ["трудовой", "кодекс"], "by"),
    ("статья 9101 ГК", "9101", [], ["гк"], None),
    ("подп. 2 п. 1 ст. 81 ТК РФ", "81", [("п.", "1"), ("подп.", "2")], ["тк"], "ru"),
    ("статьи 105 Уголовного кодекса Российской Федерации", "105", [], ["уголовный", "кодекс"], "ru"),
])
def test_citations_are_recognised(text, article, subs, act, jur):
    (c,) = find(text)
    assert (c.article, c.subs, c.act_words, c.jurisdiction) == (article, subs, act, jur)


def test_words_that_merely_contain_numbers_are_not_citations():
    assert find("срок 3 года") == [] and find("постановление 196") == []


def test_flattened_superscripts_are_tried_after_the_number_as_written():
    assert _article_eids("9101")[:2] == ["art_9101", "art_910.1"]
    assert "art_910.10" in _article_eids("91010") and "art_9101.0" not in _article_eids("91010")


def test_project_thesaurus_relates_the_two_jurisdictions_terms():
    th = Thesaurus.load(PROJECT_ROOT / "corpus" / "thesaurus.toml")
    w = parse("работодателя", th)
    assert isinstance(w, Word) and "наниматель" in w.related
    assert "понятие" in th.expand("что такое юридическое лицо")
    assert parse('"работодателя"', th).related == ()        # a quoted word means exactly that word
