"""API keys for writes: who may propose mappings (editor) and who may review them (reviewer).

Keys live in a TOML file (LEXMAP_API_KEYS, default var/api-keys.toml) as the
sha256 of each key, never the key itself: `lexmap keys add NAME --role editor`
prints a new random key once. A key is 256 bits from `secrets`, so a plain
sha256 (no slow KDF) is enough, as for GitHub or PyPI tokens. Reads stay open.

The file is written only whole (temporary file, fsync, rename) under a lock file, so
a request never sees half a file and two `lexmap keys` runs never lose each other's
records. It is parsed once per change (cached on its mtime, size and inode); a damaged
file raises KeysFileError, which says where and what to do (the API answers 503).
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import time
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROLES = ("editor", "reviewer")
LABEL_MAX = 200
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_KEY_TABLE = re.compile(r"^[ \t]*\[\[[ \t]*key[ \t]*\]\]", re.M)
# categories a label may not contain: control characters, lone surrogates, line/paragraph separators
_BAD_LABEL_CATEGORIES = {"Cc", "Cs", "Zl", "Zp"}
_HEADER = "# lexmap API keys: sha256 of each key, never the key. Managed by `lexmap keys`.\n"


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


class AuthFileError(ValueError):
    """A file that sign-in needs is damaged or unreadable: the server cannot tell who is who (503)."""

    def __init__(self, what: str, path: Path, line: int | None, column: int | None, problem: str, hint: str):
        where = (f", line {line}" + (f", column {column}" if column else "")) if line else ""
        super().__init__(f"the {what} {path}{where} cannot be used: {problem}; {hint}")
        self.path, self.line, self.column, self.problem = path, line, column, problem


class KeysFileError(AuthFileError):
    """The keys file does not parse, holds a malformed record or cannot be read (503, never 500)."""

    def __init__(self, path: Path, line: int | None, column: int | None, problem: str):
        fix = "fix or remove that line" if line else "fix the file or its permissions"
        super().__init__("keys file", path, line, column, problem,
                         f"{fix}, then `lexmap keys list` shows the valid keys")


# ------------------------------------------------------------------ reading

def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


def _record_problem(record: object) -> str | None:
    """What is wrong with one [[key]] table, or None."""
    if not isinstance(record, dict):
        return "a key must be a [[key]] table"
    if not isinstance(record.get("name"), str) or not record["name"]:
        return "the key has no name"
    roles = record.get("roles", [])
    if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles):
        return f"the roles of {record['name']!r} must be a list of strings"
    if not isinstance(record.get("label", ""), str):
        return f"the label of {record['name']!r} must be a string"
    if not isinstance(record.get("sha256"), str) or not _SHA256.match(record["sha256"]):
        return f"the sha256 of {record['name']!r} must be 64 lower-case hex digits"
    return None


def _table_line(text: str, index: int) -> int | None:
    """The line of the index-th [[key]] header (for a structural error tomllib cannot place)."""
    starts = [m.start() for m in _KEY_TABLE.finditer(text)]
    return text.count("\n", 0, starts[index]) + 1 if index < len(starts) else None


def _parse(path: Path, text: str) -> tuple[dict, ...]:
    """The key records of the file's text; KeysFileError with line and column when it is damaged."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = _AT.search(str(exc))
        line, column = (int(m[1]), int(m[2])) if m and m[1] else (text.count("\n") + 1, None)
        raise KeysFileError(path, line, column, _AT.sub("", str(exc))) from None
    records = data.get("key", [])
    if not isinstance(records, list):
        raise KeysFileError(path, None, None, "'key' must be written as [[key]] tables")
    for i, record in enumerate(records):
        problem = _record_problem(record)
        if problem:
            raise KeysFileError(path, _table_line(text, i), None, problem)
    return tuple({"name": r["name"], "label": r.get("label", ""), "roles": list(r.get("roles", [])),
                  "sha256": r["sha256"]} for r in records)


def _read(path: Path) -> tuple[tuple, tuple[dict, ...] | KeysFileError]:
    """(stamp, records or the error) of the file as it is now, read through one descriptor."""
    try:
        with path.open("rb") as fh:
            stamp = _stamp(os.fstat(fh.fileno()))
            raw = fh.read()
    except FileNotFoundError:
        return (), ()
    except OSError as exc:
        return (), KeysFileError(path, None, None, f"cannot read it ({exc.strerror})")
    try:
        return stamp, _parse(path, raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return stamp, KeysFileError(path, raw.count(b"\n", 0, exc.start) + 1, None, "it is not UTF-8")
    except KeysFileError as exc:
        return stamp, exc


def _stamp(st: os.stat_result) -> tuple:
    return st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns


# path -> (stamp, records or error): each request stats the file, parses only after a change
_cache: dict[Path, tuple[tuple, tuple[dict, ...] | KeysFileError]] = {}


def _records(path: Path) -> tuple[dict, ...]:
    """The parsed records, re-read only when the file changed; KeysFileError when it is damaged."""
    try:
        stamp = _stamp(path.stat())
    except FileNotFoundError:
        _cache.pop(path, None)
        return ()
    except OSError as exc:
        raise KeysFileError(path, None, None, f"cannot read it ({exc.strerror})") from None
    hit = _cache.get(path)
    if hit is None or hit[0] != stamp:
        hit = _read(path)
        _cache[path] = hit
    if isinstance(hit[1], KeysFileError):
        raise hit[1].with_traceback(None)
    return hit[1]


def load_keys(path: Path) -> list[dict]:
    """The key records of the file (empty when it does not exist); KeysFileError when it is damaged."""
    return [{**r, "roles": list(r["roles"])} for r in _records(path)]


def check_keys_file(path: Path) -> None:
    """Raise KeysFileError (file, line, column, what to do) if the keys file cannot be used; a missing
    file is fine (no writes are possible until `lexmap keys add`). Meant for start-up."""
    _records(path)


# ------------------------------------------------------------------ writing

def _quote(text: str) -> str:
    """`text` as a TOML basic string: backslash, quote and control characters escaped."""
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _dump(records: list[dict]) -> str:
    out = [_HEADER]
    for r in records:
        roles = ", ".join(_quote(x) for x in r["roles"])
        out.append(f"[[key]]\nname = {_quote(r['name'])}\nlabel = {_quote(r.get('label', ''))}\n"
                   f"roles = [{roles}]\nsha256 = {_quote(r['sha256'])}\n")
    return "\n".join(out)


def write_atomically(path: Path, text: str, mode: int = 0o600) -> None:
    """Replace `path` by `text` in one step (temporary file in the same directory, fsync, rename):
    a reader sees the old file or the new one, never a part of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        old_mtime = path.stat().st_mtime_ns
    except FileNotFoundError:
        old_mtime = None
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), mode)
            fh.write(text.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        if old_mtime is not None:
            # readers cache on the mtime: make it move even when two writes share a clock tick
            now = time.time_ns()
            os.utime(tmp, ns=(now, max(now, old_mtime + 1)))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)        # the rename itself survives a crash
    finally:
        os.close(dir_fd)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock (flock on `path` + '.lock') for a read-modify-write of `path`;
    it serialises processes and threads alike (each call opens its own descriptor)."""
    lock = path.with_name(path.name + ".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)            # closing releases the lock


def _fresh(path: Path) -> list[dict]:
    """The records read now, past the cache (under the lock, before a rewrite)."""
    result = _read(path)[1]
    if isinstance(result, KeysFileError):
        raise result            # never rewrite a damaged file: its unreadable records would be lost
    return [dict(r) for r in result]


def _save(path: Path, records: list[dict]) -> None:
    text = _dump(records)
    if _parse(path, text) != tuple(records):     # a file that would not read back is never written
        raise RuntimeError("the keys file would not read back as written")
    write_atomically(path, text)


def check_label(label: str) -> str:
    """The label if it can be shown and stored: at most 200 characters, no control characters."""
    if len(label) > LABEL_MAX:
        raise ValueError(f"label: at most {LABEL_MAX} characters (got {len(label)})")
    bad = next((ch for ch in label if unicodedata.category(ch) in _BAD_LABEL_CATEGORIES), None)
    if bad is not None:
        raise ValueError(f"label: no control characters or line breaks (found U+{ord(bad):04X})")
    return label


def add_key(path: Path, name: str, roles: list[str], label: str = "") -> str:
    """Create a key for `name` with `roles` (replacing its old key); returns the key (shown once)."""
    if not _NAME.match(name):
        raise ValueError(f"name {name!r}: use 2-40 lower-case letters, digits, '.', '_' or '-'")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise ValueError(f"roles must be among {', '.join(ROLES)}")
    check_label(label)
    key = "lmk_" + secrets.token_urlsafe(32)
    record = {"name": name, "label": label, "roles": sorted(set(roles)), "sha256": _digest(key)}
    with locked(path):
        _save(path, [r for r in _fresh(path) if r["name"] != name] + [record])
    return key


def revoke_key(path: Path, name: str) -> bool:
    """Remove the key of `name`; False when there is none."""
    with locked(path):
        records = _fresh(path)
        kept = [r for r in records if r["name"] != name]
        if len(kept) == len(records):
            return False
        _save(path, kept)
    return True


# ------------------------------------------------------------------ checking keys

def _holder(record: dict) -> KeyHolder:
    return KeyHolder(record["name"], tuple(record["roles"]), record["label"])


def _find(path: Path, key: str) -> tuple[dict | None, str]:
    digest = _digest(key.strip())
    for r in _records(path):
        if hmac.compare_digest(digest, r["sha256"]):
            return r, digest
    return None, digest


def identify(path: Path, key: str | None) -> tuple[KeyHolder, str]:
    """(holder, sha256 of the key) of a known key, whatever its roles; AuthError(401) otherwise."""
    if not key:
        raise AuthError(401, "no key given")
    record, digest = _find(path, key)
    if record is None:
        raise AuthError(401, "unknown API key")
    return _holder(record), digest


def holder_of(path: Path, name: str, digest_prefix: str) -> KeyHolder | None:
    """The holder named `name` whose key digest still starts with `digest_prefix` (a session of a
    revoked or replaced key finds nobody)."""
    if len(digest_prefix) < 16:          # a short (or empty) prefix would match too much
        return None
    prefix = digest_prefix.encode("ascii", "replace")
    for r in _records(path):
        if r["name"] == name and hmac.compare_digest(r["sha256"][:len(digest_prefix)].encode(), prefix):
            return _holder(r)
    return None


def authenticate(path: Path, key: str | None, role: str) -> KeyHolder:
    """The holder of `key` if it has `role`; AuthError otherwise."""
    if not key:
        raise AuthError(401, "this write needs an API key: send 'Authorization: Bearer <key>' (see `lexmap keys add`)")
    holder = identify(path, key)[0]
    if role not in holder.roles:
        raise AuthError(403, f"the key of {holder.name} has roles {', '.join(holder.roles) or 'none'}; "
                             f"this write needs the {role} role")
    return holder
