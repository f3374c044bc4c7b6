"""Relevance measurement: recall@k and MRR of a search function on a judged query set.

A judged query names, per jurisdiction, the articles a lawyer must find. The
search is run once per jurisdiction with that jurisdiction as a filter (as a
lawyer narrows to one country), and each result counts by its article.
Used by the tests (goals as assertions) and by bench/search.py (figures).

Two kinds of sets live in tests/relevance/:

- queries.toml: the project's own 53 queries, written alongside the engine;
- everyday_*.toml: queries judged independently (issue 21), each with a `part`
  ("dev" or "test") fixed when it was written by a hash of its text, a `persona`
  and a `topic`. Only the dev part may be looked at while tuning; figures that
  claim a gain are those of the test part.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

RELEVANCE_DIR = Path(__file__).resolve().parents[2] / "tests" / "relevance"
DEFAULT_SET = RELEVANCE_DIR / "queries.toml"
EVERYDAY_SETS = (RELEVANCE_DIR / "everyday_a.toml", RELEVANCE_DIR / "everyday_b.toml")

KINDS = ("words", "inflected", "synonym", "citation", "phrase", "paraphrase", "question", "slang", "multi")
# what issue 21's goals group together
STATUTE_KINDS = ("words", "inflected", "phrase", "citation", "synonym")
EVERYDAY_KINDS = ("paraphrase", "question", "slang", "multi")
PARTS = ("dev", "test")
PERSONAS = ("lawyer", "citizen", "drafter")
_ELI = re.compile(r"^eli/(ru|by)/[\w.-]+(/[\w.-]+)+$")

# search(query, jurisdiction) -> article ELI paths, best first
SearchFn = Callable[[str, str], list[str]]


@dataclass(frozen=True)
class Judged:
    q: str
    expected: dict[str, tuple[str, ...]]      # jurisdiction -> article ELI paths (non-empty lists only)
    kind: str                                  # one of KINDS
    note: str = ""
    part: str = ""                             # "dev" | "test" (everyday sets); "" in queries.toml
    persona: str = ""
    topic: str = ""
    source: str = ""                           # the file's name


@dataclass
class Score:
    queries: int = 0
    recall: float = 0.0                        # mean recall@k
    mrr: float = 0.0
    misses: list[str] = field(default_factory=list)   # queries with an expected article beyond k


def part_of(q: str) -> str:
    """The part a query belongs to, as fixed when it was written (a hash of its UTF-8 text)."""
    return "test" if int(hashlib.sha1(q.encode()).hexdigest(), 16) % 2 else "dev"


def load(path: Path = DEFAULT_SET, everyday: bool | None = None) -> list[Judged]:
    """The judged queries of a TOML file ([[query]] q=, ru=[...], by=[...], kind=, note=, and in an
    everyday set part=, persona=, topic=). ValueError names the file, the entry and what is wrong.
    `everyday`: require the everyday fields (default: when the file name starts with "everyday")."""
    path = Path(path)
    if everyday is None:
        everyday = path.name.startswith("everyday")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc}); fix the file") from None
    out: list[Judged] = []
    seen: set[str] = set()
    for i, q in enumerate(data.get("query", []), 1):
        where = f"{path.name}: query #{i} ({q.get('q', '')!r})"
        text = q.get("q")
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where} needs a non-empty q")
        lists = {j: q.get(j, []) for j in ("ru", "by")}
        for j, arts in lists.items():
            if not isinstance(arts, list) or any(not isinstance(a, str) or not _ELI.match(a) for a in arts):
                raise ValueError(f"{where}: {j} must be a list of article ELI paths like eli/{j}/kodeks/…/art_1")
            if any(not a.startswith(f"eli/{j}/") for a in arts):
                raise ValueError(f"{where}: {j} lists an article of another jurisdiction")
        expected = {j: tuple(a) for j, a in lists.items() if a}
        if not expected:
            raise ValueError(f"{where} needs at least one article in ru or by")
        kind = q.get("kind", "words")
        if kind not in KINDS:
            raise ValueError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
        part = q.get("part", "")
        if everyday:
            if part not in PARTS:
                raise ValueError(f"{where}: part must be \"dev\" or \"test\"")
            if part != part_of(text):
                raise ValueError(f"{where}: part is {part!r} but the hash of q says {part_of(text)!r}; "
                                 "the part is fixed by the text, never chosen")
            if q.get("persona") not in PERSONAS:
                raise ValueError(f"{where}: persona must be one of {', '.join(PERSONAS)}")
            if not q.get("topic"):
                raise ValueError(f"{where} needs a topic")
        if text in seen:
            raise ValueError(f"{where}: the same q appears twice")
        seen.add(text)
        out.append(Judged(text, expected, kind, q.get("note", ""), part, q.get("persona", ""),
                          q.get("topic", ""), path.name))
    return out


def load_everyday(part: str | None = None, paths: Iterable[Path] = EVERYDAY_SETS) -> list[Judged]:
    """The everyday sets that exist (a set not written yet is skipped), of one part or both."""
    out: list[Judged] = []
    for p in paths:
        if Path(p).exists():
            out.extend(j for j in load(p, everyday=True) if part is None or j.part == part)
    return out


def group(queries: list[Judged], kinds: tuple[str, ...]) -> list[Judged]:
    """The queries of some kinds."""
    return [q for q in queries if q.kind in kinds]


def evaluate(search: SearchFn, queries: list[Judged], k: int = 10) -> dict[str, Score]:
    """recall@k and MRR per jurisdiction."""
    scores: dict[str, Score] = {}
    for jq in queries:
        for jur, expected in jq.expected.items():
            got = search(jq.q, jur)[:k]
            s = scores.setdefault(jur, Score())
            s.queries += 1
            found = [a for a in expected if a in got]
            # recall of a query with several accepted articles: one of them found is an answer
            # in the everyday sets ("every article a lawyer would accept"); all of them in queries.toml
            if jq.part:
                s.recall += 1.0 if found else 0.0
            else:
                s.recall += len(found) / len(expected)
            ranks = [got.index(a) + 1 for a in found]
            s.mrr += 1 / min(ranks) if ranks else 0.0
            if (not found) if jq.part else len(found) < len(expected):
                s.misses.append(f"{jur}: {jq.q!r} missing {', '.join(a for a in expected if a not in got)}")
    for s in scores.values():
        if s.queries:
            s.recall /= s.queries
            s.mrr /= s.queries
    return scores
