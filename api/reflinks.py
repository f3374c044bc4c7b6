"""A provision's references as its JSON and its page show them: what its text cites and what
cites it ("На эту статью ссылаются"), and its printed text cut into plain and linked pieces.

The references themselves come from api/references.py (the service of GET /references); this
module only places them: a reference's offsets are into its citing (sub-)provision's own
`lexmap:text`, while the page prints the provision's full text (labels, titles, the texts of
its sub-provisions, wrap-ups; ingest/text.render), so each sub-provision's text is found in the
full text first and a reference is linked only where the printed words are exactly its quote.
"""
from __future__ import annotations

from typing import Any

from ingest.config import Settings
from ingest.query import catalog as q
from ingest.store import GraphStore

from . import references
from .ru_format import citation_title


def for_provision(store: GraphStore, settings: Settings, path: str, as_of: str | None = None) -> dict[str, list]:
    """`references` (what the provision's text cites) and `cited_by` (what cites it), as GET
    /references?source= and ?target= answer them."""
    return {"references": references.outgoing(store, settings, path, as_of)["references"],
            "cited_by": references.incoming(store, settings, path, as_of)["references"]}


def labels(store: GraphStore, iris: set[str]) -> dict[str, dict[str, Any]]:
    """Provision IRI -> {"act": work IRI, "label": "Статья 200. Начало…", "by_redaction": {expression
    IRI: label}} for the provisions among `iris` in the store (the newest redaction's label first)."""
    out: dict[str, dict[str, Any]] = {}
    if not iris:
        return out
    # a part or point is named as lawyers cite it ("Пункт 6 части 1 статьи 81"): whether a
    # paragraph is a пункт or a часть is read from the printed labels of the units above it
    above = {"__".join(i.split("__")[:k]) for i in iris for k in range(2, i.count("__") + 1)}
    rows = q.select(store, "mapping_ends", provisions=sorted(iris | above))
    printed: dict[tuple[str, str], str | None] = {(r["e"], r["eid"]): r.get("label") for r in rows}
    newest: dict[str, str] = {}
    for r in rows:
        if r["p"] not in iris:
            continue
        cited = citation_title(r["eid"], _chain_labels(printed, r["e"], r["eid"])) if "__" in r["eid"] else None
        label = cited or r.get("label") or r["eid"]
        if r.get("title") and not cited:
            label = f"{label}. {r['title']}"
        entry = out.setdefault(r["p"], {"act": r["w"], "label": label, "by_redaction": {}})
        entry["by_redaction"][r["e"]] = label
        if r["d"] > newest.get(r["p"], ""):
            newest[r["p"]] = r["d"]
            entry["label"] = label
    return out


def _chain_labels(printed: dict[tuple[str, str], str | None], expression: str, eid: str) -> dict[str, str | None]:
    """The printed labels of `eid` and the units above it in one redaction, by eId."""
    parts = eid.split("__")
    return {"__".join(parts[:k]): printed.get((expression, "__".join(parts[:k]))) for k in range(1, len(parts) + 1)}


def _body_starts(full_text: str, rows: list[dict]) -> dict[str, int]:
    """eId -> where its own text begins in the printed full text (rows in document order, as
    ingest/text.render prints them: each text follows its label and title)."""
    starts: dict[str, int] = {}
    cursor = 0
    for r in rows:
        if r.get("title"):     # a title may contain the words its text begins with
            j = full_text.find(r["title"], cursor)
            cursor = j + len(r["title"]) if j >= 0 else cursor
        body = r.get("text")
        if not body:
            continue
        core = body.strip()    # render strips the ends of an unlabelled line
        j = full_text.find(core, cursor) if core else -1
        if j < 0:
            continue
        starts[str(r["eid"])] = j - body.index(core)
        cursor = j + len(core)
    return starts


def text_parts(full_text: str, rows: list[dict], work: str, refs: list[dict], titles: dict[str, dict],
               act_titles: dict[str, str]) -> list[dict[str, Any]]:
    """The printed full text as pieces {"text", "href"?, "title"?}: a resolved reference's quoted
    words are a piece with the target (its IRI; the page makes the URL) and the target's title,
    an external one a piece with "внешний акт: …" and no target, an unresolved one its reason."""
    starts = _body_starts(full_text, rows)
    placed: list[tuple[int, int, dict]] = []
    for ref in refs:
        eid = ref["provision"].removeprefix(work + "/")
        base = starts.get(eid)
        if base is None:
            continue
        a, b = base + ref["start"], base + ref["end"]
        if 0 <= a < b <= len(full_text) and full_text[a:b] == ref["quote"]:
            placed.append((a, b, ref))
    placed.sort(key=lambda x: (x[0], -x[1]))
    parts: list[dict[str, Any]] = []
    pos = 0
    for a, b, ref in placed:
        if a < pos:            # overlaps the reference before it: that one is shown
            continue
        if a > pos:
            parts.append({"text": full_text[pos:a]})
        parts.append({"text": full_text[a:b], **_link(ref, work, titles, act_titles)})
        pos = b
    if pos < len(full_text):
        parts.append({"text": full_text[pos:]})
    return parts


def _link(ref: dict, work: str, titles: dict[str, dict], act_titles: dict[str, str]) -> dict[str, Any]:
    target = ref.get("target")
    if ref.get("resolved") and target:
        found = titles.get(target)
        title = found["label"] if found else target
        if found and found["act"] != work:
            title = f"{act_titles.get(found['act'], found['act'])}: {title}"
        return {"href": target, "title": title}
    if ref.get("external"):
        return {"title": f"внешний акт: {ref['external']}"}
    if ref.get("act") and ref.get("act") != work and ref.get("resolved"):
        return {"href": ref["act"], "title": act_titles.get(ref["act"], ref["act"])}
    return {"title": f"ссылка не разрешена: {ref.get('reason') or 'цель не найдена'}"}


def cited_by_list(cited_by: list[dict], titles: dict[str, dict], act_titles: dict[str, str]) -> list[dict[str, Any]]:
    """One entry per citing provision: {"iri", "label", "act", "quotes"} (its act's title, the
    label it has in the citing redaction, the quoted words of each reference), in act order."""
    out: dict[str, dict[str, Any]] = {}
    for ref in cited_by:
        p = ref["provision"]
        entry = out.get(p)
        if entry is None:
            found = titles.get(p) or {}
            label = found.get("by_redaction", {}).get(ref.get("redaction")) or found.get("label") or p
            act = found.get("act")
            entry = out[p] = {"iri": p, "label": label, "act": act_titles.get(act, act) if act else None,
                              "quotes": []}
        if ref["quote"] not in entry["quotes"]:
            entry["quotes"].append(ref["quote"])
    return list(out.values())


def page_view(store: GraphStore, data: dict, act_titles: dict[str, str]) -> dict[str, Any]:
    """What the page shows of a provision's references: `parts` of its text and `cited_by`."""
    refs, cited_by = data.get("references") or [], data.get("cited_by") or []
    titles = labels(store, {r["target"] for r in refs if r.get("target")} | {r["provision"] for r in cited_by})
    parts = None
    if refs and data.get("full_text"):
        eid = data["eid"]
        expression = data["expression"].removesuffix("/" + eid)
        rows = q.select(store, "provision_subtree", expression=expression, provision=data["iri"], eid=eid,
                        eid_prefix=eid + "__")
        parts = text_parts(data["full_text"], rows, data["act"], refs, titles, act_titles)
    return {"parts": parts, "cited_by": cited_by_list(cited_by, titles, act_titles)}
