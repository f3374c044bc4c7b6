"""Hostile requests to the served app: identifiers, dates, numbers, nesting, bodies, rates,
headers. Each case here answered 500, stalled, or was silently accepted before."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from api import auth
from api.guard import CSP, TokenBuckets
from ingest.config import PROJECT_ROOT
from ingest.identifiers import parse_reference
from ingest.query import InvalidTerm, date_literal, iriref, literal

INJECTIONS = ["a b", "x> . ?s ?p ?o . <y", "eli/ru/kodeks/1994/51-fz> } ASK { ?a ?b ?c . ?d ?e ?f", "abc\r",
              "eli/ru/kodeks/1994/51-fz/art_1\"", "http://evil.example/eli/ru/kodeks/1994/51-fz", "{}", "<>",
              "eli/ru/kodeks/1994/51-fz/2023-02-30/rus"]


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    """(a keys file, {role: key})."""
    path = tmp_path_factory.mktemp("keys") / "api-keys.toml"
    return path, {"editor": auth.add_key(path, "hard-editor", ["editor"]),
                  "reviewer": auth.add_key(path, "hard-reviewer", ["reviewer"])}


# ------------------------------------------------------------------ the query layer

def test_terms_refuse_what_would_break_out_of_sparql():
    for bad in ["a b", "x> . ?s ?p ?o . <y", "urn:x\n", 'urn:"x', "urn:{x}", "relative/path", "", "urn:x\\u003e"]:
        with pytest.raises(InvalidTerm):
            iriref(bad)
    assert iriref("https://lexmap.org/eli/ru/kodeks/1994/51-fz/art_196") == \
        "<https://lexmap.org/eli/ru/kodeks/1994/51-fz/art_196>"
    assert literal('a"b\\c\nd\re') == '"a\\"b\\\\c\\nd\\re"'
    with pytest.raises(InvalidTerm):
        date_literal("2016-02-30")
    with pytest.raises(InvalidTerm):
        literal("x", lang="ru} . ?s ?p ?o")


def test_references_parse_into_identifiers_or_are_refused():
    base = "https://lexmap.org"
    aliases = {"ru-gk-1": "eli/ru/kodeks/1994/51-fz"}
    assert parse_reference("ru-gk-1", base, aliases).path == "eli/ru/kodeks/1994/51-fz"
    assert parse_reference("https://lexmap.org/eli/ru/kodeks/1994/51-fz/art_196", base).eid == "art_196"
    assert parse_reference("ru/kodeks/1994/51-fz/2023-08-04/rus/art_196", base).version == "2023-08-04"
    for bad in INJECTIONS:
        with pytest.raises(ValueError):
            parse_reference(bad, base, aliases)


SPARQL_WORDS = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|WHERE|GRAPH|FILTER|VALUES)\b")


def _raw_interpolations(tree: ast.AST, queries_here: bool) -> list[tuple[int, str]]:
    """f-strings of SPARQL text that put a value between <…> or "…" without the query layer.

    In a module that talks to the store every `<{value}>` counts (fragments of a WHERE
    clause are built apart from their SELECT); elsewhere (HTML, XML messages) only f-strings
    that hold SPARQL keywords do.
    """
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.JoinedStr):
            continue
        text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
        sparql = bool(SPARQL_WORDS.search(text))
        for before, value, after in zip(node.values, node.values[1:], node.values[2:] + [None]):
            if not (isinstance(before, ast.Constant) and isinstance(before.value, str)
                    and isinstance(value, ast.FormattedValue)):
                continue
            opens_iri = before.value.endswith("<") and isinstance(after, ast.Constant) and \
                str(after.value).startswith(">")
            opens_literal = before.value.rstrip(" ").endswith(('"', "'"))
            if (opens_iri and (queries_here or sparql)) or (opens_literal and sparql):
                found.append((node.lineno, ast.unparse(value.value)))
    return found


STORE_CALLS = re.compile(r"\bstore\.(select|ask|update|construct|raw_query)\(")


def test_no_value_reaches_sparql_text_except_through_the_query_layer():
    offenders = []
    for path in sorted(PROJECT_ROOT.joinpath("api").rglob("*.py")) + sorted(PROJECT_ROOT.joinpath("ingest").rglob("*.py")):
        if "query" in path.relative_to(PROJECT_ROOT).parts:
            continue
        source = path.read_text(encoding="utf-8")
        found = _raw_interpolations(ast.parse(source), bool(STORE_CALLS.search(source)))
        offenders += [f"{path.relative_to(PROJECT_ROOT)}:{line}: {expr}" for line, expr in found]
    assert not offenders, "SPARQL built from raw values:\n" + "\n".join(offenders)


# ------------------------------------------------------------------ identifiers, dates, numbers at the edge

@pytest.mark.parametrize("bad", INJECTIONS)
def test_identifier_parameters_answer_4xx(client, bad):
    urls = [("/mappings", {"source": bad}), ("/mappings", {"target": bad}), ("/mappings", {"act": bad}),
            ("/mappings", {"provision": bad}), ("/mappings/export", {"source_act": bad}),
            ("/mappings/suggest", {"source": bad, "target_act": "by-gk"}),
            ("/compare", {"left_act": bad, "right_act": "by-gk"}),
            ("/changes", {"act": bad, "from": "2016-01-01", "to": "2023-01-01"}),
            ("/diff", {"left": bad, "right": "eli/by/kodeks/1998/218-z/art_197"})]
    for url, params in urls:
        r = client.get(url, params=params)
        assert 400 <= r.status_code < 500, (url, params, r.status_code, r.text[:300])
        assert r.headers["content-type"].startswith("application/problem+json"), (url, r.headers["content-type"])


def test_mapping_id_with_control_character_is_refused(client):
    for url in ("/mappings/abc%0D", "/mappings/abc%22%3E"):
        r = client.get(url)
        assert r.status_code in (404, 422), (url, r.status_code, r.text[:200])


@pytest.mark.parametrize("url", ["/acts?date=2016-02-30", "/acts?date=2023-13-45", "/acts?date=0001-01-01",
                                 "/search?q=договор&date=2016-02-30",
                                 "/diff?left=eli/ru/kodeks/1994/51-fz/art_196&right=eli/by/kodeks/1998/218-z/art_197"
                                 "&left_date=2023-13-45",
                                 "/changes?act=ru-gk-1&from=2016-02-30&to=2023-01-01",
                                 "/eli/ru/kodeks/1994/51-fz/art_196?date=2023-02-29"])
def test_impossible_dates_are_refused(client, url):
    r = client.get(url)
    assert r.status_code in (400, 422), (url, r.status_code, r.text[:200])
    assert "date" in r.json()["detail"] or "from" in r.json()["detail"]


def test_real_dates_still_answer(client):
    assert client.get("/acts?date=2024-02-29").status_code == 200
    assert client.get("/eli/ru/kodeks/1994/51-fz/art_196?date=2024-02-29").status_code == 200


@pytest.mark.parametrize("q", ["(" * 250 + "договор" + ")" * 250, "NOT " * 200 + "договор",
                               "(" * 30 + "a" + ")" * 30, "-(" * 100 + "a" + ")" * 100])
def test_deeply_nested_queries_are_refused_not_crashed(client, q):
    r = client.get("/search", params={"q": q})
    assert r.status_code == 400 and "levels deep" in r.json()["detail"], r.text[:200]
    page = client.get("/", params={"q": q}, headers={"Accept": "text/html"})
    assert page.status_code in (200, 400) and "<html" in page.text


@pytest.mark.parametrize("params", [{"limit": "-1"}, {"limit": "1000000"}, {"offset": "-5"},
                                    {"limit": "1e400"}, {"offset": "99999999999999999999999"}])
def test_search_numbers_out_of_range_are_refused(client, params):
    r = client.get("/search", params={"q": "договор", **params})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")


def test_mapping_body_with_huge_numbers_is_refused(own_store, make_client, keys):
    # an editor's key: were a body let through, it would be written to a store of the test's own
    path, k = keys
    with make_client(*own_store, keys=path) as c:
        head = {"Authorization": f"Bearer {k['editor']}"}
        base = {"subject": "eli/ru/kodeks/1994/51-fz/art_200", "object": "eli/by/kodeks/1998/218-z/art_201",
                "relation": "equal", "harmonization": "harmonized"}
        for extra in ({"strength": 1e400}, {"confidence": 1e400}, {"confidence": float("nan")},
                      {"strength": 10 ** 30}, {"confidence": "высокая"}, {"relation": "similar"}, {"extra": 1}):
            r = c.post("/mappings", content=_json({**base, **extra}), headers={**head, "Content-Type": "application/json"})
            assert r.status_code == 422, (extra, r.status_code, r.text[:200])


def _json(body: dict) -> bytes:
    import json
    # json.dumps writes Infinity/NaN for floats out of range, as a hostile client would
    return json.dumps(body).replace("Infinity", "1e400").encode()


# ------------------------------------------------------------------ bodies, keys before parsing, rates

def test_body_over_the_limit_is_refused_before_it_is_read(own_store, make_client, keys):
    path, k = keys
    with make_client(*own_store, keys=path, max_body_bytes=64 * 1024) as c:
        big = b'{"subject": "' + b"x" * (2 << 20) + b'"}'
        # no key: refused before the body is read or parsed, whatever its size
        for body in (big, b"{not json"):
            r = c.post("/mappings", content=body, headers={"Content-Type": "application/json"})
            assert r.status_code == 401
        head = {"Authorization": f"Bearer {k['editor']}", "Content-Type": "application/json"}
        r = c.post("/mappings", content=big, headers=head)
        assert r.status_code == 413 and "limit" in r.json()["detail"]

        def chunks():   # no Content-Length: counted while it streams
            for _ in range(64):
                yield b"x" * 4096
        r = c.post("/mappings", content=chunks(), headers=head)
        assert r.status_code == 413
        r = c.post("/sparql", content=chunks(), headers={"Content-Type": "application/sparql-query"})
        assert r.status_code == 413
        r = c.post("/login", content=chunks(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status_code == 413


def test_write_gate_refuses_unknown_keys_on_every_write_path(client):
    for url in ("/mappings", "/mappings/0123456789abcdef/review"):
        r = client.post(url, content=b"{not json", headers={"Content-Type": "application/json",
                                                             "Authorization": "Bearer lmk_nope"})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_token_buckets_refill():
    b = TokenBuckets(rate=2, window=10.0)
    assert b.take("a", 0.0) == 0 and b.take("a", 0.0) == 0
    assert b.take("a", 0.0) == pytest.approx(5.0)
    assert b.take("b", 0.0) == 0            # another client has its own bucket
    assert b.take("a", 5.0) == 0            # one token back after window/rate seconds


def test_expensive_routes_are_rate_limited_per_client(make_client, keys):
    path, _ = keys
    with make_client(keys=path, rate_limit=3, rate_window=3600.0) as c:
        url = "/changes?act=ru-konst&from=2020-01-01&to=2020-01-02"    # cheap to answer, still counted
        codes = [c.get(url).status_code for _ in range(3)]
        assert 429 not in codes
        r = c.get("/sparql", params={"query": "ASK {}"})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
        assert r.headers["content-type"].startswith("application/problem+json")
        assert c.get("/acts").status_code == 200     # cheap routes are not counted


# ------------------------------------------------------------------ headers, docs, OpenAPI

@pytest.mark.parametrize("url", ["/", "/acts", "/eli/ru/kodeks/1994/51-fz/art_196", "/nope", "/docs",
                                 "/openapi.json", "/static/lexmap.css"])
def test_security_headers_on_every_answer(client, url):
    r = client.get(url)
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "same-origin"
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "unsafe-inline' " not in \
        csp.split("script-src")[1].split(";")[0]


def test_the_page_satisfies_its_policy(client):
    """No inline script, no inline style: what the CSP would block is not in the templates or pages."""
    assert "style-src 'self';" in CSP
    templates = PROJECT_ROOT / "api" / "web" / "templates"
    for t in templates.glob("*.html"):
        text = t.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), t.name
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), t.name
    for url in ("/", "/?q=исковая давность", "/eli/ru/kodeks/1994/51-fz/art_196?format=html",
                "/compare?left_act=ru-gk-1&right_act=by-gk&format=html"):
        html = client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=", html), url
        for href in re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
            assert client.get(href).status_code == 200


def test_docs_work_offline(client):
    html = client.get("/docs").text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts)
    assert "cdn" not in html.lower() and "https://" not in html
    for s in scripts + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html):
        r = client.get(s)
        assert r.status_code == 200 and len(r.content) > 100, s
    assert "SwaggerUIBundle" in client.get("/static/swagger/swagger-ui-bundle.js").text


def test_operation_ids_are_unique(client):
    spec = client.get("/openapi.json").json()
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_limits_come_from_the_environment(monkeypatch):
    from ingest.config import Limits
    monkeypatch.setenv("LEXMAP_SPARQL_TIMEOUT", "2.5")
    monkeypatch.setenv("LEXMAP_MAX_BODY_BYTES", "4096")
    monkeypatch.setenv("LEXMAP_SPARQL_SERVICE_ALLOW", "http://127.0.0.1:1/sparql, http://127.0.0.1:2/sparql")
    limits = Limits.from_env()
    assert limits.sparql_timeout == 2.5 and limits.max_body_bytes == 4096
    assert limits.sparql_service_allow == ("http://127.0.0.1:1/sparql", "http://127.0.0.1:2/sparql")
    monkeypatch.setenv("LEXMAP_SPARQL_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="LEXMAP_SPARQL_TIMEOUT"):
        Limits.from_env()


@pytest.mark.parametrize("value, semantic, expansion", [
    ("1", True, True), ("ON", True, True), (" yes ", True, True), ("true", True, True),
    ("0", False, False), ("Off", False, False), ("no", False, False), ("FALSE", False, False),
    ("", True, False), ("maybe", True, False)])
def test_switches_read_one_spelling_of_on_and_off(monkeypatch, value, semantic, expansion):
    """LEXMAP_SEARCH_SEMANTIC, LEXMAP_SEARCH_RERANK (on by default) and LEXMAP_SEARCH_EXPANSION (off) read
    the same words for on and off; anything else leaves the default."""
    from api import search as S
    monkeypatch.setenv("LEXMAP_SEARCH_SEMANTIC", value)
    monkeypatch.setenv("LEXMAP_SEARCH_EXPANSION", value)
    monkeypatch.setenv("LEXMAP_SEARCH_RERANK", value)
    assert S.semantic_enabled() is semantic and S.expansion_enabled() is expansion
    assert S.rerank_enabled() is semantic          # on by default, like the dense blend


QUERY_FORM = re.compile(r"\b(SELECT\b[\s\S]*\bWHERE|ASK\s*\{|CONSTRUCT\s*\{|DESCRIBE\s|INSERT\s+(DATA|\{)|DELETE\s+(DATA|WHERE|\{)"
                        r"|DROP\s+(SILENT\s+)?GRAPH)")
# the store backends write N-Triples payloads (their own storage primitive) and the public
# endpoint handles the queries strangers send; everything else asks through the catalogue
QUERY_TEXT_ALLOWED = {"ingest/store.py", "api/sparql_endpoint.py"}


def test_sparql_is_written_only_in_the_query_catalogue():
    offenders = []
    for path in sorted(PROJECT_ROOT.joinpath("api").rglob("*.py")) + sorted(PROJECT_ROOT.joinpath("ingest").rglob("*.py")):
        rel = str(path.relative_to(PROJECT_ROOT))
        if rel.startswith("ingest/query/") or rel in QUERY_TEXT_ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
            else:
                continue
            if QUERY_FORM.search(text) and ("?" in text or "<" in text or "{" in text):
                offenders.append(f"{rel}:{node.lineno}: {text.strip()[:80]!r}")
    assert not offenders, "SPARQL written outside ingest/query/sparql/*.rq:\n" + "\n".join(offenders)


def test_every_named_query_is_used_and_every_use_names_a_query():
    from ingest.query import catalog
    sources = "\n".join(p.read_text(encoding="utf-8") for root in ("api", "ingest", "bench")
                        for p in PROJECT_ROOT.joinpath(root).rglob("*.py"))
    called = set(re.findall(r"""\b(?:select|ask|construct|update|_select|_update|named)\(\s*(?:[\w.]+,\s*)?["'](\w+)["']""",
                            sources))
    assert called, "no named query found in the code"
    assert called <= set(catalog.names()), f"named queries that do not exist: {sorted(called - set(catalog.names()))}"
    unused = {n for n in catalog.names() if f'"{n}"' not in sources and f"'{n}'" not in sources}
    assert not unused, f"queries nobody asks: {sorted(unused)}"
