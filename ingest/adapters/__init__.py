"""Source adapters: one module per source format, chosen by name.

Each adapter is a function ``parse(data: bytes, where: str) -> ParsedDocument``
registered under the format name used in ``corpus/sources.toml``. Like rdflib's
parser plugins, callers look adapters up by name instead of branching on format.
"""
from __future__ import annotations

from typing import Callable

from ..model import ParsedDocument

Adapter = Callable[[bytes, str], ParsedDocument]
ADAPTERS: dict[str, Adapter] = {}


def register(name: str) -> Callable[[Adapter], Adapter]:
    """Register an adapter function under a format name."""
    def deco(fn: Adapter) -> Adapter:
        ADAPTERS[name] = fn
        return fn
    return deco


def get_adapter(name: str) -> Adapter:
    """The adapter for a format name; ValueError naming the known ones otherwise."""
    _load_builtin()
    try:
        return ADAPTERS[name]
    except KeyError:
        raise ValueError(f"no adapter for format {name!r}; known formats: {', '.join(sorted(ADAPTERS))}") from None


# Modules that register the built-in formats, relative to the `ingest` package; the
# Akoma Ntoso reader lives beside its writer in ingest.akoma_ntoso.
BUILTIN = (".adapters.pravo_html", ".adapters.etalon_json", ".adapters.codexesby_xml", ".adapters.plain_text",
           ".akoma_ntoso.reader", ".adapters.zkonrf_text")


def _load_builtin() -> None:
    # Imported lazily so that importing the registry stays cheap.
    import importlib
    package = __name__.rpartition(".")[0]
    for name in BUILTIN:
        try:
            importlib.import_module(name, package)
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}{name}":
                raise
