"""Snippets: the passage of a text with most query words, matches in <mark>.

A snippet is cut by the index's own analysis (a highlighted word is one that matched). Two
ways give the same passage: from the text split afresh (any text), or, for the texts search
shows by default, from the term vectors of the index (`snippet_table.TokenTable`: each text's
words and where they stand, built once per index state), which spares splitting and
analysing a long article for each query that shows it.
"""
from __future__ import annotations

import html
from bisect import bisect_left, bisect_right
import re
import threading
import zlib
from functools import lru_cache
from itertools import accumulate, compress, count, filterfalse, islice
from typing import TYPE_CHECKING, Callable

from ingest.index import derived
from ingest.index.analysis import _TOKEN, STOP_WORDS, fold, terms_of
from ingest.index.backend import SearchBackend

if TYPE_CHECKING:
    from .snippet_table import TokenTable

SNIPPET_WORDS = 36

# A text split into [gap, word, gap, word, ..., gap]: the index's tokens (analysis._TOKEN)
# with what lies between them, in one pass in C; offsets come from the lengths.
_SPLIT = re.compile(f"({_TOKEN.pattern})")
_BLANKS = re.compile(r"\s+")
_NONBLANK = re.compile(r"\S")
SPLIT_TEXTS = 1024      # provision texts whose word split is kept (the most recently shown)


class _Split:
    """A text as the index's tokens see it: the parts (blank, word, blank, word …), its words,
    the set of them, and the vocabulary (`_SURFACE`) every one of them was found in, once
    checked: it only grows until started afresh, so a text checked against it needs no
    second look."""

    __slots__ = ("parts", "words", "uniq", "known")

    def __init__(self, parts: list[str]):
        self.parts, self.words = parts, parts[1::2]
        self.uniq = frozenset(self.words)
        self.known: dict | None = None


@lru_cache(maxsize=SPLIT_TEXTS)
def _split(text: str) -> _Split:
    """The text split once, not per page, for the articles shown most often: splitting is half
    of what a snippet costs."""
    return _Split(_SPLIT.split(text))
# The vocabulary met in texts so far, shared by every query: surface word -> its index
# terms (() for a stop word), and index term -> the surface words analysed to it, so a
# query finds the words of a text it highlights by a set intersection, not word by word.
_SURFACE: dict[str, tuple[str, ...]] = {}
_BY_TERM: dict[str, set[str]] = {}
_SURFACE_MAX = 400_000          # a corpus has ~10^5 word forms; the bound is for hostile texts
_VOCAB = threading.Lock()


def _learn(raws: list[str], text_words: set[str]) -> list[str]:
    """Analyse surface words not met yet (call with _VOCAB held); returns those analysed.
    When the vocabulary is full it starts afresh with the words of the text at hand."""
    global _SURFACE, _BY_TERM
    if len(_SURFACE) + len(raws) > _SURFACE_MAX:
        _SURFACE, _BY_TERM = {}, {}
        raws = list(text_words)
    new = [raw for raw in raws if raw not in _SURFACE]
    for raw in new:
        _remember(raw, analysed(raw))
    return new


def _remember(raw: str, terms: tuple[str, ...]) -> None:
    """A surface word and its index terms, in both directions (call with _VOCAB held)."""
    _SURFACE[raw] = terms
    for t in terms:
        _BY_TERM.setdefault(t, set()).add(raw)


VOCABULARY_CHUNK = 5000        # words analysed per hold of the vocabulary lock while warming up


def warm_vocabulary(backend: SearchBackend) -> int:
    """Analyse, before the first searches, every word of the articles in force, so snippets
    never wait for pymorphy (in a fresh process it was ~40% of a query's time, word forms met
    for the first time). The analysed vocabulary is kept under <data dir>/cache/snippet-vocabulary,
    keyed by what the index holds (ingest.index.derived), so the next start reads it (~0.1 s)
    instead of analysing again (~2 s, in the warm-up's thread, a chunk at a time so searches
    running meanwhile wait little). Returns how many words were added."""
    import marshal
    from ingest.index import semantic
    path = derived.cache_dir(backend, "snippet-vocabulary") / \
        f"{derived.index_digest(backend, 'snippet vocabulary 1')}.marshal"
    try:
        known = marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        known = None
    if isinstance(known, dict):
        items = list(known.items())
        added = 0
        for k in range(0, len(items), VOCABULARY_CHUNK * 4):
            with _VOCAB:
                if len(_SURFACE) + VOCABULARY_CHUNK * 4 > _SURFACE_MAX:
                    break
                for raw, ts in items[k:k + VOCABULARY_CHUNK * 4]:
                    if raw not in _SURFACE:
                        _remember(raw, ts)
                        added += 1
        return added
    words: set[str] = set()
    for d in semantic.in_force_articles(backend):
        for text in (d.get("text") or "", d.get("title") or ""):
            words.update(_SPLIT.split(text)[1::2])
    todo = sorted(words)
    added = 0
    for k in range(0, len(todo), VOCABULARY_CHUNK):
        with _VOCAB:
            added += len(_learn(todo[k:k + VOCABULARY_CHUNK], set()))
    with _VOCAB:
        vocabulary = {w: _SURFACE[w] for w in todo if w in _SURFACE}
    try:
        derived.write_whole(path, lambda f: f.write(marshal.dumps(vocabulary)))
        derived.prune(path)
    except OSError:              # a read-only data directory: learned in memory only
        pass
    return added


def analysed(raw: str) -> tuple[str, ...]:
    """A surface word's index terms (() for a stop word), from the shared vocabulary when it
    was met there."""
    ts = _SURFACE.get(raw)
    if ts is None:
        word = fold(raw)
        ts = () if word in STOP_WORDS else terms_of(word)
    return ts


def snippet_source(doc: dict) -> str:
    """What a search hit's snippet is cut from: its text, or its label and title (a heading)."""
    return doc["text"] or " ".join(x for x in (doc["label"], doc["title"]) if x)


class Highlighter:
    """Snippets for one query: which surface words match is worked out once per word and
    shared by every result of the page. `table`: the index's term vectors, used for the texts
    it holds (see __call__'s `key`)."""

    def __init__(self, terms: set[str], prefixes: list[str], width: int = SNIPPET_WORDS,
                 table: TokenTable | None = None):
        self.terms, self.prefixes, self.width = terms, tuple(prefixes), max(1, width)
        self.matched: dict[str, str | None] = {}     # surface word -> the query term it matched
        self._words: set[str] | None = None           # surface words matching a term (no prefixes)
        self._of: dict | None = None                  # the vocabulary _words was read from
        # prefix queries match by a scan of the vocabulary: those take the split path
        self.table = table if table is not None and not self.prefixes else None
        self._mask = None                             # the table's words matching a term
        self._term_of = None                          # ... and the term each matched (its number)

    def _match(self, raw: str) -> str | None:
        m = self.matched.get(raw, False)
        if m is False:
            ts = _SURFACE.get(raw)
            if ts is None:
                with _VOCAB:
                    _learn([raw], {raw})
                ts = _SURFACE.get(raw, ())
            if self.prefixes:
                m = next((t for t in ts if t in self.terms or t.startswith(self.prefixes)), None)
            else:
                m = next((t for t in ts if t in self.terms), None)
            self.matched[raw] = m
        return m

    def _matching(self, split: _Split) -> set[str]:
        """The words of the text that match the query."""
        uniq = split.uniq
        if self.prefixes:
            return {w for w in uniq if self._match(w) is not None}
        with _VOCAB:
            missing = list(filterfalse(_SURFACE.__contains__, uniq)) if split.known is not _SURFACE else []
            new = _learn(missing, uniq) if missing else []
            split.known = _SURFACE
            if self._of is not _SURFACE:       # first text, or the vocabulary was started afresh
                self._words = set().union(*(_BY_TERM.get(t, ()) for t in self.terms))
                self._of = _SURFACE
            elif new:
                terms = self.terms
                self._words.update(w for w in new if not terms.isdisjoint(_SURFACE[w]))
            return uniq & self._words

    def __call__(self, text: str, key: str | None = None) -> str:
        """The passage of `text` with most query words, HTML-escaped, matches in <mark>.

        The window of `width` words with most distinct query terms (then most matches) wins;
        it starts three words before its first match. `key`: the id of the text's document (the
        provision in its redaction), by which the table finds its words; the same passage
        either way."""
        if self.table is not None and key is not None:
            found = self._from_table(text, key)
            if found is not None:
                return found
        split = _split(text)
        parts, words = split.parts, split.words
        if not words:
            return html.escape(text[:300])
        hit_words = self._matching(split)
        hits = list(compress(count(), map(hit_words.__contains__, words))) if hit_words else []
        first = [self._match(words[i]) for i in hits]
        best = self._window(hits, first)
        # token j is parts[2j + 1]; it ends at offsets[2j + 1] and starts at offsets[2j]
        last = min(best + self.width, len(words) - 1)
        offsets = list(islice(accumulate(map(len, parts)), 2 * last + 2))
        return self._cut(text, hits, best, last, lambda j: (offsets[2 * j], offsets[2 * j + 1]))

    def _from_table(self, text: str, key: str) -> str | None:
        """The passage from the table's words of the document `key`; None when the table does
        not hold this very text."""
        table = self.table
        span = table.ranges.get(key)
        # the checksum tells the very text the table was built from (~1 µs for 5 kB), not one
        # of the same document indexed again since
        if span is None or span[2] != zlib.crc32(text.encode()):
            return None
        lo, hi, _ = span
        if lo == hi:                # no words: nothing to spare
            return None
        ids = table.ids[lo:hi]
        if self._mask is None:
            self._mask, self._term_of = table.matching(self.terms)
        found = self._mask[ids].nonzero()[0]
        hits = found.tolist()
        vocab = table.vocab
        best = self._window(hits, self._term_of[ids[found]].tolist())
        last = min(best + self.width, hi - lo - 1)
        starts = table.starts

        def span_of(j: int) -> tuple[int, int]:
            start = int(starts[lo + j])
            return start, start + len(vocab[ids[j]])
        return self._cut(text, hits, best, last, span_of)

    def _window(self, hits: list[int], first: list) -> int:
        """Where the passage starts (a word index): the window of `width` words over the hits
        (word indices, ascending; `first`: the term each matched) with most distinct terms,
        then most hits, three words before its first hit."""
        width = self.width
        best, best_score, end = 0, -1, 0
        # slide a window of `width` words over the hits, counting its distinct terms as it goes
        inside: dict = {}
        distinct = 0
        for k, i in enumerate(hits):
            while end < len(hits) and hits[end] < i + width:
                t = first[end]
                n = inside.get(t, 0)
                distinct += n == 0
                inside[t] = n + 1
                end += 1
            score = distinct * 10 + (end - k)
            if score > best_score:
                best, best_score = max(0, i - 3), score
            t = first[k]
            inside[t] -= 1
            distinct -= inside[t] == 0
        return best

    def _cut(self, text: str, hits: list[int], best: int, last: int,
             span_of: Callable[[int], tuple[int, int]]) -> str:
        """Words `best`..`last` of `text` (`span_of(j)`: where word j starts and ends), the hits
        among them in <mark>, HTML-escaped, "…" where the text goes on."""
        lo = 0 if best == 0 else span_of(best)[0]
        hi = span_of(last)[1]
        out, cur = [], lo
        for j in islice(hits, bisect_left(hits, best), bisect_right(hits, best + self.width)):
            start, stop = span_of(j)
            out.append(html.escape(text[cur:start]))
            out.append(f"<mark>{html.escape(text[start:stop])}</mark>")
            cur = stop
        out.append(html.escape(text[cur:hi]))
        body = _BLANKS.sub(" ", "".join(out)).strip()
        # "…" when a word follows (a search from `hi`, not a copy of the whole text stripped)
        return ("… " if lo > 0 else "") + body + (" …" if _NONBLANK.search(text, hi) else "")


def snippet(text: str, terms: set[str], prefixes: list[str], width: int = SNIPPET_WORDS) -> str:
    """The passage of `text` with most query words, HTML-escaped, matches in <mark>.

    Uses the index's own analysis (so a highlighted word is one that matched)."""
    return Highlighter(terms, prefixes, width)(text)
