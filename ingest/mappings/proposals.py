"""Machine-proposed correspondence tables of the code pairs, and their coverage.

For each RU code (and the constitutions) and its BY counterpart: every article in force of
the RU act gets its reviewed mappings when it has any, else the suggester's proposal (best
BY article with its calibrated probability, or no counterpart) — `proposed`, counted as
suggested, never as reviewed, and never written over a reviewed mapping.

The tables are computed from the store, not kept in files: they follow every new reviewed
mapping (anchors) and every re-ingest at once, where committed files would go stale.
`lexmap mappings propose` writes one as SSSOM TSV; `bench/mappings.py --coverage` counts them.
`lexmap mappings propose --all --load` (`load_tables`) loads them into the store as mapping
records, one set per pair (`machine-<ru>-<by>`), `proposed`, by the agent "suggester", so
reviewers can work through them (accept, reject) like any proposal; a re-load replaces the
proposals that changed and never touches one reviewed since (MappingRepository.load_set).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import Settings
from ..sources import load_manifest
from datetime import date
from typing import Callable

from ..store import GraphStore
from .model import Mapping
from .repository import LoadReport, MappingRepository, MappingTable
from .sssom_tsv import MappingSet
from .suggest import Suggester

# (RU manifest key, BY manifest key): the 16 code pairs (the four parts of the RU Civil Code
# each against the BY Civil Code) and the constitutions.
CODE_PAIRS: tuple[tuple[str, str], ...] = (
    ("ru-konst", "by-konst"),
    ("ru-gk-1", "by-gk"), ("ru-gk-2", "by-gk"), ("ru-gk-3", "by-gk"), ("ru-gk-4", "by-gk"),
    ("ru-tk", "by-tk"), ("ru-uk", "by-uk"), ("ru-upk", "by-upk"), ("ru-uik", "by-uik"),
    ("ru-gpk", "by-gpk"), ("ru-apk", "by-hpk"), ("ru-kas", "by-gpk"), ("ru-sk", "by-kobs"),
    ("ru-zk", "by-kz"), ("ru-zhk", "by-zhk"), ("ru-bk", "by-bk"), ("ru-lk", "by-lk"),
    ("ru-vzk", "by-vzk"), ("ru-kvvt", "by-kvvt"), ("ru-ktm", "by-ktm"),
)


@dataclass
class PairTable:
    """One code pair's table: reviewed articles (by IRI) and the proposals of the others."""

    source: str
    target: str
    articles: int
    reviewed: frozenset[str]
    proposals: list[Mapping]

    @property
    def suggested(self) -> int:
        """Articles with a suggested counterpart (one split over two counts once)."""
        return len({m.subject for m in self.proposals if not m.no_counterpart})

    @property
    def none(self) -> int:
        return sum(1 for m in self.proposals if m.no_counterpart)


def pair_works(settings: Settings) -> list[tuple[str, str, str]]:
    """(name, RU work IRI, BY work IRI) of the code pairs the manifest holds."""
    acts = {a.key: a for a in load_manifest(settings).acts}
    return [(f"{ru}→{by}", acts[ru].work.iri(settings.base_iri), acts[by].work.iri(settings.base_iri))
            for ru, by in CODE_PAIRS if ru in acts and by in acts]


def reviewed_articles(table: MappingTable, source: str, target: str) -> frozenset[str]:
    """Source articles with a reviewed (accepted or stale) mapping towards the target act,
    either way round, or a reviewed "no counterpart"."""
    out = set()
    for m in table.mappings:
        if m.lifecycle not in ("accepted", "stale"):
            continue
        if m.no_counterpart:
            if table._in(m.subject, source):
                out.add(m.subject)
            continue
        for a, b in ((m.subject, m.object), (m.object, m.subject)):
            if table._in(a, source) and table._in(b, target):
                out.add(a.split("__")[0])
    return frozenset(out)


def pair_table(suggester: Suggester, table: MappingTable, source: str, target: str, author: str = "") -> PairTable:
    """The complete table of one pair: which articles are reviewed, proposals for the rest."""
    model = suggester.pair(source, target)
    reviewed = reviewed_articles(table, source, target) & set(model.source.by_iri)
    proposals = suggester.propose_set(source, target, author=author, reviewed=reviewed,
                                      pairs=table.accepted_pairs(source, target))
    return PairTable(source, target, len(model.source.articles), reviewed, proposals)


def coverage_table(store: GraphStore, settings: Settings) -> list[dict]:
    """Reviewed / suggested / none per code pair, with the mean probability of the suggestions."""
    repo = MappingRepository(store, settings.base_iri)
    table = repo.table()
    sug = Suggester(store, settings.bag_dir)
    out = []
    for name, ru, by in pair_works(settings):
        t = pair_table(sug, table, ru, by)
        probs = [m.confidence for m in t.proposals if not m.no_counterpart]
        out.append({"pair": name, "articles": t.articles, "reviewed": len(t.reviewed), "suggested": t.suggested,
                    "none": t.none, "mean_probability": sum(probs) / len(probs) if probs else float("nan")})
    return out


SSSOM_LICENSE = "https://creativecommons.org/licenses/by/4.0/"


def machine_set_name(pair: str) -> str:
    """'ru-gk-1→by-gk' -> 'machine-ru-gk-1-by-gk': the set (and graph) a pair's proposals live in."""
    return "machine-" + pair.replace("→", "-")


def load_tables(store: GraphStore, settings: Settings, pairs: list[str] | None = None,
                progress: Callable[[str], None] | None = None) -> list[LoadReport]:
    """Load the proposals of the code pairs (all, or those named as 'ru-sk→by-kobs' or 'ru-sk')
    as `proposed` mapping records, one set per pair, each in one transaction."""
    say = progress or (lambda m: None)
    repo = MappingRepository(store, settings.base_iri)
    agent = repo.agent_iri("suggester")
    sug = Suggester(store, settings.bag_dir)
    short = repo.short_titles()
    chosen = [(n, ru, by) for n, ru, by in pair_works(settings)
              if pairs is None or n in pairs or n.split("→")[0] in pairs]
    reports = []
    for name, ru, by in chosen:
        table = repo.table()          # read again: a pair loaded before may anchor this one
        t = pair_table(sug, table, ru, by, author=agent)
        set_name = machine_set_name(name)
        mset = MappingSet(
            meta={"mapping_set_id": f"{settings.base_iri}/mappings/{set_name}", "license": SSSOM_LICENSE,
                  "subject_source": ru, "object_source": by,
                  "mapping_set_title": f"Machine proposals {name}",
                  "mapping_set_description": f"Proposed by the lexmap suggester on {date.today().isoformat()} for "
                                             "every article in force without a reviewed mapping; every row needs "
                                             "review."},
            prefixes={}, mappings=[replace(m, mapping_set=f"{settings.base_iri}/mappings/{set_name}", record_id="")
                                   for m in t.proposals])
        rep = repo.load_set(mset, set_name, agent, f"suggester:{name}", short)
        say(f"proposals {name}: {len(t.proposals)} for {t.articles - len(t.reviewed)} unreviewed article(s)"
            + (f", {len(rep.violations)} problem(s): " + "; ".join(rep.violations[:3]) if rep.violations else
               f", {rep.added} added, {rep.updated} updated, {rep.removed} removed, {rep.kept} kept as reviewed"))
        reports.append(rep)
    return reports
