"""Relevance measurement: recall@k and MRR of a search function on a judged query set.

A judged query names, per jurisdiction, the articles a lawyer must find. The
search is run once per jurisdiction with that jurisdiction as a filter (as a
lawyer narrows to one country), and each result counts by its article.
Used by the tests (goals as assertions) and by bench/search.py (figures).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "relevance" / "queries.toml"

# search(query, jurisdiction) -> article ELI paths, best first
SearchFn = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class Judged:
    q: str
    expected: dict[str, tuple[str, ...]]      # jurisdiction -> article ELI paths
    kind: str                                  # words | inflected | synonym | citation | phrase
    note: str = ""


@dataclass
class Score:
    queries: int = 0
    recall: float = 0.0                        # mean recall@k
    mrr: float = 0.0
    misses: list[str] = field(default_factory=list)   # queries with an expected article beyond k


def load(path: Path = DEFAULT_SET) -> list[Judged]:
    """The judged queries of a TOML file ([[query]] q=, ru=[...], by=[...], kind=, note=)."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    out = []
    for i, q in enumerate(data["query"], 1):
        expected = {j: tuple(q[j]) for j in ("ru", "by") if q.get(j)}
        if not q.get("q") or not expected:
            raise ValueError(f"{path}: query #{i} needs q and at least one of ru/by")
        out.append(Judged(q["q"], expected, q.get("kind", "words"), q.get("note", "")))
    return out


def evaluate(search: SearchFn, queries: list[Judged], k: int = 10) -> dict[str, Score]:
    """recall@k and MRR per jurisdiction."""
    scores: dict[str, Score] = {}
    for jq in queries:
        for jur, expected in jq.expected.items():
            got = search(jq.q, jur)[:k]
            s = scores.setdefault(jur, Score())
            s.queries += 1
            found = [a for a in expected if a in got]
            s.recall += len(found) / len(expected)
            ranks = [got.index(a) + 1 for a in found]
            s.mrr += 1 / min(ranks) if ranks else 0.0
            if len(found) < len(expected):
                s.misses.append(f"{jur}: {jq.q!r} missing {', '.join(a for a in expected if a not in got)}")
    for s in scores.values():
        if s.queries:
            s.recall /= s.queries
            s.mrr /= s.queries
    return scores
