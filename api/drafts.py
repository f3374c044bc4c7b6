"""The drafter's workbench: a draft checked against both jurisdictions before it is tabled.

For each article of a draft (api/draft_files.py reads and splits it) the check gives

- the closest provisions of its own jurisdiction (what it would amend or replace): the draft's
  lemmas (the suggester's own analysis) scored against every mapped act of its jurisdiction —
  text and title similarity in the suggester's TF-IDF space, position when the draft keeps the
  article's number — with the suggester's calibrated probability and a redline against each;
- its counterparts in the other jurisdiction: the suggester's features computed for the draft's
  text in the place of the provision it amends (its position between the accepted mappings,
  its chapter, its neighbours; the provision's own reviewed mapping is left out of the anchors,
  as the suggester's cross-validation does), calibrated, with evidence and a redline; the
  reviewed counterparts of the amended provision are listed beside them;
- the references it makes, resolved against the acts' numbering (ingest/references), with the
  counterparts of their targets through accepted mappings;
- the terms it defines ("… — это …", "под … понимается …") beside the definitions of both
  jurisdictions' mapped acts;
- its parameters (ingest.parameters) compared with those of the amended provision and of the
  first counterpart: which numbers diverge.

Confidential: nothing of a draft is written to the store or the index, kept in a cache or
logged; only what the data alone determines (vector spaces, definitions, numberings) is memoised.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any, Callable, Hashable

import numpy as np

from ingest.identifiers import top_unit_of, work_of
from ingest.mappings.calibration import candidate_rows
from ingest.mappings.repository import Filters, MappingTable
from ingest.mappings import suggest as suggest_module
from ingest.mappings.suggest import (DEFAULT_WEIGHTS, FEATURES, MODEL, PairModel, Suggester, _defined_terms, lemmas,
                                     relative)

from .draft_files import DraftArticle, DraftError
from .redline import redline

OWN_SHOWN = 3              # closest provisions of the own jurisdiction per draft article
COUNTERPARTS_SHOWN = 3     # counterparts per draft article
TIME_BUDGET = 20.0         # seconds one check may take before it answers 503 instead of stalling
SAME_PROVISION = 0.5       # calibrated P over which the draft is read as a redaction of that provision
_TIME_UNIT_DAYS = {"hour": 1 / 24, "day": 1.0, "working_day": 7 / 5, "week": 7.0, "month": 30.4, "year": 365.25}
_DEFINITION = [
    # "Сделка — это действие …", "Договор - соглашение …" at the start of a unit
    re.compile(r"(?:^|\n)(?:\d+[.)]\s*)?(?P<term>[А-ЯЁ][а-яё]+(?:\s+[а-яё-]+){0,5})\s+[—–-]\s+(?:это\s+)?"
               r"(?P<def>[^.;\n]{10,400})"),
    # "под … понимается / понимаются …"
    re.compile(r"[Пп]од\s+(?P<term>[\w\s«»\"-]{3,80}?)\s+(?:в\s+настоящ\w+\s+\w+\s+)?понима\w+\s+"
               r"(?P<def>[^.;\n]{10,400})"),
    # "… понимается …" after "для целей настоящего Кодекса"
    re.compile(r"[Дд]ля\s+целей\s+настоящ\w+\s+\w+\s+(?:под\s+)?(?P<term>[\w\s«»\"-]{3,80}?)\s+понима\w+\s+"
               r"(?P<def>[^.;\n]{10,400})"),
]

# "Кража - наказывается …", "Гражданин - собственник жилого помещения может …": a sanction or a
# compound noun after the dash, not a definition
_NOT_A_DEFINITION = re.compile(r"(?:наказыва|влеч|карает|собственник\s+\w+\s+\w+\s+мож)", re.I)


class DraftTimeout(DraftError):
    """A check that ran past its time budget (503 with Retry-After)."""

    def __init__(self, done: int, total: int, budget: float):
        super().__init__(503, "Draft check took too long",
                         f"{done} of {total} articles were checked in {budget:g} s, the time budget of one check; "
                         "the server is busy or the draft is long — check fewer articles at a time",
                         {"Retry-After": "10"})


@dataclass
class Checker:
    """What a check reads: the store's suggester, the mapping table, the jurisdiction of each act,
    the act titles, the manifest's act names (references) and the app context's memo."""

    suggester: Suggester
    table: MappingTable
    acts: list[dict]                        # api.resources.list_acts
    memo: Callable[[str, Hashable, Callable[[], Any]], Any]
    names: Any = None                       # ingest.references.ActNames (None: references are not resolved)
    store: Any = None
    # (query, jurisdiction) -> search results (api.search answers' "results"): every act of the
    # jurisdiction, mapped or not, through the search index; None: no index (the CLI, the bench)
    search: Callable[[str, str], list[dict]] | None = None
    # what one check reads again and again, kept for this Checker's life (one request): data only
    _kept: dict = field(default_factory=dict)

    def _once(self, kind: str, key: Hashable, build: Callable[[], Any]) -> Any:
        if (kind, key) not in self._kept:
            self._kept[(kind, key)] = build()
        return self._kept[(kind, key)]

    # ------------------------------------------------------------ data-only views (memoised)
    def jurisdiction(self, work: str) -> str:
        return next((a["jurisdiction"] for a in self.acts if a["iri"] == work), "")

    def title(self, work: str) -> str:
        return next((a.get("title") or "" for a in self.acts if a["iri"] == work), "")

    def mapped_works(self, jurisdiction: str) -> list[tuple[str, list[str]]]:
        """(act, its counterpart acts) for each act of `jurisdiction` that mapping sets pair."""
        def build() -> list[tuple[str, list[str]]]:
            pairs = self.table.act_pairs()
            works = sorted({w for p in pairs for w in p if self.jurisdiction(w) == jurisdiction})
            return [(w, sorted({b if a == w else a for a, b in pairs if w in (a, b) and a != b
                                and self.jurisdiction(b if a == w else a) not in ("", jurisdiction)}))
                    for w in works]
        return self.memo("draft mapped works", jurisdiction, build)

    def space(self, source: str, target: str) -> "Space":
        # kept until the data token moves: an ingest (the only thing that changes an act's articles)
        # moves it, and the app context then makes a new suggester too
        return self._once("space", (source, target), lambda: self.memo(
            "draft space", (source, target, id(self.suggester)), lambda: Space(self.suggester.pair(source, target))))

    def texts(self, work: str) -> dict[str, Any]:
        """Article IRI -> the shelf's article (text, chapter …) of the act's latest redaction."""
        return self._once("texts", work, lambda: self.memo(
            "draft texts", (work, id(self.suggester)), lambda: {a.iri: a for a in self.suggester.articles.latest(work)}))

    def accepted_pairs(self, source: str, target: str) -> list[tuple[str, str]]:
        return self.memo("draft accepted pairs", (source, target), lambda: self.table.accepted_pairs(source, target))

    def accepted_of(self, iri: str) -> list:
        """The accepted mappings with a counterpart that have `iri` at one end."""
        def build() -> dict[str, list]:
            out: dict[str, list] = {}
            for m in self.table.select(Filters(lifecycle=("accepted",))):
                if m.no_counterpart or m.relation in (None, "not_related"):
                    continue
                out.setdefault(m.subject, []).append(m)
                out.setdefault(m.object, []).append(m)
            return out
        return self.memo("draft accepted by provision", None, build).get(iri, [])

    def parameters(self, iri: str, text: str) -> list:
        """The parameters of a corpus provision's text (kept: they depend on the data only)."""
        # one memo entry holding a bounded dict, not an entry per provision: the memo starts again
        # past 512 entries, and that would drop the act spaces too
        kept = self.memo("draft provision parameters", None, dict)
        key = (iri, hash(text))
        if key not in kept:
            if len(kept) > 20_000:
                kept.clear()
            kept[key] = parameters_of(text)
        return kept[key]

    def definitions(self) -> dict[str, list[dict]]:
        """Term key (sorted lemmas) -> definitions found in the mapped acts of both jurisdictions."""
        def build() -> dict[str, list[dict]]:
            out: dict[str, list[dict]] = {}
            works = sorted({w for j in ("ru", "by") for w, _ in self.mapped_works(j)})
            for w in works:
                for a in self.texts(w).values():
                    for d in find_definitions(a.text):
                        out.setdefault(d["key"], []).append(
                            {**d, "iri": a.iri, "label": a.label, "act": w, "act_title": self.title(w),
                             "jurisdiction": self.jurisdiction(w)})
            return out
        return self.memo("draft definitions", None, build)

    def numbering(self, work: str):
        from ingest.references.store_pass import numbering_from_store
        return self.memo("draft numbering", work, lambda: numbering_from_store(self.store, work))


class Space:
    """The suggester's TF-IDF space of one act pair (the same vocabulary and weights as its
    PairModel), able to place a text that is in neither act."""

    def __init__(self, model: PairModel):
        self.model = model
        self.order_of = {a.eid: a.order for a in model.source.articles}     # eId -> order in the source act
        arts = model.source.articles + model.target.articles
        self.vocab: dict[str, tuple[dict[str, int], np.ndarray]] = {}
        for name, attr in (("text", "text_terms"), ("title", "title_terms")):
            bags = [getattr(a, attr) for a in arts]
            df = Counter(t for b in bags for t in b)
            terms = sorted(df)
            idf = np.array([math.log((1 + len(bags)) / (1 + df[t])) + 1 for t in terms], dtype=np.float32)
            self.vocab[name] = ({t: i for i, t in enumerate(terms)}, idf)

    def vector(self, name: str, bag: Counter) -> np.ndarray:
        vocab, idf = self.vocab[name]
        v = np.zeros(len(vocab), dtype=np.float32)
        for term, n in bag.items():
            j = vocab.get(term)
            if j is not None:
                v[j] = (1 + math.log(n)) * idf[j]
        norm = float(np.linalg.norm(v))
        return v / norm if norm else v

    def sims(self, name: str, bag: Counter, side: int) -> np.ndarray:
        """Cosine of the bag against every article of the source (side 0) or target (side 1) act.

        Only the columns of the draft's own terms are read: a draft article has a few hundred
        terms, an act pair's vocabulary tens of thousands (a dense product read ~70 MB per act)."""
        vocab, idf = self.vocab[name]
        cols, weights = [], []
        for term, n in bag.items():
            j = vocab.get(term)
            if j is not None:
                cols.append(j)
                weights.append((1 + math.log(n)) * idf[j])
        mat = self.model.mats[name][side]
        if not cols:
            return np.zeros(mat.shape[0], dtype=np.float32)
        w = np.array(weights, dtype=np.float32)
        return mat[:, cols] @ (w / np.linalg.norm(w))


# ------------------------------------------------------------------ one draft article

@dataclass
class DraftBag:
    """A draft article as the suggester sees it."""

    article: DraftArticle
    text_terms: Counter
    title_terms: Counter
    defined: frozenset[str]

    @classmethod
    def of(cls, a: DraftArticle) -> "DraftBag":
        return cls(a, lemmas(a.text), lemmas(a.title), _defined_terms(a.text))


def _weights() -> np.ndarray:
    return np.array([DEFAULT_WEIGHTS[f] for f in FEATURES], dtype=np.float32)


def _defined_col(bag: DraftBag, articles) -> np.ndarray:
    if not bag.defined:
        return np.zeros(len(articles), dtype=np.float32)
    return np.array([len(bag.defined & a.defined) / len(bag.defined | a.defined) if a.defined else 0.0
                     for a in articles], dtype=np.float32)


def _stack(cols: dict[str, np.ndarray], n: int) -> np.ndarray:
    """The feature matrix (candidates x FEATURES) from named columns; a feature the draft check
    does not compute (the suggester may gain one) is 0 for every candidate."""
    zeros = np.zeros(n, dtype=np.float32)
    return np.stack([cols.get(f, zeros).astype(np.float32) for f in FEATURES], axis=1)


def _mutual(model: PairModel, text: np.ndarray, title: np.ndarray) -> np.ndarray | None:
    """The suggester's "mutual" feature for the draft in a source's place: how close the draft's
    text+title similarity to each target comes to that target's best over the source act."""
    share, slope = getattr(suggest_module, "TEXT_SHARE", None), getattr(suggest_module, "MUTUAL_SLOPE", None)
    if share is None or slope is None or not hasattr(model, "blend"):
        return None
    b = share * text + (1 - share) * title
    blend = model.blend()
    best = np.maximum(blend.max(axis=0), b) if blend.size else b
    return np.clip(1 - (best - b) * slope, 0, 1)


def _ranked(feats: np.ndarray, anchors: int, k: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """(top indices, scores, calibrated probabilities of the top) under the suggester's weights."""
    scores = feats @ _weights()
    top = np.argsort(-scores)[:k]
    cal = MODEL.calibrator
    probs = cal.probabilities(candidate_rows(scores, feats, top, anchors)) if cal is not None else None
    return top, scores, probs


def own_candidates(ck: Checker, bag: DraftBag, jurisdiction: str) -> list[dict]:
    """The closest in-force articles of the draft's own jurisdiction, best first: for each mapped
    act, the suggester's features with the act itself as the "target" (text, title, defined terms;
    position when the draft keeps an article's number), calibrated; the best of all acts."""
    found = []
    for work, targets in ck.mapped_works(jurisdiction):
        if not targets:
            continue
        sp = ck.space(work, targets[0])
        arts = sp.model.source.articles
        n = len(arts)
        if not n:
            continue
        text = sp.sims("text", bag.text_terms, 0)
        title = sp.sims("title", bag.title_terms, 0) if bag.title_terms else np.zeros(n, dtype=np.float32)
        position = np.zeros(n, dtype=np.float32)
        num = bag.article.num
        if num:
            same = sp.order_of.get(f"art_{num}")
            if same is not None:
                position = np.exp(-np.abs(np.arange(n, dtype=np.float32) - same) / 10.0)
        feats = _stack({"text": text, "title": title, "position": position, "defined": _defined_col(bag, arts),
                        "text_rel": relative(text)}, n)
        top, scores, probs = _ranked(feats, 0, OWN_SHOWN)
        for r, j in enumerate(top):
            a = arts[int(j)]
            found.append({"iri": a.iri, "label": a.label, "title": a.title, "act": work, "act_title": ck.title(work),
                          "order": a.order, "chapter": a.chapter, "score": round(float(scores[j]), 4),
                          "probability": None if probs is None else round(float(probs[r]), 4),
                          "evidence": {**{f: round(float(feats[j, i]), 4) for i, f in enumerate(FEATURES)},
                                       "shared_lemmas": [t for t, _ in (bag.text_terms & a.text_terms).most_common(10)]},
                          "_targets": targets})
    found.sort(key=lambda c: (-(c["probability"] or 0.0), -c["score"]))
    return found[:OWN_SHOWN]


def counterparts(ck: Checker, bag: DraftBag, own: dict, exclude_reviewed: bool = True) -> list[dict]:
    """The draft's counterparts in the acts mapped to the act of `own` (the provision it amends),
    with the suggester's features computed for the draft's text in that provision's place."""
    out = []
    for target in own["_targets"]:
        sp = ck.space(own["act"], target)
        model = sp.model
        src = model.source.by_iri.get(own["iri"])
        if src is None or not model.target.articles:
            continue
        i = src.order
        pairs = ck.accepted_pairs(own["act"], target)
        anchors = model.anchors_from(pairs, exclude=src.iri if exclude_reviewed else None)
        n = model.n_target
        title = sp.sims("title", bag.title_terms, 1) if bag.title_terms else np.zeros(n, dtype=np.float32)
        text = sp.sims("text", bag.text_terms, 1)
        cols = {"text": text, "title": title, "position": model.position(i, anchors),
                "chapter": model.sims("chapter")[i], "defined": _defined_col(bag, model.target.articles),
                "context": model.context(i), "block": model.block_votes(i, anchors), "text_rel": relative(text),
                "opening": model.opens_t if model.opens_s[i] else np.zeros(n, dtype=np.float32)}
        mutual = _mutual(model, text, title)
        if mutual is not None:
            cols["mutual"] = mutual
        feats = _stack(cols, n)
        top, scores, probs = _ranked(feats, len(anchors), COUNTERPARTS_SHOWN)
        for r, j in enumerate(top):
            a = model.target.articles[int(j)]
            out.append({"iri": a.iri, "label": a.label, "title": a.title, "act": target, "act_title": ck.title(target),
                        "score": round(float(scores[j]), 4),
                        "probability": None if probs is None else round(float(probs[r]), 4),
                        "evidence": {**{f: round(float(feats[j, k]), 4) for k, f in enumerate(FEATURES)},
                                     "shared_lemmas": [t for t, _ in (bag.text_terms & a.text_terms).most_common(10)],
                                     "shared_defined_terms": sorted(bag.defined & a.defined),
                                     "anchors": len(anchors), "in_place_of": src.iri}})
    out.sort(key=lambda c: (-(c["probability"] or 0.0), -c["score"]))
    return out[:COUNTERPARTS_SHOWN]


def reviewed_counterparts(ck: Checker, iri: str) -> list[dict]:
    """Accepted mappings of a provision (an article): the reviewed counterparts."""
    out = []
    for m in ck.accepted_of(iri):
        other, label = (m.object, m.object_label) if m.subject == iri else (m.subject, m.subject_label)
        if other == iri:
            continue
        out.append({"iri": other, "label": label, "act": work_of(other), "relation": m.relation,
                    "harmonization": m.harmonization, "mapping": m.record_id})
    return out


# ------------------------------------------------------------------ parameters

def _norm(p) -> tuple[str, float]:
    """(unit family key, value in a common unit) so "36 месяцев" and "3 года" compare equal."""
    if p.unit in _TIME_UNIT_DAYS:
        return "time", round(p.value * _TIME_UNIT_DAYS[p.unit], 1)
    return p.unit, float(p.value)


def parameters_of(text: str) -> list:
    """The parameters a text sets (ingest.parameters), [] when the extractor is not installed."""
    try:
        from ingest.parameters import extract_parameters
    except ImportError:
        return []
    return extract_parameters(text)


def compare_parameters(draft: list, other: list) -> dict:
    """Draft parameters against a provision's, aligned in the order the texts set them (difflib
    over (kind, unit family, value in a common unit), so a number the draft changed is paired
    with the one it replaces even when the new value occurs elsewhere in the provision): equal
    runs are "same", a changed run pairs its numbers of the same kind and unit family in order as
    "divergent", as is a number left alone on each side with the same kind and unit family (the nearest); what
    is left is "only in the draft" / "only in the provision"."""
    def key(p) -> tuple:
        fam, value = _norm(p)
        return (p.kind, fam, value)
    same, diverging, only_d, only_o = [], [], [], []
    sm = SequenceMatcher(None, [key(p) for p in draft], [key(p) for p in other], autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            same += list(zip(range(i1, i2), range(j1, j2)))
            continue
        rest = list(range(j1, j2))
        for i in range(i1, i2):
            j = next((j for j in rest if key(other[j])[:2] == key(draft[i])[:2]), None)
            if j is None:
                only_d.append(i)
            else:
                diverging.append((i, j))
                rest.remove(j)
        only_o += rest
    # a number the alignment left alone on each side (its neighbours matched elsewhere) is still the
    # one the other replaces when kind and unit family agree: paired in order
    for i in list(only_d):
        fits = [j for j in only_o if key(other[j])[:2] == key(draft[i])[:2]]
        if fits:
            j = min(fits, key=lambda j: abs(other[j].start - draft[i].start))    # the nearest in the text
            diverging.append((i, j))
            only_d.remove(i)
            only_o.remove(j)
    diverging.sort()
    return {"same": [{"draft": draft[i].as_dict(), "provision": other[j].as_dict()} for i, j in same],
            "divergent": [{"draft": draft[i].as_dict(), "provision": other[j].as_dict(),
                           "label": draft[i].label or other[j].label} for i, j in diverging],
            "only_draft": [draft[i].as_dict() for i in only_d],
            "only_provision": [other[j].as_dict() for j in only_o]}


# ------------------------------------------------------------------ definitions

def _term_key(term: str) -> str:
    return " ".join(sorted(lemmas(term)))


def find_definitions(text: str) -> list[dict]:
    """Terms a text defines: {"term", "definition", "key"} (key: the term's sorted lemmas)."""
    out, seen = [], set()
    for rx in _DEFINITION:
        for m in rx.finditer(text or ""):
            term = m.group("term").strip(" «»\"")
            key = _term_key(term)
            if not key or key in seen or len(key.split()) > 6 or _NOT_A_DEFINITION.match(m.group("def")):
                continue
            seen.add(key)
            out.append({"term": term, "definition": m.group("def").strip(), "key": key})
    return out


def compare_definitions(ck: Checker, text: str, jurisdiction: str) -> list[dict]:
    """Each term the draft defines with the definitions of the same term in both jurisdictions."""
    known = ck.definitions()
    out = []
    for d in find_definitions(text):
        found = known.get(d["key"], [])[:6]
        out.append({"term": d["term"], "definition": d["definition"],
                    "own": [_def_row(d, x) for x in found if x["jurisdiction"] == jurisdiction],
                    "other": [_def_row(d, x) for x in found if x["jurisdiction"] != jurisdiction]})
    return out


def _def_row(draft: dict, found: dict) -> dict:
    r = redline(found["definition"], draft["definition"], "lemmas")
    return {"iri": found["iri"], "label": found["label"], "act": found["act"], "act_title": found["act_title"],
            "term": found["term"], "definition": found["definition"], "similarity": r["similarity"]}


# ------------------------------------------------------------------ references

def references(ck: Checker, text: str, own: dict | None, jurisdiction: str) -> list[dict]:
    """The citations of the draft's text resolved against the acts' numbering (as the amended
    provision's, so "настоящей статьи" is that article), with their targets' counterparts."""
    if ck.names is None:
        return []
    from ingest.references import Resolver, find
    cits = find(text[:200_000], ck.names, jurisdiction)
    if not cits:
        return []
    act = next((a for a in ck.names.acts if a.work == own["act"]), None) if own else None
    works = {own["act"]} if own else set()
    for c in cits:
        if c.act is not None and c.act.act_key:
            works.update(a.work for a in ck.names.family_of(c.act.act_key))
    if act is not None:
        works.update(a.work for a in ck.names.family_of(act.key))
    resolver = Resolver(ck.names, {w: ck.numbering(w) for w in sorted(works)})
    source_eid = own["iri"].rsplit("/", 1)[-1] if own else "art_0"
    out = []
    for c in cits:
        ref = resolver.resolve(c, act.key if act else "", source_eid)
        targets = [f"{ref.target_work}/{t}" for t in ref.targets] if ref.target_work else []
        counter = []
        for t in dict.fromkeys(top_unit_of(x) for x in targets[:10]):
            counter += [c2 for c2 in reviewed_counterparts(ck, t) if c2 not in counter]
        out.append({"quote": ref.quote, "start": ref.start, "end": ref.end, "kind": ref.kind,
                    "act": ref.target_work, "targets": targets[:20], "resolved": ref.resolved,
                    "reason": ref.reason or None, "external": ref.external or None, "counterparts": counter[:10]})
    return out


# ------------------------------------------------------------------ search over every act

SEARCH_WORDS = 10          # the draft's words a search query is made of
SEARCH_SHOWN = 5


def search_hits(ck: Checker, bag: DraftBag, jurisdiction: str, seen: set[str]) -> list[dict]:
    """Articles of any act of the jurisdiction (mapped or not) that the search index ranks for the
    draft's title and most frequent words (joined with OR), without those already listed."""
    if ck.search is None:
        return []
    words = list(dict.fromkeys([t for t, _ in bag.title_terms.most_common(4)] +
                               [t for t, _ in bag.text_terms.most_common(SEARCH_WORDS)]))[:SEARCH_WORDS]
    words = [w for w in words if re.fullmatch(r"[а-яёa-z]+", w)]
    if not words:
        return []
    out = []
    for r in ck.search(" OR ".join(words), jurisdiction):
        art = (r.get("article") or {}).get("iri") or r["iri"]
        if art in seen or any(x["iri"] == art for x in out):
            continue
        out.append({"iri": art, "label": (r.get("article") or {}).get("label") or r.get("label"), "act": r["act"],
                    "act_title": r.get("act_title"), "snippet": r.get("snippet"), "score": r.get("score")})
        if len(out) >= SEARCH_SHOWN:
            break
    return out


# ------------------------------------------------------------------ the check

def check_article(ck: Checker, art: DraftArticle, jurisdiction: str, exclude_reviewed: bool = True) -> dict:
    """Everything the check reports of one draft article."""
    bag = DraftBag.of(art)
    own = own_candidates(ck, bag, jurisdiction)
    best = own[0] if own else None
    cps = counterparts(ck, bag, best, exclude_reviewed) if best else []
    reviewed = reviewed_counterparts(ck, best["iri"]) if best else []
    reviewed_iris = {r["iri"] for r in reviewed}
    draft_params = parameters_of(art.text)
    for c in own:
        shelf = ck.texts(c["act"]).get(c["iri"])
        c["text"] = shelf.text if shelf else ""
        c["redline"] = redline(c["text"], art.text)
    for c in cps:
        shelf = ck.texts(c["act"]).get(c["iri"])
        c["text"] = shelf.text if shelf else ""
        c["redline"] = redline(c["text"], art.text)
        c["reviewed"] = c["iri"] in reviewed_iris
    params = {"draft": [p.as_dict() for p in draft_params]}
    if best:
        params["own"] = {"iri": best["iri"], "label": best["label"],
                         **compare_parameters(draft_params, ck.parameters(best["iri"], best["text"]))}
    first = next((c for c in cps if c["reviewed"]), cps[0] if cps else None)
    if first:
        params["counterpart"] = {"iri": first["iri"], "label": first["label"],
                                 **compare_parameters(draft_params, ck.parameters(first["iri"], first["text"]))}
    for c in own:
        c.pop("_targets", None)
    found = search_hits(ck, bag, jurisdiction, {c["iri"] for c in own})
    return {"label": art.label, "num": art.num, "title": art.title, "text": art.text, "parts": art.parts,
            "amends": best["iri"] if best and (best["probability"] or 0) >= SAME_PROVISION else None,
            "own": own, "found_by_search": found, "counterparts": cps, "reviewed_counterparts": reviewed,
            "references": references(ck, art.text, best, jurisdiction),
            "definitions": compare_definitions(ck, art.text, jurisdiction),
            "parameters": params}


def check(ck: Checker, articles: list[DraftArticle], jurisdiction: str, budget: float | None = None,
          exclude_reviewed: bool = True) -> dict:
    """The report of a whole draft; DraftTimeout when it runs past `budget` seconds."""
    if jurisdiction not in ("ru", "by"):
        raise DraftError(422, "Unknown jurisdiction", f"jurisdiction {jurisdiction!r}: use ru or by")
    if not ck.mapped_works(jurisdiction):
        raise DraftError(422, "Nothing to compare with",
                         f"the store holds no mapped act of jurisdiction {jurisdiction!r}; ingest the corpus first")
    budget = TIME_BUDGET if budget is None else budget
    started = time.perf_counter()
    out = []
    for n, art in enumerate(articles):
        if time.perf_counter() - started > budget:
            raise DraftTimeout(n, len(articles), budget)
        out.append(check_article(ck, art, jurisdiction, exclude_reviewed))
    other = "by" if jurisdiction == "ru" else "ru"
    return {"jurisdiction": jurisdiction, "other_jurisdiction": other, "articles": out,
            "stored": False, "seconds": round(time.perf_counter() - started, 3)}


def checker_for(ctx) -> Checker:
    """A Checker over an app context (api.context.AppContext): its suggester, mapping table,
    act list and memo; the act names of its manifest for references (None if unreadable)."""
    def names():
        from ingest.references import ActNames, act_infos
        from ingest.sources import load_manifest
        try:
            return ActNames(act_infos(load_manifest(ctx.settings), ctx.settings.base_iri))
        except (OSError, ValueError):
            return None
    def search(query: str, jurisdiction: str) -> list[dict]:
        from . import search as search_service
        req = search_service.Request(q=query, jurisdiction=(jurisdiction,), limit=SEARCH_SHOWN + 3,
                                     max_depth=ctx.settings.limits.query_max_depth)
        try:
            return search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus,
                                         ctx.known_filters(), ctx.search_counterparts)["results"]
        except search_service.SearchError:
            return []
    acts = ctx.acts()            # first: it refreshes the context (a new suggester after an ingest)
    mctx = ctx.mappings
    return Checker(suggester=ctx.suggester, table=mctx.table(), acts=acts, memo=ctx.memo,
                   names=ctx.memo("draft act names", None, names), store=ctx.store, search=search)


def warm_up(ctx) -> None:
    """Build what a first check would wait for — every mapped act pair's space and the definitions
    of the mapped acts — from the data alone (no draft): run by the app's warm-up after the
    suggestion profiles, so the first drafter after a start does not wait for them."""
    ck = checker_for(ctx)
    for jurisdiction in ("ru", "by"):
        for work, targets in ck.mapped_works(jurisdiction):
            for target in targets:
                ck.space(work, target)
    ck.definitions()


def checker_over(store, settings) -> Checker:
    """A Checker without an app (the CLI, the bench): its own suggester and a memo that lives as
    long as the Checker (what it keeps is built from the data only, never from a draft)."""
    from ingest.mappings.repository import MappingRepository
    from ingest.references import ActNames, act_infos
    from ingest.sources import load_manifest

    from .resources import list_acts
    kept: dict = {}

    def memo(kind: str, key: Hashable, build: Callable[[], Any]) -> Any:
        if (kind, key) not in kept:
            kept[(kind, key)] = build()
        return kept[(kind, key)]
    try:
        names = ActNames(act_infos(load_manifest(settings), settings.base_iri))
    except (OSError, ValueError):
        names = None
    return Checker(suggester=Suggester(store), table=MappingRepository(store, settings.base_iri).table(),
                   acts=list_acts(store), memo=memo, names=names, store=store)


# ------------------------------------------------------------------ the report as a Word document

def _pct(p: float | None) -> str:
    return "—" if p is None else f"{p * 100:.0f} %"


def _param(p: dict) -> str:
    return f"{p['quote']} ({p['value']:g} {p['unit']})" + (f" — {p['label']}" if p.get("label") else "")


def report_docx(report: dict) -> bytes:
    """The check report as a Word document in api/docx.py's style: per draft article its closest
    provisions and counterparts (probability, similarity), the redline against the provision it
    amends (deletions struck in red, insertions underlined in blue), references, terms and the
    diverging numbers."""
    from .docx import _bytes, _deleted, _doc, _inserted, _paragraphs, _table
    jur = {"ru": "Российская Федерация", "by": "Республика Беларусь"}
    doc = _doc("Проверка проекта")
    doc.add_paragraph(f"Юрисдикция проекта: {jur.get(report['jurisdiction'], report['jurisdiction'])}. "
                      f"Сопоставлено с: {jur.get(report['other_jurisdiction'], report['other_jurisdiction'])}. "
                      "Текст проекта не сохраняется.")
    for art in report["articles"]:
        doc.add_heading(" ".join(x for x in (art["label"], art["title"]) if x) or "Статья проекта", level=2)
        if art["own"]:
            doc.add_paragraph("Ближайшие нормы своей юрисдикции (что проект изменяет или заменяет):")
            _table(doc, ["Норма", "Акт", "Вероятность", "Сходство текста"],
                   [[f"{c['label']}. {c['title']}".strip(". "), c["act_title"], _pct(c["probability"]),
                     f"{c['redline']['similarity']:.2f}"] for c in art["own"]])
        if art["counterparts"]:
            doc.add_paragraph("Соответствия в другой юрисдикции:")
            _table(doc, ["Норма", "Акт", "Вероятность", "Сходство текста", "Проверено"],
                   [[f"{c['label']}. {c['title']}".strip(". "), c["act_title"], _pct(c["probability"]),
                     f"{c['redline']['similarity']:.2f}", "да" if c.get("reviewed") else ""]
                    for c in art["counterparts"]])
        for title, cand in (("Редакция проекта против действующей нормы", (art["own"] or [None])[0]),
                            ("Проект против соответствия", (art["counterparts"] or [None])[0])):
            if cand is None:
                continue
            p = doc.add_paragraph()
            p.add_run(f"{title}: {cand['label']}").bold = True
            for chunk in _paragraphs(cand["redline"]["ops"]):
                p = doc.add_paragraph()
                for op, left, right in chunk:
                    if op in ("equal", "inflection"):
                        p.add_run(right).italic = op == "inflection"
                    elif op == "insert":
                        _inserted(p.add_run(right))
                    elif op == "delete":
                        _deleted(p.add_run(left))
                    else:
                        _deleted(p.add_run(left))
                        _inserted(p.add_run(right))
        params = art["parameters"]
        rows = []
        for side, name in (("own", "своя норма"), ("counterpart", "соответствие")):
            for d in (params.get(side) or {}).get("divergent", []):
                rows.append([d.get("label") or "", _param(d["draft"]), _param(d["provision"]),
                             f"{name}: {params[side]['label']}"])
        if rows:
            doc.add_paragraph("Расходящиеся параметры:")
            _table(doc, ["Параметр", "В проекте", "В норме", "Где"], rows)
        if art["references"]:
            doc.add_paragraph("Ссылки проекта:")
            _table(doc, ["Ссылка", "Разрешена", "Соответствия"],
                   [[r["quote"], "да" if r["resolved"] else (r.get("reason") or "нет"),
                     "; ".join(c["label"] or c["iri"] for c in r["counterparts"])] for r in art["references"]])
        if art["definitions"]:
            doc.add_paragraph("Определяемые термины:")
            _table(doc, ["Термин", "В проекте", "Своя юрисдикция", "Другая юрисдикция"],
                   [[d["term"], d["definition"], "; ".join(f"{x['label']}: {x['definition']}" for x in d["own"][:2]),
                     "; ".join(f"{x['label']}: {x['definition']}" for x in d["other"][:2])] for d in art["definitions"]])
    return _bytes(doc)
