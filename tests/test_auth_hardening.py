"""Hardening of API keys and page sessions: labels that are escaped and checked, a keys file written
whole under a lock, a damaged keys file reported (never a 500), session cookies that survive "."
in names and are revoked on the server at logout, and `Origin: null` refused.

The app-level tests use a tiny empty store: sign-in, logout and the checks in front of a write
need no acts."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from api import auth, web_session
from api.cli import main as cli_main

from .conftest import make_settings

ROOT = Path(__file__).resolve().parent.parent
WRITE = {"subject": "eli/ru/konst/1993/1993-12-12/art_1", "object": "eli/by/konst/1994/1994-03-15/art_1",
         "relation": "equal", "harmonization": "harmonized", "confidence": 0.9}


# ------------------------------------------------------------------ labels and the file format

@pytest.mark.parametrize("label", ["Отдел\\Юристы", 'ООО "Ромашка"', 'a\\"b', "\\\\server\\share",
                                   '" [[key]] name = "evil'])
def test_labels_with_backslashes_and_quotes_round_trip(tmp_path, label):
    path = tmp_path / "k.toml"
    key = auth.add_key(path, "gina", ["editor"], label)
    auth.add_key(path, "hugo", ["reviewer"], "Hugo")
    tomllib.loads(path.read_text(encoding="utf-8"))             # still a valid TOML file
    assert {r["name"]: r["label"] for r in auth.load_keys(path)} == {"gina": label, "hugo": "Hugo"}
    assert auth.authenticate(path, key, "editor").label == label
    assert auth.revoke_key(path, "hugo") and [r["label"] for r in auth.load_keys(path)] == [label]


def test_cli_label_with_a_backslash_keeps_the_file_usable(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LEXMAP_API_KEYS", str(tmp_path / "k.toml"))
    assert cli_main(["keys", "add", "gina", "--role", "editor", "--label", "Отдел\\Юристы"]) == 0
    capsys.readouterr()
    assert cli_main(["keys", "list"]) == 0
    assert "Отдел\\Юристы" in capsys.readouterr().out
    assert cli_main(["keys", "revoke", "gina"]) == 0


@pytest.mark.parametrize("label", ['x"\n[[key]]\nname = "evil"', "line\nbreak", "cr\rhere", "tab\there", "nul\x00",
                                   "del\x7f", "sep\u2028", "surrogate\udcff", "я" * 201])
def test_labels_with_line_breaks_control_characters_or_too_long_are_refused(tmp_path, label):
    path = tmp_path / "k.toml"
    auth.add_key(path, "hugo", ["reviewer"], "Hugo")
    before = path.read_bytes()
    with pytest.raises(ValueError, match="label"):
        auth.add_key(path, "gina", ["editor"], label)
    assert path.read_bytes() == before and [r["name"] for r in auth.load_keys(path)] == ["hugo"]


def test_keys_file_is_private_and_replaced_whole_on_add_and_revoke(tmp_path):
    path = tmp_path / "k.toml"
    auth.add_key(path, "gina", ["editor"], "G")
    auth.add_key(path, "hugo", ["editor"], "H")
    for change in (lambda: auth.add_key(path, "ivan", ["editor"]), lambda: auth.revoke_key(path, "gina")):
        inode = path.stat().st_ino
        change()
        assert path.stat().st_ino != inode          # a new file renamed over the old, not rewritten in place
        assert path.stat().st_mode & 0o777 == 0o600
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]   # no temporary left behind


# ------------------------------------------------------------------ a damaged keys file

def _damaged(tmp_path: Path) -> tuple[Path, str]:
    """A keys file with one good key, then a line pasted in by hand (line 8)."""
    path = tmp_path / "k.toml"
    key = auth.add_key(path, "gina", ["editor"], "G")
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") == 7
    path.write_text(text + 'label = "Отдел\\Юристы"\n', encoding="utf-8")
    return path, key


def test_damaged_keys_file_names_the_line_and_what_to_do(tmp_path):
    path, key = _damaged(tmp_path)
    with pytest.raises(auth.KeysFileError) as caught:
        auth.check_keys_file(path)
    message = str(caught.value)
    assert str(path) in message and "line 8" in message and caught.value.line == 8
    assert "fix or remove" in message and "lexmap keys list" in message
    assert isinstance(caught.value, ValueError)
    with pytest.raises(auth.KeysFileError):
        auth.authenticate(path, key, "editor")          # requests see the same error, not a TOML one
    with pytest.raises(auth.KeysFileError):
        auth.add_key(path, "hugo", ["editor"])          # a damaged file is never rewritten
    assert 'label = "Отдел\\Юристы"' in path.read_text(encoding="utf-8")
    auth.check_keys_file(tmp_path / "missing.toml")     # no file: nothing to complain about


def test_malformed_record_is_placed_on_its_table(tmp_path):
    path = tmp_path / "k.toml"
    auth.add_key(path, "gina", ["editor"])
    path.write_text(path.read_text(encoding="utf-8") + '\n[[key]]\nname = "hugo"\nroles = "editor"\n',
                    encoding="utf-8")
    with pytest.raises(auth.KeysFileError, match="line 9"):
        auth.check_keys_file(path)


def test_cli_keys_list_on_a_damaged_file_exits_2(tmp_path, monkeypatch, capsys):
    path, _ = _damaged(tmp_path)
    monkeypatch.setenv("LEXMAP_API_KEYS", str(path))
    assert cli_main(["keys", "list"]) == 2
    err = capsys.readouterr().err
    assert "line 8" in err and "fix or remove" in err
    assert cli_main(["keys", "revoke", "gina"]) == 2


# ------------------------------------------------------------------ concurrent writers

_WRITER = """
import sys
from pathlib import Path
from api import auth
path, me = Path(sys.argv[1]), sys.argv[2]
for i in range(40):
    auth.add_key(path, f"{me}-{i}", ["editor"], f"{me} №{i}")
    if i % 2:
        assert auth.revoke_key(path, f"{me}-{i}")
"""


def test_concurrent_add_and_revoke_lose_nothing_and_never_refuse_a_stable_key(tmp_path):
    path = tmp_path / "k.toml"
    stable = auth.add_key(path, "stable", ["editor"], "Stable")
    writers = [subprocess.Popen([sys.executable, "-c", _WRITER, str(path), name], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True) for name in ("w1", "w2")]
    failures, checks = [], 0
    while any(w.poll() is None for w in writers) or checks < 50:
        try:
            auth.authenticate(path, stable, "editor")
        except Exception as exc:            # noqa: BLE001 - any failure counts (401, parse error)
            failures.append(repr(exc))
        checks += 1
    for w in writers:
        assert w.wait(timeout=120) == 0, w.stderr.read()
    assert failures == [], f"{len(failures)} of {checks} checks failed: {failures[:3]}"
    names = sorted(r["name"] for r in auth.load_keys(path))
    assert names == sorted(["stable"] + [f"{w}-{i}" for w in ("w1", "w2") for i in range(0, 40, 2)])
    # the parsed file is cached, yet a key replaced within one clock tick (same size) is refused at once
    auth.add_key(path, "stable", ["editor"], "Stable")
    with pytest.raises(auth.AuthError):
        auth.authenticate(path, stable, "editor")


# ------------------------------------------------------------------ the app: 503, sessions, origins

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(app, keys path, keys): the app over an empty store, keys for a dotted name and an editor."""
    from api.app import create_app
    from ingest.index.indexer import open_backend
    from ingest.store import open_store
    tmp = tmp_path_factory.mktemp("hardening")
    path = tmp / "keys.toml"
    base = make_settings(tmp)
    settings = replace(base, extra={**base.extra, "api_keys": str(path)})
    store, backend = open_store(settings), open_backend(settings, "tantivy")
    keys = {"dotted": auth.add_key(path, "anna.k", ["editor", "reviewer"], "Анна К."),
            "editor": auth.add_key(path, "ed", ["editor"], "Ed")}
    yield create_app(settings, store, backend), path, keys
    backend.close()
    store.close()


def _sign_in(app, key: str) -> TestClient:
    c = TestClient(app, raise_server_exceptions=False)
    r = c.post("/login", data={"key": key, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def _csrf(app, cookie: str) -> str:
    """The CSRF token the page would put in its forms for this session cookie."""
    scope = {"type": "http", "app": app, "headers": [(b"cookie", f"{web_session.COOKIE}={cookie}".encode())]}
    return web_session.csrf_token(Request(scope))


def test_dotted_name_signs_in_and_stays_signed_in(tiny):
    app, _, keys = tiny
    c = _sign_in(app, keys["dotted"])
    for _ in range(2):
        assert "Вы вошли: Анна К." in c.get("/").text
    r = c.post("/page/mappings", data={**WRITE, "confidence": "0.9",
                                       "csrf": _csrf(app, c.cookies[web_session.COOKIE])},
               follow_redirects=False)
    assert r.status_code not in (401, 403), r.text   # past the session and CSRF checks (the store is empty)


def test_logout_revokes_a_saved_copy_of_the_cookie(tiny):
    app, _, keys = tiny
    c = _sign_in(app, keys["editor"])
    saved = c.cookies[web_session.COOKIE]
    csrf = _csrf(app, saved)
    assert "Вы вошли" in c.get("/").text
    assert c.post("/logout", data={"next": "/"}, follow_redirects=False).status_code == 303
    replay = TestClient(app, raise_server_exceptions=False, cookies={web_session.COOKIE: saved})
    assert "Вы вошли" not in replay.get("/").text
    r = replay.post("/page/mappings", data={**WRITE, "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 401
    # other sessions of the same key go on
    other = _sign_in(app, keys["editor"])
    assert "Вы вошли" in other.get("/").text


def test_origin_null_and_foreign_referer_are_refused(tiny):
    app, _, keys = tiny
    c = _sign_in(app, keys["editor"])
    data = {**WRITE, "csrf": _csrf(app, c.cookies[web_session.COOKIE])}
    for headers in ({"Origin": "null"}, {"Origin": "https://evil.example"},
                    {"Referer": "https://evil.example/form.html"}):
        r = c.post("/page/mappings", data=data, headers=headers, follow_redirects=False)
        assert r.status_code == 403, (headers, r.status_code)
    for headers in ({"Origin": "http://testserver"}, {"Referer": "http://testserver/eli/x"}, {}):
        r = c.post("/page/mappings", data=data, headers=headers, follow_redirects=False)
        assert r.status_code not in (401, 403), (headers, r.text)


def test_forged_or_garbled_cookies_are_signed_out_not_500(tiny):
    app, _, _ = tiny
    c = TestClient(app, raise_server_exceptions=False)
    for cookie in (b"x", b"a.b.c.d", b"a.b.c.\xe9", b"e30.", b"e30." + b"0" * 64, b"\xd1\x91.\xd0\xb6"):
        r = c.get("/", headers={"cookie": web_session.COOKIE.encode() + b"=" + cookie})
        assert r.status_code == 200 and "Вы вошли" not in r.text, cookie


def test_damaged_keys_file_is_a_503_problem_not_a_500(tiny):
    app, path, keys = tiny
    c = _sign_in(app, keys["editor"])
    good = path.read_text(encoding="utf-8")
    try:
        path.write_text(good + "label = \"Отдел\\Юристы\"\n", encoding="utf-8")
        r = c.post("/mappings", json=WRITE, headers={"Authorization": f"Bearer {keys['editor']}"})
        assert r.status_code == 503 and r.headers["content-type"].startswith("application/problem+json"), r.text
        assert "line" in r.json()["detail"] and "fix or remove" in r.json()["detail"]
        page = c.get("/")                       # a signed-in page view: the same answer
        assert page.status_code == 503
    finally:
        path.write_text(good, encoding="utf-8")
