"""API keys for writes: who may propose mappings (editor) and who may review them (reviewer).

Keys live in a TOML file (LEXMAP_API_KEYS, default var/api-keys.toml) as the
sha256 of each key, never the key itself: `lexmap keys add NAME --role editor`
prints a new random key once. A key is 256 bits from `secrets`, so a plain
sha256 (no slow KDF) is enough, as for GitHub or PyPI tokens. Reads stay open.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROLES = ("editor", "reviewer")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")


@dataclass(frozen=True)
class KeyHolder:
    """The person or program a key belongs to."""

    name: str
    roles: tuple[str, ...]
    label: str = ""

    def agent_iri(self, base_iri: str) -> str:
        return f"{base_iri}/agent/{self.name}"


class AuthError(Exception):
    """401 (no or unknown key) or 403 (key without the role)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def load_keys(path: Path) -> list[dict]:
    """The key records of the file (empty when it does not exist)."""
    if not path.exists():
        return []
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return list(data.get("key", []))


def _dump(records: list[dict]) -> str:
    out = ["# lexmap API keys: sha256 of each key, never the key. Managed by `lexmap keys`.\n"]
    for r in records:
        roles = ", ".join(f'"{x}"' for x in r["roles"])
        label = r.get("label", "").replace('"', "'")
        out.append(f'[[key]]\nname = "{r["name"]}"\nlabel = "{label}"\nroles = [{roles}]\nsha256 = "{r["sha256"]}"\n')
    return "\n".join(out)


def add_key(path: Path, name: str, roles: list[str], label: str = "") -> str:
    """Create a key for `name` with `roles`; returns the key (shown once)."""
    if not _NAME.match(name):
        raise ValueError(f"name {name!r}: use 2-40 lower-case letters, digits, '.', '_' or '-'")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"roles must be among {', '.join(ROLES)}")
    records = [r for r in load_keys(path) if r["name"] != name]
    key = "lmk_" + secrets.token_urlsafe(32)
    records.append({"name": name, "label": label, "roles": sorted(set(roles)), "sha256": _digest(key)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(_dump(records), encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return key


def revoke_key(path: Path, name: str) -> bool:
    records = load_keys(path)
    kept = [r for r in records if r["name"] != name]
    if len(kept) == len(records):
        return False
    path.write_text(_dump(kept), encoding="utf-8")
    return True


def _holder(record: dict) -> KeyHolder:
    return KeyHolder(record["name"], tuple(record.get("roles", ())), record.get("label", ""))


def identify(path: Path, key: str | None) -> tuple[KeyHolder, str]:
    """(holder, sha256 of the key) of a known key, whatever its roles; AuthError(401) otherwise."""
    if not key:
        raise AuthError(401, "no key given")
    digest = _digest(key.strip())
    for r in load_keys(path):
        if hmac.compare_digest(digest, str(r.get("sha256", ""))):
            return _holder(r), digest
    raise AuthError(401, "unknown API key")


def holder_of(path: Path, name: str, digest_prefix: str) -> KeyHolder | None:
    """The holder named `name` whose key digest still starts with `digest_prefix` (a session of a
    revoked or replaced key finds nobody)."""
    for r in load_keys(path):
        if r.get("name") == name and hmac.compare_digest(str(r.get("sha256", ""))[:len(digest_prefix)], digest_prefix):
            return _holder(r)
    return None


def authenticate(path: Path, key: str | None, role: str) -> KeyHolder:
    """The holder of `key` if it has `role`; AuthError otherwise."""
    if not key:
        raise AuthError(401, "this write needs an API key: send 'Authorization: Bearer <key>' (see `lexmap keys add`)")
    digest = _digest(key)
    for r in load_keys(path):
        if hmac.compare_digest(digest, str(r.get("sha256", ""))):
            holder = _holder(r)
            if role not in holder.roles:
                raise AuthError(403, f"the key of {holder.name} has roles {', '.join(holder.roles) or 'none'}; "
                                     f"this write needs the {role} role")
            return holder
    raise AuthError(401, "unknown API key")
