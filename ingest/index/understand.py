"""Query understanding between parsing and the engine: what a person typed, as the index says it.

Four steps, each cheap for an ordinary query:

- **question words**: a question ("могут ли уволить…", "что делать если…", "сколько
  лет дают…") carries words that say *how* it is asked, not *what* about; they are
  dropped from a query of juxtaposed words when something else remains (never from
  a phrase, never when they are all the query holds). English function words ("of",
  "the") likewise, so "statute of limitations" cannot rank by "of";
- **acronyms**: a word the index lacks, typed in capitals or marked as an abbreviation by
  the dictionary ("УДО", "загс"), is searched as the phrase of the codes it stands for
  ("условно-досрочное освобождение"), from the table acronyms.py learned from the codes;
- **typo tolerance**: a word none of whose index terms occur in the index (its
  document frequency, one term-dictionary lookup) is corrected from the index's own
  vocabulary: the dictionary words (pymorphy3's) one edit away or differing in
  unstressed vowels (а/о, е/и/я), kept only if the index holds them, the most
  frequent first. The corrected word replaces the unknown one in the query, and the
  answer carries "did you mean" with the corrected text. A word the dictionary knows
  is no typo and stays as typed: "сбил", "бьет", "прохожей" are everyday words the codes
  do not use, not "сил", "убьет", "похожей" (which the dense retrieval would then read);
- **expansion** (optional, `Expansion`): every content word also finds the index
  terms nearest to it in Russian word vectors (navec, shipped in natasha's wheel),
  weighted by their similarity times EXPANSION_WEIGHT.
"""
from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field, replace
from typing import Callable

from .analysis import _morph, fold, terms_of
from . import acronyms
from .querylang import All, Any, Node, Not, Ranked, Thesaurus, Word, _Parser, phrase

# Lemmas of words that say how a question is asked ("могут ли", "что делать", "сколько",
# "можно ли", "как быть"): dropped from questions, kept when they are all the query holds.
QUESTION_WORDS = frozenset("""
мочь можно нельзя нужно надо делать сделать сколько какой каков как почему зачем куда где когда
кто ли если я мой мы наш ты твой вы ваш мне меня нас вас себя свой он она оно они сам
ещё еще уже очень вообще тогда сейчас теперь вдруг просто правда реально вообще-то
есть быть будет бывать подсказать скажите пожалуйста
""".split())

# English function words: a Latin-script query must not rank by "of".
ENGLISH_STOP_WORDS = frozenset("""
a an and are as at be been but by can do does for from had has have how i if in into is it its
may must no not of on or our shall should so such than that the their then there these they this
to under upon was we were what when where which who whom why will with would you your
""".split())

_VOWEL_SWAPS = {"а": "о", "о": "а", "е": "и", "и": "е", "я": "е", "ы": "и"}
_LETTERS = "абвгдежзийклмнопрстуфхцчшщъыьэюя"
MAX_VOWEL_VARIANTS = 64
MIN_TYPO_LENGTH = 4           # shorter words have too many neighbours to guess from
MAX_TYPO_LENGTH = 30          # longer is no Russian word: not worth generating its neighbours
MAX_CORRECTIONS = 4           # words corrected per query (a hostile query of 100 unknown words)
EXPANSION_WEIGHT = 0.25
# Only words this rare in the index are expanded: the statute's own words find themselves.
EXPAND_BELOW_DF = 50


@dataclass
class Understood:
    """The query as the engine will run it, and what was changed on the way."""

    node: Node | None
    corrections: dict[str, str] = field(default_factory=dict)   # surface word typed -> corrected word
    dropped: list[str] = field(default_factory=list)            # question and English function words
    tried: list[str] = field(default_factory=list)              # words the index lacks, a correction sought
    expanded: dict[str, str] = field(default_factory=dict)      # acronym typed -> the codes' words searched for it

    def corrected_text(self, text: str) -> str | None:
        """The query text with its corrected words, or None when nothing was corrected."""
        return replace_words(text, self.corrections) if self.corrections else None


def replace_words(text: str, fixes: dict[str, str]) -> str:
    """The text with whole words replaced (a typed word inside a longer word stays)."""
    import re
    for typed, fixed in fixes.items():
        text = re.sub(rf"(?<!\w){re.escape(typed)}(?!\w)", fixed, text)
    return text


def _vowel_variants(word: str) -> list[str]:
    """The word with its vowels swapped for those an unstressed vowel is confused with."""
    spots = [i for i, ch in enumerate(word) if ch in _VOWEL_SWAPS]
    out: list[str] = []
    for mask in itertools.product((False, True), repeat=min(len(spots), 6)):
        if not any(mask):
            continue
        chars = list(word)
        for on, i in zip(mask, spots):
            if on:
                chars[i] = _VOWEL_SWAPS[chars[i]]
        out.append("".join(chars))
        if len(out) >= MAX_VOWEL_VARIANTS:
            break
    return out


def _edits1(word: str) -> list[str]:
    """Every word one deletion, transposition, replacement or insertion away (Norvig)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    return ([a + b[1:] for a, b in splits if b]
            + [a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1]
            + [a + c + b[1:] for a, b in splits if b for c in _LETTERS if c != b[0]]
            + [a + c + b for a, b in splits for c in _LETTERS])


def correct_word(word: str, doc_freq: Callable[[str], int]) -> str | None:
    """The likeliest word of the index's vocabulary `word` is a typo of, or None.

    Candidates are dictionary words whose terms the index holds: first those differing in
    unstressed vowels only, then those one edit away, then one edit away from a vowel
    variant; among equals the one in more documents wins."""
    w = fold(word)
    if not MIN_TYPO_LENGTH <= len(w) <= MAX_TYPO_LENGTH or not w.isalpha() or not any("а" <= ch <= "я" for ch in w):
        return None
    morph = _morph()
    known = morph.word_is_known

    def best(cands) -> str | None:
        scored = []
        for c in dict.fromkeys(cands):
            if c != w and known(c):
                df = max((doc_freq(t) for t in terms_of(c)), default=0)
                if df:
                    # fewest letters changed first, then the word in more documents
                    changed = sum(a != b for a, b in zip(c, w)) if len(c) == len(w) else 1
                    scored.append((-changed, df, c))
        return max(scored)[2] if scored else None

    vowels = _vowel_variants(w)
    found = best(vowels) or best(_edits1(w))
    if found is None and len(w) <= 14:       # two kinds of slip at once: bounded, it is the costly step
        found = best(c for v in vowels[:4] for c in _edits1(v))
    return found


class Understanding:
    """Query understanding over one search index (its vocabulary), with an optional expansion."""

    def __init__(self, doc_freq: Callable[[str], int], expansion: "Expansion | None" = None):
        self.doc_freq = doc_freq
        self.expansion = expansion
        self._memo: dict[tuple, tuple] = {}
        self._fixes: dict[str, str | None] = {}      # folded word -> its correction (None: none)
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget remembered answers (the index changed)."""
        with self._lock:
            self._memo.clear()
            self._fixes.clear()

    def __call__(self, node: Node | None, thesaurus: Thesaurus | None = None) -> Understood:
        """The query tree as the engine should run it (remembered per tree and thesaurus); a
        corrected word gets the thesaurus terms the correctly spelt word would have."""
        if node is None:
            return Understood(None)
        key = (node, id(thesaurus))
        hit = self._memo.get(key)
        if hit is not None and hit[0] is thesaurus:
            return hit[1]
        out = Understood(None)
        out.node = self._walk(node, out, thesaurus)
        with self._lock:
            if len(self._memo) > 4096:
                self._memo.clear()
            self._memo[key] = (thesaurus, out)
        return out

    def _known(self, w: Word) -> bool:
        return any(self.doc_freq(t) for t in w.terms) or any(self.doc_freq(t) for t in w.related)

    def _word(self, w: Word, out: Understood, thesaurus: Thesaurus | None) -> Node:
        known = self._known(w)
        if not known:
            run = acronyms.expansion(w.surface)
            if run is not None:                 # "УДО": the phrase of the codes it stands for
                spelt = phrase(run)
                if spelt is not None:
                    out.expanded[w.surface] = run
                    return spelt
        if not known and thesaurus is not None and thesaurus.stands_for_codes_words(w.terms[0]):
            known = True                        # "минималка": the lexicon added the codes' words for it
        if len(out.tried) < MAX_CORRECTIONS and not known:
            out.tried.append(w.surface)
            key = fold(w.surface)
            if key not in self._fixes:
                if len(self._fixes) > 20_000:
                    self._fixes.clear()
                # a word of the dictionary is no typo: an everyday word the codes do not use
                # ("сбил", "бьет") must not become its neighbour ("сил", "убьет")
                self._fixes[key] = None if _morph().word_is_known(key) else correct_word(w.surface, self.doc_freq)
            fixed = self._fixes[key]
            if fixed is not None:
                # the word as the query would hold it had it been spelt so
                spelt = _Parser([("word", fixed, 0)], thesaurus).atom()
                if isinstance(spelt, Word):
                    out.corrections[w.surface] = fixed
                    w = spelt
        if self.expansion is not None and max((self.doc_freq(t) for t in w.terms), default=0) < EXPAND_BELOW_DF:
            w = self.expansion.expand(w)
        return w

    def _walk(self, node: Node, out: Understood, thesaurus: Thesaurus | None) -> Node:
        if isinstance(node, Word):
            return self._word(node, out, thesaurus)
        if isinstance(node, Ranked):
            items = list(node.items)
            content = [c for c in items if not (isinstance(c, Word) and _is_question_word(c))]
            if content and len(content) < len(items):
                out.dropped.extend(c.surface for c in items if c not in content)
                items = content
            items = [self._walk(c, out, thesaurus) for c in items]
            return items[0] if len(items) == 1 and not isinstance(items[0], Not) else Ranked(tuple(items))
        if isinstance(node, All):
            return All(tuple(self._walk(c, out, thesaurus) for c in node.items))
        if isinstance(node, Any):
            return Any(tuple(self._walk(c, out, thesaurus) for c in node.items))
        return node                        # phrases, prefixes and exclusions run as typed


def _is_question_word(w: Word) -> bool:
    s = fold(w.surface)
    return s in ENGLISH_STOP_WORDS or (not w.related and (s in QUESTION_WORDS or w.terms[0] in QUESTION_WORDS))


class Expansion:
    """Index terms near a query word in Russian word vectors (navec news vectors, 250k words,
    shipped inside natasha's wheel: nothing is downloaded). Loaded once (about 1 s), with a
    matrix of the index's own terms that occur in at least `min_df` documents."""

    def __init__(self, vocabulary: list[tuple[str, int]], min_df: int = 3, top: int = 4,
                 min_sim: float = 0.5, weight: float = EXPANSION_WEIGHT):
        import os

        import natasha
        import numpy as np
        from navec import Navec
        path = os.path.join(os.path.dirname(natasha.__file__), "data", "emb", "navec_news_v1_1B_250K_300d_100q.tar")
        self.navec = Navec.load(path)
        self.np = np
        words = [w for w, df in vocabulary if df >= min_df and w in self.navec.vocab]
        self.words = words
        self.matrix = self._vectors(words)
        self.top, self.min_sim, self.weight = top, min_sim, weight
        self._memo: dict[str, tuple[tuple[str, float], ...]] = {}

    def _vectors(self, words: list[str]):
        np = self.np
        pq = self.navec.pq
        if not words:
            return np.zeros((0, pq.dim), dtype=np.float32)
        idx = pq.indexes[np.array([self.navec.vocab[w] for w in words])]
        m = np.concatenate([pq.codes[i][idx[:, i]] for i in range(pq.qdim)], axis=1).astype(np.float32)
        return m / (np.linalg.norm(m, axis=1, keepdims=True) + 1e-9)

    def neighbours(self, word: str) -> tuple[tuple[str, float], ...]:
        """The index terms nearest to a folded word or lemma, with their cosine similarity."""
        hit = self._memo.get(word)
        if hit is not None:
            return hit
        out: tuple[tuple[str, float], ...] = ()
        if word in self.navec.vocab and len(self.words):
            v = self._vectors([word])[0]
            sims = self.matrix @ v
            k = min(self.top + 1, len(sims) - 1)
            top = self.np.argpartition(-sims, k)[: k + 1]
            top = top[self.np.argsort(-sims[top])]
            out = tuple((self.words[i], float(sims[i])) for i in top
                        if sims[i] >= self.min_sim and self.words[i] != word)[: self.top]
        self._memo[word] = out
        return out

    def expand(self, w: Word) -> Word:
        """The word with its neighbours as weighted related terms."""
        near: dict[str, float] = {}
        for key in (fold(w.surface),) + w.terms[:1]:
            for t, sim in self.neighbours(key):
                if t not in w.terms and t not in w.related:
                    near[t] = max(near.get(t, 0.0), sim * self.weight)
        if not near:
            return w
        return replace(w, weighted=tuple(sorted(near.items(), key=lambda kv: -kv[1])))
