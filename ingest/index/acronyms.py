"""Acronyms people type for the codes' words: "УДО" is "условно-досрочное освобождение",
"ЗАГС" the "записи актов гражданского состояния", "ДТП" a "дорожно-транспортное происшествие".

The codes spell such names out, so an acronym matches nothing in the index. The table of
expansions is learned from the codes' own texts, never from queries (`build` and `choose`;
bench/acronyms.py writes it to acronyms.json beside this module):

- **keys**: the abbreviations a person may type — words of 2–MAX_LETTERS Cyrillic letters that the
  Russian word vectors (navec, trained on news) know and the index does not hold, and that
  pymorphy3's dictionary marks as an abbreviation (Abbr) or does not know at all; not the words
  of the acts' short titles (ГК, УПК, РФ: they name acts, and citations resolve them);
- **candidates**: every run of the codes' words that reads as a name (nouns, adjectives and
  participles, ending with a noun) and whose initials spell a key (each part of a
  hyphenated word gives its initial, "условно-досрочное" у+д; stop words inside a run give
  none, "общество с ограниченной ответственностью" is ООО), counted over the articles in force
  by their lemmas, at least MIN_COUNT times;
- **choice**: among the candidates whose mean word vector comes within MIN_COSINE of the
  acronym's own vector, the best by that cosine plus COUNT_WEIGHT x ln(count): meaning first
  (ДТП is "дорожно-транспортное происшествие", 5 times in the codes, not "документы
  территориального планирования", 208), then how established the name is (ООО is "общество с
  ограниченной ответственностью", 119 times, cosine 0.18, rather than "орган в области обороны",
  44, cosine 0.25).

The table is machine-made and often wrong (АЗС reads as "аренда зданий и сооружений", ПФР as
"письменной форме работодателю"), and a wrong rewrite silently sends a query to wrong articles.
So it is served only where reviewed: acronyms_review.tsv beside it holds a person's verdict on
each (acronym, expansion) pair, and `table()` keeps only the pairs judged "yes"; an entry
regenerated with another expansion, or not yet judged, is not served until it is reviewed
(bench/acronyms.py lists those).

At query time (ingest/index/understand.py) a word the index lacks that is typed in capitals or
that the dictionary marks as an abbreviation, and that the table holds, is searched as the
phrase it stands for.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from .analysis import STOP_WORDS, _morph, fold, terms_of

ACRONYMS_PATH = Path(__file__).with_name("acronyms.json")
REVIEW_PATH = Path(__file__).with_name("acronyms_review.tsv")
MIN_LETTERS, MAX_LETTERS = 2, 6
MIN_COUNT = 3
MIN_COSINE = 0.1
# ... and among those, how established the name is in the codes counts too: cosine + this x ln(count)
COUNT_WEIGHT = 0.1
MAX_WORDS = 8                  # words in a run, stop words included
CANDIDATES = 10                # the most frequent runs of a key compared by meaning

_WORD = re.compile(r"[а-яё]+(?:-[а-яё]+)*|[^\sа-яё]+")
_CYRILLIC = re.compile(rf"^[а-яё]{{{MIN_LETTERS},{MAX_LETTERS}}}$")


def initials(word: str) -> str:
    """The initials a word gives an acronym: one per part of a hyphenated word."""
    return "".join(p[0] for p in word.split("-") if p)


def is_abbreviation(word: str) -> bool:
    """Whether a folded word looks like an abbreviation: pymorphy3 marks it so, or does not know it."""
    if not _CYRILLIC.match(word):
        return False
    return _marked_abbreviation(word) or not _morph().word_is_known(word)


def _marked_abbreviation(word: str) -> bool:
    """Whether pymorphy3 reads a folded word as an abbreviation (Abbr) in any of its parses."""
    return any("Abbr" in p.tag for p in _morph().parse(word))


def typed_as_acronym(surface: str) -> bool:
    """Whether a query word as typed reads as an acronym: in capitals ("ТСЖ"), or a word the
    dictionary marks as an abbreviation ("загс")."""
    w = fold(surface)
    if not _CYRILLIC.match(w):
        return False
    return (surface.isupper() and len(surface) >= MIN_LETTERS) or _marked_abbreviation(w)


# What a name is made of: nouns and the adjectives and participles before them.
_NAME_POS = frozenset({"NOUN", "ADJF", "PRTF"})


def _noun_phrase(run: list[str], pos: dict[str, str | None]) -> bool:
    """Whether a run of words reads as a name: its words (stop words aside) nouns, adjectives or
    participles, the last a noun ("условно-досрочное освобождение", not "имеет право")."""
    content = [w for w in run if w not in STOP_WORDS]
    tags = []
    for w in content:
        if w not in pos:
            pos[w] = _morph().parse(w)[0].tag.POS
        tags.append(pos[w])
    return all(t in _NAME_POS for t in tags) and tags[-1] == "NOUN"


def build(texts: Iterable[str], keys: set[str]) -> dict[str, list[tuple[str, int]]]:
    """key -> [(run of words as first met, count)], the runs whose initials spell the key,
    counted by their lemmas, most frequent first, at least MIN_COUNT times. Only runs on the way
    to a key are followed (the keys' prefixes), so the whole codes are read in a few seconds."""
    prefixes = {k[:i] for k in keys for i in range(1, len(k) + 1)}
    counts: Counter[tuple[str, str]] = Counter()
    first: dict[tuple[str, str], str] = {}
    lemma: dict[str, str] = {}
    pos: dict[str, str | None] = {}
    for text in texts:
        toks = _WORD.findall(text.lower().replace("ё", "е"))
        for i, w in enumerate(toks):
            if not w[0].isalpha() or w in STOP_WORDS or initials(w)[:1] not in prefixes:
                continue
            ini = ""
            for j in range(i, min(i + MAX_WORDS, len(toks))):
                x = toks[j]
                if not x[0].isalpha():
                    break
                if x in STOP_WORDS:
                    continue
                ini += initials(x)
                if ini not in prefixes:
                    break
                if ini in keys and _noun_phrase(toks[i:j + 1], pos):
                    run = toks[i:j + 1]
                    key = (ini, " ".join(lemma.setdefault(t, terms_of(t)[0]) for t in run if t not in STOP_WORDS))
                    counts[key] += 1
                    first.setdefault(key, " ".join(run))
    out: dict[str, list[tuple[str, int]]] = {}
    for (ini, lemmas), c in counts.most_common():
        if c < MIN_COUNT:
            break
        out.setdefault(ini, []).append((first[(ini, lemmas)], c))
    return out


def choose(key: str, candidates: list[tuple[str, int]], vector: Callable[[str], object]) -> str | None:
    """The candidate run nearest in meaning to the acronym (`vector(word)`: a unit vector or
    None), or None when the acronym has no vector or no candidate comes within MIN_COSINE."""
    import numpy as np
    kv = vector(key)
    if kv is None:
        return None
    best, best_score = None, -np.inf
    for run, n in candidates[:CANDIDATES]:
        vs = [v for v in (vector(terms_of(w)[0]) for w in run.split() if w not in STOP_WORDS) if v is not None]
        if not vs:
            continue
        m = np.mean(vs, axis=0)
        cos = float(m @ kv / (np.linalg.norm(m) + 1e-9))
        score = cos + COUNT_WEIGHT * np.log(n)
        if cos >= MIN_COSINE and score > best_score:
            best, best_score = run, score
    return best


def learned(path: Path | None = None) -> dict[str, str]:
    """acronym -> expansion as bench/acronyms.py learned it (acronyms.json), reviewed or not;
    {} when there is none."""
    try:
        data = json.loads((path or ACRONYMS_PATH).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.get("acronyms", {}).items() if isinstance(v, str)}


def verdicts(path: Path | None = None) -> dict[tuple[str, str], str]:
    """(acronym, expansion) -> "yes" or "no" as judged in acronyms_review.tsv (tab-separated
    acronym, expansion, verdict, note; '#' lines are comments, the first other line the header)."""
    try:
        lines = (path or REVIEW_PATH).read_text(encoding="utf-8").splitlines()
    except OSError:
        return {}
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    return {(r[0], r[1]): r[2].strip() for r in rows[1:] if len(r) >= 3}


@lru_cache(maxsize=1)
def table() -> dict[str, str]:
    """acronym -> the words it stands for: the learned entries whose very (acronym, expansion)
    pair is judged "yes" in the review; {} when there is none."""
    judged = verdicts()
    return {k: v for k, v in learned().items() if judged.get((k, v)) == "yes"}


def expansion(surface: str) -> str | None:
    """The words a typed acronym stands for, or None (not typed as an acronym, or not in the table)."""
    t = table()
    if not t:
        return None
    w = fold(surface)
    return t.get(w) if w in t and typed_as_acronym(surface) else None
