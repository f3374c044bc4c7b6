"""Ingest the whole default corpus into a fresh store and print the figures.

    .venv/bin/python bench/ingest.py [--workers N] [--keep DIR]

Prints triples, acts, articles, provisions, CPU seconds of parse / RDF /
validate / load summed over acts, wall time, and peak memory (RSS of this
process and of the largest worker).
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.config import load_settings  # noqa: E402
from ingest.load import ingest  # noqa: E402
from ingest.sources import load_manifest  # noqa: E402
from ingest.store import open_store  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", help="store directory to keep (default: a temporary one)")
    args = parser.parse_args()
    tmp = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="lexmap-bench-"))
    settings = replace(load_settings(), data_dir=tmp)
    manifest = load_manifest(settings)
    store = open_store(settings)
    t0 = time.perf_counter()
    reports = ingest(store, manifest, settings, manifest.acts, force=True, workers=args.workers,
                     progress=lambda m: None)
    wall = time.perf_counter() - t0
    store.close()
    phase = {k: sum(r.seconds.get(k, 0.0) for r in reports) for k in ("parse", "rdf", "validate", "load")}
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    failed = [r.key for r in reports if r.status != "loaded"]
    print(f"acts                {len({r.key for r in reports})} ({len(reports)} redactions, {len(failed)} failed {failed})")
    print(f"articles            {sum(r.articles for r in reports)}")
    print(f"provisions          {sum(r.provisions for r in reports)}")
    print(f"triples             {sum(r.triples for r in reports)}")
    print(f"parse               {phase['parse']:.1f} s (summed over acts)")
    print(f"rdf                 {phase['rdf']:.1f} s")
    print(f"validate (SHACL)    {phase['validate']:.1f} s")
    print(f"load (store)        {phase['load']:.1f} s")
    print(f"wall, {args.workers} worker(s)   {wall:.1f} s")
    print(f"peak RSS            main {me:.0f} MB, largest worker {kids:.0f} MB")


if __name__ == "__main__":
    main()
