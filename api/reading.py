"""The reading view: a whole act, section or chapter in one redaction, read from top to bottom.

One pass over the redaction's graph (four named queries, whatever the size of the act): its
units and their place, their printed text, the amendment notes and source defects, the
references of the text. The answer is the table of contents (sections, chapters, articles,
each an anchor of the page) and the units in document order, each article's text cut into
plain and linked pieces as the provision page does (api/reflinks.py), its heading apart
(not repeated as the text's first line).
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from ingest.config import Settings
from ingest.model import CONTAINER_KINDS
from ingest.query import catalog as q
from ingest.store import GraphStore
from ingest.text import render, status_name

from . import reflinks, resources
from .ru_format import heading_case, label_case


def heading_of(label: str | None, title: str | None) -> str:
    """A unit's heading for display ('Глава 35. Охрана труда'): label and title re-cased."""
    label, title = label_case(label), heading_case(title)
    return f"{label}. {title}" if label and title else (label or title or "")


def drop_prefix(parts: list[dict] | None, n: int) -> list[dict] | None:
    """Text pieces without their first `n` characters (plain pieces only: when a linked piece
    falls inside the dropped part the pieces are returned as they were, so no link is cut)."""
    if not parts:
        return parts
    out: list[dict] = []
    left = n
    for i, piece in enumerate(parts):
        if left <= 0:
            out.extend(parts[i:])
            break
        if piece.get("href") or piece.get("title"):
            return parts
        if len(piece["text"]) <= left:
            left -= len(piece["text"])
            continue
        out.append({**piece, "text": piece["text"][left:]})
        left = 0
    return out


def without_heading(full_text: str, parts: list[dict], label: str | None, title: str | None) -> list[dict]:
    """The pieces of a unit's printed text without its first line when that line is the unit's
    own label and title (the page shows them as the heading)."""
    printed = f"{label}. {title}" if label and title else None
    if printed and full_text.startswith(printed):
        rest = full_text[len(printed):]
        cut = len(printed) + (1 if rest.startswith("\n") else 0)
        if cut == len(printed) and rest:      # the heading runs on into the text: keep it all
            return parts
        return drop_prefix(parts, cut) or []
    return parts


def read(store: GraphStore, settings: Settings, path: str, as_of: str | None,
         act_titles: dict[str, str]) -> dict[str, Any]:
    """The reading view of `path` (an act, or a section, chapter or other container of it) in the
    redaction in force on `as_of` (the latest when None). NotFound as the other read services."""
    res = resources.resolve(store, settings, path, as_of)
    work, expression = res.work, res.expression
    root = res.iri
    nodes = q.select(store, "redaction_tree", expression=expression)
    by_iri = {n["p"]: n for n in nodes}
    if root != work and root not in by_iri:
        raise resources.NotFound(f"act {res.path.work.path} has no provision {res.path.eid} in the redaction "
                                 f"of {res.version}")
    children: dict[str, list[dict]] = defaultdict(list)
    for n in nodes:
        children[n["parent"]].append(n)
    for kids in children.values():
        kids.sort(key=lambda n: int(n["sort"]))
    printed = {r["eid"]: r for r in q.select(store, "redaction_printed", expression=expression, work=work)}

    notes: dict[str, list[tuple[str, str]]] = defaultdict(list)    # eId -> [(note|defect, text)]
    prefix = expression + "/"
    for r in q.select(store, "redaction_notes", expression=expression):
        if r["s"].startswith(prefix):
            notes[r["s"][len(prefix):]].append((r["k"], r["n"]))

    blocks: list[dict[str, Any]] = []
    toc: list[dict[str, Any]] = []
    unit_of: dict[str, int] = {}          # eId of every printed unit -> index of its block in `blocks`

    def subtree(node: dict) -> list[dict]:
        out = [node]
        for c in children.get(node["p"], ()):
            out.extend(subtree(c))
        return out

    def visit(node: dict, depth: int, toc_list: list[dict]) -> None:
        eid, kind = node["eid"], node["kind"]
        row = printed.get(eid, {})
        heading = heading_of(row.get("label") or node.get("label"), row.get("title") or node.get("title"))
        entry = {"id": eid, "iri": node["p"], "kind": kind, "heading": heading or eid,
                 "status": status_name(row.get("st") or node.get("st")), "children": []}
        toc_list.append(entry)
        if kind in CONTAINER_KINDS:
            blocks.append({"type": "heading", "level": min(depth + 2, 6), **entry,
                           "notes": notes.get(eid, [])})
            for c in children.get(node["p"], ()):
                visit(c, depth + 1, entry["children"])
            return
        units = subtree(node)
        rows = [printed[u["eid"]] for u in units if u["eid"] in printed]
        for u in units:
            unit_of[u["eid"]] = len(blocks)
        blocks.append({"type": "unit", **entry, "level": min(depth + 2, 6), "rows": rows, "text": render(rows),
                       "label": row.get("label"), "title": row.get("title"),
                       "notes": [x for u in units for x in notes.get(u["eid"], [])]})

    top = children.get(root, []) if root == work else [by_iri[root]]
    for n in top:
        visit(n, 0, toc)

    _link_references(store, expression, work, blocks, unit_of, act_titles)
    for b in blocks:
        if b["type"] == "unit":
            b["parts"] = without_heading(b["text"], b.pop("parts"), b["label"], b["title"])
            del b["rows"]
    scope = None if root == work else {"iri": root, "kind": by_iri[root]["kind"], "eid": by_iri[root]["eid"],
                                        "heading": blocks[0]["heading"] if blocks else root}
    return {"act": work, "act_title": act_titles.get(work, work), "redaction": res.version,
            "expression": expression, "scope": scope, "toc": toc, "blocks": blocks,
            "articles": sum(1 for b in blocks if b["type"] == "unit")}


def _link_references(store: GraphStore, expression: str, work: str, blocks: list[dict],
                     unit_of: dict[str, int], act_titles: dict[str, str]) -> None:
    """Each unit block's text as pieces, its references linked (one query for the whole redaction)."""
    per_block: dict[int, dict[str, dict]] = defaultdict(dict)
    for r in q.select(store, "references_in_redaction", expression=expression):
        i = unit_of.get(r["p"].removeprefix(work + "/"))
        if i is None:
            continue
        ref = per_block[i].get(r["r"])
        if ref is None:
            ref = per_block[i][r["r"]] = {
                "provision": r["p"], "quote": r["quote"], "start": int(r["start"]), "end": int(r["end"]),
                "target": None, "targets": [], "kind": r["kind"], "act": r.get("act"), "external": r.get("ext"),
                "resolved": r["resolved"] == "true", "reason": r.get("reason")}
        if r.get("t") and r["t"] not in ref["targets"]:
            ref["targets"].append(r["t"])
            ref["target"] = ref["targets"][0]
    targets = {ref["target"] for refs in per_block.values() for ref in refs.values() if ref["target"]}
    titles = reflinks.labels(store, targets)
    for i, b in enumerate(blocks):
        if b["type"] != "unit":
            continue
        refs = sorted(per_block.get(i, {}).values(), key=lambda x: (x["provision"], x["start"]))
        b["parts"] = (reflinks.text_parts(b["text"], b["rows"], work, refs, titles, act_titles) if refs
                      else [{"text": b["text"]}])
