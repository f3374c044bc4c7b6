"""Bulk dump benchmark on the whole store of LEXMAP_DATA_DIR (default var/; use a copy of it):

    cp -r var /tmp/lexmap-bench/var
    LEXMAP_DATA_DIR=/tmp/lexmap-bench/var .venv/bin/python bench/dumps.py

Runs `lexmap dump` as a child process and prints its wall time and peak RSS (goals: ≤ 60 s,
≤ 500 MB), each file's size and count, and, measured in the same run on the same machine as
references: one full scan of the store (triples per graph) and gzip of 50 MB of the dump's N-Quads
at its level — the machine is shared and noisy, so compare the dump with them, not across runs.
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api import dumps  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.query import catalog as q  # noqa: E402
from ingest.store import open_store  # noqa: E402


def references() -> tuple[float, int]:
    """(seconds of one full scan of the store, triples)."""
    settings = load_settings()
    store = open_store(settings, read_only=True)
    try:
        t = time.perf_counter()
        triples = sum(int(r["n"]) for r in q.select(store, "triples_per_graph"))
        scan = time.perf_counter() - t
    finally:
        store.close()
    return scan, triples


def main() -> int:
    settings = load_settings()
    print(f"store: {settings.data_dir}")
    scan, triples = references()
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-m", "api.cli", "dump", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                             text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        print("lexmap dump failed", file=sys.stderr)
        return 1
    done = json.loads(out)
    print(f"{'file':<22} {'bytes':>12} {'count':>10}")
    for f in done["files"]:
        print(f"{f['file']:<22} {f['bytes']:>12,} {f.get('triples', f.get('rows')):>10,} "
              f"{'triples' if 'triples' in f else 'rows'}")
    rss = usage.ru_maxrss / 1024
    # gzip of the dump's own N-Quads (first 50 MB), on this machine now
    with gzip.open(dumps.path_of(settings, dumps.DumpFile.nquads)) as fh:
        block = fh.read(50_000_000)
    t = time.perf_counter()
    gzip.compress(block, dumps.GZIP_LEVEL)
    gz = time.perf_counter() - t
    print(f"dump wall {wall:.1f} s (goal <= 60 s), peak RSS {rss:.0f} MB (goal <= 500 MB)")
    print(f"references in this run: full scan of {triples:,} triples {scan:.1f} s; gzip 50 MB {gz:.1f} s; "
          f"dump = {wall / scan:.1f} scans")
    try:
        load = os.getloadavg()[0]
        print(f"load average (1 min) at the end: {load:.1f} on {os.cpu_count()} cores")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
