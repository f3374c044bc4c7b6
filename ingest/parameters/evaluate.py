"""Precision and recall of the extractor on the judged set (tests/parameters/judged.tsv): a found
parameter counts when a judged one of the same article has its value and unit and its quoted
words overlap the found span; each judged parameter is matched at most once."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import articles, jurisdiction_of
from .extract import extract_parameters
from .model import Parameter

JUDGED = Path(__file__).resolve().parents[2] / "tests" / "parameters" / "judged.tsv"


@dataclass(frozen=True)
class Judged:
    """One row of the judged set."""

    part: str
    article: str
    kind: str          # "none": the article sets no parameter
    value: float
    unit: str
    quote: str
    note: str = ""


@dataclass
class Figures:
    """What the extractor got right on one part of the judged set."""

    judged: int = 0
    found: int = 0
    matched: int = 0
    kind_right: int = 0
    articles: int = 0
    misses: list[tuple[str, str]] = field(default_factory=list)      # (article, judged quote)
    extras: list[tuple[str, str]] = field(default_factory=list)      # (article, found quote)

    @property
    def precision(self) -> float:
        return self.matched / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.judged if self.judged else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_right / self.matched if self.matched else 1.0


def load(path: Path = JUDGED) -> list[Judged]:
    """The judged rows (comment lines start with #)."""
    with path.open(encoding="utf-8") as f:
        lines = [line for line in f if not line.startswith("#")]
    rows = []
    for r in csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE):
        rows.append(Judged(r["part"], r["article"], r["kind"], float(r["value"] or 0), r["unit"] or "",
                           r["quote"] or "", r.get("note") or ""))
    return rows


def article_text(article: str) -> str:
    """The text of "act/eId" as the corpus prints it; KeyError when the act has no such article."""
    act, _, eid = article.partition("/")
    for a in articles(act):
        if a.eid == eid:
            return a.text
    raise KeyError(f"{article}: no such article in the latest redaction of {act}")


def occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    """Every (start, end) where `quote` is printed in `text`."""
    out, i = [], text.find(quote)
    while quote and i >= 0:
        out.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    return out


def evaluate(rows: list[Judged], part: str | None = "test") -> Figures:
    """Figures of the extractor over the articles of `part` ("dev", "test"; None: both)."""
    fig = Figures()
    by_article: dict[str, list[Judged]] = {}
    for r in rows:
        if part is None or r.part == part:
            by_article.setdefault(r.article, []).append(r)
    for article, judged in by_article.items():
        text = article_text(article)
        found = extract_parameters(text, jurisdiction_of(article))
        fig.articles += 1
        fig.found += len(found)
        gold = [g for g in judged if g.kind != "none"]
        fig.judged += len(gold)
        left = list(found)
        for g in gold:
            spans = occurrences(text, g.quote)
            p = next((p for p in left if _same(p, g) and any(p.start < e and s < p.end for s, e in spans)), None)
            if p is None:
                fig.misses.append((article, f"{g.quote} = {g.value:g} {g.unit}"))
                continue
            left.remove(p)
            fig.matched += 1
            fig.kind_right += p.kind == g.kind
        fig.extras.extend((article, f"{p.quote} = {p.value:g} {p.unit}") for p in left)
    return fig


def _same(p: Parameter, g: Judged) -> bool:
    return p.unit == g.unit and abs(p.value - g.value) <= 1e-4 * max(1.0, abs(g.value))
