"""What every command works with: the settings, the store (opened for the command, or lent by
the caller) and the few ways of printing the commands share."""
from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ingest.config import Settings
from ingest.sources import act_aliases
from ingest.store import GraphStore, open_store

if TYPE_CHECKING:
    from ..mappings import Context as MappingContext

T = TypeVar("T")


class Refused(Exception):
    """A command cannot answer what was asked (unknown provision, bad value): its message is
    printed and `lexmap` exits with status 2."""


@dataclass
class CliContext:
    """The settings of this run and, when the caller lends one, an open store."""

    settings: Settings
    lent_store: GraphStore | None = None

    @contextmanager
    def open_store(self, read_only: bool = False) -> Iterator[GraphStore]:
        """The store for one command: the lent one (left open), else opened here and closed after."""
        if self.lent_store is not None:
            yield self.lent_store
            return
        store = open_store(self.settings, read_only=read_only)
        try:
            yield store
        finally:
            store.close()

    def read(self, fn: Callable[[GraphStore], T], *refusals: type[Exception], read_only: bool = True) -> T:
        """`fn(store)` over the command's store. What the services raise for a request they
        cannot answer — NotFound, ValueError, or one of `refusals` — becomes Refused (exit 2)."""
        from .. import resources
        try:
            with self.open_store(read_only=read_only) as store:
                return fn(store)
        except (resources.NotFound, ValueError, *refusals) as exc:
            raise Refused(str(exc)) from None

    def act_path(self, ref: str) -> str:
        """An act reference as an ELI path: a manifest key (ru-gk-1) is looked up, a path kept."""
        return ref if ref.startswith("eli/") else act_aliases(self.settings).get(ref, ref)

    def mappings(self, store: GraphStore) -> MappingContext:
        """The mapping services' context over `store`."""
        from .. import mappings as svc
        return svc.Context(store, self.settings.base_iri, act_aliases(self.settings))


def err(msg: str) -> None:
    """An error line on standard error, prefixed with the program's name."""
    print(f"lexmap: {msg}", file=sys.stderr)


def print_json(data: Any) -> None:
    """The same JSON as the HTTP API, indented for reading."""
    print(json.dumps(data, ensure_ascii=False, indent=1))


def emit(text: str, output: str | None) -> None:
    """`text` into the file `output`, or on standard output."""
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)

