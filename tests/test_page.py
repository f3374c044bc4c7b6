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
    assert r.status_code == 422 and "names 0 provisions" in r.text
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
    assert r.status_code == 422 and "another reviewer" in r.text
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
