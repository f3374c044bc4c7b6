"""Diffs for drafters on real provisions: redlines, gap analysis, changes between redactions."""
from __future__ import annotations

import csv
import io

import pytest
from api.redline import redline, to_terminal

RU_GK, BY_GK = "eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z"


# ------------------------------------------------------------------ redline unit behaviour

def test_redline_never_edits_inside_words_and_handles_numbering():
    r = redline("1. Договор заключается в письменной форме.", "2. Договор заключается в устной форме.")
    changed = [o for o in r["ops"] if o["op"] != "equal"]
    assert [(o["left"].strip(), o["right"].strip()) for o in changed] == [("1.", "2."), ("письменной", "устной")]
    assert 0.5 < r["similarity"] < 1
    spaced = redline("Договор  заключается\nв форме.", "Договор заключается в форме.")
    assert spaced["identical"] and spaced["similarity"] == 1.0     # spacing and line breaks are not edits
    assert to_terminal(r, colour=False).count("{+") == 2


def test_lemma_mode_reports_inflection_only_differences():
    words = redline("условия договора", "условиям договоров", "words")
    lemmas = redline("условия договора", "условиям договоров", "lemmas")
    assert words["stats"]["replaced"] == 2 and words["similarity"] == 0.0
    assert lemmas["stats"] == {"inserted": 0, "deleted": 0, "replaced": 0, "inflected": 2}
    assert [o["op"] for o in lemmas["ops"]] == ["inflection"]


# ------------------------------------------------------------------ provision vs provision

def test_identical_articles_across_jurisdictions(client):
    r = client.get("/diff", params={"left": f"{RU_GK}/art_153", "right": f"{BY_GK}/art_154"}).json()
    assert r["identical"] and r["similarity"] == 1.0
    assert [o["op"] for o in r["ops"]] == ["equal"]
    assert r["left"]["title"] == r["right"]["title"] == "Понятие сделки"


def test_articles_differing_by_one_word(client):
    r = client.get("/diff", params={"left": f"{RU_GK}/art_158", "right": f"{BY_GK}/art_159"}).json()
    edits = [o for o in r["ops"] if o["op"] != "equal"]
    assert len(edits) == 1 and edits[0]["op"] == "replace"
    assert (edits[0]["left"].strip(), edits[0]["right"].strip()) == ("законом", "законодательством")
    assert r["stats"]["replaced"] == 1 and r["similarity"] > 0.9


def test_lemma_mode_on_real_articles_and_html(client):
    words = client.get("/diff", params={"left": f"{RU_GK}/art_135", "right": f"{BY_GK}/art_135"}).json()
    lemmas = client.get("/diff", params={"left": f"{RU_GK}/art_135", "right": f"{BY_GK}/art_135",
                                         "mode": "lemmas"}).json()
    assert any(o["op"] == "replace" and "принадлежность" in o["left"] for o in words["ops"])
    assert any(o["op"] == "inflection" and "принадлежностью" in o["right"] for o in lemmas["ops"])
    page = client.get("/diff", params={"left": f"{RU_GK}/art_196", "right": f"{BY_GK}/art_197", "format": "html"})
    assert page.status_code == 200 and "<del>" in page.text


@pytest.mark.parametrize("params, status, words", [
    ({"left": f"{RU_GK}/art_99999", "right": f"{BY_GK}/art_1"}, 404, "left"),
    ({"left": f"{RU_GK}/art_1", "right": "eli/xx/kodeks/1900/1/art_1"}, 404, "right"),
    ({"left": RU_GK, "right": f"{BY_GK}/art_1"}, 400, "is an act"),
    ({"left": f"{RU_GK}/art_1", "right": f"{BY_GK}/art_1", "mode": "chars"}, 422, "mode"),
    ({"left": f"{RU_GK}/art_141.1", "right": f"{BY_GK}/art_1", "left_date": "2017-01-01"}, 400, "no text"),
])
def test_diff_errors_say_which_and_why(client, params, status, words):
    r = client.get("/diff", params=params)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


# ------------------------------------------------------------------ act vs act

def test_gap_analysis_uses_mappings_then_suggestions(client):
    r = client.get("/compare", params={"left_act": "ru-sk", "right_act": "by-kobs"})
    assert r.status_code == 200
    body = r.json()
    pairs = body["pairs"]
    by_left = {p["left"]["eid"]: p for p in pairs}
    assert by_left["art_12"]["source"] == "mapping" and by_left["art_12"]["right"]["eid"] == "art_17"
    assert by_left["art_10"]["relation"] in ("superset_of", "intersects_with")
    assert by_left["art_20"]["status"] == "missing" and by_left["art_20"]["source"] == "mapping"   # curated gap
    suggested = [p for p in pairs if p["source"] == "suggestion"]
    assert suggested and all(p["relation"] is None and p["mapping"] is None for p in suggested)
    assert any(x["right"]["eid"] == "art_12" for x in body["right_only"])     # КоБС defines marriage, СК does not
    s = body["summary"]
    assert s["matched"] + s["diverging"] + s["missing"] == len(pairs)
    assert sum(c["matched"] + c["diverging"] + c["missing"] for c in body["chapters"]) == len(pairs)


def test_gap_analysis_csv_and_html(client):
    text = client.get("/compare", params={"left_act": "ru-sk", "right_act": "by-kobs", "format": "csv"}).text
    assert text.startswith("\ufeff")          # a BOM, so Excel reads the Cyrillic as UTF-8
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][0] == "глава" and len(rows) > 100
    assert any(r[3] == "нет соответствия" for r in rows[1:])
    html = client.get("/compare", params={"left_act": "ru-sk", "right_act": "by-kobs", "format": "html"}).text
    assert "<table" in html and "нет соответствия" in html
    assert client.get("/compare", params={"left_act": "ru-sk", "right_act": "ru-sk"}).status_code == 400
    assert client.get("/compare", params={"left_act": "ru-sk", "right_act": "xx-none"}).status_code == 404


# ------------------------------------------------------------------ redaction vs redaction

def test_changes_between_redactions_with_a_renumbered_article(client):
    r = client.get("/changes", params={"act": "ru-tk", "from": "2017-01-01", "to": "2024-01-01"})
    assert r.status_code == 200
    body = r.json()
    assert body["from"]["redaction"] == "2016-07-03" and body["to"]["redaction"] == "2023-10-24"
    ren = {(x["from"]["eid"], x["to"]["eid"]) for x in body["renumbered"]}
    assert ("art_226", "art_225") in ren          # "Финансирование мероприятий по улучшению условий и охраны труда"
    added = {x["eid"] for x in body["added"]}
    assert "art_66.1" in added                    # "Сведения о трудовой деятельности" (2019)
    changed = {x["eid"]: x for x in body["changed"]}
    assert changed and all(0 <= c["similarity"] <= 1 and any(o["op"] != "equal" for o in c["ops"])
                           for c in changed.values())
    assert "art_226" not in changed and "art_225" not in added


def test_changes_of_the_civil_code(client):
    body = client.get("/changes", params={"act": RU_GK, "from": "2016-12-31", "to": "2023-12-31"}).json()
    assert "art_141.1" in {x["eid"] for x in body["added"]}       # digital rights
    assert any(x.get("absent_before") for x in body["repealed"])  # stubs the 2016 text did not list
    assert body["summary"]["changed"] > 50
    page = client.get("/changes", params={"act": RU_GK, "from": "2016-12-31", "to": "2023-12-31",
                                          "format": "html"})
    assert "<del>" in page.text or "<ins>" in page.text


@pytest.mark.parametrize("params, status, words", [
    ({"act": "ru-tk", "from": "2024-01-01", "to": "2017-01-01"}, 400, "after"),
    ({"act": "ru-uk", "from": "2017-01-01", "to": "2024-01-01"}, 400, "only one redaction"),
    ({"act": "ru-tk", "from": "2024-01-01", "to": "2024-06-01"}, 400, "same redaction"),
    ({"act": "xx-none", "from": "2017-01-01", "to": "2024-01-01"}, 404, "act"),
    ({"act": "ru-tk", "from": "01.01.2017", "to": "2024-01-01"}, 400, "YYYY-MM-DD"),
])
def test_changes_errors(client, params, status, words):
    r = client.get("/changes", params=params)
    assert r.status_code == status, r.text
    assert words in r.json()["detail"]


def test_changes_of_the_by_labour_code_2015_to_2019(client):
    body = client.get("/changes", params={"act": "by-tk", "from": "2016-01-01", "to": "2020-01-01"}).json()
    assert body["from"]["redaction"] == "2015-07-15" and body["to"]["redaction"] == "2019-07-18"
    added = {x["eid"] for x in body["added"]}
    assert {"art_32.1", "art_261.1"} <= added          # the 2019 reform's new articles
    assert {x["eid"] for x in body["removed"]} >= {"art_466"}
    assert body["summary"]["changed"] > 100
