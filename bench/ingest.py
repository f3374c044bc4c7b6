"""Ingest the whole default corpus into fresh stores, the fast way and the reference way, in one run.

    .venv/bin/python bench/ingest.py [--workers N] [--mode both|fast|reference] [--act KEY] [--keep DIR]

Each mode runs in a process of its own, into a fresh store: `reference` is the path before issue
15 (rdflib graphs, SHACL on the Graph, one SPARQL update per act); `fast` writes N-Triples straight
from the provision tree, validates that text and bulk-loads it under the load journal. For each:
wall time, the phases' seconds summed over acts, peak memory (this mode's process tree, sampled,
and the largest single process), triples, and the re-ingest of one changed act (`--act`, default
the RU Civil Code part 1: one of its redaction graphs in the store is altered — some texts and its
build fingerprint — so the next ingest finds it changed, as after an edit of its source).
With both modes, the two stores are compared: quad counts and a SHA-256 of their sorted N-Quads.

Goals (issue 15): fast ≤ 30 s wall and ≤ 1 GB peak on 2 cores, same triples, one act ≤ 3 s.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pyoxigraph as ox  # noqa: E402

from ingest.config import load_settings  # noqa: E402
from ingest.load import ingest  # noqa: E402
from ingest.sources import load_manifest  # noqa: E402
from ingest.store import OxigraphStore, open_store  # noqa: E402
from ontology import LEXMAP  # noqa: E402


# ---------------------------------------------------------------------- memory of a process tree

def _rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


class PeakTree(threading.Thread):
    """Samples the summed RSS of this process and its descendants every 50 ms; keeps the peak."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self._done = 0.0, threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.05):
            self.peak = max(self.peak, sum(_rss_mb(p) for p in _tree(os.getpid())))

    def stop(self) -> float:
        self._done.set()
        self.join()
        return self.peak


# ---------------------------------------------------------------------- one mode, in its own process

def _alter(store: OxigraphStore, graph: str, share: int = 50) -> int:
    """Make a loaded redaction graph look built from another source: every `share`-th text
    changed and the build fingerprint replaced. Returns how many triples were altered."""
    g = ox.NamedNode(graph)
    texts = list(store.store.quads_for_pattern(None, ox.NamedNode(str(LEXMAP.text)), None, g))[::share]
    fps = list(store.store.quads_for_pattern(None, ox.NamedNode(str(LEXMAP.buildFingerprint)), None, g))
    for q in texts:
        store.store.remove(q)
        store.store.add(ox.Quad(q.subject, q.predicate, ox.Literal(q.object.value + " (старая редакция)",
                                                                   language=q.object.language), g))
    for q in fps:
        store.store.remove(q)
        store.store.add(ox.Quad(q.subject, q.predicate, ox.Literal("0" * 32), g))
    return len(texts) + len(fps)


def child(mode: str, data_dir: Path, workers: int, act_key: str) -> dict:
    settings = replace(load_settings(), data_dir=data_dir)
    manifest = load_manifest(settings)
    store = open_store(settings)
    reference = mode == "reference"
    sampler = PeakTree()
    sampler.start()
    t0 = time.perf_counter()
    reports = ingest(store, manifest, settings, manifest.acts, force=True, workers=workers,
                     progress=lambda m: None, reference=reference)
    wall = time.perf_counter() - t0
    peak = sampler.stop()
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    act = manifest.find(act_key)
    graph = max((r for r in reports if r.key == act.key and r.status == "loaded"), key=lambda r: r.date).graph
    altered = _alter(store, graph)
    t = time.perf_counter()
    again = ingest(store, manifest, settings, [act], progress=lambda m: None, reference=reference)
    one_act = time.perf_counter() - t
    store.close()
    phase = {k: sum(r.seconds.get(k, 0.0) for r in reports) for k in ("parse", "rdf", "validate", "load")}
    return {
        "mode": mode, "wall": wall, "peak_tree_mb": peak, "peak_main_mb": me, "peak_worker_mb": kids,
        "redactions": len(reports), "acts": len({r.key for r in reports}),
        "failed": [f"{r.key} {r.date}" for r in reports if r.status != "loaded"],
        "articles": sum(r.articles for r in reports), "provisions": sum(r.provisions for r in reports),
        "triples": sum(r.triples for r in reports), "phase": phase,
        "one_act": one_act, "one_act_graph": graph, "one_act_altered": altered,
        "one_act_statuses": [f"{r.date} {r.status}" for r in again],
    }


# ---------------------------------------------------------------------- comparing the stores

def store_digest(store_dir: Path) -> tuple[int, str]:
    """Quads and SHA-256 of the store's N-Quads, lines sorted (the same triples give the same hash)."""
    store = ox.Store.read_only(str(store_dir))
    lines = store.dump(format=ox.RdfFormat.N_QUADS).splitlines()
    del store
    lines.sort()
    digest = hashlib.sha256()
    for line in lines:
        digest.update(line)
        digest.update(b"\n")
    return len(lines), digest.hexdigest()


def run_mode(mode: str, root: Path, args: argparse.Namespace) -> dict:
    data_dir = root / mode
    out = subprocess.run([sys.executable, __file__, "--child", mode, "--dir", str(data_dir),
                          "--workers", str(args.workers), "--act", args.act],
                         check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--mode", choices=("both", "fast", "reference"), default="both")
    parser.add_argument("--act", default="ru-gk-1", help="the act re-ingested after a change")
    parser.add_argument("--keep", help="directory for the stores (default: a temporary one)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, Path(args.dir), args.workers, args.act)))
        return
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lexmap-bench-"))
    modes = ["reference", "fast"] if args.mode == "both" else [args.mode]
    results = {m: run_mode(m, root, args) for m in modes}
    # the re-ingest left each store with the act as its source is: digests compare the full corpus
    digests = {m: store_digest(root / m / "store") for m in modes}

    rows = [
        ("acts", lambda r: f"{r['acts']} ({r['redactions']} redactions, {len(r['failed'])} failed {r['failed']})"),
        ("articles", lambda r: f"{r['articles']}"),
        ("provisions", lambda r: f"{r['provisions']}"),
        ("triples (reports)", lambda r: f"{r['triples']}"),
        ("parse", lambda r: f"{r['phase']['parse']:.1f} s (summed over acts)"),
        ("rdf", lambda r: f"{r['phase']['rdf']:.1f} s"),
        ("validate (SHACL)", lambda r: f"{r['phase']['validate']:.1f} s"),
        ("load (store)", lambda r: f"{r['phase']['load']:.1f} s"),
        (f"wall, {args.workers} worker(s)", lambda r: f"{r['wall']:.1f} s"),
        ("peak RSS, tree", lambda r: f"{r['peak_tree_mb']:.0f} MB (main + workers, sampled)"),
        ("peak RSS, one", lambda r: f"main {r['peak_main_mb']:.0f} MB, largest worker {r['peak_worker_mb']:.0f} MB"),
        (f"re-ingest {args.act}", lambda r: f"{r['one_act']:.2f} s ({r['one_act_altered']} triples altered; "
                                            f"{', '.join(r['one_act_statuses'])})"),
    ]
    print(f"{'':<22}" + "".join(f"{m:<48}" for m in modes))
    for name, cell in rows:
        print(f"{name:<22}" + "".join(f"{cell(results[m]):<48}" for m in modes))
    for m in modes:
        print(f"store {m:<16}{digests[m][0]} quads, sha256 {digests[m][1]}")
    if len(modes) == 2:
        ref, fast = results["reference"], results["fast"]
        same = digests["reference"] == digests["fast"] and ref["triples"] == fast["triples"]
        print(f"same triples          {'yes' if same else 'NO'}")
        print(f"fast / reference      wall {fast['wall'] / ref['wall']:.2f}, peak {fast['peak_tree_mb'] / ref['peak_tree_mb']:.2f}, "
              f"one act {fast['one_act'] / ref['one_act']:.2f}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
