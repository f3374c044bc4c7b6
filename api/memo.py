"""The app's one cache of built answers: kept until the data changes, bounded, built once.

Entries are keyed by (kind, key) and stamped with the data token read before they were
built (api.context.AppContext.data_token); the first entry stored under a new token drops
every older one, since none of them is ever read again. Entries may belong to a *family*
with a token of its own (the views of the texts alone follow the texts token, which a write
of mappings leaves): a new token then drops only its family's entries. All families share
the one bound.

Two kinds of entry, so a stranger's flood of distinct requests cannot evict what every
request needs:

- data-wide entries (key None: the mapping table's pair index, the accepted counterparts,
  the latest redaction graphs …) are few, fixed by the code, and stay until the data
  changes — rebuilding one costs up to a second;
- request-keyed entries (a search page's counterparts, a provision, a gap analysis …) live
  in a least-recently-used list of at most `limit`; past it the oldest goes, one at a time.

Concurrent requests asking for the same entry while it is being built wait for that build
instead of each starting their own ("single flight"): after a write, eight clients of a
search page used to read the whole mapping table eight times over, in parallel, on two cores.
A build that fails (a 404, say) is not shared: each waiter then builds for itself.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
_FAILED = object()
MISSING = object()      # what `peek` answers for an entry not kept


class _Flight:
    """One build in progress: its token, and its value once done."""

    __slots__ = ("token", "done", "value")

    def __init__(self, token: object):
        self.token = token
        self.done = threading.Event()
        self.value: Any = _FAILED


class Memo:
    """Built values under (kind, key), valid for one data token of their family; thread-safe."""

    def __init__(self, limit: int):
        self.limit = limit
        self._tokens: dict[Hashable, object] = {}          # family -> the token its entries are for
        # entries under (family, kind, key)
        self._pinned: dict[tuple[Hashable, str, Hashable], Any] = {}
        self._lru: OrderedDict[tuple[Hashable, str, Hashable], Any] = OrderedDict()
        self._flights: dict[tuple[Hashable, str, Hashable], _Flight] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pinned) + len(self._lru)

    def get(self, token: object, kind: str, key: Hashable, build: Callable[[], T], family: Hashable = None) -> T:
        """The value under (kind, key) built for `token` (of `family`): kept, being built by
        another request (then waited for), or built now. `token` is read by the caller *before*
        this call, so a write during the build stamps the next request with a newer token and
        what this build read is never served after the write."""
        k = (family, kind, key)
        with self._lock:
            if token == self._tokens.get(family):
                if k in self._pinned:
                    return self._pinned[k]
                if k in self._lru:
                    self._lru.move_to_end(k)
                    return self._lru[k]
            flight = self._flights.get(k)
            mine = flight is None or flight.token != token
            if mine:
                flight = self._flights[k] = _Flight(token)
        if not mine:
            flight.done.wait()
            if flight.value is not _FAILED:
                return flight.value
            return build()        # the other build failed: this request gets its own answer or error
        try:
            value = build()
            flight.value = value
        finally:
            with self._lock:
                if self._flights.get(k) is flight:
                    del self._flights[k]
            flight.done.set()
        self._store(token, k, value)
        return value

    def _store(self, token: object, k: tuple[Hashable, str, Hashable], value: Any) -> None:
        with self._lock:
            family = k[0]
            if token != self._tokens.get(family):      # the family's older entries are never read again
                for held in (self._pinned, self._lru):
                    for old in [e for e in held if e[0] == family]:
                        del held[old]
                self._tokens[family] = token
            if k[2] is None:
                self._pinned[k] = value
                return
            self._lru[k] = value
            self._lru.move_to_end(k)
            while len(self._lru) > self.limit:
                self._lru.popitem(last=False)

    def peek(self, token: object, kind: str, key: Hashable, family: Hashable = None) -> Any:
        """The value kept under (kind, key) for `token` (of `family`), or MISSING (nothing is built)."""
        k = (family, kind, key)
        with self._lock:
            if token != self._tokens.get(family):
                return MISSING
            if k in self._pinned:
                return self._pinned[k]
            return self._lru.get(k, MISSING)

    def put(self, token: object, kind: str, key: Hashable, value: Any, family: Hashable = None) -> None:
        """Keep `value` under (kind, key) for `token` (of `family`), as a build read at `token` would."""
        self._store(token, (family, kind, key), value)

    def clear(self) -> None:
        """Forget every entry (builds in progress still answer their own waiters)."""
        with self._lock:
            self._pinned.clear()
            self._lru.clear()
