"""Identifiers: number normalisation, ELI paths, eIds and duplicate detection."""
from datetime import date

import pytest

from ingest.identifiers import assign_eids, normalise_number, number_slug, parse_eli_path, work_id
from ingest.model import ParsedDocument, Provision


@pytest.mark.parametrize("raw, expected", [
    ("67¹", "67.1"), ("67.1", "67.1"), ("47/1", "47.1"), ("123¹⁶⁻¹", "123.16-1"), ("II", "2"),
    ("XIV", "14"), ("V²", "5.2"), ("а", "a"), ("1.1", "1.1"), ("196", "196"),
])
def test_normalise_number(raw, expected):
    assert normalise_number(raw) == expected


def test_act_numbers_are_transliterated():
    assert number_slug("51-ФЗ") == "51-fz"
    assert number_slug("218-З") == "218-z"
    assert number_slug("1-ФКЗ") == "1-fkz"


def test_work_paths():
    assert work_id("ru", "kodeks", date(1994, 11, 30), "51-ФЗ").path == "eli/ru/kodeks/1994/51-fz"
    assert work_id("ru", "konst", date(1993, 12, 12), None).path == "eli/ru/konst/1993/1993-12-12"
    with pytest.raises(ValueError):
        work_id("ru", "decree", date(2000, 1, 1), "1")
    with pytest.raises(ValueError):
        work_id("RUS", "kodeks", date(2000, 1, 1), "1")


def test_parse_eli_path_round_trip():
    p = parse_eli_path("eli/ru/kodeks/1994/51-fz/art_196__para_2")
    assert (p.work.path, p.eid, p.version) == ("eli/ru/kodeks/1994/51-fz", "art_196__para_2", None)
    p = parse_eli_path("eli/by/kodeks/1998/218-z/2019-12-18/rus/art_910.1")
    assert (p.version, p.lang, p.eid) == ("2019-12-18", "rus", "art_910.1")
    for bad in ["eli/ru/kodeks/94/51-fz", "eli/ru/kodeks/1994/51-fz/Art 1", "acts/ru", "eli/ru"]:
        with pytest.raises(ValueError):
            parse_eli_path(bad)


def _article(num, *children, text=""):
    return Provision(kind="article", num=num, label=f"Статья {num}", text=text, children=list(children),
                     where=f"line {num}")


def test_eids_follow_akoma_ntoso_naming():
    point = Provision(kind="point", num="3", text="x")
    para = Provision(kind="para", num="2", text="y", children=[point])
    chapter = Provision(kind="chapter", num="5", children=[_article("196", para)])
    section = Provision(kind="section", num="2", children=[Provision(kind="subsection", num="1", children=[chapter])])
    doc = ParsedDocument(children=[section])
    assign_eids(doc)
    assert [p.eid for p in doc.walk()] == ["sec_2", "sec_2__subsec_1", "chp_5", "art_196",
                                          "art_196__para_2", "art_196__para_2__point_3"]
    assert not doc.problems


def test_duplicate_article_is_an_error_but_empty_stub_is_dropped():
    doc = ParsedDocument(children=[_article("1", text="a"), _article("1", text="b")])
    assign_eids(doc)
    assert len(doc.errors) == 1 and "appears twice" in doc.errors[0].message and doc.errors[0].where == "line 1"
    doc = ParsedDocument(children=[_article("7"), _article("7", text="real text")])
    assign_eids(doc)
    assert not doc.errors and len(doc.problems) == 1 and "dropped" in doc.problems[0].message
    assert [a.text for a in doc.articles()] == ["real text"]
