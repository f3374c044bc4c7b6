"""The colloquial lexicon's rule against the codes' own wording (corpus/colloquial.toml).

A `typed` phrase of the lexicon stands for words the codes do not use ("коммуналка", "отпуск за
свой счет"). A phrase the codes themselves hold in MAX_IN_CODES or more articles in force is
their wording, not the street's: the engine finds it as typed, and a rewrite would push another
concept into queries worded as the statute ("по гарантии" is in 274 articles, mostly of bank
guarantees; "под залог" in 221, of pledges; "дача" in 175 BY articles). `in_codes` counts each
phrase with the index's own phrase query; bench/colloquial.py prints them and prunes the file.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from .backend import Filters, SearchBackend
from .querylang import parse

# A typed phrase found in this many articles in force (or more) is the codes' own wording.
MAX_IN_CODES = 3


@dataclass(frozen=True)
class PhraseCount:
    typed: str          # the phrase as the lexicon writes it
    statute: str        # the codes' words it adds
    articles: int       # articles in force (and headings) holding it as a phrase


def entries(path: Path) -> list[dict]:
    """The [[colloquial]] entries of a lexicon file."""
    return tomllib.loads(Path(path).read_text(encoding="utf-8")).get("colloquial", [])


def in_codes(backend: SearchBackend, path: Path) -> list[PhraseCount]:
    """Every typed phrase of the lexicon with how many articles in force hold it, most first."""
    flt = Filters()                     # articles in force, latest redactions
    out = []
    for e in entries(path):
        for typed in e["typed"]:
            node = parse('"%s"' % typed.replace('"', " "))
            n = backend.facets(node, flt).total if node is not None else 0
            out.append(PhraseCount(typed, e["statute"], n))
    return sorted(out, key=lambda p: (-p.articles, p.typed))


def codes_wording(counts: list[PhraseCount]) -> list[PhraseCount]:
    """The phrases the rule leaves out: held by MAX_IN_CODES or more articles in force."""
    return [p for p in counts if p.articles >= MAX_IN_CODES]
