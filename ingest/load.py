"""Per act: read -> parse -> identify -> check -> RDF -> validate -> atomic replace in the store.

A failing act is reported with file, article/line and message and leaves the
store exactly as it was; the other acts still load. An act whose source,
pipeline version and base IRI are unchanged is skipped.
"""
from __future__ import annotations

import hashlib
import os
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Iterable

from rdflib import Literal, URIRef

from ontology import LEXMAP
from .adapters import get_adapter
from .adapters.safe_io import SourceError
from .config import Settings
from .identifiers import assign_eids, expression_iri
from .model import ParsedDocument, Problem
from .plausibility import RedactionFigures, check_plausible, previous_figures
from .query import catalog as q
from .sources import ActEntry, ExpressionEntry, Manifest, read_source, sha256_hex
from .store import GraphStore, StoreError, count_graph
from .effects import corpus_acts, effects_ntriples
from .references import references_ntriples, resolver_for
from .to_rdf import act_ntriples, act_to_graph
from .validate import Violation, validate_graph, validate_ntriples

# Bump when parsing or RDF output changes, so stores built by older code reload.
# 7: references (issue 16); 8: amendment effects, and BY parts numbered as the law counts (issue 16,
# items 5 and 3: the opening text of a point is its part 1, so "часть вторая пункта 1" is para_2)
INGEST_VERSION = "8"


@dataclass
class ActReport:
    """What happened to one act redaction."""

    key: str
    date: str
    status: str = "pending"          # loaded | unchanged | failed
    articles: int = 0
    provisions: int = 0
    triples: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    graph: str = ""

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]


@dataclass
class Prepared:
    """An act redaction parsed, converted and validated, ready to load."""

    report: ActReport
    ntriples: str = ""
    fingerprint: str = ""


def fingerprint(checksum: str, base: str) -> str:
    """What a loaded graph was built from: source bytes, pipeline version, base IRI."""
    return hashlib.sha256(f"{checksum}|{INGEST_VERSION}|{base}".encode()).hexdigest()[:32]


def check_structure(doc: ParsedDocument) -> None:
    """Report gaps in article numbering that no repealed stub explains."""
    nums = sorted({int(a.num) for a in doc.articles() if a.num and a.num.isdigit()})
    if not nums:
        return
    present = set(nums)
    gaps: list[tuple[int, int]] = []
    start = None
    for n in range(nums[0], nums[-1] + 1):
        if n not in present:
            start = n if start is None else start
        elif start is not None:
            gaps.append((start, n - 1))
            start = None
    for lo, hi in gaps:
        span = f"{lo}" if lo == hi else f"{lo}–{hi}"
        doc.warn(f"articles {span} are absent from the source (not marked repealed there)", "structure",
                 "check the official text; lexmap records only what the source holds")


def parse_source(expr: ExpressionEntry, data: bytes) -> ParsedDocument:
    """Parse and identify one redaction: the adapter's tree with eIds, plus structure warnings.

    Raises SourceError when the source cannot be read as its format."""
    doc = get_adapter(expr.format)(data, expr.path)
    assign_eids(doc)
    check_structure(doc)
    return doc


def prepare(act: ActEntry, expr: ExpressionEntry, manifest: Manifest, settings: Settings,
            loaded_fingerprint: str | None = None, previous: RedactionFigures | None = None,
            reference: bool = False) -> Prepared:
    """Everything short of writing: runs in a worker process. `previous`: the figures of what
    this redaction replaces or follows in the store (ingest.plausibility).

    The triples are written straight to N-Triples (`to_rdf.act_ntriples`) and validated from that
    text; `reference` builds them as an rdflib Graph instead (`to_rdf.act_to_graph`, the path
    before issue 15, kept for bench/ingest.py and the tests that compare the two)."""
    report = ActReport(act.key, expr.date.isoformat())
    t = time.perf_counter()
    try:
        data = read_source(manifest, expr, settings)
        checksum = sha256_hex(data)
        fp = fingerprint(checksum, settings.base_iri)
        if loaded_fingerprint == fp:
            report.status = "unchanged"
            return Prepared(report)
        doc = parse_source(expr, data)
    except SourceError as exc:
        report.status = "failed"
        report.problems.append(Problem("error", exc.message, exc.where, exc.hint))
        return Prepared(report)
    doc.problems.extend(check_plausible(previous, doc, expr.expected, settings.shrink_tolerance,
                                        settings.accept_shrink))
    report.problems.extend(doc.problems)
    report.articles = len(doc.articles())
    report.seconds["parse"] = time.perf_counter() - t
    if doc.errors:
        report.status = "failed"
        return Prepared(report)
    if reference:
        return _convert_with_rdflib(act, expr, doc, settings, checksum, fp, report,
                                    references_of(act, expr, doc, manifest, settings)
                                    + effects_ntriples(doc, act, expr, settings.base_iri,
                                                       corpus_acts(manifest, settings.base_iri)))
    t = time.perf_counter()
    try:
        at = act_ntriples(act, expr, doc, settings.base_iri, checksum, fp)
    except ValueError as exc:      # an identifier no IRI may hold: nothing is loaded
        report.status = "failed"
        report.problems.append(Problem("error", str(exc), expr.path, "fix the manifest or the source's numbering"))
        return Prepared(report)
    report.provisions, report.graph = at.provisions, at.expression_iri
    report.seconds["rdf"] = time.perf_counter() - t
    t = time.perf_counter()
    refs_nt = references_of(act, expr, doc, manifest, settings)
    report.seconds["references"] = time.perf_counter() - t
    t = time.perf_counter()
    effects_nt = effects_ntriples(doc, act, expr, settings.base_iri, corpus_acts(manifest, settings.base_iri))
    report.seconds["effects"] = time.perf_counter() - t
    ntriples = at.ntriples + refs_nt + effects_nt
    report.triples = at.triples + refs_nt.count("\n") + effects_nt.count("\n")
    t = time.perf_counter()
    violations = validate_ntriples(ntriples, at.origin)
    report.seconds["validate"] = time.perf_counter() - t
    if violations:
        return _rejected(report, violations)
    return Prepared(report, ntriples, fp)


def references_of(act: ActEntry, expr: ExpressionEntry, doc: ParsedDocument, manifest: Manifest,
                settings: Settings) -> str:
    """N-Triples of the references the redaction's text makes (issue 16), resolved against the
    act's own numbering; references into other acts are resolved after every act is loaded
    (ingest.references.store_pass, run by the pipeline)."""
    return references_ntriples(doc, act, expr, settings.base_iri,
                               resolver_for(manifest, settings.base_iri, act.key, doc))


def _convert_with_rdflib(act: ActEntry, expr: ExpressionEntry, doc: ParsedDocument, settings: Settings,
                         checksum: str, fp: str, report: ActReport, refs_nt: str = "") -> Prepared:
    """The reference conversion: an rdflib Graph, validated as a Graph, serialised by rdflib."""
    t = time.perf_counter()
    ag = act_to_graph(act, expr, doc, settings.base_iri, checksum)
    ag.graph.add((URIRef(ag.expression_iri), LEXMAP.buildFingerprint, Literal(fp)))
    if refs_nt:
        ag.graph.parse(data=refs_nt, format="nt")
    report.provisions, report.triples, report.graph = ag.provisions, len(ag.graph), ag.expression_iri
    report.seconds["rdf"] = time.perf_counter() - t
    t = time.perf_counter()
    violations = validate_graph(ag.graph, ag.origin)
    report.seconds["validate"] = time.perf_counter() - t
    if violations:
        return _rejected(report, violations)
    t = time.perf_counter()
    nt = ag.graph.serialize(format="nt")
    report.seconds["rdf"] += time.perf_counter() - t
    return Prepared(report, nt, fp)


def _rejected(report: ActReport, violations: list[Violation]) -> Prepared:
    """The act fails SHACL: the first 50 violations as errors, with their places."""
    report.status = "failed"
    for v in violations[:50]:
        report.problems.append(Problem("error", f"SHACL: {v.message}", f"{v.where} ({v.focus.rsplit('/', 1)[-1]})"))
    if len(violations) > 50:
        report.problems.append(Problem("error", f"… and {len(violations) - 50} more SHACL violations"))
    return Prepared(report)


def loaded_fingerprints(store: GraphStore) -> dict[str, str]:
    """Fingerprint of every act redaction graph in the store."""
    rows = q.select(store, "build_fingerprints")
    return {r["e"]: r["fp"] for r in rows}


def ingest(store: GraphStore, manifest: Manifest, settings: Settings, acts: Iterable[ActEntry],
           force: bool = False, workers: int | None = None,
           progress: Callable[[str], None] | None = None,
           on_loaded: Callable[[ActEntry, ExpressionEntry, ActReport], None] | None = None,
           reference: bool = False) -> list[ActReport]:
    """Ingest every redaction of the given acts; returns one report per redaction.

    Each redaction is prepared in a worker process (at most two acts ahead of the loading, so
    no more than a few acts' text is held at once) and loaded all or nothing: by the store's
    journaled bulk load where it has one (`OxigraphStore.load_graph`), else in one transaction.
    `reference` takes the path before issue 15 (rdflib graphs, one SPARQL update per act), which
    bench/ingest.py compares with."""
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    jobs = [(act, expr) for act in acts for expr in sorted(act.expressions, key=lambda e: e.date)]
    known = {} if force else loaded_fingerprints(store)
    args = []
    loaded = known or loaded_fingerprints(store)
    for act, expr in jobs:
        eiri = expression_iri(act.work.iri(settings.base_iri), expr.date, expr.language)
        # what a changed source is held to (the source already loaded, even forced, cannot have shrunk)
        fresh = loaded.get(eiri) == fingerprint(expr.sha256, settings.base_iri)
        previous = None if fresh else previous_figures(store, act.work.iri(settings.base_iri), expr.date)
        args.append((act, expr, manifest, settings, known.get(eiri), previous))
    workers = workers if workers is not None else min(len(args), os.cpu_count() or 1, 2)
    reports: list[ActReport] = []
    total = len(args)
    say(f"ingesting {total} redaction(s) of {len({a.key for a, _ in jobs})} act(s) with {max(workers, 1)} worker(s)")

    def finish(i: int, act: ActEntry, expr: ExpressionEntry, prepared: Prepared) -> None:
        rep = prepared.report
        if rep.status == "pending":
            t = time.perf_counter()
            load = store.replace_graph if reference else getattr(store, "load_graph", store.replace_graph)
            try:
                load(rep.graph, prepared.ntriples)
                rep.triples = count_graph(store, rep.graph)   # what the store holds, not what was sent
                rep.status = "loaded"
            except StoreError as exc:
                rep.status = "failed"
                rep.problems.append(Problem("error", str(exc), rep.graph, "the store was left as it was"))
            rep.seconds["load"] = time.perf_counter() - t
            if rep.status == "loaded" and on_loaded is not None:
                on_loaded(act, expr, rep)
        secs = sum(rep.seconds.values())
        say(f"[{i:>2}/{total}] {rep.key:<10} {rep.date}  {rep.status:<9} {rep.articles:>5} articles "
            f"{rep.provisions:>6} provisions {rep.triples:>8} triples  {secs:5.1f}s")
        for p in rep.problems:
            if p.severity == "error":
                say(f"        {p}")
        reports.append(rep)

    if workers <= 1:
        for i, a in enumerate(args, 1):
            finish(i, a[0], a[1], prepare(*a, reference=reference))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            # A bounded window of jobs, finished in order: each result (an act's N-Triples) is
            # loaded and dropped before many more pile up in this process.
            todo, window = iter(enumerate(args, 1)), deque()

            def submit_next() -> None:
                job = next(todo, None)
                if job is not None:
                    window.append((job, pool.submit(prepare, *job[1], reference=reference)))

            for _ in range(2 * workers):
                submit_next()
            while window:
                (i, a), future = window.popleft()
                prepared = future.result()
                submit_next()
                finish(i, a[0], a[1], prepared)
                del prepared
    return reports


def summary_table(reports: list[ActReport]) -> str:
    """A plain-text table of the ingest, one row per act redaction, with totals."""
    lines = [f"{'act':<10} {'redaction':<10} {'status':<9} {'articles':>8} {'provisions':>10} {'triples':>9} "
             f"{'warnings':>8} {'errors':>6}"]
    for r in reports:
        warns = sum(1 for p in r.problems if p.severity == "warning")
        lines.append(f"{r.key:<10} {r.date:<10} {r.status:<9} {r.articles:>8} {r.provisions:>10} {r.triples:>9} "
                     f"{warns:>8} {len(r.errors):>6}")
    tot = lambda attr: sum(getattr(r, attr) for r in reports)  # noqa: E731
    failed = sum(1 for r in reports if r.status == "failed")
    lines.append(f"{'total':<10} {'':<10} {f'{failed} failed':<9} {tot('articles'):>8} {tot('provisions'):>10} "
                 f"{tot('triples'):>9}")
    return "\n".join(lines)
