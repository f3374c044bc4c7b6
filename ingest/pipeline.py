"""The ingest pipeline: the whole sequence from the manifest to a store ready to serve.

    read → parse → identify → validate → load      (ingest.load, per act redaction)
    → index                                        (ingest.index.indexer, acts whose graph changed)
    → stale flags                                  (mappings on texts that changed)
    → curated sets                                 (corpus/mappings/*.sssom.tsv whose file changed)

`run` is the one entry for a whole ingest (`lexmap ingest` and the tests call it, over a store
they lend or one it opens); `validate` is the same preparation with nothing written (`lexmap
validate`); `sync_index` is the index step alone (`lexmap reindex`). A failing act or mapping
set leaves the store as it was and is reported with its file and place; the rest goes on.
"""
from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, TypeVar

from .adapters.safe_io import SourceError
from .config import PROJECT_ROOT, Settings
from .identifiers import work_of
from .index.backend import SearchBackend
from .index.indexer import open_backend, rebuild as rebuild_index, sync
from .load import ActReport, ingest, parse_source, references_of, summary_table
from .mappings.curated import MAPPINGS_DIR, CuratedReport, load_curated
from .mappings.repository import MappingRepository
from .model import Problem
from .plausibility import check_plausible
from .references import names_for
from .references.store_pass import resolve_pending
from .sources import ActEntry, Manifest, load_manifest, read_source, sha256_hex
from .store import GraphStore, open_store
from .to_rdf import act_ntriples
from .validate import Violation, validate_ntriples

Progress = Callable[[str], None]
T = TypeVar("T")


def to_stderr(msg: str) -> None:
    """The default progress: one line on standard error, at once."""
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------- reports

@dataclass(frozen=True)
class IndexSync:
    """What the index step did: act IRI -> documents (re-)indexed, on which backend."""

    backend: str
    acts: dict[str, int]
    seconds: float

    @property
    def documents(self) -> int:
        return sum(self.acts.values())


@dataclass(frozen=True)
class Failure:
    """Something a run left as it was in the store: an act redaction or a curated mapping set."""

    kind: str                      # "act" | "mapping set"
    name: str                      # "by-kobs 2019-12-18" | "ru-sk-by-kobs"
    file: str                      # the source file (relative to the corpus root) or the set's file
    problems: tuple[str, ...]      # each with its place: "error [line 812]: …", "…tsv: line 4: …"


@dataclass
class PipelineReport:
    """Everything one run did, in the order it did it."""

    acts: list[ActReport]
    index: IndexSync
    stale: list[str]                          # record ids of mappings flagged stale
    curated: list[CuratedReport]
    seconds: float = 0.0
    sources: dict[tuple[str, str], str] = field(default_factory=dict)   # (key, date) -> source file

    @property
    def failed_acts(self) -> list[ActReport]:
        return [r for r in self.acts if r.status == "failed"]

    @property
    def failed_sets(self) -> list[CuratedReport]:
        return [r for r in self.curated if r.status == "failed"]

    @property
    def warnings(self) -> int:
        return sum(1 for r in self.acts for p in r.problems if p.severity == "warning")

    @property
    def failures(self) -> list[Failure]:
        """Every act redaction and mapping set that failed, with its file and its problems."""
        acts = [Failure("act", f"{r.key} {r.date}", self.sources.get((r.key, r.date), ""),
                        tuple(str(p) for p in r.errors)) for r in self.failed_acts]
        sets = [Failure("mapping set", r.name, _relative(MAPPINGS_DIR / f"{r.name}.sssom.tsv"), tuple(r.violations))
                for r in self.failed_sets]
        return acts + sets

    def summary(self) -> str:
        """The table `lexmap ingest` prints: one row per act redaction, totals, time and warnings."""
        return (summary_table(self.acts) + "\n"
                + f"{self.seconds:.1f} s; {self.warnings} warning(s) (see `lexmap validate ACT` for details)")

    def failure_messages(self) -> list[str]:
        """One line per kind of failure, for standard error (mapping sets first, as their details came last)."""
        out = []
        if self.failed_sets:
            out.append(f"{len(self.failed_sets)} mapping set(s) failed and were left as they were (see above)")
        if self.failed_acts:
            out.append(f"{len(self.failed_acts)} act(s) failed and were left as they were in the store: "
                       + ", ".join(f"{r.key} ({r.date})" for r in self.failed_acts))
        return out

    def exit_code(self, keep_going: bool = False) -> int:
        """0 when everything loaded (or `keep_going`), 1 when an act or a mapping set failed."""
        return 1 if (self.failed_sets or self.failed_acts) and not keep_going else 0


# ---------------------------------------------------------------------- the run

def run(settings: Settings, keys: Sequence[str] | None = None, *, store: GraphStore | None = None,
        backend: SearchBackend | None = None, force: bool = False, workers: int | None = None,
        progress: Progress | None = None) -> PipelineReport:
    """Ingest the acts `keys` (manifest keys or ELI work paths; all by default), then bring the
    search index, the stale flags and the curated mapping sets in step with the store.

    `store` and `backend` are used and left open when given, else opened here and closed.
    `force` reloads unchanged acts and merges unchanged curated sets again (which changes
    nothing when their sources did not change). Raises KeyError for an unknown key and
    SourceError for an unreadable manifest, before anything is opened."""
    say = progress or to_stderr
    manifest = load_manifest(settings)
    acts = select_acts(manifest, keys)
    started = time.perf_counter()
    with _lent_or_opened(store, lambda: open_store(settings)) as st:
        reports = ingest(st, manifest, settings, acts, force=force, workers=workers, progress=say)
        if any(r.status == "loaded" for r in reports):     # nothing loaded: nothing written
            say(resolve_pending(st, names_for(manifest, settings.base_iri)).line())   # references into other acts
        index = sync_index(st, settings, backend=backend, progress=say)
        stale, curated = sync_mappings(st, settings, changed_works(reports), force=force, progress=say)
    sources = {(a.key, e.date.isoformat()): e.path for a in acts for e in a.expressions}
    return PipelineReport(reports, index, stale, curated, time.perf_counter() - started, sources)


def select_acts(manifest: Manifest, keys: Sequence[str] | None) -> list[ActEntry]:
    """The acts named by `keys` (manifest keys or ELI work paths), or every act of the manifest."""
    return [manifest.find(k) for k in keys] if keys else list(manifest.acts)


def changed_works(reports: list[ActReport]) -> set[str]:
    """Work IRIs of the acts a run loaded anew (a redaction graph is `{work}/{date}/{lang}`)."""
    return {work_of(r.graph) for r in reports if r.status == "loaded"}


def sync_index(store: GraphStore, settings: Settings, *, backend: SearchBackend | None = None,
               backend_name: str | None = None, rebuild: bool = False, progress: Progress | None = None) -> IndexSync:
    """Bring the search index in step with the store: only acts whose graph changed, or every
    act when `rebuild`. Opens the configured backend (or `backend_name`) unless one is given."""
    say = progress or to_stderr
    with _lent_or_opened(backend, lambda: open_backend(settings, backend_name)) as be:
        t = time.perf_counter()
        done = rebuild_index(store, be, say) if rebuild else sync(store, be, progress=say)
        result = IndexSync(be.name, done, time.perf_counter() - t)
    if done:
        say(f"index ({result.backend}): {len(done)} act(s), {result.documents} documents in {result.seconds:.1f} s")
    return result


def sync_mappings(store: GraphStore, settings: Settings, changed: set[str], *, force: bool = False,
                  progress: Progress | None = None) -> tuple[list[str], list[CuratedReport]]:
    """Flag mappings on the changed acts' texts as stale, then load the curated sets whose file
    changed (all of them when `force`). Returns (stale record ids, one report per set)."""
    say = progress or to_stderr
    stale: list[str] = []
    if changed:
        stale = MappingRepository(store, settings.base_iri).mark_stale(changed)
        if stale:
            say(f"mappings: {len(stale)} flagged stale (the text of an end changed): {', '.join(stale[:10])}")
    results = load_curated(store, settings, force=force, progress=say)
    for r in results:
        for v in r.violations[:20]:
            say(f"  {v}")
    return stale, results


# ---------------------------------------------------------------------- validation only

@dataclass
class Validation:
    """One act redaction parsed and validated, nothing written: every problem with its place."""

    key: str
    date: str
    articles: int = 0
    problems: list[Problem] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    source_error: SourceError | None = None

    @property
    def errors(self) -> int:
        return sum(1 for p in self.problems if p.severity == "error")

    @property
    def ok(self) -> bool:
        return self.source_error is None and not self.errors and not self.violations

    def lines(self) -> list[str]:
        """What `lexmap validate` prints for this redaction."""
        if (exc := self.source_error) is not None:
            return [f"{self.key} {self.date}: error [{exc.where}]: {exc.message} — {exc.hint}"]
        head = (f"{self.key} {self.date}: {'ok' if self.ok else 'FAILED'} — {self.articles} articles, "
                f"{self.errors} error(s), {len(self.problems) - self.errors} warning(s), "
                f"{len(self.violations)} SHACL violation(s)")
        return [head] + [f"  {p}" for p in self.problems] + [f"  SHACL {v}" for v in self.violations]


def validate(settings: Settings, keys: Sequence[str] | None = None) -> Iterator[Validation]:
    """Read, parse, identify, convert and SHACL-validate the acts `keys` (all by default) as a
    load would, writing nothing; one result per redaction, as each is done. Unknown keys raise
    KeyError before the first result."""
    manifest = load_manifest(settings)
    acts = select_acts(manifest, keys)
    return _validations(manifest, settings, acts)


def _validations(manifest: Manifest, settings: Settings, acts: list[ActEntry]) -> Iterator[Validation]:
    for act in acts:
        for expr in act.expressions:
            result = Validation(act.key, str(expr.date))
            try:
                data = read_source(manifest, expr, settings)
                doc = parse_source(expr, data)
            except SourceError as exc:
                result.source_error = exc
                yield result
                continue
            # no store is opened here: the figures the manifest states are what the source is held to
            doc.problems.extend(check_plausible(None, doc, expr.expected, settings.shrink_tolerance,
                                                settings.accept_shrink))
            result.articles, result.problems = len(doc.articles()), list(doc.problems)
            if not doc.errors:
                # the same triples and the same SHACL check as a load (ingest.load.prepare)
                try:
                    at = act_ntriples(act, expr, doc, settings.base_iri, sha256_hex(data))
                except ValueError as exc:
                    result.problems.append(Problem("error", str(exc), expr.path,
                                                   "fix the manifest or the source's numbering"))
                    yield result
                    continue
                refs = references_of(act, expr, doc, manifest, settings)
                result.violations = validate_ntriples(at.ntriples + refs, at.origin)
            yield result


# ---------------------------------------------------------------------- helpers

@contextmanager
def _lent_or_opened(given: T | None, open_it: Callable[[], T]) -> Iterator[T]:
    """The caller's resource, left open; else one opened here and closed on the way out."""
    if given is not None:
        yield given
        return
    resource = open_it()
    try:
        yield resource
    finally:
        resource.close()   # type: ignore[attr-defined]


def _relative(path: Path) -> str:
    return str(path.relative_to(PROJECT_ROOT)) if path.is_relative_to(PROJECT_ROOT) else str(path)
