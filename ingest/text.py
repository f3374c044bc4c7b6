"""How a provision and its sub-provisions read as printed text.

Shared by the read API (full text of a provision) and the search index (the
text of an article document), so what is searched is what is shown.
"""
from __future__ import annotations

from typing import Iterable, Mapping

STATUS_NAMES = {"InForce": "in_force", "Repealed": "repealed", "Excluded": "excluded"}
_STUB = {"repealed": "(утратил силу)", "excluded": "(исключен)"}


def status_name(iri: str | None) -> str:
    """`lexmap:Repealed` (IRI or local name) -> "repealed"; absent means in force."""
    return STATUS_NAMES.get((iri or "").rsplit("#", 1)[-1], "in_force")


def render(rows: Iterable[Mapping[str, str | None]]) -> str:
    """Printed text of provisions given in document order.

    Each row has `eid` and optionally `label`, `title`, `text`, `wrap` (the
    closing words after sub-provisions) and `st` (status IRI). Sub-provisions
    are recognised by their eId prefix (`art_5__para_1` is inside `art_5`).
    """
    lines: list[str] = []
    wraps: list[tuple[str, str]] = []  # (eid, wrap-up) waiting for the end of their subtree
    for r in rows:
        while wraps and not str(r["eid"]).startswith(wraps[-1][0] + "__"):
            lines.append(wraps.pop()[1])
        label, title = r.get("label"), r.get("title")
        body = r.get("text") or _STUB.get(status_name(r.get("st")), "")
        if title:
            lines.append(f"{label}. {title}" if label else title)
            if body:
                lines.append(body)
        else:
            lines.append(f"{label or ''} {body}".strip())
        if r.get("wrap"):
            wraps.append((str(r["eid"]), str(r["wrap"])))
    while wraps:
        lines.append(wraps.pop()[1])
    return "\n".join(x for x in lines if x)
