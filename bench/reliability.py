"""Reliability bench: normal traffic under attack, memory, and kill -9 during writes.

    .venv/bin/python bench/reliability.py [--acts ru-gk-1 by-gk] [--data-dir DIR] [--keep]
        [--baseline-seconds 15] [--attack-seconds 30] [--json FILE]

Ingests the acts into a data directory of its own (a temporary one unless --data-dir;
an existing store is reused, acts already loaded are skipped), creates an editor and a
reviewer key, starts `lexmap serve` on a free port of 127.0.0.1 in its own process
group, then runs three phases:

1. baseline: 8 clients read /search, provisions (/eli/...) and /acts;
2. attack: the same traffic while attackers fire heavy SPARQL (a cartesian product, a
   regex FILTER, SERVICE to the server itself and to a closed port), injections through
   identifiers, a deeply nested search query, an impossible date, a 1e400 in a mapping,
   oversized bodies (50 MB streamed without a key, 2 MB with one) and bursts of 40
   parallel injected requests without a key;
3. kill: 20 writers POST mappings with the editor key; the server is killed with SIGKILL
   ~2 s into the burst, but not before the first write is acknowledged (a write takes
   seconds under load; --min-acks, --ack-wait), restarted, and every acknowledged write
   (201) is looked up again.

Prints latency p50/p95 and errors per phase and route, the status codes attackers got,
the peak RSS of the server's process tree, the seconds to recover after kill -9 and the
acknowledged writes kept, each beside its goal ("GOAL MISSED" when not met). Exits 0.

Every request has a 20 s client timeout (writes 60 s) and a byte cap; a watchdog ends
the bench (and the server) at a global deadline; a memory guard kills the server when its
tree passes --mem-guard-mb, so a query that eats memory cannot take the machine down.
All traffic goes to 127.0.0.1. The server inherits the LEXMAP_* environment (limits).
"""
from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import httpx

ROOT = Path(__file__).resolve().parent.parent
RU, BY = "eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z"
QUERIES = ["исковая давность", "договор аренды", "ст. 196 ГК РФ", "наследование по завещанию", "неустойка",
           "право собственности", "возмещение вреда", "ст. 197 ГК РБ"]
RU_ARTICLES = (196, 309, 421, 450, 1, 10, 12, 15, 181, 200, 301, 333, 393, 395, 432)
BY_ARTICLES = (197, 290, 311, 391, 1, 9, 11, 14, 182, 201, 312, 364, 371, 402, 417)
REQ_TIMEOUT = 20.0          # seconds: client timeout of one read/connect, and wall clock of one request
BODY_CAP = 4 << 20          # bytes read of one answer at most (a SELECT * may be endless)
STALE = ("RemoteProtocolError", "ReadError")   # a closed kept-alive connection: a GET is sent again
GOAL_P95_MS = 300.0
GOAL_MEM_MB = 2048.0
PAGE = os.sysconf("SC_PAGE_SIZE")


# ----------------------------------------------------------------------------- results

@dataclass
class Outcome:
    """One request: status code, "timeout", or the transport error (ConnectError, ReadError …), and its time."""

    code: int | str
    seconds: float
    body: bytes = b""

    @property
    def ok(self) -> bool:
        return isinstance(self.code, int) and 200 <= self.code < 300


@dataclass
class Results:
    """Everything measured, shared by the threads (append under the lock)."""

    phase: str = "setup"
    normal: list[tuple[str, str, int | str, float]] = field(default_factory=list)
    attacks: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    memory: dict[str, int] = field(default_factory=dict)      # phase -> peak bytes
    setup: dict[str, Any] = field(default_factory=dict)
    kill: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_normal(self, phase: str, route: str, o: Outcome) -> None:
        with self.lock:
            self.normal.append((phase, route, o.code, o.seconds))

    def add_attack(self, name: str, o: Outcome) -> None:
        with self.lock:
            self.attacks[name][str(o.code)] += 1

    def note(self, msg: str) -> None:
        with self.lock:
            self.notes.append(msg)
        print(f"  [{time.strftime('%H:%M:%S')}] {msg.splitlines()[0]}", flush=True)


def call(client: httpx.Client, method: str, url: str | httpx.URL, keep: int = 1 << 16, **kw: Any) -> Outcome:
    """Send one request; read at most BODY_CAP bytes of the answer, for at most the client's timeout.
    A GET on a kept-alive connection the server closed (after a 500, say) is sent once more, as
    browsers do, so that an outcome belongs to its own request."""
    out = _call(client, method, url, keep, **kw)
    if out.code in STALE and method == "GET":
        out = _call(client, method, url, keep, **kw)
    return out


def _call(client: httpx.Client, method: str, url: str | httpx.URL, keep: int, **kw: Any) -> Outcome:
    t = time.perf_counter()
    budget = client.timeout.read or REQ_TIMEOUT
    body = b""
    try:
        with client.stream(method, url, **kw) as r:
            size = 0
            for chunk in r.iter_bytes():
                if len(body) < keep:
                    body += chunk[:keep - len(body)]
                size += len(chunk)
                if size >= BODY_CAP or time.perf_counter() - t > budget:
                    break
            return Outcome(r.status_code, time.perf_counter() - t, body)
    except httpx.TimeoutException:
        return Outcome("timeout", time.perf_counter() - t)
    except httpx.HTTPError as exc:
        return Outcome(type(exc).__name__, time.perf_counter() - t)


def client(base: str, key: str | None = None, timeout: float = REQ_TIMEOUT) -> httpx.Client:
    """A client of the server only: no proxies from the environment."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=base, timeout=timeout, trust_env=False, headers=headers)


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile (nearest rank), NaN of nothing."""
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else float("nan")


# ----------------------------------------------------------------------------- the server

def free_port() -> int:
    """A TCP port of 127.0.0.1 free right now (also used as a closed port)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def lexmap_cmd() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "lexmap"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "api.cli"]


class Server:
    """`lexmap serve` in its own process group, with its log in the data directory."""

    def __init__(self, env: dict[str, str], port: int, log_dir: Path):
        self.env, self.port, self.log_dir = env, port, log_dir
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.starts = 0
        self.guard_killed = False

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc and self.proc.poll() is None else None

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"server-{self.starts}.log", "wb")
        self.proc = subprocess.Popen(lexmap_cmd() + ["serve", "--host", "127.0.0.1", "--port", str(self.port)],
                                     cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()

    def wait_health(self, timeout: float) -> float | None:
        """Seconds until /health answers 200, or None (timeout, or the server exited)."""
        t = time.perf_counter()
        with httpx.Client(base_url=self.base, timeout=2.0, trust_env=False) as c:
            while time.perf_counter() - t < timeout:
                if self.proc is None or self.proc.poll() is not None:
                    return None
                try:
                    if c.get("/health").status_code == 200:
                        return time.perf_counter() - t
                except httpx.HTTPError:
                    pass
                time.sleep(0.05)
        return None

    def _signal_group(self, sig: int) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)     # the group of the server we started (start_new_session)
            except ProcessLookupError:
                pass

    def kill9(self) -> None:
        self._signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        """SIGTERM the group, SIGKILL it after 10 s."""
        if self.proc is None:
            return
        self._signal_group(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        self._signal_group(signal.SIGKILL)      # also any worker left behind
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def log_tail(self, lines: int = 15) -> str:
        path = self.log_dir / f"server-{self.starts}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""


# ----------------------------------------------------------------------------- memory

def _ppid(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def tree_rss(root: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = defaultdict(list)
    for d in os.listdir("/proc"):
        if d.isdigit():
            pp = _ppid(d)
            if pp is not None:
                children[pp].append(int(d))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm", "rb") as fh:
                total += int(fh.read().split()[1]) * PAGE
        except (OSError, IndexError, ValueError):
            pass
        todo += children.get(pid, [])
    return total


class MemSampler(threading.Thread):
    """Samples the server tree's RSS every 0.2 s: peak per phase; kills the server above the guard."""

    def __init__(self, server: Server, res: Results, guard_bytes: int):
        super().__init__(daemon=True, name="mem-sampler")
        self.server, self.res, self.guard = server, res, guard_bytes
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.2):
            pid = self.server.pid
            if pid is None:
                continue
            rss = tree_rss(pid)
            with self.res.lock:
                ph = self.res.phase
                self.res.memory[ph] = max(self.res.memory.get(ph, 0), rss)
            if rss > self.guard:
                self.server.guard_killed = True
                self.res.setup["guard_killed"] = True
                self.res.note(f"memory guard: server tree at {rss >> 20} MB > {self.guard >> 20} MB; killed it")
                self.server._signal_group(signal.SIGKILL)


# ----------------------------------------------------------------------------- setup

RUNNING: list[subprocess.Popen] = []     # CLI children, for the watchdog to end


def run_cli(args: list[str], env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """`lexmap ARGS` in its own session; killed (with its group) after `timeout` s."""
    proc = subprocess.Popen(lexmap_cmd() + args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True, start_new_session=True)
    RUNNING.append(proc)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        out, err = proc.communicate()
        err += f"\nkilled after {timeout:.0f} s"
    finally:
        RUNNING.remove(proc)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group of a child we started in its own session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def ingest(acts: list[str], env: dict[str, str], timeout: float, res: Results) -> bool:
    t = time.perf_counter()
    p = run_cli(["ingest", *acts], env, timeout)
    res.setup["ingest_seconds"] = round(time.perf_counter() - t, 1)
    if p.returncode != 0:
        res.note(f"ingest failed (exit {p.returncode}): " + (p.stderr or p.stdout)[-800:])
        return False
    return True


def make_key(role: str, env: dict[str, str]) -> str:
    name = f"bench-{role[:3]}-{int(time.time() * 1000) % 10**9}"
    p = run_cli(["keys", "add", name, "--role", role], env, 60)
    if p.returncode != 0 or not p.stdout.strip():
        raise RuntimeError(f"lexmap keys add {name}: {p.stderr.strip()}")
    return p.stdout.split()[0]


def eli_path(iri: str) -> str:
    """https://lexmap.org/eli/ru/... -> eli/ru/..."""
    return "eli/" + iri.split("/eli/", 1)[1] if "/eli/" in iri else iri


def discover(base: str) -> tuple[list[str], list[str]]:
    """Real article paths of the RU and BY codes: fixed candidates and search hits, each checked."""
    found: dict[str, list[str]] = {RU: [], BY: []}
    with client(base) as c:
        cands = [f"{RU}/art_{n}" for n in RU_ARTICLES] + [f"{BY}/art_{n}" for n in BY_ARTICLES]
        for q in ("договор", "собственность", "обязательство"):
            o = call(c, "GET", "/search", params={"q": q, "limit": 20})
            if o.ok:
                cands += [eli_path(r["article"]["iri"]) for r in json.loads(o.body).get("results", [])]
        for path in dict.fromkeys(cands):
            act = next((a for a in found if path.startswith(a + "/")), None)
            if act and "__" not in path and len(found[act]) < 25 and call(c, "GET", f"/{path}").ok:
                found[act].append(path)
    return found[RU], found[BY]


def warm_up(base: str, routes: dict[str, list[tuple[str, dict]]]) -> float:
    """Seconds to ask each normal URL once and one gap analysis (what the server's start-up warm-up
    builds in the background), so that the baseline measures a warm server."""
    t = time.perf_counter()
    with client(base) as c:
        for choices in routes.values():
            for url, params in choices:
                call(c, "GET", url, params=params)
        call(c, "GET", "/compare", params={"left_act": RU, "right_act": BY})
    return round(time.perf_counter() - t, 1)


# ----------------------------------------------------------------------------- normal traffic

def normal_routes(ru: list[str], by: list[str]) -> dict[str, list[tuple[str, dict]]]:
    """Route -> its (url, params) choices."""
    return {"/search": [("/search", {"q": q, "limit": 10}) for q in QUERIES],
            "/eli (provision)": [(f"/{p}", {}) for p in ru[:5] + by[:5]],
            "/acts": [("/acts", {})]}


ROUTE_WEIGHTS = {"/search": 5, "/eli (provision)": 3, "/acts": 2}


def run_threads(target: Callable[[int], None], n: int, name: str) -> list[threading.Thread]:
    """Start n daemon threads running target(i)."""
    threads = [threading.Thread(target=target, args=(i,), daemon=True, name=f"{name}-{i}") for i in range(n)]
    for th in threads:
        th.start()
    return threads


def join_all(threads: list[threading.Thread], timeout: float) -> int:
    """Join within one shared timeout; the number still running (they are daemons)."""
    end = time.monotonic() + timeout
    for th in threads:
        th.join(max(0.0, end - time.monotonic()))
    return sum(th.is_alive() for th in threads)


def normal_traffic(base: str, res: Results, routes: dict[str, list[tuple[str, dict]]], stop: threading.Event,
                   clients: int, think: float) -> list[threading.Thread]:
    """`clients` readers picking routes by ROUTE_WEIGHTS, pausing ~`think` s between requests."""
    def worker(i: int) -> None:
        rnd = random.Random(i)
        with client(base) as c:
            for _ in range(100_000):
                if stop.is_set():
                    return
                route = rnd.choices(list(ROUTE_WEIGHTS), weights=list(ROUTE_WEIGHTS.values()))[0]
                url, params = rnd.choice(routes[route])
                out = call(c, "GET", url, params=params)
                # counted in the phase it ended in: a request the attack caught is attack traffic
                res.add_normal(res.phase if res.phase == "baseline" else "attack", route, out)
                stop.wait(rnd.uniform(0, 2 * think))
    return run_threads(worker, clients, "normal")


# ----------------------------------------------------------------------------- attackers

def heavy_sparql(port: int, closed_port: int) -> dict[str, str]:
    """Name -> query of the four heavy SPARQL attacks."""
    return {
        "sparql cartesian": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        "sparql regex": r'SELECT ?s WHERE { ?s ?p ?o FILTER(REGEX(STR(?o), "(\\w{1,50}\\s?){1,50}$")) }',
        "sparql SERVICE self": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/sparql> {{ ?s ?p ?o }} }}",
        "sparql SERVICE closed": f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{closed_port}/sparql> {{ ?s ?p ?o }} }}",
    }


def mapping_body(subject: str, obj: str, **extra: Any) -> dict:
    return {"subject": subject, "object": obj, "relation": "intersects_with", "harmonization": "harmonized",
            "confidence": 0.5, **extra}


def injections(ru: str, by: str) -> list[tuple[str, str, str, dict]]:
    """(name, method, url, httpx kwargs) of junk through identifiers and parameters, sent without a key."""
    heavy_ask = f"{RU}> a ?t FILTER NOT EXISTS {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(?i = \"z\") }} <y"
    return [
        ("inject source='a b'", "GET", "/mappings", {"params": {"source": "a b"}}),
        ("inject source IRI break", "GET", "/mappings", {"params": {"source": "x> . ?s ?p ?o . <y"}}),
        ("inject source heavy ASK", "GET", "/mappings", {"params": {"source": heavy_ask}}),
        ("inject source comment", "GET", "/mappings",
         {"params": {"source": "x> ?p ?o } ASK { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } #"}}),
        ("inject provision IRI break", "GET", "/mappings", {"params": {"provision": f"{ru}> ?p ?o . ?s ?q ?r . <y"}}),
        ("inject /mappings/abc%0D", "GET", httpx.URL("/mappings/abc%0D"), {}),
        ("inject compare junk", "GET", "/compare", {"params": {"left_act": "x> a ?t } #", "right_act": BY}}),
        ("inject compare NUL/path", "GET", "/compare",
         {"params": {"left_act": "../../etc/passwd\x00", "right_act": "\r\n"}}),
        ("search 250 nested ()", "GET", "/search", {"params": {"q": "(" * 250 + "договор" + ")" * 250}}),
        ("acts date=2016-02-30", "GET", "/acts", {"params": {"date": "2016-02-30"}}),
        ("POST mapping no key, injected", "POST", "/mappings", {"json": mapping_body("x> . ?s ?p ?o . <y", by)}),
    ]


def keyed_junk(ru: str, by: str) -> list[tuple[str, str, str, dict]]:
    """Junk that needs the editor key to reach the handler."""
    raw = json.dumps(mapping_body(ru, by))[:-1] + ', "strength": 1e400}'
    return [("POST mapping strength=1e400", "POST", "/mappings",
             {"content": raw.encode(), "headers": {"content-type": "application/json"}})]


def big_body(total: int, chunk: int = 1 << 20) -> Iterator[bytes]:
    """A valid JSON object of `total` bytes, streamed in chunks (chunked transfer encoding)."""
    head, tail = b'{"subject": "' + RU.encode() + b'/art_1", "comment": "', b'"}'
    yield head
    left = total - len(head) - len(tail)
    while left > 0:
        n = min(chunk, left)
        yield b"x" * n
        left -= n
    yield tail


def attackers(base: str, port: int, res: Results, stop: threading.Event, ru: str, by: str,
              editor_key: str, closed_port: int, burst_every: float) -> list[threading.Thread]:
    """Four SPARQL loops, an injection loop, an oversized-body loop and bursts of 40."""
    queries = list(heavy_sparql(port, closed_port).items())
    junk = injections(ru, by)
    keyed = keyed_junk(ru, by)

    def sparql(i: int) -> None:
        name, q = queries[i]
        with client(base) as c:
            for _ in range(10_000):
                if stop.is_set():
                    return
                res.add_attack(name, call(c, "GET", "/sparql", params={"query": q}))

    def inject(_: int) -> None:
        with client(base) as c, client(base, editor_key) as k:
            for _ in range(2_000):
                for cl, (name, method, url, kw) in [(c, j) for j in junk] + [(k, j) for j in keyed]:
                    if stop.is_set():
                        return
                    res.add_attack(name, call(cl, method, url, **kw))
                stop.wait(0.2)

    def oversized(_: int) -> None:
        with client(base) as c, client(base, editor_key) as k:
            for _ in range(200):
                if stop.is_set():
                    return
                res.add_attack("POST 50 MB streamed, no key", call(
                    c, "POST", "/mappings", content=big_body(50 << 20), headers={"content-type": "application/json"}))
                body = mapping_body(ru, by, comment="x" * (2 << 20))
                res.add_attack("POST 2 MB with editor key", call(k, "POST", "/mappings", json=body))
                stop.wait(1.0)

    def bursts(_: int) -> None:
        for _ in range(1_000):
            if stop.wait(burst_every):
                return
            def one(i: int) -> None:
                name, method, url, kw = junk[i % len(junk)]
                with client(base) as c:
                    res.add_attack("burst of 40 injected, no key", call(c, method, url, **kw))
            join_all(run_threads(one, 40, "burst"), REQ_TIMEOUT + 5)

    return (run_threads(sparql, len(queries), "sparql") + run_threads(inject, 1, "inject")
            + run_threads(oversized, 1, "oversized") + run_threads(bursts, 1, "bursts"))


# ----------------------------------------------------------------------------- kill -9

def ensure_up(server: Server, res: Results) -> None:
    """Restart the server when it is dead or does not answer /health within 5 s."""
    res.kill["up_after_attack"] = server.pid is not None and server.wait_health(5.0) is not None
    if res.kill["up_after_attack"]:
        return
    res.note("server dead or hung after the attack phase: killing and restarting it before the write burst")
    server.kill9()
    server.start()
    if server.wait_health(120) is None:
        raise RuntimeError("server did not come back before the write burst:\n" + server.log_tail())


def write_burst(server: Server, res: Results, editor_key: str, pairs: list[tuple[str, str]],
                args: argparse.Namespace) -> list[str]:
    """Writers POST mappings; SIGKILL the server `kill_after` s into the burst, but not before
    `min_acks` writes are acknowledged (waiting `ack_wait` s at most). The acknowledged ids."""
    acked: list[str] = []
    codes: Counter = Counter()
    stop = threading.Event()
    counter = itertools.count()

    def writer(_: int) -> None:
        with client(server.base, editor_key, args.write_timeout) as c:
            for _ in range(1_000):
                if stop.is_set():
                    return
                i = next(counter)
                s, o = pairs[i % len(pairs)]
                out = call(c, "POST", "/mappings", json=mapping_body(s, o, comment=f"reliability bench write {i}"))
                with res.lock:
                    codes[str(out.code)] += 1
                if out.code == 201:
                    try:
                        rid = json.loads(out.body)["id"]
                    except (ValueError, KeyError):
                        continue
                    with res.lock:
                        acked.append(rid)

    t0 = time.perf_counter()
    threads = run_threads(writer, args.writers, "writer")
    acked_at_kill = wait_for_acks(acked, res, t0, args.kill_after, args.min_acks, args.ack_wait)
    stop.set()                      # no new writes; those in flight die with the server
    server.kill9()
    res.kill["killed_at"] = time.perf_counter()
    join_all(threads, args.write_timeout + 5)
    res.kill.update(writers=args.writers, kill_at_s=round(res.kill["killed_at"] - t0, 2),
                    acked_at_kill=acked_at_kill, sent=sum(codes.values()), codes=dict(codes),
                    acknowledged=len(acked))
    return list(acked)


def wait_for_acks(acked: list[str], res: Results, t0: float, kill_after: float, min_acks: int,
                  ack_wait: float) -> int:
    """Sleep until `kill_after` s into the burst and `min_acks` acknowledged (or `ack_wait` s)."""
    while True:
        now = time.perf_counter() - t0
        with res.lock:
            n = len(acked)
        if (now >= kill_after and n >= min_acks) or now >= max(kill_after, ack_wait):
            return n
        time.sleep(0.02)


def recover_and_verify(server: Server, res: Results, acked: list[str]) -> None:
    server.start()
    ready = server.wait_health(120)
    if ready is None:
        res.note("server did not answer /health within 120 s of the restart:\n" + server.log_tail())
        res.kill["recovery_s"] = None
        return
    res.kill["recovery_s"] = round(time.perf_counter() - res.kill["killed_at"], 2)
    found: Counter = Counter()
    with client(server.base) as c:
        for rid in acked:
            o = call(c, "GET", f"/mappings/{rid}")
            found["kept" if o.code == 200 else "lost" if o.code == 404 else f"unknown ({o.code})"] += 1
    res.kill.update(kept=found["kept"], lost=found["lost"],
                    unverified=sum(v for k, v in found.items() if k.startswith("unknown")))


def kill_phase(server: Server, res: Results, editor_key: str, ru: list[str], by: list[str],
               args: argparse.Namespace) -> None:
    ensure_up(server, res)
    set_phase(res, "kill")
    rnd = random.Random(3)
    pairs = [(a, b) for a in ru for b in by]
    rnd.shuffle(pairs)
    acked = write_burst(server, res, editor_key, pairs, args)
    recover_and_verify(server, res, acked)


# ----------------------------------------------------------------------------- report

def latency_table(res: Results) -> dict[str, dict[str, dict]]:
    groups: dict[tuple[str, str], list[tuple[int | str, float]]] = defaultdict(list)
    with res.lock:
        rows = list(res.normal)
    for phase, route, code, s in rows:
        groups[(phase, route)].append((code, s))
    out: dict[str, dict[str, dict]] = defaultdict(dict)
    order = {"baseline": 0, "attack": 1}
    for (phase, route), xs in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1])):
        ms = [s * 1000 for _, s in xs]
        codes = Counter(str(c) for c, _ in xs)
        errors = sum(n for c, n in codes.items() if not (c.isdigit() and 200 <= int(c) < 300))
        out[phase][route] = {"n": len(xs), "p50_ms": round(pct(ms, 50), 1), "p95_ms": round(pct(ms, 95), 1),
                             "errors": errors, "codes": dict(codes)}
    return out


def count_code(counters: list[dict[str, int]], pred: Callable[[str], bool]) -> int:
    return sum(n for c in counters for k, n in c.items() if pred(k))


def goals(res: Results, lat: dict) -> list[dict]:
    attack = lat.get("attack", {})
    counters = ([r["codes"] for ph in lat.values() for r in ph.values()] + [dict(c) for c in res.attacks.values()]
                + [res.kill.get("codes", {})])
    n500 = count_code(counters, lambda k: k == "500")
    other5xx = count_code(counters, lambda k: k.isdigit() and 500 <= int(k) < 600 and k not in ("500", "503"))
    peak = max(res.memory.values(), default=0) / (1 << 20)
    kept, acked = res.kill.get("kept"), res.kill.get("acknowledged")
    out = []
    for route in ("/acts", "/search"):
        v = attack.get(route, {}).get("p95_ms")
        out.append({"goal": f"attack phase: normal {route} p95 < {GOAL_P95_MS:.0f} ms", "value": v,
                    "ok": v is not None and v == v and v < GOAL_P95_MS})
    out.append({"goal": f"peak memory of the server tree < {GOAL_MEM_MB:.0f} MB", "value": round(peak),
                "ok": 0 < peak < GOAL_MEM_MB and not res.setup.get("guard_killed")})
    out.append({"goal": "server errors (500) = 0", "value": n500, "ok": n500 == 0})
    out.append({"goal": "other 5xx than 503 = 0", "value": other5xx, "ok": other5xx == 0})
    lost = None if acked is None or kept is None else acked - kept
    out.append({"goal": "acknowledged writes lost after kill -9 = 0", "value": lost,
                "ok": lost == 0 and bool(acked)})
    up = res.kill.get("up_after_attack")
    out.append({"goal": "server answers /health after the attack phase", "value": up, "ok": up is True})
    return out


def figures(res: Results, args: argparse.Namespace) -> dict:
    lat = latency_table(res)
    with res.lock:
        attacks = {k: dict(v) for k, v in sorted(res.attacks.items())}
        kill = {k: v for k, v in res.kill.items() if k != "killed_at"}
    return {"config": {"acts": args.acts, "baseline_seconds": args.baseline_seconds,
                       "attack_seconds": args.attack_seconds, "clients": args.clients},
            "setup": res.setup, "normal": lat, "attackers": attacks,
            "memory_peak_mb": {k: round(v / (1 << 20)) for k, v in res.memory.items()},
            "kill": kill, "goals": goals(res, lat), "notes": list(res.notes)}


def fmt_codes(codes: dict[str, int]) -> str:
    return "  ".join(f"{k}×{v}" for k, v in sorted(codes.items(), key=lambda kv: -kv[1]))


def print_report(fig: dict) -> None:
    print("\n=== lexmap reliability bench ===")
    s = fig["setup"]
    print(f"acts {' '.join(fig['config']['acts'])}; ingest {s.get('ingest_seconds')} s; server ready in "
          f"{s.get('ready_s')} s; warm-up {s.get('warm_up_s')} s; articles used: {s.get('ru_articles')} RU, "
          f"{s.get('by_articles')} BY")
    print(f"\nnormal traffic ({fig['config']['clients']} clients)")
    print(f"  {'phase':<9} {'route':<17} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}  codes")
    for phase, routes in fig["normal"].items():
        for route, r in routes.items():
            print(f"  {phase:<9} {route:<17} {r['n']:>5} {r['p50_ms']:>8} {r['p95_ms']:>8} {r['errors']:>6}  "
                  f"{fmt_codes(r['codes'])}")
    print("\nattackers (status codes; timeout = no answer in 20 s; ConnectError = refused; ReadError, WriteError,\n"
          "RemoteProtocolError = the server closed the connection)")
    for name, codes in fig["attackers"].items():
        print(f"  {name:<32} {sum(codes.values()):>5}  {fmt_codes(codes)}")
    print("\npeak RSS of the server tree (MB): " + ", ".join(f"{k} {v}" for k, v in fig["memory_peak_mb"].items()))
    k = fig["kill"]
    if "sent" in k:
        print(f"\nkill -9 during a write burst: {k['writers']} writers, SIGKILL {k['kill_at_s']} s into the burst "
              f"({k['acked_at_kill']} acknowledged by then); sent {k['sent']} ({fmt_codes(k['codes'])}); "
              f"acknowledged {k['acknowledged']}")
        print(f"  recovered (kill -> /health 200) in {k.get('recovery_s')} s; acknowledged writes kept "
              f"{k.get('kept')}/{k['acknowledged']} (lost {k.get('lost')}, unverified {k.get('unverified')}); "
              f"sent {k['sent']}")
    if fig["notes"]:
        print("\nnotes")
        for n in fig["notes"]:
            print("  " + n.replace("\n", "\n    "))
    print("\ngoals")
    for g in fig["goals"]:
        print(f"  {'ok         ' if g['ok'] else 'GOAL MISSED'}  {g['goal']}: {g['value']}")


# ----------------------------------------------------------------------------- main

class Bench:
    """State the watchdog needs to end everything at the deadline."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.res = Results()
        self.server: Server | None = None
        self.reported = threading.Lock()
        self.tmp: Path | None = None

    def finish(self) -> None:
        """Print (once) the report and write the JSON."""
        if not self.reported.acquire(blocking=False):
            return
        fig = figures(self.res, self.args)
        print_report(fig)
        if self.args.json:
            Path(self.args.json).write_text(json.dumps(fig, ensure_ascii=False, indent=1), encoding="utf-8")
            print(f"\nfigures written to {self.args.json}")

    def on_deadline(self) -> None:
        self.res.note(f"GOAL MISSED: global deadline of {self.args.deadline:.0f} s hit; stopping everything")
        if self.server:
            self.server._signal_group(signal.SIGKILL)
        for proc in list(RUNNING):
            kill_group(proc)
        self.finish()
        self.cleanup()
        os._exit(0)

    def cleanup(self) -> None:
        if self.tmp and not self.args.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        elif self.server:
            print(f"data directory kept: {self.server.log_dir} (server logs: server-N.log)")


def set_phase(res: Results, phase: str) -> None:
    with res.lock:
        res.phase = phase
    print(f"[{time.strftime('%H:%M:%S')}] phase {phase}", flush=True)


def run(b: Bench) -> None:
    args, res = b.args, b.res
    data = Path(args.data_dir).resolve() if args.data_dir else Path(tempfile.mkdtemp(prefix="lexmap-rel-"))
    b.tmp = None if args.data_dir else data
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEXMAP_DATA_DIR": str(data), "LEXMAP_API_KEYS": str(data / "api-keys.toml")}
    print(f"[{time.strftime('%H:%M:%S')}] ingesting {' '.join(args.acts)} into {data}", flush=True)
    if not ingest(args.acts, env, args.ingest_timeout, res):
        return
    editor, _reviewer = make_key("editor", env), make_key("reviewer", env)
    port = free_port()
    b.server = server = Server(env, port, data)
    sampler = MemSampler(server, res, args.mem_guard_mb << 20)
    sampler.start()
    try:
        server.start()
        ready = server.wait_health(120)
        if ready is None:
            res.note("server did not start:\n" + server.log_tail())
            return
        res.setup["ready_s"] = round(ready, 2)
        ru, by = discover(server.base)
        res.setup.update(ru_articles=len(ru), by_articles=len(by))
        if not ru or not by:
            res.note(f"no articles found (RU {len(ru)}, BY {len(by)}): are {RU} and {BY} ingested?")
            return
        res.setup["warm_up_s"] = warm_up(server.base, normal_routes(ru, by))
        phases(b, server, ru, by, editor, port)
    finally:
        sampler.halt.set()
        server.stop()


def phases(b: Bench, server: Server, ru: list[str], by: list[str], editor: str, port: int) -> None:
    args, res = b.args, b.res
    stop_normal, stop_attack = threading.Event(), threading.Event()
    attack: list[threading.Thread] = []
    set_phase(res, "baseline")
    normal = normal_traffic(server.base, res, normal_routes(ru, by), stop_normal, args.clients, args.think_ms / 1000)
    try:
        time.sleep(args.baseline_seconds)
        set_phase(res, "attack")
        attack = attackers(server.base, port, res, stop_attack, ru[0], by[0], editor, free_port(),
                           args.burst_every)
        time.sleep(args.attack_seconds)
    finally:
        stop_attack.set()
        stop_normal.set()
    set_phase(res, "drain")
    left = join_all(normal + attack, REQ_TIMEOUT * 2 + 10)
    if left:
        res.note(f"{left} client thread(s) still waiting on the server after the attack; left behind")
    kill_phase(server, res, editor, ru, by, args)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--acts", nargs="+", default=["ru-gk-1", "by-gk"], help="manifest keys to ingest")
    ap.add_argument("--data-dir", help="data directory (default: a temporary one, removed at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary data directory (logs, store)")
    ap.add_argument("--baseline-seconds", type=float, default=15.0)
    ap.add_argument("--attack-seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=8, help="normal traffic clients")
    ap.add_argument("--think-ms", type=float, default=100.0, help="mean pause of a normal client between requests")
    ap.add_argument("--burst-every", type=float, default=5.0, help="seconds between bursts of 40 injected requests")
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--kill-after", type=float, default=2.0, help="seconds of write burst before SIGKILL")
    ap.add_argument("--min-acks", type=int, default=1,
                    help="... and not before this many writes are acknowledged (201)")
    ap.add_argument("--ack-wait", type=float, default=120.0, help="... waiting at most this many seconds")
    ap.add_argument("--write-timeout", type=float, default=60.0, help="client timeout of a write")
    ap.add_argument("--mem-guard-mb", type=int, default=4096, help="kill the server when its tree passes this RSS")
    ap.add_argument("--ingest-timeout", type=float, default=1800.0)
    ap.add_argument("--deadline", type=float, help="global seconds before everything is stopped (default: derived)")
    ap.add_argument("--json", help="also write the figures as JSON to this file")
    args = ap.parse_args(argv)
    if args.deadline is None:
        args.deadline = args.ingest_timeout + args.baseline_seconds + args.attack_seconds + args.ack_wait + 600
    return args


def _interrupt(signum: int, _frame: Any) -> None:
    """SIGTERM: unwind like Ctrl-C, so the server is stopped and the report printed."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    b = Bench(parse_args(argv))
    watchdog = threading.Timer(b.args.deadline, b.on_deadline)
    watchdog.daemon = True
    watchdog.start()
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        run(b)
    except RuntimeError as exc:      # a step that could not go on, explained by its message
        b.res.note(f"bench stopped early: {exc}")
    except BaseException as exc:  # noqa: BLE001 - a bench reports whatever stopped it
        b.res.note(f"bench stopped early: {exc!r}\n" + traceback.format_exc(limit=3))
    finally:
        watchdog.cancel()
        b.finish()
        b.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
