"""The web page served by the same app: search with permanent URLs, citations, provision pages
with their counterparts and redactions, the reviewer's forms (server-rendered HTML, read
without a browser; tests/test_browser.py drives the same pages in Chromium)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api import auth

RU_KONST = "eli/ru/konst/1993/1993-12-12"
BY_KONST = "eli/by/konst/1994/1994-03-15"


def test_search_page_has_results_snippets_and_pages(client):
    r = client.get("/", params={"q": "исковая давность", "jurisdiction": "by"})
    assert r.status_code == 200
    assert "<mark>" in r.text and "/eli/by/kodeks/1998/218-z/art_" in r.text
    assert "следующие →" in r.text and 'value="исковая давность"' in r.text


def test_bare_citation_goes_straight_to_the_provision(client):
    r = client.get("/", params={"q": "ст. 196 ГК РФ"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/eli/ru/kodeks/1994/51-fz/art_196"


def test_bad_query_is_shown_not_a_500(client):
    r = client.get("/", params={"q": '"незакрытая кавычка'})
    assert r.status_code == 200 and 'class="error"' in r.text


def test_provision_page_shows_counterparts_and_redactions(client):
    r = client.get("/eli/ru/kodeks/1994/51-fz/art_196", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "Соответствия" in r.text and 'href="/eli/by/kodeks/1998/218-z/art_197"' in r.text
    assert "частично совпадает" in r.text and "lexmap curators" in r.text
    assert 'href="?date=2016-07-03"' in r.text and 'type="date"' in r.text
    old = client.get("/eli/ru/kodeks/1994/51-fz/art_141.1", params={"date": "2017-01-01"},
                     headers={"Accept": "text/html"})
    assert "В этой редакции такой статьи нет" in old.text


def test_act_filter_and_act_facets(client):
    r = client.get("/", params={"q": "исковая давность", "act": "eli/by/kodeks/1998/218-z"})
    hrefs = re.findall(r'<li><a href="(/eli/[^"]+)"', r.text)
    assert hrefs and all(h.startswith("/eli/by/kodeks/1998/218-z/") for h in hrefs)
    assert '<option value="eli/by/kodeks/1998/218-z" selected>' in r.text
    every = client.get("/", params={"q": "исковая давность"}).text
    assert "act=eli%2Fru%2Fkodeks%2F1994%2F51-fz" in every      # a facet link per act keeps the query


def test_side_by_side_pages_by_accept_header(client):
    params = {"left": "eli/ru/kodeks/1994/51-fz/art_196", "right": "eli/by/kodeks/1998/218-z/art_197"}
    page = client.get("/diff", params=params, headers={"Accept": "text/html,application/xhtml+xml"})
    assert page.headers["content-type"].startswith("text/html")
    assert 'class="text redline-left"' in page.text and "<del>" in page.text and "<ins>" in page.text
    assert client.get("/diff", params=params).headers["content-type"].startswith("application/json")
    missing = client.get("/compare", params={"left_act": "ru-sk", "right_act": "by-kobs", "format": "html",
                                             "show": "missing"}).text
    rows = re.findall(r'<tr class="(matched|diverging|missing)">', missing)
    assert rows and set(rows) == {"missing"}


@pytest.fixture
def keyed(own_store, make_client):
    """The app with a keys file over a store of the test's own (these tests write): (app, keys, keys file).
    Each test signs in with its own TestClient."""
    settings, store = own_store
    path = settings.data_dir / "page-keys.toml"
    keys = {"editor": auth.add_key(path, "ed-page", ["editor"], "Редактор"),
            "reviewer": auth.add_key(path, "rev-page", ["reviewer"], "Рецензент"),
            "both": auth.add_key(path, "both-page", ["editor", "reviewer"], "Оба")}
    return make_client(settings, store, keys=path).app, keys, path


def _signed_in(app, key: str) -> tuple[TestClient, str]:
    """A client signed in with `key` and the CSRF token of its forms."""
    c = TestClient(app)
    r = c.post("/login", data={"key": key, "next": f"/{RU_KONST}/art_1"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/{RU_KONST}/art_1"
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and key not in cookie
    page = c.get(f"/{RU_KONST}/art_1", headers={"Accept": "text/html"}).text
    assert "Вы вошли" in page
    return c, re.search(r'name="csrf" value="([0-9a-f]+)"', page).group(1)


def _add(c: TestClient, csrf: str, obj: str, **kw) -> object:
    data = {"subject": f"{RU_KONST}/art_1", "object": obj, "relation": "intersects_with",
            "harmonization": "harmonized", "confidence": "0,9", "comment": "страница", "csrf": csrf,
            "next": f"/{RU_KONST}/art_1", **kw}
    return c.post("/page/mappings", data=data, follow_redirects=False)


def test_page_writes_need_a_session_and_its_csrf_token(keyed):
    app, keys, _ = keyed
    anon = TestClient(app)
    r = anon.post("/page/mappings", data={"subject": f"{RU_KONST}/art_1", "object": f"{BY_KONST}/art_1"})
    assert r.status_code == 401 and "Войдите" in r.text
    bad = anon.post("/login", data={"key": "lmk_nope", "next": "/"})
    assert bad.status_code == 401 and "Ключ не подходит" in bad.text
    # the form's `next` never leads off the site
    assert anon.post("/login", data={"key": keys["editor"], "next": "//evil.example/x"},
                     follow_redirects=False).headers["location"] == "/"
    c, csrf = _signed_in(app, keys["editor"])
    assert _add(c, "0" * 32, f"{BY_KONST}/art_1").status_code == 403
    assert _add(c, csrf, f"{BY_KONST}/art_1", ).status_code == 303
    r = c.post("/page/mappings", data={"subject": f"{RU_KONST}/art_1", "object": f"{BY_KONST}/art_2",
                                       "csrf": csrf, "relation": "equal", "harmonization": "unified"},
               headers={"Origin": "https://evil.example"})
    assert r.status_code == 403
    # a citation names the counterpart as well as an ELI path; a nonsense one is explained
    r = _add(c, csrf, "ст. 3 Конституции Республики Беларусь")
    assert r.status_code == 303, r.text
    listed = c.get("/mappings", params={"provision": f"{RU_KONST}/art_1"}).json()["mappings"]
    # the curated constitution set maps art. 1 too; what the editor added is proposed, by them
    added = [m for m in listed if m["author"]["label"] == "Редактор"]
    assert {m["object"]["eli"] for m in added} == {f"{BY_KONST}/art_1", f"{BY_KONST}/art_3"}
    assert all(m["lifecycle"] == "proposed" and m["confidence"] == 0.9 for m in added)
    assert all(m["lifecycle"] == "accepted" for m in listed if m not in added)
    r = _add(c, csrf, "ст. 99999 Конституции Республики Беларусь")
    assert r.status_code == 422 and "указывает на положений: 0" in r.text and "names 0" not in r.text
    # an editor's session shows no review buttons; a signed-out session is gone
    page = c.get(f"/{RU_KONST}/art_1", headers={"Accept": "text/html"}).text
    assert "Принять" not in page and "Добавить соответствие" in page
    c.post("/logout", data={"next": "/"})
    assert "Вы вошли" not in c.get("/").text


def test_page_review_four_eyes_and_revocation(keyed):
    app, keys, path = keyed
    both, csrf = _signed_in(app, keys["both"])
    r = _add(both, csrf, f"{BY_KONST}/art_5", comment="четыре глаза")
    record = r.headers["location"].split("#m-")[1]
    r = both.post(f"/page/mappings/{record}/review", data={"decision": "accept", "csrf": csrf,
                                                            "next": f"/{RU_KONST}/art_1"})
    assert r.status_code == 422 and "только другой рецензент" in r.text
    rev, rcsrf = _signed_in(app, keys["reviewer"])
    page = rev.get(f"/{RU_KONST}/art_1", headers={"Accept": "text/html"}).text
    assert f'action="/page/mappings/{record}/review"' in page
    r = rev.post(f"/page/mappings/{record}/review", data={"decision": "reject", "comment": "не то",
                                                           "csrf": rcsrf, "next": f"/{RU_KONST}/art_1"},
                 follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith(f"#m-{record}")
    m = rev.get(f"/mappings/{record}").json()
    assert m["lifecycle"] == "rejected" and m["reviewer"]["label"] == "Рецензент"
    assert [h["action"] for h in m["history"]] == ["create", "review"] and m["history"][1]["comment"] == "не то"
    # revoking the key ends its sessions at once
    assert auth.revoke_key(path, "rev-page")
    assert "Вы вошли" not in rev.get("/").text
    r = rev.post(f"/page/mappings/{record}/review", data={"decision": "accept", "csrf": rcsrf})
    assert r.status_code == 401


# ------------------------------------------------------------------ issue 19: Russian, HEAD, forms, reading, print

RU_GK = "eli/ru/kodeks/1994/51-fz"
BY_GK = "eli/by/kodeks/1998/218-z"
RU_TK = "eli/ru/kodeks/2001/197-fz"
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}     # what a browser sends


def _main(html: str) -> str:
    return html.split('<main id="main">', 1)[1]


def _h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip()


def test_errors_are_russian_pages_for_browsers_and_problem_json_for_api_clients(client):
    missing = f"/{RU_GK}/art_9999"
    page = client.get(missing, headers=HTML)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    body = _main(page.text)
    assert "Не найдено" in body and "нет статьи 9999" in body and "Что делать" in body
    assert f'href="/{RU_GK}"' in body and 'role="search"' in body           # the act, and a way to search
    api = client.get(missing)
    assert api.status_code == 404 and api.headers["content-type"] == "application/problem+json"
    assert api.json()["title"] == "Not found" and "art_9999" in api.json()["detail"]
    # a service's English message, a validator's and the framework's own, each in Russian on the page
    same = client.get("/changes", params={"act": BY_GK, "from": "2020-01-01", "to": "2024-01-01"}, headers=HTML)
    assert same.status_code == 400 and "Обе даты приходятся на одну редакцию" in same.text
    assert "same redaction" not in _main(same.text)
    assert "same redaction" in client.get("/changes", params={"act": BY_GK, "from": "2020-01-01",
                                                              "to": "2024-01-01"}).json()["detail"]
    invalid = client.get("/diff", params={"left": f"{RU_GK}/art_196"}, headers=HTML)
    assert invalid.status_code == 422 and "Не указан обязательный параметр «right»" in invalid.text
    assert client.get("/diff", params={"left": f"{RU_GK}/art_196"}).json()["errors"]
    nowhere = client.get("/no/such/page", headers=HTML)
    assert nowhere.status_code == 404 and "Такой страницы нет" in nowhere.text
    bad_eli = client.get("/eli/xx", headers=HTML)
    assert bad_eli.status_code in (400, 404) and bad_eli.headers["content-type"].startswith("text/html")
    assert "ELI" in _main(bad_eli.text)


def test_head_is_answered_wherever_get_is(client):
    for url, headers in [("/", HTML), (f"/{RU_GK}/art_196", HTML), ("/acts", {}), ("/static/lexmap.css", {}),
                         (f"/read/{RU_TK}/chp_35", HTML), (f"/{RU_GK}/art_9999", HTML), ("/health", {})]:
        get, head = client.get(url, headers=headers), client.head(url, headers=headers)
        assert head.status_code == get.status_code and head.status_code != 405, url
        assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"], url
        assert head.headers.get("content-encoding") == get.headers.get("content-encoding"), url
        if "content-length" in head.headers:       # the length of what GET sends (gzip or not)
            assert head.headers["content-length"] == get.headers.get("content-length", str(len(get.content))), url
    # a route without GET answers HEAD as it answers GET
    assert client.head("/page/mappings").status_code == client.get("/page/mappings").status_code == 405


def test_parts_and_points_are_titled_as_lawyers_cite_them(client):
    cases = {f"/{RU_TK}/art_81__para_2": "Часть 2 статьи 81",
             f"/{RU_GK}/art_450__para_2__point_1": "Подпункт 1 пункта 2 статьи 450",
             f"/{RU_GK}/art_196__para_1": "Пункт 1 статьи 196"}
    for url, title in cases.items():
        r = client.get(url, headers=HTML)
        assert r.status_code == 200 and _h1(r.text) == title, (url, _h1(r.text))
        assert f"<title>{title} — " in r.text
        assert "__para_" not in _h1(r.text)


def test_headings_recased_for_display_and_not_repeated(client):
    chapter = client.get(f"/{RU_TK}/chp_35", headers=HTML).text
    assert _h1(chapter).startswith("Глава 35. Права и обязанности работодателя")
    stored = client.get(f"/{RU_TK}/chp_35").json()
    assert stored["label"] == "ГЛАВА 35" and stored["title"].isupper()          # the store keeps the source
    assert "ГЛАВА" not in _main(chapter) and "ОХРАНА ТРУДА" not in _main(chapter)
    article = client.get(f"/{RU_GK}/art_196", headers=HTML).text
    text = re.search(r'<div class="text"[^>]*>(.*?)</div>', article, re.S).group(1)
    assert _h1(article) == "Статья 196. Общий срок исковой давности"
    assert not text.lstrip().startswith("Статья 196") and "три года" in text
    crumbs = re.search(r'<nav class="crumbs".*?</nav>', client.get(f"/{BY_GK}/art_197", headers=HTML).text, re.S)
    assert "Глава 12. Исковая давность" in crumbs.group(0) and "ИСКОВАЯ" not in crumbs.group(0)
    gap = client.get("/compare", params={"left_act": "ru-tk", "right_act": "by-tk", "format": "html"}).text
    cells = re.findall(r'<tr class="(?:matched|diverging|missing)"><td class="wide-only">([^<]*)</td>', gap)
    assert any(c.startswith("Глава 3") for c in cells) and not any("ГЛАВА" in c for c in cells)


def test_dates_in_russian_form(client):
    from api.ru_format import ru_date
    assert ru_date("2023-08-04") == "4 августа 2023 г." and ru_date("not a date") == "not a date"
    data = client.get(f"/{RU_GK}/art_196").json()
    page = client.get(f"/{RU_GK}/art_196", headers=HTML).text
    assert f"Редакция от {ru_date(data['redaction'])}" in page
    assert not re.search(r">\s*\d{4}-\d{2}-\d{2}\s*<", _main(page))          # no ISO date shown as text
    changes = client.get("/changes", params={"act": RU_GK, "from": "2016-07-03", "to": "2023-08-04"}, headers=HTML)
    assert "редакция от 3 июля 2016 г. → редакция от 4 августа 2023 г." in changes.text


def test_query_parser_messages_are_translated_or_shown_as_written(client):
    from api import search as search_service
    from api.ru_messages import is_translated, ru_message
    r = client.get("/", params={"q": '"незакрытая кавычка'})
    assert r.status_code == 200 and "Кавычка в позиции 1 не закрыта" in r.text and "unbalanced" not in r.text
    ctx = client.app.state.ctx
    for hostile in ['"x', "(договор", "договор)", "OR договор", "договор -", "д*", "((((((((((((a))))))))))))"]:
        req = search_service.Request(q=hostile, limit=5, max_depth=ctx.settings.limits.query_max_depth)
        try:
            search_service.search(ctx.store, ctx.backend, req, ctx.aliases, ctx.thesaurus, ctx.known_filters())
        except search_service.SearchError as exc:
            assert is_translated(str(exc)), f"no Russian row for {str(exc)!r}"
            page = client.get("/", params={"q": hostile}).text
            assert ru_message(str(exc)).split(":")[0].replace('"', "&#34;") in page
    assert ru_message("a message no row knows") == "a message no row knows"      # never lost


def test_filters_kept_and_forms_offer_the_redactions(client):
    r = client.get("/", params={"q": "отпуск", "act": "ru-tk"})
    assert f'<option value="{RU_TK}" selected>' in r.text                     # a short name selects its act
    hrefs = re.findall(r'<li><a href="(/eli/[^"]+)"', r.text)
    assert hrefs and all(h.startswith(f"/{RU_TK}/") for h in hrefs)
    home = client.get("/").text
    form = re.search(r'<form method="get" action="/changes".*?</form>', home, re.S).group(0)
    dates = client.get(f"/{RU_GK}").json()["redactions"]
    for key in ("from", "to"):
        select = re.search(rf'<select id="ch-{key}".*?</select>', form, re.S).group(0)
        assert 'type="date"' not in select
        group = re.search(rf'<optgroup label="[^"]*" data-act="{RU_GK}">(.*?)</optgroup>', select, re.S).group(1)
        assert re.findall(r'value="([\d-]+)"', group) == sorted(d["date"] for d in dates)
    diff = client.get("/diff", params={"left": f"{RU_GK}/art_196", "right": f"{BY_GK}/art_197", "format": "html"}).text
    left = re.search(r'<select id="left_date".*?</select>', diff, re.S).group(0)
    assert set(re.findall(r'value="([\d-]+)"', left)) == {d["date"] for d in dates}
    assert re.search(r'<select id="right_date"', diff)
    changes = client.get("/changes", params={"act": RU_GK, "from": "2016-07-03", "to": "2023-08-04",
                                             "format": "html"}).text
    assert re.search(r'<option value="2016-07-03" selected>', changes)


def test_suggestion_is_shown_with_the_filters_kept():
    from api.templating import render
    answer = {"total": 0, "offset": 0, "limit": 20, "results": [], "citations": [],
              "facets": {"jurisdiction": {}, "act": {}}, "suggestion": {"q": "расторжение договора", "hits": 7}}
    html = render("index.html", acts=[], q="растаржение дагавора", results=answer, error=None, jurisdiction=["ru"],
                  act=[RU_TK], offset=0, act_by_path={}, changes_acts=[],
                  query={"q": "растаржение дагавора", "jurisdiction": ["ru"], "act": [RU_TK]})
    link = re.search(r'Возможно, вы имели в виду: <a href="([^"]+)">расторжение договора</a>', html)
    assert link and "jurisdiction=ru" in link.group(1) and "act=eli%2Fru%2Fkodeks%2F2001%2F197-fz" in link.group(1)
    assert "q=%D1%80%D0%B0%D1%81%D1%82%D0%BE%D1%80%D0%B6%D0%B5%D0%BD%D0%B8%D0%B5" in link.group(1)
    assert "вы имели в виду" not in render("index.html", acts=[], q="x", results={**answer, "suggestion": None},
                                           error=None, jurisdiction=[], act=[], offset=0, act_by_path={},
                                           changes_acts=[], query={"q": "x"})


def test_an_acronym_or_an_everyday_word_searched_as_the_codes_words_is_shown():
    from api.templating import render
    answer = {"total": 3, "offset": 0, "limit": 20, "results": [], "citations": [], "suggestion": None,
              "facets": {"jurisdiction": {}, "act": {}},
              "acronyms": [{"typed": "УДО", "searched": "условно-досрочном освобождении"}]}
    kw = dict(acts=[], q="УДО", error=None, jurisdiction=[], act=[], offset=0, act_by_path={}, changes_acts=[],
              query={"q": "УДО"})
    assert "УДО — искали как «условно-досрочном освобождении»" in render("index.html", results=answer, **kw)
    assert "искали как" not in render("index.html", results={**answer, "acronyms": []}, **kw)
    lexicon = {**answer, "acronyms": [], "rewrites": [{"typed": "коммуналка", "searched": "плата за жилое помещение"}]}
    assert "коммуналка — искали также «плата за жилое помещение»" in render("index.html", results=lexicon, **kw)


def test_reading_view_of_a_whole_act_and_of_a_chapter(client):
    r = client.get(f"/read/{RU_GK}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    ids = re.findall(r'<article id="([^"]+)"', html)
    assert len(ids) == len(set(ids)) and "art_196" in ids and "art_1" in ids
    toc = re.search(r'<nav class="toc".*?</nav>', html, re.S).group(0)
    assert all(f'href="#{i}"' in toc for i in ids)                        # every article is in the contents
    art = re.search(r'<article id="art_196".*?</article>', html, re.S).group(0)
    assert "Статья 196. Общий срок исковой давности</a></h" in art
    text = re.search(r'<div class="text"[^>]*>(.*?)</div>', art, re.S).group(1)
    assert "три года" in text and not text.startswith("Статья 196")
    assert 'class="ref"' in html and 'class="amend"' in html               # references linked, notes shown
    assert f'<input type="hidden" name="act" value="{RU_GK}">' in html       # search inside the act
    assert re.search(r'<select id="date" name="date">.*<option value="2016-07-03">', html, re.S)
    assert 'data-print' in html
    old = client.get(f"/read/{RU_GK}", params={"date": "2017-01-01"}).text
    assert "Редакция от 3 июля 2016 г." in old
    chapter = client.get(f"/read/{RU_GK}/chp_12").text
    assert 'id="art_196"' in chapter and 'id="art_1"' not in chapter
    assert _h1(chapter).startswith("Глава 12. Исковая давность")
    assert client.get(f"/{RU_GK}", headers=HTML).text.count(f'href="/read/{RU_GK}') == 1


def test_reading_view_refuses_bad_input_without_a_5xx(client):
    for url, status in [(f"/read/{RU_GK}/art_99999", 404), ("/read/eli/xx", 400), ("/read/eli/ru/kodeks/1999/1-fz", 404),
                        (f"/read/{RU_GK}?date=2099-99-99", 400), (f"/read/{RU_GK}?date=1700-01-01", 400),
                        ("/read/" + "a/" * 400, 400), (f"/read/{RU_GK}/chp_12<script>", 400)]:
        r = client.get(url, headers=HTML)
        assert r.status_code == status, (url, r.status_code)
        assert "<script>" not in _main(r.text)


def test_print_stylesheet_and_print_buttons(client):
    css = client.get("/static/lexmap.css").text
    assert "@media print" in css and client.get("/static/page.js").status_code == 200
    pages = [f"/{RU_GK}/art_196", f"/read/{RU_GK}/chp_12",
             f"/diff?left={RU_GK}/art_196&right={BY_GK}/art_197&format=html",
             f"/compare?left_act={RU_GK}&right_act={BY_GK}&format=html",
             f"/changes?act={RU_GK}&from=2016-07-03&to=2023-08-04&format=html"]
    for url in pages:
        html = client.get(url, headers=HTML).text
        assert "data-print" in html and '<script src="/static/page.js"' in html, url
    assert f'href="/{RU_GK}/art_196?date=' in client.get(f"/{RU_GK}/art_196", headers=HTML).text
    assert "format=docx" in client.get(f"/{RU_GK}/art_196", headers=HTML).text
    assert "format=docx" in client.get(f"/read/{RU_GK}/chp_12").text


def test_guard_refusals_are_pages_in_russian_for_browsers(make_client):
    """The guards' own refusals (body too large here) answer a browser with a small Russian page
    and an API client with problem+json, like every other error."""
    with make_client(max_body_bytes=256) as small:
        body = "x" * 1000
        page = small.post("/drafts/check", content=body, headers={"Accept": "text/html",
                                                                   "Content-Type": "application/json"})
        assert page.status_code == 413 and page.headers["content-type"].startswith("text/html")
        assert "Слишком большой запрос" in page.text and "Что делать" in page.text
        api = small.post("/drafts/check", content=body, headers={"Content-Type": "application/json"})
        assert api.status_code == 413 and api.headers["content-type"].startswith("application/problem+json")
