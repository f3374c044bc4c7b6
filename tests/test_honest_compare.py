"""Comparisons never read a source gap as a repeal, and reviewed mappings are never counted
with the suggester's proposals (issue 17, item 4)."""
from __future__ import annotations

import csv
import io

import pytest

from api.redline import redline, with_missing_text
from ingest.adapters.tree_builder import CUT_LIST, MISSING_INNER_LIST, MISSING_LIST, flag_missing_list
from ingest.model import REPEALED, ParsedDocument, Provision

RU_TK, BY_TK = "eli/ru/kodeks/2001/197-fz", "eli/by/kodeks/1999/296-z"


def _article(text: str, *parts: Provision) -> Provision:
    return Provision(kind="article", num="1", label="Статья 1", text=text, children=list(parts))


def _pt(num: str, text: str, kind: str = "point", *children: Provision, status: str = "in_force") -> Provision:
    return Provision(kind=kind, num=num, label=f"{num})", text=text, status=status, children=list(children))


def _para(num: str, text: str, *children: Provision) -> Provision:
    return Provision(kind="para", num=num, label=f"{num}.", text=text, children=list(children))


def _defects(article: Provision) -> list[str]:
    doc = ParsedDocument(children=[article])
    flag_missing_list(article, doc)
    assert len(doc.problems) == len(article.defects)     # every recorded defect is also reported
    return article.defects


# ------------------------------------------------------------------ detection in the adapters

def test_a_list_cut_after_a_semicolon_is_a_defect():
    # КоАП РБ art. 7.3: part 1's list stops at point 10 with ";", part 2 follows
    art = _article("", _para("1", "Обстоятельствами признаются:", _pt("1", "первое;"), _pt("10", "десятое;")),
                   _para("2", "Суд может не признать отягчающим."))
    assert _defects(art) == [CUT_LIST]
    # the same at the very end of the article
    assert _defects(_article("Признаются:", _pt("1", "первое;"), _pt("2", "второе;"))) == [CUT_LIST]


@pytest.mark.parametrize("art", [
    # a whole list: the last item ends with "."
    _article("Признаются:", _pt("1", "первое;"), _pt("2", "второе.")),
    # a nested list whose last sub-item ends with ";" goes on with the outer list (ТК РФ art. 81)
    _article("Расторгается:", _pt("6", "нарушения:", "point", _pt("а", "прогула;", "subpoint"), _pt("д", "иного;", "subpoint")),
             _pt("7", "утраты доверия.")),
    # a repealed last item still goes on with the list (ГК РФ art. 1377: "5) утратил силу")
    _article("Содержит:", _pt("4", "описание;"), _pt("5", "", status=REPEALED)),
    # a wrap-up closes the list
    Provision(kind="article", num="1", label="Статья 1", text="Признаются:", children=[_pt("1", "первое;")],
              wrap_up="При этом учитывается иное."),
    # a quoted amending law ends with '.";' in plain-text exports (ГК РФ 2016 art. 181⁵)
    _article("Ничтожно:", _pt("1", "первое;"), _pt("4", "противоречит нравственности.\";")),
])
def test_whole_lists_are_not_defects(art):
    assert _defects(art) == []


def test_a_missing_list_after_a_colon_is_a_defect():
    assert _defects(_article("Расторгается в случаях:")) == [MISSING_LIST]
    inner = _article("", _para("1", "Работник обязан:"), _para("2", "Наниматель обязан обеспечить условия."))
    assert _defects(inner) == [MISSING_INNER_LIST]
    # a colon followed by its list is whole
    assert _defects(_article("", _para("1", "Работник обязан:", _pt("1", "работать.")), _para("2", "Иное."))) == []


def test_koap_art_7_3_cut_list_is_recorded(manifest):
    """The real source: КоАП РБ art. 7.3 ends part 1 at point 10 with ";"."""
    from ingest.config import load_settings
    from ingest.load import parse_source
    from ingest.sources import read_source
    act = manifest.find("by-koap")
    doc = parse_source(act.latest, read_source(manifest, act.latest, load_settings()))
    art = next(a for a in doc.articles() if a.num == "7.3")
    assert CUT_LIST in art.defects
    assert any("7.3" in p.message and '";"' in p.message for p in doc.problems)
    # and most articles of the code are whole
    assert sum(1 for a in doc.articles() if CUT_LIST in a.defects) < len(doc.articles()) / 50


# ------------------------------------------------------------------ the redline

def test_missing_text_is_neither_deleted_nor_inserted():
    full = "Договор расторгается в случаях:\n1) ликвидации организации;\n2) сокращения штата;\n3) прогула."
    cut = "Договор расторгается в случаях:"
    r = with_missing_text(redline(full, cut), "right")
    assert r["stats"]["deleted"] == 0 and r["stats"]["missing"] >= 8
    assert r["identical"] and r["similarity"] == 1.0
    assert [o["op"] for o in r["ops"]] == ["equal", "missing"]
    # the other way round (the older redaction's source is the cut one)
    back = with_missing_text(redline(cut, full), "left")
    assert back["stats"]["inserted"] == 0 and back["identical"]
    # a real edit beside the cut stays an edit
    edited = with_missing_text(redline(full, "Договор может быть расторгнут в случаях:"), "right")
    assert not edited["identical"] and edited["stats"]["missing"] >= 8
    assert edited["stats"]["inserted"] + edited["stats"]["replaced"] > 0
    with pytest.raises(ValueError):
        with_missing_text(redline(full, cut), "middle")


# ------------------------------------------------------------------ the answers

def test_diff_against_a_cut_source_counts_no_deletions(client):
    """ТК РФ art. 81 ↔ ТК РБ 2019 art. 42, whose list is missing in the source: the issue's
    "similarity 0.01 and 870 deleted words"."""
    body = client.get("/diff", params={"left": f"{RU_TK}/art_81", "right": f"{BY_TK}/art_42"}).json()
    assert body["text_missing"] == 1 and body["source_defects"]["right"] and not body["source_defects"]["left"]
    assert body["stats"]["deleted"] < 50 < body["stats"]["missing"]
    assert "неполон" in body["notice"]
    page = client.get("/diff", params={"left": f"{RU_TK}/art_81", "right": f"{BY_TK}/art_42", "format": "html"}).text
    assert "неполон" in page and 'class="missing"' in page
    whole = client.get("/diff", params={"left": f"{RU_TK}/art_80", "right": f"{BY_TK}/art_40"}).json()
    assert whole["text_missing"] == 0 and whole["notice"] is None


def test_changes_list_source_gaps_apart_from_changes(client):
    """ТК РБ 2015 → 2019: articles that only lost their lists to the source are not changed."""
    body = client.get("/changes", params={"act": "by-tk", "from": "2016-01-01", "to": "2020-01-01"}).json()
    gaps = {x["eid"] for x in body["text_missing"]}
    changed = {x["eid"]: x for x in body["changed"]}
    assert not gaps & set(changed)
    # art. 42 lost its list of grounds (and changed two words besides): the list is missing, not deleted
    art42 = changed["art_42"]
    assert art42["source_defects"]["to"] and art42["stats"]["deleted"] < 10 < 100 < art42["stats"]["missing"]
    assert all(x["source_defects"]["to"] and x["stats"]["deleted"] == 0 for x in body["text_missing"])
    s = body["summary"]
    assert s["text_missing"] == len(gaps) > 20
    assert str(s["text_missing"] + s["text_missing_changed"]) in body["notice"]
    page = client.get("/changes", params={"act": "by-tk", "from": "2016-01-01", "to": "2020-01-01",
                                          "format": "html"}).text
    assert "неполон" in page and 'class="missing"' in page


def test_gap_analysis_keeps_reviewed_and_suggested_apart(client):
    body = client.get("/compare", params={"left_act": "ru-tk", "right_act": "by-tk"}).json()
    s = body["summary"]
    for status in ("matched", "diverging", "missing"):
        assert s[status] == sum(s[f"{k}_{status}"] for k in ("reviewed", "suggested", "none"))
    assert s["reviewed"] + s["suggested"] + s["unmatched"] == s["left_articles"] <= len(body["pairs"])
    assert all(p["reviewed"] == (p["source"] == "mapping") for p in body["pairs"])
    assert all(p["relation"] is None and 0 <= p["probability"] <= 1 for p in body["pairs"] if p["source"] == "suggestion")
    # chapters carry their titles and the split
    assert all(c["title"] for c in body["chapters"][:5])
    assert sum(c["reviewed_diverging"] + c["suggested_diverging"] for c in body["chapters"]) == s["diverging"]
    # the BY labour code of 2019 lost lists: pairs touching it say so, and the answer counts them
    missing = [p for p in body["pairs"] if p["text_missing"]]
    assert missing and s["text_missing"] == len({p["left"]["iri"] for p in missing}) and body["notice"]
    rows = list(csv.reader(io.StringIO(client.get("/compare", params={"left_act": "ru-tk", "right_act": "by-tk",
                                                                       "format": "csv"}).text)))
    head = [h.lstrip("\ufeff") for h in rows[0]]
    basis, gap = head.index("основание"), head.index("текст в источнике")
    assert {"проверено", "предложение системы, не проверено"} <= {r[basis] for r in rows[1:]}
    assert any(r[gap] for r in rows[1:]) and rows[1][0].startswith("Глава 1 ")
    page = client.get("/compare", params={"left_act": "ru-tk", "right_act": "by-tk", "format": "html"}).text
    assert "проверено" in page and "не проверено" in page and "неполон" in page
