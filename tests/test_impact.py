"""Impact across both jurisdictions (issue 16, item 6): GET /impact over the stored references,
with counterparts through accepted mappings, and reference translation on the redline of two
mapped provisions (GET /diff), on the real texts of the `loaded` store and hostile values."""
from __future__ import annotations

import pytest

from api import impact
from ingest.identifiers import top_unit_of

GK196 = "eli/ru/kodeks/1994/51-fz/art_196"
STATUSES = {"mapped", "not-mapped", "unresolved", "no-counterpart-reference"}


@pytest.fixture(scope="module")
def accepted(loaded):
    from api import mappings as mapping_service
    settings, store = loaded
    return impact.accepted_counterparts(mapping_service.Context(store, settings.base_iri, {}).table())


def _under(iri: str, root: str) -> bool:
    return iri == root or iri.startswith(root + "__")


def test_direct_impact_is_what_cites_the_provision(client):
    """Depth 1 lists every provision whose text cites art. 196 (or a part of it), as "cited by" does."""
    cited_by = client.get("/references", params={"target": GK196}).json()["references"]
    root = cited_by and client.get("/" + GK196, headers={"Accept": "application/json"}).json()["iri"]
    assert cited_by
    want = {r["provision"] for r in cited_by if not _under(r["provision"], root)}
    got = client.get("/impact", params={"provision": GK196, "depth": 1}).json()
    assert {p["iri"] for p in got["provisions"]} >= want
    for p in got["provisions"]:
        assert p["level"] == 1 and p["via"] == root and p["quote"]
        # the target is the provision, a part of it, or the article holding it
        assert _under(p["target"], root) or _under(root, p["target"])


def test_deeper_levels_extend_and_chain(client):
    answers = {d: client.get("/impact", params={"provision": GK196, "depth": d}).json() for d in (1, 2, 3)}
    sets = {d: {p["iri"]: p for p in a["provisions"]} for d, a in answers.items()}
    assert set(sets[1]) <= set(sets[2]) <= set(sets[3])
    assert len(sets[3]) > len(sets[1])
    for d, a in answers.items():
        assert a["total"] == len(a["provisions"]) == sum(a["by_level"].values())
        levels = {p["iri"]: p["level"] for p in a["provisions"]}
        for p in a["provisions"]:
            assert 1 <= p["level"] <= d
            if p["level"] > 1:       # cites a provision found one level up
                assert levels.get(p["via"]) == p["level"] - 1


def test_counterparts_come_from_accepted_mappings(client, accepted):
    a = client.get("/impact", params={"provision": GK196, "depth": 3}).json()
    assert a["counterparts"] and all("/eli/by/" in c["iri"] for c in a["counterparts"])
    with_cp = [p for p in a["provisions"] if p["counterparts"]]
    assert with_cp
    for p in a["provisions"]:
        expected = impact.counterparts_of(p["iri"], accepted)
        assert [c["iri"] for c in p["counterparts"]] == [c["iri"] for c in expected]
        for c in p["counterparts"]:
            assert c["act"] != p["act"]
            held = c.get("via") or p["iri"]
            assert _under(p["iri"], held) and any(x["iri"] == c["iri"] for x in accepted[held])
    assert set(a["jurisdictions"]) == {"ru", "by"}


def test_a_by_provision_impact(client):
    a = client.get("/impact", params={"provision": "eli/by/kodeks/1998/218-z/art_197", "depth": 2}).json()
    assert a["provision"].endswith("/eli/by/kodeks/1998/218-z/art_197")
    assert all("/eli/by/" in p["iri"] for p in a["provisions"])


@pytest.mark.parametrize("params,status", [
    ({"provision": "eli/ru/kodeks/1994/51-fz/art_99999"}, 404), ({"provision": "eli/xx/kodeks/1994/1/art_1"}, 404),
    ({"provision": "eli/ru/kodeks/1994/51-fz"}, 400), ({"provision": GK196, "depth": 0}, 422),
    ({"provision": GK196, "depth": 4}, 422), ({"provision": GK196, "depth": "three"}, 422),
    ({"provision": GK196, "depth": 10**12}, 422), ({"provision": "\x00"}, 400), ({"provision": "x" * 600}, 422),
    ({"provision": "<script>"}, 400), ({}, 422),
])
def test_bad_values_are_problems(client, params, status):
    r = client.get("/impact", params=params)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_depth_bound_in_the_service():
    with pytest.raises(ValueError):
        impact.impact(None, "https://lexmap.org/eli/ru/kodeks/1994/51-fz/art_1", 4, {}, {})


# ------------------------------------------------------------------ reference translation on a redline

def test_translate_references_pairs_through_mappings():
    W, B = "https://lexmap.org/eli/ru/kodeks/1994/51-fz", "https://lexmap.org/eli/by/kodeks/1998/218-z"
    accepted = {f"{W}/art_200": [{"iri": f"{B}/art_201", "relation": "equal", "act": B}],
                f"{B}/art_201": [{"iri": f"{W}/art_200", "relation": "equal", "act": W}]}
    ref = lambda q, s, t: {"quote": q, "start": s, "end": s + len(q), "provision": "p", "targets": t,  # noqa: E731
                           "kind": "internal", "resolved": bool(t)}
    left = [ref("статьей 200 настоящего Кодекса", 10, [f"{W}/art_200__para_1"]),
            ref("статьей 181 настоящего Кодекса", 50, [f"{W}/art_181"]), ref("статьей 5 закона", 90, [])]
    right = [ref("статьей 201 настоящего Кодекса", 12, [f"{B}/art_201"]),
             ref("статьей 182 настоящего Кодекса", 55, [f"{B}/art_182"])]
    out = impact.translate_references(left, right, accepted)
    by_left = {(p["left"] or {}).get("quote"): p for p in out["pairs"]}
    assert by_left["статьей 200 настоящего Кодекса"]["status"] == "mapped"
    assert by_left["статьей 200 настоящего Кодекса"]["mapping"] == {"left": f"{W}/art_200", "right": f"{B}/art_201",
                                                                   "relation": "equal"}
    assert by_left["статьей 181 настоящего Кодекса"]["status"] == "not-mapped"
    assert by_left["статьей 181 настоящего Кодекса"]["right"]["quote"] == "статьей 182 настоящего Кодекса"
    assert by_left["статьей 5 закона"]["status"] == "no-counterpart-reference"
    assert out["counts"] == {"mapped": 1, "not-mapped": 1, "no-counterpart-reference": 1}


def test_diff_of_mapped_provisions_translates_their_references(client, accepted):
    """On the redline of a RU article and its accepted BY counterpart, every reference of both
    texts is listed once, and a "mapped" pair is joined by an accepted mapping."""
    checked = 0
    pairs = sorted((s, o[0]["iri"]) for s, o in accepted.items() if "/eli/ru/kodeks/1994/51-fz/art_" in s
                   and "__" not in s and "__" not in o[0]["iri"])
    for left, right in pairs[:40]:
        lp, rp = "eli/" + left.split("/eli/", 1)[1], "eli/" + right.split("/eli/", 1)[1]
        d = client.get("/diff", params={"left": lp, "right": rp})
        if d.status_code != 200:
            continue
        d = d.json()
        refs = d["references"]
        mine = {side: client.get("/references", params={"source": p}).json()["references"]
                for side, p in (("left", lp), ("right", rp))}
        for side in ("left", "right"):
            listed = sorted(p[side]["start"] for p in refs["pairs"] if p[side])
            assert listed == sorted(r["start"] for r in mine[side])
        for p in refs["pairs"]:
            assert p["status"] in STATUSES
            if p["status"] == "mapped":
                m = p["mapping"]
                assert top_unit_of(p["left"]["targets"][0]) == m["left"] or m["left"] in \
                    {top_unit_of(t) for t in p["left"]["targets"]}
                assert any(c["iri"] == m["right"] for c in accepted[m["left"]])
                checked += 1
    assert checked > 0


def test_diff_page_shows_the_reference_pairs(client):
    import html as html_lib
    params = {"left": GK196, "right": "eli/by/kodeks/1998/218-z/art_197"}
    pairs = client.get("/diff", params=params).json()["references"]["pairs"]
    assert pairs
    page = html_lib.unescape(client.get("/diff", params={**params, "format": "html"}).text)
    assert "Ссылки в текстах" in page
    assert all(f"«{p[side]['quote']}»" in page for p in pairs for side in ("left", "right") if p[side])
