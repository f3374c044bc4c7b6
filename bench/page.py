"""Web page benchmark on the default corpus (needs `lexmap ingest` done):

    .venv/bin/python bench/page.py

Times each view of the page as served (TestClient over the app on var/store, one client):
the home page, a search results page, provision pages (text, counterparts and the
suggester's candidates), a side-by-side redline, a gap register and the changes between two
redactions. The suggestion profiles are built first, as `lexmap serve` does at start.
Prints p50 / p95 per view in milliseconds.
"""
from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402

RU, BY = "eli/ru/kodeks/1994/51-fz", "eli/by/kodeks/1998/218-z"
HTML = {"Accept": "text/html"}
VIEWS = {
    "home": (["/"], 20),
    "search": ([f"/?q={q}" for q in ("исковая давность", "договор дарения", "неустойка", "право собственности",
                                     "трудовой договор")], 4),
    "provision": ([f"/{RU}/art_{n}" for n in (1, 10, 196, 309, 333, 421, 450)] +
                  [f"/{BY}/art_{n}" for n in (197, 290, 311)], 3),
    "redline": ([f"/diff?left={RU}/art_196&right={BY}/art_197&format=html",
                 f"/diff?left={RU}/art_421&right={BY}/art_391&format=html&mode=lemmas"], 10),
    "gap register": ([f"/compare?left_act={RU}&right_act={BY}&format=html"], 3),
    "changes": ([f"/changes?act={RU}&from=2016-07-03&to=2023-08-04&format=html"], 3),
}


def main() -> None:
    app = create_app()
    with TestClient(app) as c:
        t = time.perf_counter()
        c.get(f"/compare?left_act={RU}&right_act={BY}")          # what the start-up warm-up builds
        print(f"warm-up (articles and suggestion profiles of RU GK 1 / BY GK): {time.perf_counter() - t:.1f} s")
        for name, (urls, repeat) in VIEWS.items():
            times = []
            for _ in range(repeat):
                for u in urls:
                    t = time.perf_counter()
                    r = c.get(u, headers=HTML)
                    times.append((time.perf_counter() - t) * 1000)
                    assert r.status_code == 200 and "text/html" in r.headers["content-type"], (u, r.status_code)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(f"{name:14s} n={len(times):3d}  p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms")


if __name__ == "__main__":
    main()
