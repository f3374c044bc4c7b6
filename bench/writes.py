"""Mapping writes under concurrency: writes/s, p50 and p95 of POST /mappings with 20 writers.

    .venv/bin/python bench/writes.py [--writers 20] [--writes 400] [--workers 2] [--reference 60]
    .venv/bin/python bench/writes.py --url http://127.0.0.1:8000 --key lmk_... (a running server)

Without --url: the store of LEXMAP_DATA_DIR is copied (a RocksDB checkpoint: hard links) into
a temporary data directory with an editor key, and measured three ways in this run:

1. over HTTP against ``lexmap serve --workers N`` on 127.0.0.1 (the oxigraph server owns the store);
2. in process (one app, TestClient), the current write path;
3. in process, the reference: the write path before issue 15 (each write read its ends' whole acts
   to hash two texts, validated with the shapes parsed and compiled again, flushed RocksDB
   itself), with --reference writes (0: skipped).

Every write is a real, validated mapping between two articles of the civil codes (ru-gk-1 ->
by-gk) that exist in the store; any answer other than 201 is counted and printed as a failure.
"cpu ms" is CPU time per write: of the server's processes (workers and the oxigraph server) over
HTTP, of this process (app and client threads) in process. On a shared, noisy machine it says
more than writes/s: 2 cores / CPU per write is the rate the writes could reach.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.config import load_settings  # noqa: E402

SOURCE, TARGET = "ru-gk-1", "by-gk"


def bodies(n: int, subjects: list[str], objects: list[str], seed: int = 7) -> list[dict]:
    """`n` mapping bodies pairing random existing articles of the two acts."""
    rnd = random.Random(seed)
    return [{"subject": rnd.choice(subjects), "object": rnd.choice(objects), "relation": "intersects_with",
             "harmonization": "harmonized", "confidence": 0.7, "comment": f"bench {i}"} for i in range(n)]


def ends(get) -> tuple[list[str], list[str]]:
    """ELI paths of the articles the curated set maps between the two acts (they exist)."""
    r = get("/mappings", params={"source": SOURCE, "target": TARGET, "limit": 500})
    r.raise_for_status()
    found = [m for m in r.json()["mappings"] if m["object"]]
    return sorted({m["subject"]["eli"] for m in found}), sorted({m["object"]["eli"] for m in found})


def run(post, todo: list[dict], writers: int, key: str) -> dict:
    """POST every body from `writers` threads; figures of the 201 answers."""
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    queue = list(reversed(todo))

    def writer() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            t = time.perf_counter()
            r = post("/mappings", json=body, headers={"Authorization": f"Bearer {key}"})
            dt = time.perf_counter() - t
            with lock:
                if r.status_code == 201:
                    times.append(dt)
                else:
                    failures.append(f"{r.status_code} {r.text[:200]}")

    started = time.perf_counter()
    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    times.sort()
    return {"writes": len(times), "failed": len(failures), "per_s": len(times) / wall,
            "p50": statistics.median(times) if times else float("nan"),
            "p95": times[int(0.95 * (len(times) - 1))] if times else float("nan"), "first_failures": failures[:3]}


def show(name: str, fig: dict) -> None:
    cpu = f"{fig['cpu_ms']:>8.1f}" if fig.get("cpu_ms") is not None else f"{'':>8}"
    print(f"{name:<44} {fig['writes']:>6} {fig['per_s']:>8.1f} {fig['p50'] * 1000:>8.0f} {fig['p95'] * 1000:>8.0f}"
          f" {fig['failed']:>6} {cpu}")
    for f in fig["first_failures"]:
        print(f"    failed: {f}")


def over_http(url: str, key: str, n: int, writers: int, server_pid: int | None = None) -> dict:
    limits = httpx.Limits(max_connections=writers + 4, max_keepalive_connections=writers + 4)
    with httpx.Client(base_url=url, timeout=120, limits=limits) as c:
        subjects, objects = ends(c.get)
        post = c.post
        run(post, bodies(min(writers, n), subjects, objects, seed=1), writers, key)   # warm-up: connections, caches
        cpu = tree_cpu(server_pid) if server_pid else None
        fig = run(post, bodies(n, subjects, objects), writers, key)
        if server_pid:
            fig["cpu_ms"] = (tree_cpu(server_pid) - cpu) / max(1, fig["writes"]) * 1000
        return fig


def start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen, str]:
    from tests.conftest import free_port
    port = free_port()
    env = {**os.environ, "LEXMAP_DATA_DIR": str(data_dir), "LEXMAP_STORE": "oxigraph"}
    proc = subprocess.Popen([sys.executable, "-m", "api.cli", "serve", "--workers", str(workers), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    warm: dict[str, str] = {}
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"lexmap serve stopped: {proc.stderr.read().decode()[-2000:]}")
        try:   # fresh connections reach every worker; each must have finished its warm-up
            r = httpx.get(f"{url}/health", timeout=5)
            warm[r.headers.get("x-lexmap-worker", "?")] = r.json()["warm_up"]["status"]
            if len(warm) >= workers and all(v in ("done", "failed") for v in warm.values()):
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise SystemExit(f"lexmap serve did not finish its warm-up within 300 s: {warm}")


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and all its descendants (Linux /proc)."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            todo += [int(c) for t in Path(f"/proc/{p}/task").iterdir()
                     for c in (t / "children").read_text().split()]
        except OSError:
            continue
    return total


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def in_process(settings, key_path: Path, key: str, n: int, writers: int, old: bool) -> dict:
    """The app in this process over the copy's store (TestClient), the current or the old write path."""
    from fastapi.testclient import TestClient

    from api.app import create_app
    from ingest.index.indexer import open_backend
    from ingest.store import open_store
    settings = replace(settings, extra={**settings.extra, "api_keys": str(key_path)})
    store, backend = open_store(settings), open_backend(settings)
    undo = reference_path(store) if old else (lambda: None)
    try:
        with TestClient(create_app(settings, store, backend)) as c:
            subjects, objects = ends(c.get)
            run(c.post, bodies(min(writers, n), subjects, objects, seed=2), writers, key)
            cpu = time.process_time()
            fig = run(c.post, bodies(n, subjects, objects, seed=3 if old else 4), writers, key)
            fig["cpu_ms"] = (time.process_time() - cpu) / max(1, fig["writes"]) * 1000
            return fig
    finally:
        undo()
        backend.close()
        store.close()


def reference_path(store):
    """Put the write path of before issue 15 back for this run; returns what undoes it."""
    from ingest.mappings import repository
    from ingest.validate import validate_graph
    from ontology import MAPPING_SHAPES_PATH
    saved = repository.FEW_ENDS, repository.validate_mappings, store._durable
    repository.FEW_ENDS = 0                                     # every end's whole act read to hash its text
    repository.validate_mappings = lambda g, origin=None: validate_graph(   # shapes compiled per write
        g, origin=origin, engine_name="pyshacl", shapes=MAPPING_SHAPES_PATH)
    store._durable = lambda generation: store.store.flush()    # one RocksDB flush per write

    def undo() -> None:
        repository.FEW_ENDS, repository.validate_mappings, store._durable = saved
    return undo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--writes", type=int, default=400)
    ap.add_argument("--workers", type=int, default=2, help="processes of lexmap serve")
    ap.add_argument("--reference", type=int, default=60, help="writes of the old path in process (0: skip)")
    ap.add_argument("--url", help="a running server instead of a copy of LEXMAP_DATA_DIR")
    ap.add_argument("--key", help="an editor key of that server")
    args = ap.parse_args()
    print(f"{'mapping writes, ' + str(args.writers) + ' writers':<44} {'writes':>6} {'per s':>8} {'p50 ms':>8} "
          f"{'p95 ms':>8} {'failed':>6} {'cpu ms':>8}")
    if args.url:
        if not args.key:
            raise SystemExit("--url needs --key (an editor key of that server)")
        show(f"HTTP {args.url}", over_http(args.url, args.key, args.writes, args.writers))
        return 0
    from api import auth
    from ingest.store import open_store
    settings = load_settings()
    tmp = Path(tempfile.mkdtemp(prefix="lexmap-bench-writes-"))
    try:
        copy = replace(settings, data_dir=tmp, store="oxigraph")
        source = open_store(settings, read_only=True)
        try:
            source.snapshot(copy.store_dir)
        finally:
            source.close()
        shutil.copytree(settings.index_dir, copy.index_dir)
        key_path = tmp / "api-keys.toml"
        key = auth.add_key(key_path, "bench", ["editor"], "bench")
        os.environ["LEXMAP_API_KEYS"] = str(key_path)
        proc, url = start_server(tmp, args.workers)
        try:
            show(f"HTTP, lexmap serve --workers {args.workers}",
                 over_http(url, key, args.writes, args.writers, server_pid=proc.pid))
        finally:
            stop_server(proc)
        show("in process (TestClient), current path", in_process(copy, key_path, key, args.writes, args.writers, False))
        if args.reference:
            show("in process (TestClient), reference: old path",
                 in_process(copy, key_path, key, args.reference, args.writers, True))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
