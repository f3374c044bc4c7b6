"""Load the project's curated mapping sets (`corpus/mappings/*.sssom.tsv`).

Run by `lexmap ingest` after the acts: a set whose file is unchanged since it
was loaded is skipped (`force` merges it again, which then changes nothing); a
set whose acts are not in the store is skipped with a note; an invalid set is
reported line by line and leaves the store as it was. After acts change,
mappings on changed texts are flagged stale.

A (re-)load never writes over a later state: a mapping reviewed, flagged stale
or re-confirmed since its import keeps that state, and a change of its row in
the file comes in as a new proposal recorded in its trail
(MappingRepository.load_set).
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Callable

from ..config import PROJECT_ROOT, Settings
from ..store import GraphStore
from ..query import catalog as q
from ..query.rows import Value
from .repository import LoadReport, MappingRepository
from .sssom_tsv import MappingFileError, parse

MAPPINGS_DIR = PROJECT_ROOT / "corpus" / "mappings"
PIPELINE_VERSION = "1"


@dataclass
class CuratedReport(LoadReport):
    status: str = "loaded"   # loaded | unchanged | skipped | failed
    note: str = ""


def set_name(path: Path) -> str:
    return path.name.removesuffix(".sssom.tsv")


def _fingerprint(data: bytes, settings: Settings) -> str:
    return hashlib.sha256(data + f"|{PIPELINE_VERSION}|{settings.base_iri}".encode()).hexdigest()


def load_curated(store: GraphStore, settings: Settings, paths: list[Path] | None = None, force: bool = False,
                 progress: Callable[[str], None] | None = None) -> list[CuratedReport]:
    """Load every curated set (or `paths`); one report per set."""
    say = progress or (lambda m: None)
    repo = MappingRepository(store, settings.base_iri)
    paths = sorted(paths if paths is not None else MAPPINGS_DIR.glob("*.sssom.tsv"))
    loaded_acts = {r.v for r in q.select(store, "curated_loaded_acts", Value)}
    short = repo.short_titles()
    reports: list[CuratedReport] = []
    for path in paths:
        name = set_name(path)
        data = path.read_bytes()
        fp = _fingerprint(data, settings)
        rel = str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
        graph = repo.set_graph(name)
        if not force and q.ask(store, "curated_set_unchanged", graph=graph, fingerprint=fp):
            reports.append(CuratedReport(name=name, status="unchanged"))
            continue
        try:
            mset = parse(data.decode("utf-8"), rel, settings.base_iri)
        except (MappingFileError, UnicodeDecodeError) as exc:
            problems = exc.problems if isinstance(exc, MappingFileError) else [f"{rel}: not UTF-8 ({exc})"]
            reports.append(CuratedReport(name=name, status="failed", violations=problems))
            say(f"mappings {name}: FAILED, {len(problems)} problem(s); the store keeps the previous set")
            continue
        sources = {str(mset.meta.get(k, "")).replace("https://lexmap.org", settings.base_iri, 1)
                   for k in ("subject_source", "object_source")}
        absent = sorted(s for s in sources if s and s not in loaded_acts)
        if absent:
            reports.append(CuratedReport(name=name, status="skipped", note="act(s) not in the store: " + ", ".join(absent)))
            say(f"mappings {name}: skipped, act(s) not loaded: {', '.join(absent)}")
            continue
        rep = repo.load_set(mset, name, repo.agent_iri("curators"), rel, short, fingerprint=fp)
        out = CuratedReport(**{f.name: getattr(rep, f.name) for f in fields(LoadReport)},
                            status="failed" if rep.violations else "loaded" if rep.changed else "unchanged")
        say(f"mappings {name}: {out.status}, {rep.loaded} mapping(s)" + _summary(rep)
            + (f", {len(rep.violations)} problem(s): " + "; ".join(rep.violations[:5]) if rep.violations else ""))
        reports.append(out)
    return reports


def _summary(rep: LoadReport) -> str:
    """', 3 added, 1 proposed again …' for the counts that are not zero, then the notes."""
    counts = [f"{n} {label}" for n, label in ((rep.added, "added"), (rep.updated, "updated"),
                                              (rep.proposed, "proposed again (reviewed since, row changed)"),
                                              (rep.kept, "kept as reviewed or flagged since"), (rep.removed, "removed"))
              if n]
    return "".join(f", {x}" for x in counts + rep.notes)
