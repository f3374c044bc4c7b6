"""The load journal: a bulk load of one named graph, all or nothing across crashes.

Oxigraph's bulk loader is about three times faster than a transaction but not transactional:
a process killed while it runs can leave part of a graph. Before the embedded store replaces a
graph that way it writes, in a directory beside the store (`<data dir>/store.journal/`):

1. the graph's current content, if it has any (`<key>.old.nt`), synced to disk;
2. a record naming the graph and that copy (`<key>.json`), synced, renamed into place — from
   here on the graph may be half-written;

then it drops the graph, bulk-loads the new content and deletes the record (the commit point),
then the copy. A record still there when the store is next opened for writing means the load
did not finish: the graph is dropped and its previous content loaded back in one transaction
(`OxigraphStore` calls `pending` and `commit` at open). Readers of the reopened store therefore
see the old act or the new one, never part of one.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

SUFFIX = ".journal"


@dataclass(frozen=True)
class Entry:
    """One graph whose replacement began and has not been committed."""

    graph: str
    record: Path
    backup: Path | None          # the graph's content before the load; None: the graph was absent


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


class LoadJournal:
    """The journal directory of one on-disk store (`<store dir>.journal`)."""

    def __init__(self, store_dir: Path):
        self.directory = store_dir.with_name(store_dir.name + SUFFIX)

    def _key(self, graph: str) -> str:
        return hashlib.sha256(graph.encode("utf-8")).hexdigest()[:32]

    def pending(self) -> list[Entry]:
        """Loads that began and were not committed (a crash or a kill), oldest first.

        Raises ValueError naming the file when a record cannot be read (records are renamed
        into place whole, so this means the directory was altered by hand)."""
        if not self.directory.is_dir():
            return []
        entries = []
        for record in sorted(self.directory.glob("*.json"), key=lambda p: p.stat().st_mtime_ns):
            try:
                data = json.loads(record.read_text("utf-8"))
                graph, backup = str(data["graph"]), data.get("backup")
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"unreadable load journal record {record}: {exc}; the graph it names may be "
                                 f"half-loaded: re-ingest from scratch (delete the data directory)") from None
            entries.append(Entry(graph, record, self.directory / backup if backup else None))
        return entries

    def begin(self, graph: str, save_old: Callable[[Path], None] | None) -> Entry:
        """Record that `graph` is about to be replaced; `save_old(path)` writes its current content
        to `path` first (None when the graph is absent). When this returns, the store may be changed."""
        self.directory.mkdir(parents=True, exist_ok=True)
        key = self._key(graph)
        record = self.directory / f"{key}.json"
        if record.exists():
            raise RuntimeError(f"a load of {graph} is already in the journal ({record}); reopen the store to recover it")
        backup = None
        if save_old is not None:
            backup = self.directory / f"{key}.old.nt"
            tmp = backup.with_suffix(".tmp")
            save_old(tmp)
            _fsync_file(tmp)
            os.replace(tmp, backup)
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps({"graph": graph, "backup": backup.name if backup else None}), "utf-8")
        _fsync_file(tmp)
        os.replace(tmp, record)          # the record appears whole or not at all
        _fsync_dir(self.directory)
        return Entry(graph, record, backup)

    def commit(self, entry: Entry) -> None:
        """The graph holds what it should (new content, or old content restored): forget the load.
        The record goes first: a copy without a record is only a stray file."""
        entry.record.unlink(missing_ok=True)
        _fsync_dir(self.directory)
        if entry.backup is not None:
            entry.backup.unlink(missing_ok=True)

    def clean(self) -> None:
        """Remove what no record refers to: copies and temporary files left by a crash before a
        record was written or after it was deleted. Call only when nothing is pending."""
        if not self.directory.is_dir():
            return
        for path in self.directory.iterdir():
            if path.suffix in (".tmp", ".nt"):
                path.unlink(missing_ok=True)
