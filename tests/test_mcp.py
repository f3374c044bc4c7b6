"""The MCP server, driven by the SDK's own client: over stdio (`lexmap mcp` as a child process
on a snapshot of the loaded store) and over streamable HTTP (/mcp of the app served by uvicorn
on 127.0.0.1). Every tool's answer is checked against the HTTP API's answer to the same
question; bad arguments come back as tool errors and the server keeps answering."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamablehttp_client

from api import mcp_server
from tests.conftest import CORPUS, free_port

RU_GK = "eli/ru/kodeks/1994/51-fz"
BY_GK = "eli/by/kodeks/1998/218-z"
TOOLS = {"search", "resolve_citation", "get_provision", "get_counterparts", "compare_provisions", "gap_analysis",
         "changes_between_redactions", "references", "cited_by"}


@pytest.fixture(scope="module")
def expected(client):
    """What the HTTP API answers to the questions the tools are asked."""
    art = client.get(f"/{RU_GK}/art_196").json()
    act = client.get(f"/{RU_GK}").json()
    dates = sorted(r["date"] for r in act["redactions"])
    return {
        "art": art, "act": act, "dates": dates,
        "search": client.get("/search", params={"q": "исковая давность", "jurisdiction": "by", "limit": 5}).json(),
        "resolve": client.get("/resolve", params={"cite": "ч. 2 ст. 81 ТК РФ"}).json(),
        "diff": client.get("/diff", params={"left": f"{RU_GK}/art_196", "right": f"{BY_GK}/art_197"}).json(),
        "compare": client.get("/compare", params={"left_act": "ru-gk-1", "right_act": "by-gk"}).json(),
        "changes": client.get("/changes", params={"act": "ru-gk-1", "from": dates[0], "to": dates[1]}).json(),
        "refs": client.get("/references", params={"source": f"{RU_GK}/art_196"}).json(),
        "cited": client.get("/references", params={"target": f"{RU_GK}/art_196"}).json(),
        "big": client.get(f"/{RU_GK}/sec_1").json(),
    }


async def _call(session: ClientSession, name: str, **args) -> dict:
    result = await session.call_tool(name, args)
    assert not result.isError, result.content[0].text
    return result.structuredContent


async def _error(session: ClientSession, name: str, **args) -> str:
    result = await session.call_tool(name, args)
    assert result.isError, f"{name}({args}) should be an error: {result.structuredContent}"
    return result.content[0].text


async def scenario(session: ClientSession, exp: dict, base_iri: str) -> None:
    await session.initialize()
    tools = (await session.list_tools()).tools
    assert {t.name for t in tools} == TOOLS
    for t in tools:      # described in Russian and in English, read-only
        assert any("а" <= c <= "я" for c in t.description.lower()) and any("a" <= c <= "z" for c in t.description)
        assert t.annotations.readOnlyHint is True

    found = await _call(session, "search", q="исковая давность", jurisdiction=["by"], limit=5)
    assert [r["iri"] for r in found["results"]] == [r["iri"] for r in exp["search"]["results"]]
    assert found["total"] == exp["search"]["total"]

    cited = await _call(session, "resolve_citation", cite="ч. 2 ст. 81 ТК РФ")
    assert cited["eli"] == exp["resolve"]["eli"]

    art = await _call(session, "get_provision", eli=f"{RU_GK}/art_196")
    assert art["text"] == exp["art"]["full_text"] and art["redaction"] == exp["art"]["redaction"]
    assert art["sha256"] == hashlib.sha256(art["text"].encode("utf-8")).hexdigest()
    assert art["eli"] == f"{RU_GK}/art_196" and art["title"] == exp["art"]["title"]
    old = await _call(session, "get_provision", eli=f"{base_iri}/{RU_GK}/art_196", date=exp["dates"][0])
    assert old["redaction"] == exp["dates"][0]

    act = await _call(session, "get_provision", eli="ru-gk-1")      # an act: its contents, never its text
    assert act["text"] is None and act["parts_total"] == len(exp["act"]["contents"])
    sec = await _call(session, "get_provision", eli=f"{RU_GK}/sec_1")
    assert [p["eli"] for p in sec["parts"]] == [c["iri"].removeprefix(base_iri + "/") for c in exp["big"]["children"]]

    counter = await _call(session, "get_counterparts", eli=f"{RU_GK}/art_196")
    assert {c["mapping"] for c in counter["counterparts"]} == {m["id"] for m in exp["art"]["mappings"]}
    first = counter["counterparts"][0]
    m = next(x for x in exp["art"]["mappings"] if x["id"] == first["mapping"])
    assert (first["relation"], first["harmonization"], first["review_status"], first["confidence"]) == \
        (m["relation"], m["harmonization"], m["lifecycle"], m["confidence"])

    red = await _call(session, "compare_provisions", left=f"{RU_GK}/art_196", right=f"{BY_GK}/art_197")
    assert red["similarity"] == exp["diff"]["similarity"] and red["stats"] == exp["diff"]["stats"]
    assert red["passages_total"] == sum(1 for o in exp["diff"]["ops"] if o["op"] != "equal")
    assert [p["inserted"] for p in red["passages"]] == [o["right"] for o in exp["diff"]["ops"] if o["op"] != "equal"]

    gap = await _call(session, "gap_analysis", left_act="ru-gk-1", right_act="by-gk", limit=5, offset=5)
    assert gap["summary"] == exp["compare"]["summary"] and gap["total"] == len(exp["compare"]["pairs"])
    assert [r["left"]["label"] for r in gap["rows"]] == [p["left"]["label"] for p in exp["compare"]["pairs"][5:10]]
    missing = await _call(session, "gap_analysis", left_act="ru-gk-1", right_act="by-gk", status="missing", limit=100)
    assert missing["total"] == exp["compare"]["summary"]["missing"] and {r["status"] for r in missing["rows"]} <= {"missing"}

    ch = await _call(session, "changes_between_redactions", act="ru-gk-1", date_from=exp["dates"][0],
                     date_to=exp["dates"][1], kind="changed", limit=100)
    assert ch["summary"] == exp["changes"]["summary"] and ch["total"] == exp["changes"]["summary"]["changed"]
    assert [r["eli"] for r in ch["rows"]] == [f"{RU_GK}/{x['eid']}" for x in exp["changes"]["changed"][:100]]

    refs = await _call(session, "references", eli=f"{RU_GK}/art_196", limit=100)
    assert refs["total"] == len(exp["refs"]["references"])
    by = await _call(session, "cited_by", eli=f"{RU_GK}/art_196", limit=100)
    assert by["total"] == len(exp["cited"]["references"])

    # resources addressed by their ELI IRI
    templates = (await session.list_resource_templates()).resourceTemplates
    assert any(t.uriTemplate.endswith("/eli/{jurisdiction}/{type}/{year}/{number}/{eid}") for t in templates)
    res = await session.read_resource(f"{base_iri}/{RU_GK}/art_196")
    body = json.loads(res.contents[0].text)
    assert body["sha256"] == art["sha256"] and body["text"] == art["text"]

    # bad arguments: tool errors worded as the API's problems, never a crash
    assert (await _error(session, "get_provision", eli=f"{RU_GK}/art_99999")).find("404") >= 0
    assert "400 Invalid date" in await _error(session, "get_provision", eli=f"{RU_GK}/art_196", date="2023-13-45")
    assert await _error(session, "get_provision", eli=f"{RU_GK}/art_1>")
    assert await _error(session, "get_provision", eli="")
    assert await _error(session, "search", q="исковая давность", limit=500)
    assert "400" in await _error(session, "search", q="(((договор")
    assert "400" in await _error(session, "search", q="договор", jurisdiction=["xx"])
    assert await _error(session, "search", q="договор", offset=5000)
    assert "404" in await _error(session, "resolve_citation", cite="ст. 99999 ГК РФ")
    assert "400" in await _error(session, "compare_provisions", left=RU_GK, right=f"{BY_GK}/art_197")
    assert await _error(session, "compare_provisions", left=f"{RU_GK}/art_196", right=f"{BY_GK}/art_197", mode="chars")
    assert "404" in await _error(session, "gap_analysis", left_act="ru-gk-1", right_act="nothing")
    assert "400" in await _error(session, "changes_between_redactions", act="ru-gk-1", date_from=exp["dates"][1],
                                 date_to=exp["dates"][0])
    assert await _error(session, "get_counterparts", eli="eli/ru/kodeks/1994/51-fz/art_1\u0000")
    assert await _error(session, "no_such_tool")
    with pytest.raises(Exception):
        await session.read_resource(f"{base_iri}/{RU_GK}/art_99999")
    # and it still answers
    again = await _call(session, "get_provision", eli=f"{RU_GK}/art_196")
    assert again["sha256"] == art["sha256"]


def test_stdio(loaded, indexes, expected, tmp_path):
    settings, store = loaded
    data = tmp_path / "data"
    store.snapshot(data / "store")
    shutil.copytree(settings.index_dir / "tantivy", data / "index" / "tantivy")
    env = {**os.environ, "LEXMAP_DATA_DIR": str(data), "LEXMAP_CORPUS_ROOT": str(CORPUS),
           "LEXMAP_SEARCH_BACKEND": "tantivy", "LEXMAP_BASE_IRI": settings.base_iri}
    params = StdioServerParameters(command=str(Path(sys.executable).parent / "lexmap"), args=["mcp"], env=env)

    async def main() -> None:
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await scenario(session, expected, settings.base_iri)

    anyio.run(main)


def test_streamable_http(loaded, indexes, expected):
    import uvicorn

    from api.app import create_app
    settings, store = loaded
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store, indexes["tantivy"]), host="127.0.0.1",
                                           port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
            time.sleep(0.05)

        async def main() -> None:
            async with streamablehttp_client(f"http://127.0.0.1:{port}/mcp", timeout=120) as (read, write, _), \
                    ClientSession(read, write) as session:
                await scenario(session, expected, settings.base_iri)

        anyio.run(main)
    finally:
        server.should_exit = True
        thread.join(30)


def test_a_text_over_the_cap_is_not_sent(client, monkeypatch):
    """Section-sized answers: past MAX_TEXT characters a provision answers its parts, not its text."""
    data = client.get(f"/{RU_GK}/art_196").json()
    assert mcp_server.section(data)["text"] == data["full_text"]
    monkeypatch.setattr(mcp_server, "MAX_TEXT", len(data["full_text"]) - 1)
    cut = mcp_server.section(data)
    assert cut["text"] is None and cut["sha256"] is None and cut["text_chars"] == len(data["full_text"])
    assert "note" in cut and [p["eli"] for p in cut["parts"]] == [c["iri"].removeprefix(
        client.app.state.ctx.settings.base_iri + "/") for c in data["children"]]


def test_endpoint_follows_the_app_lifespan(make_client):
    """/mcp answers while the app runs, each time it is started, and says why when it is not."""
    c = make_client()
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    headers = {"accept": "application/json, text/event-stream"}
    r = c.post("/mcp", json=init, headers=headers)
    assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json")
    for _ in range(2):
        with c:
            r = c.post("/mcp", json=init, headers=headers)
            assert r.status_code == 200, r.text[:300]
            assert r.json()["result"]["serverInfo"]["name"] == "lexmap"
