"""The term vectors snippets are cut from: every current text of the search index as its words
(ids into one vocabulary of surface forms, with their index terms) and where each word starts.

A snippet of a long article used to be cut by splitting the whole text and looking up each of
its words, for every query that showed it (~40% of a search's time). With the table, a page's
snippets take a lookup of the query's terms in the vocabulary (once per query) and, per text,
one array index over its words; the passage is the same (api/snippets.Highlighter takes either
path, a test compares them on every text of an act).

Built from the index's stored documents (~4.5 M words, ~4 s with the snippets' vocabulary
warm, read a chunk at a time), kept under <data dir>/cache/snippet-table keyed by what the
index holds (ingest.index.derived), so the next start reads it (~0.1 s; the word arrays are
mapped from the file, shared by a server's workers). Searches never wait for it:
`ready` answers None until the table of the index's current state is there and starts
building it in the background; meanwhile snippets are cut by splitting, as before.
"""
from __future__ import annotations

import logging
import marshal
import threading
import zlib
from itertools import accumulate, islice
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from ingest.index import derived
from ingest.index.backend import Filters, SearchBackend
from ingest.index.querylang import Ranked

from .snippets import _SPLIT, analysed, snippet_source

TABLE_VERSION = "snippet table 4"
log = logging.getLogger("lexmap.search")


class TokenTable:
    """Every current text's words. `ranges[id]` (a document's id: the provision in its redaction)
    = (first, end, CRC-32 of the text as UTF-8): the
    text's words are ids[first:end], starting at starts[first:end] (characters into the text);
    word id i is the surface form vocab[i], analysed to terms[i]."""

    def __init__(self, vocab: list[str], terms: list[tuple[str, ...]], ids: np.ndarray, starts: np.ndarray,
                 ranges: dict[str, tuple[int, int, int]]):
        self.vocab, self.terms, self.ids, self.starts, self.ranges = vocab, terms, ids, starts, ranges
        by_term: dict[str, list[int]] = {}
        for i, ts in enumerate(terms):
            for t in ts:
                by_term.setdefault(t, []).append(i)
        self.by_term = {t: np.array(v, dtype=np.int32) for t, v in by_term.items()}

    def matching(self, terms: set[str]) -> tuple[np.ndarray, np.ndarray]:
        """Over the vocabulary: a mask of the surface forms analysed to any of `terms`, and for
        each of them a number standing for the term it matched (its first term among `terms`,
        as Highlighter._match picks it; -1 for the others)."""
        number = {t: k for k, t in enumerate(sorted(terms))}
        found = [(self.by_term[t], k) for t, k in number.items() if t in self.by_term]
        term_of = np.full(len(self.vocab), -1, dtype=np.int32)
        times = np.zeros(len(self.vocab), dtype=np.int8)
        for ids, k in found:
            term_of[ids] = k
            times[ids] += 1
        # a form analysed to two of the query's terms takes the first of its own terms among them
        for i in np.flatnonzero(times > 1).tolist():
            term_of[i] = number[next(t for t in self.terms[i] if t in terms)]
        return term_of >= 0, term_of

    @classmethod
    def build(cls, docs: Iterable[dict]) -> "TokenTable":
        """The table of these stored documents (a key held by two different texts is left out:
        those texts are cut by splitting)."""
        vocab_id: dict[str, int] = {}
        ids: list[np.ndarray] = []            # per text (arrays, not lists of ints: 4.5 M words)
        starts: list[np.ndarray] = []
        ranges: dict[str, tuple[int, int, int]] = {}
        clash: set[str] = set()
        n = 0
        for d in docs:
            key = d["id"]
            if key in ranges or key in clash:
                clash.add(key)
                ranges.pop(key, None)
                continue
            text = snippet_source(d)
            parts = _SPLIT.split(text)
            words = parts[1::2]
            ids.append(np.fromiter((vocab_id.setdefault(w, len(vocab_id)) for w in words), np.int32, len(words)))
            # word j starts where the parts before it (gap, word, ..., gap) end
            starts.append(np.fromiter(islice(accumulate(map(len, parts)), 0, None, 2), np.int32, len(words)))
            ranges[key] = (n, n + len(words), zlib.crc32(text.encode()))
            n += len(words)
        vocab = list(vocab_id)
        empty = np.zeros(0, np.int32)
        return cls(vocab, [analysed(w) for w in vocab], np.concatenate(ids) if ids else empty,
                   np.concatenate(starts) if starts else empty, ranges)

    def save(self, path: Path) -> None:
        """Write to `path`, whole (derived.write_whole: readers never see half a file): the
        magic, the length of the rest of the header, the header (vocabulary, terms, keys and
        spans, marshalled), padding to 8 bytes, then the ids and the starts as raw int32."""
        keys = list(self.ranges)
        meta = marshal.dumps((self.vocab, self.terms, keys, [self.ranges[k] for k in keys], len(self.ids)))
        head = _MAGIC + len(meta).to_bytes(8, "little") + meta

        def write(f) -> None:
            f.write(head + b"\0" * (_data_offset(len(meta)) - len(head)))
            f.write(np.ascontiguousarray(self.ids, dtype="<i4").tobytes())
            f.write(np.ascontiguousarray(self.starts, dtype="<i4").tobytes())
        derived.write_whole(path, write)

    @classmethod
    def load(cls, path: Path) -> "TokenTable":
        """Read what `save` wrote (OSError or ValueError when it cannot). The ids and starts are
        mapped, not read: the workers of one server share their pages."""
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                raise ValueError(f"{path}: not a snippet table")
            size = int.from_bytes(f.read(8), "little")
            try:
                vocab, terms, keys, spans, n = marshal.loads(f.read(size))
                ranges = {k: tuple(s) for k, s in zip(keys, spans)}
            except (EOFError, TypeError, ValueError) as exc:
                raise ValueError(f"{path}: not a snippet table ({exc})") from None
        offset = _data_offset(size)
        if path.stat().st_size != offset + 8 * n:
            raise ValueError(f"{path}: a snippet table cut short")
        # a plain ndarray view of the mapping: np.memmap's own indexing is Python code (a snippet
        # indexes a word at a time)
        words = (np.memmap(path, dtype="<i4", mode="r", offset=offset, shape=(2 * n,)).view(np.ndarray) if n
                 else np.zeros(0, np.int32))
        return cls(vocab, [tuple(t) for t in terms], words[:n], words[n:], ranges)


_MAGIC = b"lexmap snippet table\n"


def _data_offset(header: int) -> int:
    """Where the word arrays start: after the magic, the header's length and the header
    (`header` bytes), padded to 8 bytes."""
    return -(-(len(_MAGIC) + 8 + header) // 8) * 8


def _current_docs(backend: SearchBackend, chunk: int = 2000) -> Iterator[dict]:
    """The stored documents of every current text (any status: a search for repealed ones shows
    them), read a chunk at a time: the whole index's documents at once held ~0.4 GB."""
    hits = backend.candidates(Ranked(()), Filters(statuses=()), limit=10_000_000)
    for k in range(0, len(hits), chunk):
        part = hits[k:k + chunk]
        backend.fetch(part)
        for h in part:
            if h.doc is not None:
                yield h.doc
            h.doc = None


_HELD: derived.PerIndex[tuple[str, TokenTable | None]] = derived.PerIndex()
_BUILDING: set[int] = set()             # backends whose table a background thread is building
_FAILED: dict[int, object] = {}         # backend -> the index state whose build failed (not retried)
_BUILDING_LOCK = threading.Lock()


def table(backend: SearchBackend) -> TokenTable | None:
    """The table of the index as it is now: kept, read from the cache, or built (and written
    there). None for an empty index."""
    def build(held: tuple[str, TokenTable | None] | None) -> tuple[str, TokenTable | None]:
        digest = derived.index_digest(backend, TABLE_VERSION)
        if held is not None and held[0] == digest:
            return held
        path = derived.cache_dir(backend, "snippet-table") / f"{digest}.table"

        def fresh() -> TokenTable | None:
            built = TokenTable.build(_current_docs(backend))
            return built if built.ranges else None
        return digest, derived.read_or_build(path, TokenTable.load, fresh, TokenTable.save)
    return _HELD.get(backend, build)[1]


def ready(backend: SearchBackend) -> TokenTable | None:
    """The table when it is there for the index's current state; else None at once, with the
    table built in the background (one thread per backend) for the searches after."""
    held = _HELD.peek(backend)
    if held is not None:
        return held[1]
    stamp = backend.state_stamp()
    with _BUILDING_LOCK:
        # a build that failed is tried again only for another index state: not by every search
        if id(backend) in _BUILDING or (id(backend) in _FAILED and _FAILED[id(backend)] == stamp):
            return None
        _BUILDING.add(id(backend))

    def run() -> None:
        try:
            table(backend)
        except Exception:      # noqa: BLE001 - e.g. the index closed meanwhile: snippets split instead
            log.warning("snippet table not built; snippets are cut by splitting", exc_info=True)
            with _BUILDING_LOCK:
                _FAILED[id(backend)] = stamp
        finally:
            with _BUILDING_LOCK:
                _BUILDING.discard(id(backend))
    threading.Thread(target=run, name="lexmap-snippet-table", daemon=True).start()
    return None
