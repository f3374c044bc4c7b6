"""The manifest of acts (corpus/sources.toml) and how their source files are found.

A source is read from the local corpus root first and from its official URL
otherwise; either way its sha256 must equal the manifest's.

A redaction may state the figures of its source (`articles`, `last_article`), which the
plausibility check of a load holds it to (ingest/plausibility.py).

The user's own sources — a newer redaction downloaded from the portal, a corrected file —
live in the local overlay `{data dir}/manifest.local.toml`, written by `lexmap sources
add|update` (`add_local_source`) and merged over the manifest whenever it is read: an entry
adds a redaction to an act or replaces the file of one of its redactions. The official
manifest is never written.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path

from .adapters.safe_io import SourceError
from .config import Settings
from .identifiers import LANGUAGES, WorkId, work_id
from .plausibility import ExpectedFigures

OVERLAY_NAME = "manifest.local.toml"


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
    expected: ExpectedFigures | None = None   # what the manifest states of the source (plausibility check)
    local: bool = False                       # from the local overlay (`lexmap sources add|update`)


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
    overlay: Path | None = None     # the local overlay merged over it, when there is one

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


def load_manifest(settings: Settings, path: Path | None = None, overlay: bool = True) -> Manifest:
    """Read and check the manifest (`path`, default the configured one) with the local overlay of
    the data dir merged over it (unless `overlay` is False); errors name the act and key at fault."""
    manifest = _read_manifest(settings, path or settings.manifest)
    local = overlay_path(settings)
    if overlay and local.is_file():
        manifest = merge_overlay(manifest, read_overlay(local), local)
    return manifest


def _read_manifest(settings: Settings, path: Path) -> Manifest:
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
                note=str(e.get("note", "")), expected=_expected(e, ewhere)))
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


def _expected(table: dict, where: str) -> ExpectedFigures | None:
    """The figures a manifest expression states of its source, checked; None when it states none."""
    articles, last = table.get("articles"), table.get("last_article")
    if articles is not None and (isinstance(articles, bool) or not isinstance(articles, int) or articles < 0):
        raise SourceError(f"articles = {articles!r} is not a count", where, "give the number of articles, e.g. 607")
    if last is not None and (isinstance(last, bool) or not isinstance(last, (int, str)) or not str(last).strip()):
        raise SourceError(f"last_article = {last!r} is not an article number", where, 'give it as printed, e.g. "453"')
    figures = ExpectedFigures(articles, str(last).strip() if last is not None else None)
    return figures or None


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
        if expr.local:
            raise SourceError(f"checksum mismatch: the local sources overlay says {expr.sha256[:16]}…, file has "
                              f"{actual[:16]}…", origin, "the file changed since `lexmap sources add|update` recorded "
                              "it; record it again with `lexmap sources update ACT --file F --date D`")
        raise SourceError(f"checksum mismatch: manifest says {expr.sha256[:16]}…, file has {actual[:16]}…", origin,
                          "the file is not the redaction the manifest describes; restore it, or load your own copy "
                          "with `lexmap sources update ACT --file F --date D`")
    return data


def act_aliases(settings: Settings) -> dict[str, str]:
    """Manifest keys (ru-gk-1) -> ELI work paths, so filters and commands accept either.

    Empty when the manifest cannot be read: references are then ELI paths only."""
    try:
        return {a.key: a.work.path for a in load_manifest(settings).acts}
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------------- the local overlay

@dataclass(frozen=True)
class LocalSource:
    """One entry of the local overlay: a file standing for one redaction of an act."""

    act: str            # manifest key
    date: date
    file: str           # absolute path of the user's file
    sha256: str
    format: str
    note: str = ""
    added: str = ""     # when the entry was written (UTC, ISO 8601)


def overlay_path(settings: Settings) -> Path:
    """Where the local overlay of this installation lives: `{data dir}/manifest.local.toml`."""
    return settings.data_dir / OVERLAY_NAME


def read_overlay(path: Path) -> list[LocalSource]:
    """The entries of a local overlay, checked; errors name the entry and key at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"cannot read the local sources overlay: {exc}", str(path),
                          "fix its TOML syntax, or delete the file to go back to the official manifest") from None
    out = []
    for i, raw in enumerate(data.get("source", [])):
        where = f"{path}: source #{i + 1} ({raw.get('act', '?')})"
        out.append(LocalSource(act=str(_require(raw, "act", where)), date=_as_date(_require(raw, "date", where), where),
                               file=str(_require(raw, "file", where)), sha256=str(_require(raw, "sha256", where)).lower(),
                               format=str(_require(raw, "format", where)), note=str(raw.get("note", "")),
                               added=str(raw.get("added", ""))))
    return out


def merge_overlay(manifest: Manifest, entries: list[LocalSource], path: Path) -> Manifest:
    """The manifest with each overlay entry merged in: the file of the act's redaction of that
    date replaced (its stated figures kept: the same redaction holds the same articles), or a
    new redaction added."""
    acts = {a.key: a for a in manifest.acts}
    for i, src in enumerate(entries):
        act = acts.get(src.act)
        if act is None:
            raise SourceError(f"the local sources overlay names act {src.act!r}, which {manifest.path} does not list",
                              f"{path}: source #{i + 1}",
                              f"remove it with `lexmap sources remove {src.act} --date {src.date}`")
        same = [e for e in act.expressions if e.date == src.date]
        entry = ExpressionEntry(date=src.date, format=src.format, path=src.file, url="", sha256=src.sha256,
                                language=same[0].language if same else act.language,
                                note=src.note or f"local source ({src.added or 'lexmap sources'})",
                                expected=same[0].expected if same else None, local=True)
        acts[act.key] = replace(act, expressions=tuple(e for e in act.expressions if e.date != src.date) + (entry,))
    return replace(manifest, acts=tuple(acts[a.key] for a in manifest.acts), overlay=path)


def write_overlay(path: Path, entries: list[LocalSource]) -> None:
    """Write the overlay atomically (a temporary file renamed over it): a reader sees the old
    file or the new one, never half of one."""
    lines = ["# Local sources of this installation, written by `lexmap sources add|update`: each entry",
             "# stands for one redaction of an act of the manifest (merged over it when it is read).", ""]
    for e in sorted(entries, key=lambda x: (x.act, x.date)):
        lines += ["[[source]]", f"act = {_toml_str(e.act)}", f"date = {e.date.isoformat()}",
                  f"file = {_toml_str(e.file)}", f"sha256 = {_toml_str(e.sha256)}", f"format = {_toml_str(e.format)}"]
        lines += [f"note = {_toml_str(e.note)}"] if e.note else []
        lines += [f"added = {_toml_str(e.added)}"] if e.added else []
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest.local.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _toml_str(value: str) -> str:
    """A TOML basic string (JSON string escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def add_local_source(settings: Settings, act_ref: str, file: Path, version: date | None = None,
                     fmt: str | None = None, note: str = "", replace_existing: bool = False) -> LocalSource:
    """Record `file` in the local overlay as a redaction of the act `act_ref` (key or ELI path).

    `replace_existing` False (`sources add`): a new redaction dated `version`, refused when the
    act has one of that date. True (`sources update`): the file of the act's redaction dated
    `version` (default its latest), refused when there is none. The file must be readable,
    within the size limit and parse without errors as `fmt` (default: the format of the
    redaction it replaces, else of the act's latest); otherwise SourceError, the overlay untouched."""
    from .load import parse_source   # parsing lives with the load; imported here to keep sources light
    manifest = load_manifest(settings)
    act = manifest.find(act_ref)
    if version is None:
        if not replace_existing:
            raise SourceError("a new redaction needs its date", act.key, "give --date YYYY-MM-DD (the redaction's date)")
        version = act.latest.date
    same = [e for e in act.expressions if e.date == version]
    if replace_existing and not same:
        raise SourceError(f"{act.key} has no redaction dated {version}", act.key,
                          "known: " + ", ".join(str(e.date) for e in sorted(act.expressions, key=lambda e: e.date))
                          + "; use `lexmap sources add` for a new redaction")
    if not replace_existing and same:
        raise SourceError(f"{act.key} has a redaction dated {version} already", act.key,
                          "use `lexmap sources update` to load another file for it")
    fmt = fmt or (same[0] if same else act.latest).format
    path = file.expanduser().resolve()
    if not path.is_file():
        raise SourceError("no such file", str(path), "give the path of the downloaded source")
    size = path.stat().st_size
    if size > settings.max_source_bytes:
        raise SourceError(f"file is {size:,} bytes, more than the limit of {settings.max_source_bytes:,}", str(path),
                          "raise LEXMAP_MAX_SOURCE_BYTES if the file is genuine")
    data = path.read_bytes()
    probe = ExpressionEntry(date=version, format=fmt, path=str(path), url="", sha256=sha256_hex(data),
                            language=act.language)
    try:
        doc = parse_source(probe, data)
    except ValueError as exc:    # no adapter of that name (SourceError, the file unreadable as the format, goes up)
        if isinstance(exc, SourceError):
            raise
        raise SourceError(str(exc), str(path), "give --format as one of the known formats") from None
    if doc.errors:
        first = doc.errors[0]
        raise SourceError(f"the file does not read as {fmt}: {first.message}"
                          + (f" (and {len(doc.errors) - 1} more error(s))" if len(doc.errors) > 1 else ""),
                          f"{path}" + (f" [{first.where}]" if first.where else ""),
                          "check the file and its format (`lexmap validate` lists every problem once it is added)")
    if not doc.articles() and not any(p.text for p in doc.walk()):
        raise SourceError(f"no provisions found reading the file as {fmt}", str(path),
                          "check that it is the act's text and that --format names its format")
    entry = LocalSource(act=act.key, date=version, file=str(path), sha256=probe.sha256, format=fmt, note=note,
                        added=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    local = overlay_path(settings)
    entries = [e for e in (read_overlay(local) if local.is_file() else [])
               if not (e.act == act.key and e.date == version)]
    merge_overlay(_read_manifest(settings, settings.manifest), entries + [entry], local)   # fails before writing
    write_overlay(local, entries + [entry])
    return entry


def remove_local_source(settings: Settings, act_ref: str, version: date) -> bool:
    """Drop the overlay entry of `act_ref` dated `version`; whether there was one."""
    local = overlay_path(settings)
    if not local.is_file():
        return False
    entries = read_overlay(local)
    key = act_ref
    try:
        key = _read_manifest(settings, settings.manifest).find(act_ref).key
    except KeyError:
        pass    # an entry for an act the manifest no longer lists can still be removed by its key
    kept = [e for e in entries if not (e.act == key and e.date == version)]
    if len(kept) == len(entries):
        return False
    write_overlay(local, kept)
    return True
