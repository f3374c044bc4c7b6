"""Sign-in on the web page: a reviewer types the API key once; the browser keeps a signed session.

The cookie holds the holder's name, the first 16 hex digits of the key's sha256 and an
expiry, signed with HMAC-SHA256 under a secret kept in the data directory — never the
key. Revoking or replacing the key (`lexmap keys`) ends its sessions. The cookie is
HttpOnly and SameSite=Strict; every form that writes also carries a CSRF token derived
from the session, and a POST whose Origin is another site is refused.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import Request, Response

from . import auth

COOKIE = "lexmap_session"
LIFETIME = 12 * 3600          # a working day; then the key is asked again


@lru_cache(maxsize=8)
def _secret(data_dir: Path) -> bytes:
    """The signing secret of a data directory, made on first use (read once per process)."""
    path = data_dir / "session.secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_hex(32), encoding="ascii")
        tmp.chmod(0o600)
        tmp.replace(path)
    return path.read_text(encoding="ascii").strip().encode()


def _sign(secret: bytes, payload: str) -> str:
    return hmac.new(secret, payload.encode(), hashlib.sha256).hexdigest()


def sign_in(request: Request, response: Response, key: str) -> auth.KeyHolder:
    """Check the key and set the session cookie on `response`; AuthError(401) for an unknown key."""
    settings = request.app.state.settings
    holder, digest = auth.identify(settings.api_keys, key)
    payload = f"{holder.name}.{digest[:16]}.{int(time.time()) + LIFETIME}"
    token = f"{payload}.{_sign(_secret(settings.data_dir), payload)}"
    response.set_cookie(COOKIE, token, max_age=LIFETIME, httponly=True, samesite="strict", path="/",
                        secure=request.url.scheme == "https")
    return holder


def sign_out(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def current(request: Request) -> auth.KeyHolder | None:
    """The signed-in holder, or None (no cookie, bad signature, expired, key revoked)."""
    token = request.cookies.get(COOKIE, "")
    parts = token.split(".")
    if len(parts) != 4:
        return None
    name, prefix, expiry, sig = parts
    settings = request.app.state.settings
    if not hmac.compare_digest(sig, _sign(_secret(settings.data_dir), f"{name}.{prefix}.{expiry}")):
        return None
    if not expiry.isdigit() or int(expiry) < time.time():
        return None
    return auth.holder_of(settings.api_keys, name, prefix)


def csrf_token(request: Request) -> str:
    """The token every writing form carries: bound to the session cookie."""
    token = request.cookies.get(COOKIE, "")
    return _sign(_secret(request.app.state.settings.data_dir), "csrf:" + token)[:32] if token else ""


def check_post(request: Request, form_token: str) -> None:
    """Refuse a cross-site POST: another Origin, or a CSRF token that does not match the session."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host", ""):
        raise auth.AuthError(403, f"a form from {origin} cannot write here")
    expected = csrf_token(request)
    if not expected or not hmac.compare_digest(expected, form_token or ""):
        raise auth.AuthError(403, "the form has expired or came from elsewhere; reload the page and try again")
