"""The suggester's evidence on the real codes (issue 17): the terms the codes define, and the list
items the BY Labour Code's 2019 source lost, read from its earlier redaction."""
from __future__ import annotations

from ingest.mappings.suggest import ActProfile, BagCache, PairModel, Suggester, _defined_terms, is_cut, list_after


def test_defined_terms_are_found_as_the_codes_write_them(loaded):
    """"Term – definition" opening a line, as both labour codes write them; the pattern before (any
    quoted phrase) found no defined term in the BY Labour Code at all."""
    settings, store = loaded
    sug = Suggester(store)
    b = settings.base_iri
    ru, by = f"{b}/eli/ru/kodeks/2001/197-fz", f"{b}/eli/by/kodeks/1999/296-z"
    ru_tk, by_tk = sug.profile(ru), sug.profile(by)
    # "Заработная плата – вознаграждение за труд …" / "Заработная плата (оплата труда работника) - …"
    assert by_tk.by_iri[f"{by}/art_57"].defined == {"заработный плата"}
    assert {"заработный плата", "оклад"} <= ru_tk.by_iri[f"{ru}/art_129"].defined
    # art. 1's list of terms: "наниматель – юридическое лицо …"
    assert "наниматель" in by_tk.by_iri[f"{by}/art_1"].defined
    assert sum(1 for a in by_tk.articles if a.defined) >= 20
    # a sanction after the dash is no definition
    assert _defined_terms("1. Кража - наказывается штрафом в размере до восьмидесяти тысяч рублей") == frozenset()


def test_lost_list_items_come_from_the_earlier_redaction(loaded):
    """The 2019 source of the BY Labour Code stops many articles at the colon opening their list;
    the 2015 redaction has the items: the suggester's words for the article include them, the
    article shown stays as the latest source has it."""
    settings, store = loaded
    sug = Suggester(store)
    b = settings.base_iri
    ru, by = f"{b}/eli/ru/kodeks/2001/197-fz", f"{b}/eli/by/kodeks/1999/296-z"
    latest = {d.eid: d for d in sug.articles.latest(by)}
    assert is_cut(latest["art_44"]) and latest["art_44"].text.rstrip().endswith("воли сторон:")
    assert sum(is_cut(d) for d in latest.values()) > 50
    profile = sug.profile(by)
    # art. 44, item 1: "призыв работника на военную службу, направление … на альтернативную службу"
    assert {"призыв", "альтернативный"} <= set(profile.by_iri[f"{by}/art_44"].text_terms)
    # art. 42's list opens with a line the 2019 reform reworded ("могут быть расторгнуты" for
    # "может быть расторгнут"); item 1 is "ликвидации организации …"
    assert is_cut(latest["art_42"]) and "ликвидация" in profile.by_iri[f"{by}/art_42"].text_terms
    assert sug.articles.latest(by)[0].text == latest["art_1"].text       # the shelf is untouched
    # RU art. 84 (termination for breach of hiring rules) is BY art. 44's item 3: with the items
    # its best text match, without them 290th
    plain = PairModel(sug.profile(ru), ActProfile(by, sug.articles.latest(by)))
    full = sug.pair(ru, by)
    for src, tgt in (("art_84", "art_44"), ("art_59", "art_17")):
        i, j = full.source.by_iri[f"{ru}/{src}"].order, full.target.by_iri[f"{by}/{tgt}"].order
        row, before = full.sims("text")[i], plain.sims("text")[i]
        assert row.argmax() == j and (before > before[j]).sum() > 10, (src, tgt)


def test_an_earlier_list_stands_in_only_under_a_like_opening_line():
    cut = "Трудовой договор может быть расторгнут нанимателем в случаях:"
    earlier = "Трудовой договор может быть расторгнут нанимателем в случаях:\n1) ликвидации организации;\n2) сокращения"
    assert list_after(cut, earlier) == "1) ликвидации организации;\n2) сокращения"
    other = "Наниматель обязан при приеме на работу:\n1) потребовать документы"
    assert list_after(cut, other) == ""


def test_bags_made_from_an_earlier_redaction_are_kept_apart(tmp_path):
    """The bag cache key names the earlier redactions the bags read, so a re-ingested one is not
    served stale bags."""
    assert BagCache.key([]) != BagCache.key([], "e1=fp1") != BagCache.key([], "e1=fp2")
