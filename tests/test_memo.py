"""The app's memo (api.memo): a flood of distinct requests cannot evict the data-wide entries,
concurrent requests for one entry build it once, a failed build is not shared, and a newer
data token drops everything built before it."""
from __future__ import annotations

import threading
import time

import pytest

from api.memo import Memo


def test_distinct_requests_evict_each_other_but_never_a_data_wide_entry():
    memo = Memo(limit=8)
    builds = {"table": 0}

    def table():
        builds["table"] += 1
        return "table"

    assert memo.get("t1", "pair index", None, table) == "table"
    for n in range(100):                       # a stranger's flood of distinct searches
        memo.get("t1", "search counterparts", (f"q{n}",), lambda n=n: n)
        assert memo.get("t1", "pair index", None, table) == "table"
    assert builds["table"] == 1
    assert len(memo) == 1 + 8                  # the pinned entry and the 8 most recent
    rebuilt = []
    assert memo.get("t1", "search counterparts", ("q99",), lambda: rebuilt.append(1)) == 99
    assert memo.get("t1", "search counterparts", ("q0",), lambda: "again") == "again"


def test_least_recently_used_goes_first():
    memo = Memo(limit=2)
    memo.get("t", "k", 1, lambda: "a")
    memo.get("t", "k", 2, lambda: "b")
    memo.get("t", "k", 1, lambda: "not built")      # 1 used again: 2 is now the oldest
    memo.get("t", "k", 3, lambda: "c")
    assert memo.get("t", "k", 1, lambda: "rebuilt") == "a"
    assert memo.get("t", "k", 2, lambda: "rebuilt") == "rebuilt"


def test_a_new_token_drops_every_entry_pinned_ones_too():
    memo = Memo(limit=4)
    memo.get("old", "pair index", None, lambda: "old table")
    memo.get("old", "k", 1, lambda: "old value")
    assert memo.get("new", "pair index", None, lambda: "new table") == "new table"
    assert memo.get("new", "k", 1, lambda: "new value") == "new value"
    assert len(memo) == 2


def test_concurrent_requests_for_one_entry_build_it_once():
    memo = Memo(limit=4)
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return "table"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(memo.get("t", "pair index", None, slow)))
    first.start()
    assert started.wait(5)
    waiters = [threading.Thread(target=lambda: results.append(memo.get("t", "pair index", None, slow)))
               for _ in range(7)]
    for w in waiters:
        w.start()
    time.sleep(0.05)                            # the waiters are parked on the build, not building
    assert len(calls) == 1
    release.set()
    for t in [first, *waiters]:
        t.join(5)
    assert results == ["table"] * 8 and len(calls) == 1


def test_a_failed_build_is_not_shared_each_waiter_builds_its_own():
    memo = Memo(limit=4)
    started, release = threading.Event(), threading.Event()

    def failing():
        started.set()
        release.wait(5)
        raise LookupError("not found")

    outcome: dict[str, object] = {}

    def first():
        try:
            memo.get("t", "resource", "x", failing)
        except LookupError as exc:
            outcome["first"] = exc

    t = threading.Thread(target=first)
    t.start()
    assert started.wait(5)
    waiter = threading.Thread(target=lambda: outcome.__setitem__("waiter", memo.get("t", "resource", "x", lambda: "ok")))
    waiter.start()
    time.sleep(0.05)
    release.set()
    t.join(5)
    waiter.join(5)
    assert isinstance(outcome["first"], LookupError) and outcome["waiter"] == "ok"
    with pytest.raises(LookupError):            # nothing was kept for the failure
        memo.get("t", "resource", "x", lambda: (_ for _ in ()).throw(LookupError("again")))


def test_a_new_token_drops_only_its_familys_entries_and_the_bound_is_shared():
    """The views of the texts (one family) outlive a new token of the mappings' family, and the
    other way round; both families count against the one limit."""
    memo = Memo(limit=3)
    memo.get("texts 1", "provision effects", 1, lambda: "history", family="texts")
    memo.get("data 1", "mapping table", None, lambda: "table")
    memo.get("data 1", "gap analysis", 1, lambda: "analysis")
    assert memo.get("data 2", "gap analysis", 1, lambda: "analysis 2") == "analysis 2"       # new data token
    assert memo.get("texts 1", "provision effects", 1, lambda: "rebuilt", family="texts") == "history"
    assert memo.get("data 2", "mapping table", None, lambda: "table 2") == "table 2"         # dropped with it
    assert memo.get("texts 2", "provision effects", 1, lambda: "history 2", family="texts") == "history 2"
    assert memo.get("data 2", "gap analysis", 1, lambda: "rebuilt") == "analysis 2"          # kept
    for n in range(3):                                                  # one bound for both families
        memo.get("texts 2", "reading", n, lambda n=n: n, family="texts")
    assert memo.get("data 2", "gap analysis", 1, lambda: "evicted") == "evicted"
    assert memo.get("data 2", "mapping table", None, lambda: "rebuilt") == "table 2"        # pinned stays
