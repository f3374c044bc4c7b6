"""Calibrated probabilities for every suggestion, and the machine-proposed tables (issue 17,
items 1 and 3): the fitter, the shipped model, held-out calibration on reviewed sets, and
proposals that never pass for reviews."""
from __future__ import annotations

import numpy as np
import pytest

from ingest.mappings import calibration as cal
from ingest.mappings.curated import MAPPINGS_DIR
from ingest.mappings.evaluate import (anchor_counts, calibration_rows, evaluate, fit_weights_multi, gold_pairs,
                                      query_features, without_counterpart)
from ingest.mappings.sssom_tsv import parse
from ingest.mappings.suggest import DEFAULT_WEIGHTS, FEATURES, MODEL, Suggester


def test_fit_recovers_a_known_probability():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6000, len(cal.CAL_FEATURES)))
    true = 1 / (1 + np.exp(-(2.0 * x[:, 0] - 1.0 * x[:, 1] - 0.5)))
    y = (rng.random(6000) < true).astype(float)
    model = cal.fit(x[:4000], y[:4000])
    p = model.probabilities(x[4000:])
    assert cal.expected_calibration_error(p, y[4000:]) < 0.04
    assert np.corrcoef(p, true[4000:])[0, 1] > 0.98
    bins = cal.reliability(p, y[4000:])
    assert sum(n for _, _, n, _, _ in bins) == 2000
    # a model that says 0.5 for everything is badly calibrated on skewed labels
    assert cal.expected_calibration_error(np.full(100, 0.5), np.r_[np.ones(90), np.zeros(10)]) == pytest.approx(0.4)
    # round trip, and a model over other features is refused
    assert cal.Calibrator.from_dict(model.as_dict()).probabilities(x[:5]) == pytest.approx(model.probabilities(x[:5]), abs=1e-5)
    with pytest.raises(ValueError, match="refit"):
        cal.Calibrator.from_dict({**model.as_dict(), "features": ["score"]})


def test_the_shipped_model_fits_the_suggester():
    """suggester_model.json is written by bench/mappings.py --fit --write over today's features."""
    assert cal.MODEL_FILE.exists(), "run .venv/bin/python bench/mappings.py --fit --write"
    assert MODEL.calibrator is not None and MODEL.calibrator.features == cal.CAL_FEATURES
    assert set(DEFAULT_WEIGHTS) == set(FEATURES) and sum(DEFAULT_WEIGHTS.values()) > 0
    assert MODEL.meta["made_by"].startswith("bench/mappings.py")


def test_every_suggestion_carries_a_probability(client):
    r = client.get("/mappings/suggest", params={"source": "eli/ru/kodeks/1995/223-fz/art_12",
                                                "target_act": "eli/by/kodeks/1999/278-z"})
    assert r.status_code == 200, r.text
    cands = r.json()["candidates"]
    probs = [c["probability"] for c in cands]
    assert all(0 <= p <= 1 for p in probs)
    # the reviewed counterpart (КоБС art. 17, "Условия заключения брака") comes first and is likely
    assert cands[0]["iri"].endswith("/art_17") and probs[0] > 0.5 and probs[0] == max(probs)


def _set(sug, name):
    mset = parse((MAPPINGS_DIR / f"{name}.sssom.tsv").read_text(), name)
    model = sug.pair(str(mset.meta["subject_source"]), str(mset.meta["object_source"]))
    gold = gold_pairs(mset.mappings, model.source, model.target)
    queries = sorted(gold) + without_counterpart(mset.mappings, model.source, gold)
    return model, gold, queries


def test_calibration_holds_on_a_set_it_was_not_fitted_on(loaded):
    """Fit weights and calibration on the criminal set only, score the family set (another
    code pair, 110 candidates): measured ECE 0.11 — calibration carries over between code
    pairs less well than within them (0.007 by 5-fold CV over all sets), hence the bound."""
    _, store = loaded
    sug = Suggester(store)
    uk, uk_gold, uk_q = _set(sug, "ru-uk-by-uk")
    sk, sk_gold, sk_q = _set(sug, "ru-sk-by-kobs")
    train = query_features(uk, uk_q, uk_gold)
    w = fit_weights_multi([(uk, uk_gold, train)])
    x, y, _ = calibration_rows(uk, uk_gold, train, anchor_counts(uk, uk_q, uk_gold), w)
    model = cal.fit(x, y)
    test = query_features(sk, sk_q, sk_gold)
    xt, yt, first = calibration_rows(sk, sk_gold, test, anchor_counts(sk, sk_q, sk_gold), w)
    p = model.probabilities(xt)
    assert len(yt) == 5 * len(sk_q)
    assert cal.expected_calibration_error(p, yt) < 0.15
    assert abs(p[first].mean() - yt[first].mean()) < 0.15
    assert evaluate(sk, sk_gold, test, w).top1 >= 0.7


def test_proposals_cover_every_article_and_never_pass_for_reviews(loaded):
    from ingest.mappings.proposals import pair_table
    from ingest.mappings.repository import MappingRepository
    settings, store = loaded
    table = MappingRepository(store, settings.base_iri).table()
    sug = Suggester(store)
    b = settings.base_iri
    t = pair_table(sug, table, f"{b}/eli/ru/kodeks/1995/223-fz", f"{b}/eli/by/kodeks/1999/278-z")
    subjects = {m.subject for m in t.proposals}
    assert t.reviewed and not subjects & t.reviewed
    assert len(subjects | t.reviewed) == t.articles == len(t.proposals) + len(t.reviewed)
    assert all(m.lifecycle == "proposed" and m.reviewer is None and 0 <= m.confidence <= 1 for m in t.proposals)
    assert {m.justification for m in t.proposals} <= {"semapv:LexicalMatching", "semapv:CompositeMatching"}
    assert t.suggested and t.none
    assert all(m.relation is None for m in t.proposals if m.no_counterpart)
    assert all("not reviewed" in (m.comment or "") for m in t.proposals)
