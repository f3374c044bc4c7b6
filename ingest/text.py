"""How a provision and its sub-provisions read as printed text.

Shared by the read API (full text of a provision) and the search index (the
text of an article document), so what is searched is what is shown.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Mapping
from .query import catalog as q

STATUS_NAMES = {"InForce": "in_force", "Repealed": "repealed", "Excluded": "excluded"}
_STUB = {"repealed": "(утратил силу)", "excluded": "(исключен)"}


def text_hash(text: str) -> str:
    """sha256 of a printed text, whitespace-normalised: what "changed" and mapping staleness compare."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


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


def provision_text(store, work: str, expression: str, eid: str) -> str:
    """Printed text of one provision with its sub-provisions in one redaction of its act."""
    # Walking down from the provision inside its redaction's graph reads only its subtree
    # (~2 ms), where matching eIds across the act read every provision (~60 ms).
    return render(q.select(store, "provision_subtree", expression=expression, provision=f"{work}/{eid}", eid=eid,
                           eid_prefix=eid + "__"))


def provision_texts(store, work: str, expression: str, eids: set[str]) -> dict[str, str]:
    """Printed texts of several provisions of one act in one redaction, with one query.

    Cheaper than `provision_text` per provision when many ends of mappings
    (hundreds) need hashing: the act's rows are read once, subtrees cut in Python.
    """
    rows = q.select(store, "redaction_printed", expression=expression, work=work)
    rows.sort(key=lambda r: int(r["sort"]))
    subtree: dict[str, list] = {}
    for r in rows:   # each row belongs to itself and to every unit above it (art_5__para_1 is in art_5)
        parts = r["eid"].split("__")
        for k in range(1, len(parts) + 1):
            key = "__".join(parts[:k])
            if key in eids:
                subtree.setdefault(key, []).append(r)
    return {eid: render(sub) for eid, sub in subtree.items()}


def provision_redactions(store, work: str, eid: str) -> list[dict]:
    """Every redaction of the act, oldest first, saying whether the provision exists
    there and whether its printed text (with sub-provisions) changed since the
    previous redaction that had it."""
    dates = q.select(store, "act_redactions_oldest_first", work=work)
    rows = q.select(store, "provision_in_all_redactions", provision=f"{work}/{eid}", eid=eid, eid_prefix=eid + "__")
    out: list[dict] = []
    previous: str | None = None
    for d in dates:
        prefix = d["e"] + "/"
        sub = sorted((r for r in rows if r["pe"].startswith(prefix)), key=lambda r: int(r["sort"]))
        exists = any(r["eid"] == eid for r in sub)
        text = render(sub) if exists else ""
        digest = text_hash(text) if exists else None
        changed = exists and previous is not None and digest != previous
        out.append({"date": d["d"], "expression": d["e"], "exists": exists,
                    "changed": bool(changed), "new": exists and previous is None and bool(out)})
        if exists:
            previous = digest
    return out
