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
from .query import catalog as q
from .sources import ActEntry, ExpressionEntry, Manifest, read_source, sha256_hex
from .store import GraphStore, StoreError
from .to_rdf import act_to_graph
from .validate import validate_graph

# Bump when parsing or RDF output changes, so stores built by older code reload.
INGEST_VERSION = "6"


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
            loaded_fingerprint: str | None = None) -> Prepared:
    """Everything short of writing: runs in a worker process."""
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
    report.problems.extend(doc.problems)
    report.articles = len(doc.articles())
    report.seconds["parse"] = time.perf_counter() - t
    if doc.errors:
        report.status = "failed"
        return Prepared(report)
    t = time.perf_counter()
    ag = act_to_graph(act, expr, doc, settings.base_iri, checksum)
    ag.graph.add((URIRef(ag.expression_iri), LEXMAP.buildFingerprint, Literal(fp)))
    report.provisions, report.triples, report.graph = ag.provisions, len(ag.graph), ag.expression_iri
    report.seconds["rdf"] = time.perf_counter() - t
    t = time.perf_counter()
    violations = validate_graph(ag.graph, ag.origin)
    report.seconds["validate"] = time.perf_counter() - t
    if violations:
        report.status = "failed"
        for v in violations[:50]:
            report.problems.append(Problem("error", f"SHACL: {v.message}", f"{v.where} ({v.focus.rsplit('/', 1)[-1]})"))
        if len(violations) > 50:
            report.problems.append(Problem("error", f"… and {len(violations) - 50} more SHACL violations"))
        return Prepared(report)
    t = time.perf_counter()
    nt = ag.graph.serialize(format="nt")
    report.seconds["rdf"] += time.perf_counter() - t
    return Prepared(report, nt, fp)


def loaded_fingerprints(store: GraphStore) -> dict[str, str]:
    """Fingerprint of every act redaction graph in the store."""
    rows = q.select(store, "build_fingerprints")
    return {r["e"]: r["fp"] for r in rows}


def _prepare_job(args: tuple) -> Prepared:
    return prepare(*args)


def ingest(store: GraphStore, manifest: Manifest, settings: Settings, acts: Iterable[ActEntry],
           force: bool = False, workers: int | None = None,
           progress: Callable[[str], None] | None = None,
           on_loaded: Callable[[ActEntry, ExpressionEntry, ActReport], None] | None = None) -> list[ActReport]:
    """Ingest every redaction of the given acts; returns one report per redaction."""
    say = progress or (lambda msg: print(msg, file=sys.stderr, flush=True))
    jobs = [(act, expr) for act in acts for expr in sorted(act.expressions, key=lambda e: e.date)]
    known = {} if force else loaded_fingerprints(store)
    args = []
    for act, expr in jobs:
        eiri = expression_iri(act.work.iri(settings.base_iri), expr.date, expr.language)
        args.append((act, expr, manifest, settings, known.get(eiri)))
    workers = workers if workers is not None else min(len(args), os.cpu_count() or 1, 2)
    reports: list[ActReport] = []
    total = len(args)
    say(f"ingesting {total} redaction(s) of {len({a.key for a, _ in jobs})} act(s) with {max(workers, 1)} worker(s)")

    def finish(i: int, act: ActEntry, expr: ExpressionEntry, prepared: Prepared) -> None:
        rep = prepared.report
        if rep.status == "pending":
            t = time.perf_counter()
            try:
                store.replace_graph(rep.graph, prepared.ntriples)
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
            finish(i, a[0], a[1], prepare(*a))
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            for i, (a, prepared) in enumerate(zip(args, pool.map(_prepare_job, args)), 1):
                finish(i, a[0], a[1], prepared)
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
