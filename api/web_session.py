"""Sign-in on the web page: a reviewer types the API key once; the browser keeps a signed session.

The cookie is `<payload>.<signature>`: the payload is base64url (no padding) of the JSON
{"n": holder name, "k": first 16 hex digits of the key's sha256, "e": expiry (Unix seconds),
"s": random session id}, the signature the hex HMAC-SHA256 of "session:" + payload under a
secret kept in the data directory — never the key. Base64url has no ".", so any holder name
survives. Revoking or replacing the key (`lexmap keys`) ends its sessions; signing out puts the
session id on a revocation list (data directory, revoked-sessions.json), so a saved copy of the
cookie stops working too. The cookie is HttpOnly and SameSite=Strict; every form that writes
also carries a CSRF token derived from the session, and a POST from another Origin (or
`Origin: null`, or, without Origin, another Referer) is refused.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, Response

from . import auth

COOKIE = "lexmap_session"
LIFETIME = 12 * 3600          # a working day; then the key is asked again
REVOKED_FILE = "revoked-sessions.json"
_B64URL = re.compile(r"^[A-Za-z0-9_-]+$")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Session:
    """What a valid cookie says: whose key (name and digest prefix), until when, which session."""

    name: str
    prefix: str
    expiry: int
    sid: str


@lru_cache(maxsize=8)
def _secret(data_dir: Path) -> bytes:
    """The signing secret of a data directory, made on first use (read once per process)."""
    path = data_dir / "session.secret"
    if not path.exists():
        # link, not rename: when two workers start at once the first secret wins and both read it
        tmp = path.with_name(f".session.secret.{secrets.token_hex(8)}")
        auth.write_atomically(tmp, secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text(encoding="ascii").strip().encode()


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


# ------------------------------------------------------------------ the cookie

def _encode(secret: bytes, session: Session) -> str:
    data = {"n": session.name, "k": session.prefix, "e": session.expiry, "s": session.sid}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    payload = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
    return f"{payload}.{_sign(secret, 'session:' + payload)}"


def _decode(secret: bytes, token: str) -> Session | None:
    """The session of a well-formed cookie with a good signature (expired or not), else None."""
    payload, _, sig = token.rpartition(".")
    if not _B64URL.match(payload) or not _HEX64.match(sig):
        return None
    if not hmac.compare_digest(sig, _sign(secret, "session:" + payload)):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (binascii.Error, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    name, prefix, expiry, sid = data.get("n"), data.get("k"), data.get("e"), data.get("s")
    if not (isinstance(name, str) and isinstance(prefix, str) and _HEX16.match(prefix)
            and type(expiry) is int and isinstance(sid, str) and sid):
        return None
    return Session(name, prefix, expiry, sid)


def _session(request: Request) -> Session | None:
    """The unexpired session of the request's cookie (revoked or not)."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    session = _decode(_secret(request.app.state.ctx.settings.data_dir), token)
    if session is None or session.expiry < time.time():
        return None
    return session


# ------------------------------------------------------------------ the revocation list

def _revoked_path(data_dir: Path) -> Path:
    return data_dir / REVOKED_FILE


def _parse_revoked(path: Path, raw: bytes) -> dict[str, int]:
    try:
        data = json.loads(raw or b"{}")
    except ValueError as exc:
        line = getattr(exc, "lineno", None)
        raise _revoked_error(path, line, getattr(exc, "colno", None), str(exc).split(":")[0]) from None
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise _revoked_error(path, None, None, "it must be an object of session id -> expiry")
    return data


def _revoked_error(path: Path, line: int | None, column: int | None, problem: str) -> auth.AuthFileError:
    return auth.AuthFileError("session revocation list", path, line, column, problem,
                              "remove the file (sessions signed out before then work again until they expire)")


# path -> (mtime/size/inode stamp, revoked session ids): re-read only when the file changed
_revoked_cache: dict[Path, tuple[tuple, dict[str, int]]] = {}


def _revoked(data_dir: Path) -> dict[str, int]:
    """The revoked session ids -> their expiry; AuthFileError when the list is damaged."""
    path = _revoked_path(data_dir)
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)
    hit = _revoked_cache.get(path)
    if hit is None or hit[0] != stamp:
        with path.open("rb") as fh:
            st = os.fstat(fh.fileno())
            hit = ((st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns), _parse_revoked(path, fh.read()))
        _revoked_cache[path] = hit
    return hit[1]


def revoke(data_dir: Path, session: Session) -> None:
    """Put the session on the revocation list, dropping entries whose cookies have expired anyway."""
    path = _revoked_path(data_dir)
    with auth.locked(path):
        try:
            entries = _parse_revoked(path, path.read_bytes())
        except FileNotFoundError:
            entries = {}
        now = time.time()
        entries = {sid: expiry for sid, expiry in entries.items() if expiry >= now}
        entries[session.sid] = session.expiry
        auth.write_atomically(path, json.dumps(entries, sort_keys=True))


# ------------------------------------------------------------------ sign in and out

def sign_in(request: Request, response: Response, key: str) -> auth.KeyHolder:
    """Check the key and set the session cookie on `response`; AuthError(401) for an unknown key."""
    settings = request.app.state.ctx.settings
    holder, digest = auth.identify(settings.api_keys, key)
    session = Session(holder.name, digest[:16], int(time.time()) + LIFETIME, secrets.token_urlsafe(16))
    response.set_cookie(COOKIE, _encode(_secret(settings.data_dir), session), max_age=LIFETIME, httponly=True,
                        samesite="strict", path="/", secure=request.url.scheme == "https")
    return holder


def sign_out(request: Request, response: Response) -> None:
    """End the request's session on the server (a saved cookie stops working) and delete the cookie."""
    session = _session(request)
    if session is not None:
        revoke(request.app.state.ctx.settings.data_dir, session)
    response.delete_cookie(COOKIE, path="/")


def current(request: Request) -> auth.KeyHolder | None:
    """The signed-in holder, or None (no cookie, bad signature, expired, signed out, key revoked)."""
    session = _session(request)
    if session is None:
        return None
    settings = request.app.state.ctx.settings
    if session.sid in _revoked(settings.data_dir):
        return None
    return auth.holder_of(settings.api_keys, session.name, session.prefix)


# ------------------------------------------------------------------ forms

def csrf_token(request: Request) -> str:
    """The token every writing form carries: bound to the session cookie."""
    token = request.cookies.get(COOKIE, "")
    return _sign(_secret(request.app.state.ctx.settings.data_dir), "csrf:" + token)[:32] if token else ""


def _same_host(request: Request, url: str) -> bool:
    return urlsplit(url).netloc.lower() == request.headers.get("host", "").lower()


def check_post(request: Request, form_token: str) -> None:
    """Refuse a cross-site POST: another or an opaque (`null`) Origin, without Origin a Referer of
    another site, or a CSRF token that does not match the session."""
    origin = request.headers.get("origin")
    if origin is not None:
        if origin.strip().lower() == "null" or not _same_host(request, origin):
            raise auth.AuthError(403, f"a form from {origin} cannot write here")
    else:
        referer = request.headers.get("referer")
        if referer and not _same_host(request, referer):
            raise auth.AuthError(403, f"a form on {urlsplit(referer).netloc or referer} cannot write here")
    expected = csrf_token(request)
    given = (form_token or "").encode("utf-8", "replace")
    if not expected or not hmac.compare_digest(expected.encode(), given):
        raise auth.AuthError(403, "the form has expired or came from elsewhere; reload the page and try again")
