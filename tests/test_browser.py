"""End-to-end tests of the web page in a real browser: Debian's headless Chromium driven by
Playwright, against the app served by uvicorn on 127.0.0.1 over a store of its own (the
civil codes of both jurisdictions and the curated civil set; the writes here stay here, and
the test that writes has a copy of that store, served on another port, to itself).

They also take the screenshots of the README: into a temporary directory, or into
LEXMAP_SCREENSHOTS when it is set (`make screenshots` sets docs/screenshots), so a test run
leaves the tracked images alone. `make test` installs Chromium (apt) and Playwright (pip);
without Chromium these tests are skipped, unless LEXMAP_REQUIRE_BROWSER=1 (as .ci/run sets),
when they fail.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from .conftest import free_port, make_settings

pytestmark = [pytest.mark.corpus, pytest.mark.server, pytest.mark.browser]

CHROMIUM = os.environ.get("LEXMAP_CHROMIUM", "/usr/bin/chromium")
# The flags a closed network needs (no background fetches, no QUIC), a root user (no sandbox), no GPU.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RU_GK = "eli/ru/kodeks/1994/51-fz"
BY_GK = "eli/by/kodeks/1998/218-z"


def _need_browser():
    if shutil.which(CHROMIUM) is None or not Path(CHROMIUM).exists():
        msg = f"Chromium is not at {CHROMIUM}: `make test` installs it (apt-get install chromium)"
        if os.environ.get("LEXMAP_REQUIRE_BROWSER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    try:
        import playwright.sync_api  # noqa: F401 - only whether it is installed
    except ImportError:
        pytest.fail("playwright is missing: `make install` installs the test extras")


@contextmanager
def _served(settings, store, backend):
    """The app served by uvicorn on a free port of 127.0.0.1: its base URL."""
    import uvicorn

    from api.app import create_app
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store, backend), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.fail("the server did not start")
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def civil(tmp_path_factory, manifest):
    """(settings, store, backend, keys): a store with RU GK part 1, BY GK and the civil set, its index, keys."""
    _need_browser()
    from api import auth
    from ingest.index.indexer import open_backend, sync
    from ingest.load import ingest
    from ingest.mappings.curated import load_curated
    from ingest.store import open_store

    tmp = tmp_path_factory.mktemp("browser")
    settings = make_settings(tmp)
    settings = replace(settings, extra={**settings.extra, "api_keys": str(tmp / "keys.toml")})
    store = open_store(settings)
    acts = [manifest.find("ru-gk-1"), manifest.find("by-gk")]
    reports = ingest(store, manifest, settings, acts, progress=lambda m: None)
    assert all(r.status == "loaded" for r in reports), [(r.key, r.errors[:3]) for r in reports]
    assert any(r.status == "loaded" for r in load_curated(store, settings))
    backend = open_backend(settings, "tantivy")
    sync(store, backend)
    keys = {"editor": auth.add_key(settings.api_keys, "ivanova", ["editor"], "Иванова И. И."),
            "reviewer": auth.add_key(settings.api_keys, "petrov", ["reviewer"], "Петров П. П.")}
    yield settings, store, backend, keys
    backend.close()
    store.close()


@pytest.fixture(scope="module")
def site(civil):
    """(base URL, keys, settings): the app on 127.0.0.1 over the civil store, for the tests that only read."""
    settings, store, backend, keys = civil
    with _served(settings, store, backend) as base:
        yield base, keys, settings


@pytest.fixture
def own_site(civil, tmp_path):
    """(base URL, keys, settings) for a test that writes: the app on another port over a copy of the
    civil store (a RocksDB checkpoint) in a data directory of its own; the search index is shared."""
    from ingest.store import open_store
    settings, store, backend, keys = civil
    own = replace(settings, data_dir=tmp_path / "own")
    store.snapshot(own.store_dir)
    copy = open_store(own)
    try:
        with _served(own, copy, backend) as base:
            yield base, keys, own
    finally:
        copy.close()


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go: LEXMAP_SCREENSHOTS if set (`make screenshots`: docs/screenshots),
    else a temporary directory, so a test run leaves the tracked images alone."""
    where = os.environ.get("LEXMAP_SCREENSHOTS")
    path = Path(where).resolve() if where else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    yield pg
    context.close()


@pytest.fixture
def shot(shots):
    """shot(page, name): a screenshot `name`.png in `shots`."""
    def take(pg, name: str) -> None:
        pg.screenshot(path=str(shots / f"{name}.png"))
    return take


def test_search_and_open_a_result(site, page, shot):
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(base + "/")
    page.fill("#q", "исковая давность")
    page.select_option("#jurisdiction", "ru")
    page.press("#q", "Enter")
    results = page.locator("ol.results > li > a")
    expect(results.first).to_be_visible()
    # the permanent URL carries the query and the filter
    assert "q=" in page.url and "jurisdiction=ru" in page.url
    titles = results.all_inner_texts()
    assert all("давност" in t.lower() for t in titles[:3]), titles[:5]
    expect(page.locator("ol.results mark").first).to_be_visible()      # highlighted snippets
    assert "Беларусь" not in page.locator("ol.results").inner_text()   # the filter holds
    shot(page, "search")
    first = titles[0]
    results.first.click()
    expect(page.locator("h1")).to_have_text(first)
    assert f"/{RU_GK}/art_" in page.url
    # the same search by keyboard, as a citation: straight to the provision
    page.goto(base + "/")
    expect(page.locator("#q")).to_be_focused()   # the search box has the focus on arrival
    page.keyboard.type("ст. 196 ГК РФ")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Статья 196")
    assert page.url.endswith(f"/{RU_GK}/art_196")


def test_provision_counterpart_and_back(site, page, shot):
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(f"{base}/{RU_GK}/art_196")
    expect(page.locator("nav.crumbs")).to_contain_text("Глава 12")
    expect(page.locator(".text")).to_contain_text("три года")
    row = page.locator("table.mappings tr", has=page.locator("a.counterpart"))
    expect(row.first).to_contain_text("Статья 197")
    expect(row.first).to_contain_text("частично совпадает")     # relation, in Russian
    expect(row.first).to_contain_text("принято")
    expect(page.locator("#suggestions")).to_be_visible()        # unreviewed suggestions
    assert page.locator("form.review").count() == 0             # readers get no review forms
    shot(page, "provision")
    page.locator("a.counterpart").first.click()
    expect(page.locator("h1")).to_contain_text("Статья 197")
    assert page.url.endswith(f"/{BY_GK}/art_197")
    back = page.locator("a.counterpart", has_text="Статья 196")
    expect(back).to_be_visible()
    # the redaction picker: the 2016 text of the RU article is a permanent URL of its own
    page.goto(f"{base}/{RU_GK}/art_196")
    page.fill("#date", "2017-01-01")
    page.click("form.redactions button")
    assert "date=2017-01-01" in page.url
    expect(page.locator("main > p").first).to_contain_text("3 июля 2016 г.")     # dates in Russian form


def test_side_by_side_views(site, page, shot):
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(f"{base}/{RU_GK}/art_196")
    page.locator("table.mappings a", has_text="сравнить тексты").first.click()
    expect(page.locator("h1")).to_have_text("Сравнение текстов")
    left, right = page.locator(".redline-left"), page.locator(".redline-right")
    expect(left).to_contain_text("десять лет")
    expect(left.locator("del").first).to_be_visible()            # what only RU has, struck out on the left
    assert right.locator("del").count() == 0 and left.locator("ins").count() == 0
    assert "десять лет" not in right.inner_text()
    shot(page, "diff")
    # two acts: the gap register, chosen from the home page's form
    page.goto(base + "/")
    page.select_option("#left_act", RU_GK)
    page.select_option("#right_act", BY_GK)
    page.click("form[action='/compare'] button")
    expect(page.locator("h1")).to_have_text("Сопоставление актов")
    expect(page.locator("table.chapters tbody tr").first).to_be_visible()
    counts = page.locator("main > p").nth(1).inner_text()
    # reviewed counts are headed as such, apart from the machine's suggestions (issue 17)
    assert counts.startswith("Проверено") and "совпадает" in counts and "нет соответствия" in counts
    page.locator("#register ~ p a", has_text="нет соответствия").click()
    assert "show=missing" in page.url
    statuses = page.locator("table.compare tbody tr").evaluate_all("rows => rows.map(r => r.className)")
    assert statuses and set(statuses) == {"missing"}
    page.goto(page.url.replace("show=missing", "show=diverging").split("#")[0])
    shot(page, "compare")
    # two redactions of one act, from the act page's links
    page.goto(f"{base}/{RU_GK}")
    page.locator("a", has_text="3 июля 2016 г. → 4 августа 2023 г.").click()
    expect(page.locator("h1")).to_have_text("Изменения между редакциями")
    expect(page.locator("details").first).to_be_visible()
    assert page.locator("details ins, details del").count() > 0
    shot(page, "changes")


def test_review_a_mapping_with_a_key(own_site, page, shot):
    from playwright.sync_api import expect
    base, keys, _ = own_site
    url = f"{base}/{RU_GK}/art_196"

    def sign_in(key: str) -> None:
        page.goto(url)
        page.click("text=Войти (рецензент)")
        page.fill("#key", key)
        page.press("#key", "Enter")
        expect(page.locator("header .who")).to_contain_text("Вы вошли")
        assert page.url == url

    page.goto(f"{base}/login")
    page.fill("#key", "lmk_wrong")
    page.press("#key", "Enter")
    expect(page.locator("[role=alert]")).to_contain_text("Ключ не подходит")

    # an editor proposes the first suggestion as a counterpart
    sign_in(keys["editor"])
    suggestion = page.locator("#suggestions ~ ol li").first
    target = suggestion.locator("a").first.inner_text()
    suggestion.locator("summary").click()
    suggestion.locator("select[name=relation]").select_option("not_related")
    suggestion.locator("select[name=harmonization]").select_option("divergent")
    suggestion.locator("textarea[name=comment]").fill("проверка из браузера")
    suggestion.locator("button[type=submit]").click()
    row = page.locator("table.mappings tr", has_text="проверка из браузера")
    expect(row).to_contain_text("предложено")
    expect(row).to_contain_text(target.split(".")[0])
    assert row.locator("form.review").count() == 0               # an editor does not review
    record = (row.get_attribute("id") or "")[2:]
    assert record
    page.click("header .who button")                            # sign out

    # a reviewer accepts it; the decision survives a reload and is in the store
    sign_in(keys["reviewer"])
    row = page.locator(f"#m-{record}")
    row.locator("input[name=comment]").fill("сверено по текстам")
    row.scroll_into_view_if_needed()
    shot(page, "review")
    with page.expect_navigation():                               # the form posts, then redirects back
        row.locator("button[value=accept]").click()
    page.reload()
    row = page.locator(f"#m-{record}")
    expect(row).to_contain_text("принято")
    expect(row).to_contain_text("Петров П. П.")
    assert row.locator("form.review").count() == 0
    data = httpx.get(f"{base}/mappings/{record}").json()
    assert data["lifecycle"] == "accepted" and data["reviewer"]["iri"].endswith("/agent/petrov")
    assert [h["action"] for h in data["history"]] == ["create", "review"]
    assert data["relation"] == "not_related" and data["author"]["iri"].endswith("/agent/ivanova")

    # a form posted from another site is refused, even with the session cookie
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    r = httpx.post(f"{base}/page/mappings/{record}/review", data={"decision": "reject", "csrf": "x"},
                   cookies=cookies, headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    assert httpx.get(f"{base}/mappings/{record}").json()["lifecycle"] == "accepted"


def test_phone_layout(site, browser, shot):
    """On a phone the side-by-side columns stack and no page scrolls sideways."""
    base, _, _ = site
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = context.new_page()
    for path in (f"/{RU_GK}/art_196", f"/diff?left={RU_GK}/art_196&right={BY_GK}/art_197&format=html",
                 "/?q=%D0%B4%D0%B0%D0%B2%D0%BD%D0%BE%D1%81%D1%82%D1%8C"):
        pg.goto(base + path)
        overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, (path, overflow)
    pg.goto(base + f"/diff?left={RU_GK}/art_196&right={BY_GK}/art_197&format=html")
    boxes = [pg.locator(".cols > section").nth(i).bounding_box() for i in (0, 1)]
    assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"] - 1    # stacked, not side by side
    pg.goto(base + f"/{RU_GK}/art_196")
    shot(pg, "phone-provision")
    context.close()


# ------------------------------------------------------------------ issue 19: accessibility, keyboard, widths, print

AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"
VIEWS = {
    "home": "/",
    "search": "/?q=%D0%B8%D1%81%D0%BA%D0%BE%D0%B2%D0%B0%D1%8F+%D0%B4%D0%B0%D0%B2%D0%BD%D0%BE%D1%81%D1%82%D1%8C"
              "&act=ru-gk-1",
    "act": f"/{RU_GK}",
    "chapter": f"/{RU_GK}/chp_12",
    "provision": f"/{RU_GK}/art_196",
    "part": f"/{RU_GK}/art_196__para_1",
    "counterpart": f"/{BY_GK}/art_197",
    "redline": f"/diff?left={RU_GK}/art_196&right={BY_GK}/art_197&format=html",
    "gap register": f"/compare?left_act={RU_GK}&right_act={BY_GK}&format=html",
    "changes": f"/changes?act={RU_GK}&from=2016-07-03&to=2023-08-04&format=html",
    "reading: chapter": f"/read/{RU_GK}/chp_12",
    "reading: act": f"/read/{RU_GK}",
    "not found": f"/{RU_GK}/art_9999",
    "bad request": f"/changes?act={BY_GK}&from=2020-01-01&to=2024-01-01",
    "login": "/login",
}


def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail(f"axe-core is not at {AXE}: `make browser` installs it (npm ci, package.json)")
    return AXE.read_text(encoding="utf-8")


def test_axe_finds_no_serious_or_critical_violation_on_any_view(site, browser):
    """axe-core (npm) injected into every view: no violation of serious or critical impact."""
    base, _, _ = site
    source = _axe_source()
    # the page's CSP allows no inline script: the test's own script is let in by the browser context
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU", bypass_csp=True)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    found = {}
    try:
        for name, path in VIEWS.items():
            pg.goto(base + path)
            pg.add_script_tag(content=source)
            result = pg.evaluate("""async () => {
                const r = await axe.run(document, {resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                               nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
            }""")
            bad = [v for v in result if v["impact"] in ("serious", "critical")]
            if bad:
                found[name] = bad
    finally:
        context.close()
    assert not found, found


def _tab_to(pg, predicate: str, limit: int = 400) -> None:
    """Press Tab until the focused element satisfies `predicate` (a JS expression over `el`)."""
    for _ in range(limit):
        pg.keyboard.press("Tab")
        if pg.evaluate(f"(() => {{ const el = document.activeElement; return !!el && ({predicate}); }})()"):
            return
    pytest.fail(f"Tab never reached an element with {predicate}")


def test_keyboard_only_search_provision_counterpart_redline(site, page):
    """The whole path by keyboard alone: search, open a result, its counterpart, their redline."""
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(f"{base}/{RU_GK}")
    page.keyboard.press("Tab")                         # a page's first stop is the skip link
    assert page.evaluate("document.activeElement.className") == "skip"
    page.goto(base + "/")
    # the search box has the focus on arrival (autofocus applies once the page has loaded: under
    # load it came after the first check, so wait for it as the other keyboard test does)
    expect(page.locator("#q")).to_be_focused()
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("общий срок исковой давности")
    page.keyboard.press("Enter")
    expect(page.locator("ol.results > li > a").first).to_be_visible()
    _tab_to(page, "el.matches('ol.results > li > a') && el.textContent.includes('Статья 196')")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Статья 196. Общий срок исковой давности")
    _tab_to(page, "el.matches('a.counterpart')")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Статья 197")
    assert page.url.endswith(f"/{BY_GK}/art_197")
    _tab_to(page, "el.tagName === 'A' && el.textContent.trim() === 'сравнить тексты'")
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("Сравнение текстов")
    expect(page.locator(".redline-left del, .redline-right del, .redline-left ins, .redline-right ins").first).to_be_visible()
    # the redaction pickers work by keyboard as well
    _tab_to(page, "el.id === 'left_date'")
    focused = page.evaluate("document.activeElement.outerHTML")
    assert focused.startswith("<select")


@pytest.mark.parametrize("width", [360, 768, 1280, 1600])
def test_no_horizontal_scroll(site, browser, width):
    """No view scrolls sideways at a phone's, a tablet's and two desktops' widths."""
    base, _, _ = site
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ru-RU")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    wide = {}
    try:
        for name, path in VIEWS.items():
            pg.goto(base + path)
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                wide[name] = overflow
    finally:
        context.close()
    assert not wide, (width, wide)


def test_reading_view_contents_stay_in_view_and_print(site, page, shot):
    """The reading view: the contents stay beside the text while it scrolls, an anchor per article,
    the redaction picker; printed without the site's chrome."""
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(f"{base}/read/{RU_GK}")
    toc = page.locator("nav.toc")
    expect(toc).to_be_visible()
    toc.locator("a[href='#art_196']").click()
    assert page.url.endswith("#art_196")
    expect(page.locator("#h-art_196")).to_be_in_viewport()
    top = toc.bounding_box()["y"]
    assert -1 <= top <= 5, top                           # sticky: the contents stayed in view
    expect(page.locator("article#art_196 .text")).to_contain_text("три года")
    shot(page, "reading")
    page.select_option("#date", "2016-07-03")
    page.locator("form.redactions button").click()
    assert "date=2016-07-03" in page.url
    expect(page.locator("main > p").first).to_contain_text("3 июля 2016 г.")
    expect(page.locator("button[data-print]")).to_be_visible()      # shown where a script runs
    page.emulate_media(media="print")
    expect(page.locator("header.site")).to_be_hidden()
    expect(page.locator("nav.toc")).to_be_hidden()
    expect(page.locator("article#art_196")).to_be_visible()


def test_changes_form_follows_the_chosen_act(site, page):
    """The home page's changes form offers the chosen act's redactions, newest pair preselected."""
    from playwright.sync_api import expect
    base, _, _ = site
    page.goto(base + "/")
    page.select_option("#ch-act", RU_GK)
    offered = page.locator("#ch-from optgroup:not([hidden]) option").evaluate_all("os => os.map(o => o.value)")
    assert offered and offered == sorted(offered)
    page.locator("form[action='/changes'] button[type=submit]").click()
    expect(page.locator("h1")).to_have_text("Изменения между редакциями")
    assert f"act={RU_GK.replace('/', '%2F')}" in page.url
