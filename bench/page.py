"""Web page benchmark on the default corpus (needs `lexmap ingest` done):

    .venv/bin/python bench/page.py

Times each view as served (TestClient over the app on the store of LEXMAP_DATA_DIR, default
var/; one client): the home page, a search results page, provision pages (text, counterparts
and the suggester's candidates) and the same provisions as JSON, the act list (latest and as of
a date), a side-by-side redline, a gap register, the changes between two redactions, the reading view
(the whole RU Civil Code part 1, the largest code, and chapters), a search inside one act and
the page of a provision that does not exist. The suggestion profiles are built first, as
`lexmap serve` does at start.

Prints p50 / p95 per view in milliseconds, as served (the app context's memo kept between
requests, as after the first visit) and, as the reference measured in the same run, the first
request after a write (the memo dropped before each request: the mapping table and every query
and computation of the view run again).

Then, over a copy of the data directory (the store by a checkpoint, the rest by hard links; the
data itself is never written), the first request of each view after a mapping proposal made
through this process, as a reviewer meets it: views of the texts are kept, the mapping table is
the kept one with that mapping read again (api.context.AppContext.carry). `--skip-after-write`
leaves that section out.
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api import mappings as mapping_service  # noqa: E402
from api.app import create_app  # noqa: E402
from ingest.config import load_settings  # noqa: E402
from ingest.store import open_store  # noqa: E402

RU, BY, TK = "eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z", "eli/ru/kodeks/2001/197-fz"
HTML = {"Accept": "text/html"}
VIEWS = {
    "home": (["/"], 20),
    "search": ([f"/?q={q}" for q in ("исковая давность", "договор дарения", "неустойка", "право собственности",
                                     "трудовой договор")], 4),
    "provision": ([f"/{RU}/art_{n}" for n in (1, 10, 196, 309, 333, 421, 450)] +
                  [f"/{BY}/art_{n}" for n in (197, 290, 311)], 3),
    "provision JSON": ([f"/{RU}/art_{n}" for n in (1, 10, 196, 309, 333, 421, 450)] +
                       [f"/{BY}/art_{n}" for n in (197, 290, 311)], 3),
    "acts": (["/acts", "/acts?jurisdiction=by"], 10),
    "acts as of": (["/acts?date=2020-01-01", "/acts?jurisdiction=ru&date=2017-01-01"], 10),
    "redline": ([f"/diff?left={RU}/art_196&right={BY}/art_197&format=html",
                 f"/diff?left={RU}/art_421&right={BY}/art_391&format=html&mode=lemmas"], 10),
    "gap register": ([f"/compare?left_act={RU}&right_act={BY}&format=html"], 3),
    "changes": ([f"/changes?act={RU}&from=2016-07-03&to=2023-08-04&format=html"], 3),
    # the reading view (issue 19): the whole RU Civil Code part 1 (the largest code) and chapters
    "reading: act": ([f"/read/{RU}"], 10),
    "reading: chapter": ([f"/read/{RU}/chp_12", f"/read/{BY}/chp_12", f"/read/{TK}/chp_35"], 5),
    "search in act": ([f"/?q=отпуск&act=ru-tk", f"/?q=исковая давность&act={BY}"], 5),
    "not found page": ([f"/{RU}/art_9999"], 10),
}


def timed(c: TestClient, name: str, urls: list[str], repeat: int, drop=None) -> list[float]:
    """Milliseconds per request; `drop` runs (untimed) before each one."""
    json_view = name == "provision JSON" or name.startswith("acts")
    times = []
    for _ in range(repeat):
        for u in urls:
            if drop is not None:
                drop()
            t = time.perf_counter()
            r = c.get(u, headers={} if json_view else HTML)
            times.append((time.perf_counter() - t) * 1000)
            kind = "application/json" if json_view else "text/html"
            status = 404 if name == "not found page" else 200
            assert r.status_code == status and kind in r.headers["content-type"], (u, r.status_code)
    return times


def p50_p95(times: list[float]) -> str:
    times = sorted(times)
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return f"p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms"


def main() -> None:
    app = create_app()
    with TestClient(app) as c:
        t = time.perf_counter()
        c.get(f"/compare?left_act={RU}&right_act={BY}")          # what the start-up warm-up builds
        print(f"warm-up (articles and suggestion profiles of RU GK 1 / BY GK): {time.perf_counter() - t:.1f} s")
        ctx = app.state.ctx
        print(f"{'':16s} {'as served':>34s}   {'reference: first after a write (memo dropped)':>46s}")
        for name, (urls, repeat) in VIEWS.items():
            uncached = timed(c, name, urls, max(1, repeat // 3), drop=ctx.drop_memo)
            timed(c, name, urls, 1)                               # the first visits fill the memo
            served = timed(c, name, urls, repeat)
            print(f"{name:16s} n={len(served):3d}  {p50_p95(served)}   n={len(uncached):3d}  {p50_p95(uncached)}")


AFTER_WRITE = ("search", "provision", "provision JSON", "reading: chapter", "redline", "gap register", "changes")


def after_writes() -> None:
    """The first request of each view after a proposal written through the app, on a copy."""
    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="lexmap-bench-") as tmp:
        own = replace(settings, data_dir=Path(tmp))
        for sub in ("index", "cache"):
            if (settings.data_dir / sub).exists():
                shutil.copytree(settings.data_dir / sub, own.data_dir / sub, copy_function=os.link)
        store = open_store(settings)
        store.snapshot(own.store_dir)
        store.close()
        app = create_app(own)
        with TestClient(app) as c:
            ctx = app.state.ctx
            while c.get("/health").json().get("warm_up", {}).get("status") not in ("done", "failed"):
                time.sleep(0.2)
            agent = f"{own.base_iri}/agent/bench"
            n = iter(range(200, 2000))

            def propose() -> None:      # a RU article proposed as the counterpart of a BY one
                i = next(n)
                mapping_service.create_mapping(ctx.mappings, {
                    "subject": f"{RU}/art_{i}", "object": f"{BY}/art_{i}", "relation": "intersects_with",
                    "harmonization": "harmonized", "confidence": 0.5}, agent, "bench")
            print(f"\nfirst request after a proposal written through this process (copy of the data, {tmp}):")
            for name in AFTER_WRITE:
                urls, repeat = VIEWS[name]
                timed(c, name, urls, 1)
                after = timed(c, name, urls, max(1, repeat // 3), drop=propose)
                print(f"{name:16s} n={len(after):3d}  {p50_p95(after)}")


if __name__ == "__main__":
    main()
    if "--skip-after-write" not in sys.argv:
        after_writes()
