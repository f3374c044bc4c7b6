"""Atom feeds: read with feedparser as a feed reader would, checked against the API's own
answers (act redactions, changes between redactions, mapping history), conditional GET."""
from __future__ import annotations

import feedparser
import pytest

RU_GK = "eli/ru/kodeks/1994/51-fz"
ATOM = "application/atom+xml"


def _feed(client, url, **params):
    resp = client.get(url, params=params)
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"].startswith(ATOM)
    parsed = feedparser.parse(resp.content)
    assert not parsed.bozo, parsed.bozo_exception
    assert parsed.version == "atom10"
    return resp, parsed


def _links(entry) -> dict[str, str]:
    return {link["type"]: link["href"] for link in entry.links if link.get("rel") == "alternate"}


def test_redactions_of_an_act(client):
    act = client.get(f"/{RU_GK}").json()
    resp, feed = _feed(client, "/feeds/redactions.atom", act="ru-gk-1")
    assert feed.feed.title.endswith(act["title"])
    assert [e.id for e in feed.entries] == [r["iri"] for r in sorted(act["redactions"], key=lambda r: r["date"],
                                                                      reverse=True)]
    for entry in feed.entries:
        links = _links(entry)
        page = client.get(links["text/html"], headers={"accept": "text/html"})
        assert page.status_code == 200 and "<html" in page.text
        data = client.get(links["application/json"]).json()
        assert data["expression"] == entry.id and entry.updated.startswith(data["redaction"])


def test_redactions_per_jurisdiction(client):
    acts = client.get("/acts", params={"jurisdiction": "by"}).json()["acts"]
    _, feed = _feed(client, "/feeds/redactions.atom", jurisdiction="by")
    assert len(feed.entries) == sum(a["redactions"] for a in acts)      # /acts counts them
    assert {e.tags[0].term for e in feed.entries} == {"by"}
    dates = [e.updated for e in feed.entries]
    assert dates == sorted(dates, reverse=True)


def test_changes_between_consecutive_redactions(client):
    act = client.get(f"/{RU_GK}").json()
    first, second = sorted(r["date"] for r in act["redactions"])[:2]
    changes = client.get("/changes", params={"act": "ru-gk-1", "from": first, "to": second}).json()
    _, feed = _feed(client, "/feeds/changes.atom", act="ru-gk-1")
    kinds = {}
    for e in feed.entries:
        kinds[e.tags[0].term] = kinds.get(e.tags[0].term, 0) + 1
    assert kinds == {k: n for k, n in changes["summary"].items() if n}
    changed = {e.id.split("#")[0] for e in feed.entries if e.tags[0].term == "changed"}
    assert changed == {x["iri"] for x in changes["changed"]}
    some = next(e for e in feed.entries if e.tags[0].term == "changed")
    assert any(link["rel"] == "related" and link["href"].startswith("/diff?") for link in some.links)
    data = client.get(_links(some)["application/json"]).json()
    assert data["redaction"] == second and data["in_redaction"]


def test_mapping_events_follow_a_review(api):
    client, keys = api
    _, before = _feed(client, "/feeds/mappings.atom", source_act="ru-gk-1", target_act="by-gk")
    assert before.entries and all(e.tags[0].term == "created" for e in before.entries)   # the curated set's import
    body = {"subject": f"{RU_GK}/art_1", "object": "eli/by/kodeks/1998/218-z/art_2", "relation": "intersects_with",
            "harmonization": "harmonized", "confidence": 0.7, "comment": "test"}
    made = client.post("/mappings", json=body, headers={"authorization": f"Bearer {keys['editor']}"}).json()
    client.post(f"/mappings/{made['id']}/review", json={"decision": "accept", "comment": "проверено"},
                headers={"authorization": f"Bearer {keys['reviewer']}"}).raise_for_status()
    _, after = _feed(client, "/feeds/mappings.atom", source_act="by-gk", target_act="ru-gk-1")  # either way round
    mine = [e for e in after.entries if made["id"] in e.title]
    assert [e.tags[0].term for e in mine] == ["reviewed", "created"]
    assert "проверено" in mine[0].summary
    assert _links(mine[0])["application/json"] == f"/mappings/{made['id']}"
    assert len(after.entries) == len(before.entries) + 2
    # another act pair's feed does not list it
    _, other = _feed(client, "/feeds/mappings.atom", source_act="ru-uk", target_act="by-uk")
    assert not [e for e in other.entries if made["id"] in e.title]


def test_conditional_get(client):
    resp = client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"})
    tag, modified = resp.headers["etag"], resp.headers["last-modified"]
    assert client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"},
                      headers={"if-none-match": tag}).status_code == 304
    assert client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"},
                      headers={"if-modified-since": modified}).status_code == 304
    assert client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"},
                      headers={"if-none-match": '"other"'}).status_code == 200
    assert client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"},
                      headers={"if-modified-since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    assert client.get("/feeds/redactions.atom", params={"jurisdiction": "ru"},
                      headers={"if-modified-since": "not a date"}).status_code == 200


@pytest.mark.parametrize("url, status", [
    ("/feeds/changes.atom", 422), ("/feeds/changes.atom?act=nothing", 404),
    ("/feeds/changes.atom?act=eli/ru/kodeks/1994/51-fz/art_1%3E", 404),
    ("/feeds/redactions.atom?jurisdiction=russia", 422), ("/feeds/mappings.atom?source_act=%00", 404),
])
def test_bad_feed_requests(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status and resp.headers["content-type"].startswith("application/problem+json")


def test_pages_link_their_feeds(client):
    page = client.get(f"/{RU_GK}/art_196", headers={"accept": "text/html"}).text
    assert 'type="application/atom+xml"' in page
    assert "/feeds/changes.atom?act=eli/ru/kodeks/1994/51-fz" in page.replace("%2F", "/")
    home = client.get("/", headers={"accept": "text/html"}).text
    assert 'href="/feeds/redactions.atom"' in home
