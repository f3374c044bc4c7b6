"""The manifest of acts (corpus/sources.toml) and how their source files are found.

A source is read from the local corpus root first and from its official URL
otherwise; either way its sha256 must equal the manifest's.
"""
from __future__ import annotations

import hashlib
import tomllib
import urllib.request
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from .adapters.safe_io import SourceError
from .config import Settings
from .identifiers import LANGUAGES, WorkId, work_id


@dataclass(frozen=True)
class ExpressionEntry:
    """One redaction of an act: its date, file, format, official URL and checksum."""

    date: date
    format: str
    path: str
    url: str
    sha256: str
    language: str
    note: str = ""


@dataclass(frozen=True)
class ActEntry:
    """One act of the manifest."""

    key: str
    jurisdiction: str
    act_type: str
    number: str | None
    adopted: date
    title: str
    language: str
    expressions: tuple[ExpressionEntry, ...] = field(default_factory=tuple)
    short: str = ""          # the abbreviation lawyers cite it by, e.g. "ГК РФ"

    @property
    def work(self) -> WorkId:
        return work_id(self.jurisdiction, self.act_type, self.adopted, self.number)

    @property
    def latest(self) -> ExpressionEntry:
        return max(self.expressions, key=lambda e: e.date)


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest and the corpus root it resolves paths against."""

    path: Path
    corpus_root: Path
    acts: tuple[ActEntry, ...]

    def find(self, key_or_path: str) -> ActEntry:
        """An act by manifest key or ELI work path ('ru-gk-1', 'eli/ru/kodeks/1994/51-fz')."""
        for act in self.acts:
            if key_or_path in (act.key, act.work.path):
                return act
        raise KeyError(f"no act {key_or_path!r} in {self.path}; known: {', '.join(a.key for a in self.acts)}")


def _require(table: dict, key: str, where: str) -> object:
    if key not in table:
        raise SourceError(f"missing key {key!r}", where, "add it to the manifest")
    return table[key]


def load_manifest(settings: Settings, path: Path | None = None) -> Manifest:
    """Read and check the manifest; errors name the act and key at fault."""
    path = path or settings.manifest
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read the manifest: {exc}", str(path), "fix the TOML syntax") from None
    root_value = data.get("corpus", {}).get("root", "../shared/corpus")
    corpus_root = settings.corpus_root or (path.parent.parent / root_value).resolve()
    acts = []
    keys: set[str] = set()
    for i, raw in enumerate(data.get("act", [])):
        where = f"{path}: act #{i + 1} ({raw.get('key', '?')})"
        language = str(raw.get("language", "rus"))
        if language not in LANGUAGES:
            raise SourceError(f"unknown language {language!r}", where, f"use one of {', '.join(LANGUAGES)}")
        exprs = []
        for j, e in enumerate(raw.get("expression", [])):
            ewhere = f"{where}, expression #{j + 1}"
            exprs.append(ExpressionEntry(
                date=_as_date(_require(e, "date", ewhere), ewhere), format=str(_require(e, "format", ewhere)),
                path=str(_require(e, "path", ewhere)), url=str(e.get("url", "")),
                sha256=str(_require(e, "sha256", ewhere)).lower(), language=str(e.get("language", language)),
                note=str(e.get("note", ""))))
        if not exprs:
            raise SourceError("act has no expression (redaction)", where, "add an [[act.expression]] table")
        act = ActEntry(key=str(_require(raw, "key", where)), jurisdiction=str(_require(raw, "jurisdiction", where)),
                       act_type=str(_require(raw, "type", where)), number=raw.get("number"),
                       adopted=_as_date(_require(raw, "adopted", where), where),
                       title=str(_require(raw, "title", where)), language=language, expressions=tuple(exprs),
                       short=str(raw.get("short", "")))
        try:
            act.work  # validates jurisdiction, type and number
        except ValueError as exc:
            raise SourceError(str(exc), where, "fix the act's identity in the manifest") from None
        if act.key in keys:
            raise SourceError(f"duplicate act key {act.key!r}", where, "keys must be unique")
        keys.add(act.key)
        acts.append(act)
    return Manifest(path=path, corpus_root=corpus_root, acts=tuple(acts))


def _as_date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise SourceError(f"{value!r} is not a date (YYYY-MM-DD)", where, "fix the date") from None


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_source(manifest: Manifest, expr: ExpressionEntry, settings: Settings) -> bytes:
    """Bytes of a source: local corpus first, official URL otherwise; checksum verified."""
    local = manifest.corpus_root / expr.path
    if local.is_file():
        size = local.stat().st_size
        if size > settings.max_source_bytes:
            raise SourceError(f"file is {size:,} bytes, more than the limit of {settings.max_source_bytes:,}",
                              str(local), "raise LEXMAP_MAX_SOURCE_BYTES if the file is genuine")
        data = local.read_bytes()
        origin = str(local)
    elif expr.url and settings.allow_download:
        try:
            with urllib.request.urlopen(expr.url, timeout=30) as resp:  # noqa: S310 (manifest URLs)
                data = resp.read(settings.max_source_bytes + 1)
        except OSError as exc:
            raise SourceError(f"not found locally and download failed: {exc}", f"{local} / {expr.url}",
                              "set LEXMAP_CORPUS_ROOT to the folder holding the corpus") from None
        if len(data) > settings.max_source_bytes:
            raise SourceError("download exceeds the size limit", expr.url, "raise LEXMAP_MAX_SOURCE_BYTES")
        origin = expr.url
    else:
        raise SourceError("source file not found", str(local),
                          "set LEXMAP_CORPUS_ROOT to the folder holding the corpus (default ../shared/corpus)")
    actual = sha256_hex(data)
    if actual != expr.sha256:
        raise SourceError(f"checksum mismatch: manifest says {expr.sha256[:16]}…, file has {actual[:16]}…", origin,
                          "the file is not the redaction the manifest describes; restore it or update the manifest")
    return data


def act_aliases(settings: Settings) -> dict[str, str]:
    """Manifest keys (ru-gk-1) -> ELI work paths, so filters and commands accept either.

    Empty when the manifest cannot be read: references are then ELI paths only."""
    try:
        return {a.key: a.work.path for a in load_manifest(settings).acts}
    except (OSError, ValueError):
        return {}
