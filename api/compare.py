"""Comparisons for drafters: two provisions, two acts (gap analysis), two redactions.

All three read texts from the graph (the redaction in force on a date, the
latest by default) and redline with api.redline. A text whose source is recorded as
incomplete (`lexmap:sourceDefect`: a list missing or cut in the source, no text) is compared
as "text missing in the source", never as deletions: each answer counts the articles
affected (`text_missing`) and says so in Russian (`notice`). Reviewed mappings and the
suggester's proposals are counted apart everywhere.
"""
from __future__ import annotations

import csv
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
import io
from collections import defaultdict

from ingest.articles import Article as _Art, ArticleShelf, is_text_defect, strip_head as _strip_head, text_defects
from ingest.identifiers import ELI_MARK, base_of, eli_of
from ingest.mappings.repository import MappingRepository, MappingTable
from ingest.mappings.suggest import Suggester
from ingest.store import GraphStore
from ingest.text import provision_texts, status_name

from . import resources
from .mappings import ranked_many
from .redline import redline, similarity, with_missing_text
from ingest.query import catalog as q

SUGGESTION_FLOOR = 0.35   # below this score (without a calibration) the best candidate is no counterpart
PROBABILITY_FLOOR = 0.5   # below this calibrated probability the best candidate is no counterpart
TEXT_MISSING_NOTICE = ("Текст {n} {what} в источнике неполон (перечень отсутствует или обрывается): "
                       "недостающее показано как «нет в источнике», а не как исключённое.")


def text_missing_notice(n: int) -> str | None:
    """The Russian notice shown when `n` compared articles have text missing in their source."""
    if not n:
        return None
    what = "статьи" if n % 10 == 1 and n % 100 != 11 else "статей"
    return TEXT_MISSING_NOTICE.format(n=n, what=what)


def honest_redline(left: str, right: str, left_defects: list[str], right_defects: list[str],
                   mode: str = "words") -> dict:
    """The redline of two texts, with what a side's incomplete source lacks marked "missing"."""
    result = redline(left, right, mode)
    if right_defects:
        result = with_missing_text(result, "right")
    if left_defects:
        result = with_missing_text(result, "left")
    return result


class CompareError(ValueError):
    """A comparison that cannot be made as asked; the message says which input and why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ provision vs provision

def diff_provisions(store: GraphStore, settings, left: str, right: str, mode: str = "words",
                    left_date: str | None = None, right_date: str | None = None) -> dict:
    """Redline of two provisions (any acts, any jurisdictions)."""
    sides = []
    for name, path, date in (("left", left, left_date), ("right", right, right_date)):
        try:
            data = resources.get_act(store, settings, _eli(path), date)
        except resources.NotFound as exc:
            raise CompareError(f"{name}: {exc}", 404) from None
        except ValueError as exc:
            raise CompareError(f"{name}: {exc}") from None
        if data.get("kind") == "act":
            raise CompareError(f"{name}: {path} is an act; /diff compares provisions (use /compare for acts)")
        if not data.get("in_redaction"):
            raise CompareError(f"{name}: {path} has no text in the redaction of {data['redaction']}")
        sides.append(data)
    a, b = sides
    body = lambda d: _body(d)  # noqa: E731
    defects = {name: [x for x in d.get("source_defects") or [] if is_text_defect(x)]
               for name, d in (("left", a), ("right", b))}
    try:
        result = honest_redline(body(a), body(b), defects["left"], defects["right"], mode)
    except ValueError as exc:
        raise CompareError(str(exc)) from None
    n = sum(1 for v in defects.values() if v)
    return {"left": _side(a), "right": _side(b), **result, "source_defects": defects, "text_missing": n,
            "notice": text_missing_notice(n)}


def _eli(path: str) -> str:
    path = path.strip().strip("/")
    if ELI_MARK in path:
        path = eli_of(path)
    return path if path.startswith("eli/") else "eli/" + path


def _body(d: dict) -> str:
    """The provision's printed text without its own heading line (titles are compared apart)."""
    text = d.get("full_text") or ""
    head = f"{d.get('label')}. {d.get('title')}" if d.get("label") and d.get("title") else None
    if head and text.startswith(head):
        text = text[len(head):].lstrip("\n")
    return text


def _side(d: dict) -> dict:
    return {"iri": d["iri"], "label": d.get("label"), "title": d.get("title"), "redaction": d["redaction"],
            "act": d["act"], "status": d.get("status")}


# ------------------------------------------------------------------ act vs act (gap analysis)

def compare_acts(store: GraphStore, left_work: str, right_work: str, suggester: Suggester | None = None,
                 base_iri: str = "", table: MappingTable | None = None) -> dict:
    """Correlation of two acts: accepted mappings first, suggestions second (marked), gaps both ways.

    `table`: the mappings as kept by the caller (the app context's memo); None reads them."""
    if left_work == right_work:
        raise CompareError("left_act and right_act are the same act; use /changes to compare its redactions")
    # the store answers both acts' queries and the mappings' at once (pyoxigraph releases the
    # GIL while it evaluates): the two acts' articles and the table are read side by side
    with ThreadPoolExecutor(max_workers=3) as pool:
        shelf = suggester.articles if suggester is not None else ArticleShelf(store)
        sides = pool.map(shelf.latest, (left_work, right_work))
        reading = (pool.submit(MappingRepository(store, base_iri or base_of(left_work)).table)
                   if table is None else None)
        left, right = sides
        if not left or not right:
            raise CompareError("an act has no articles in force to compare")
        if suggester is not None:
            suggester.pair(left_work, right_work)   # the acts' profiles, built while the table is read
        if reading is not None:
            table = reading.result()
    by_iri = {a.iri: a for a in left + right}
    maps = [m for m in table.select() if m.lifecycle in ("accepted", "stale")]
    pairs: dict[str, list[dict]] = defaultdict(list)
    right_seen: set[str] = set()
    gaps_curated: dict[str, dict] = {}
    lset, rset = {a.iri for a in left}, {a.iri for a in right}
    for m in maps:
        s, o = m.subject, m.object
        if m.no_counterpart:
            if s in lset or s in rset:
                gaps_curated[s] = {"mapping": m.record_id, "comment": m.comment}
            continue
        if m.relation == "not_related":
            continue
        if s in rset and o in lset:       # stated the other way round
            s, o = o, s
        if s in lset and o in rset:
            pairs[s].append({"right": o, "relation": m.relation, "harmonization": m.harmonization,
                             "confidence": m.confidence, "source": "mapping", "mapping": m.record_id,
                             "stale": m.lifecycle == "stale", "comment": m.comment})
            right_seen.add(o)
    if suggester is not None:
        todo = [a.iri for a in left if a.iri not in pairs and a.iri not in gaps_curated]
        for iri, cands in ranked_many(table, suggester, todo, left_work, right_work, 1).items():
            best = cands[0]
            a = by_iri[iri]
            sure = best.probability if best.probability is not None else None
            if (sure is not None and sure >= PROBABILITY_FLOOR) or (sure is None and best.score >= SUGGESTION_FLOOR):
                pairs[a.iri].append({"right": best.iri, "relation": None, "harmonization": None,
                                     "confidence": round(sure if sure is not None else best.score, 3),
                                     "probability": None if sure is None else round(sure, 3),
                                     "source": "suggestion", "mapping": None, "stale": False, "comment": None})
                right_seen.add(best.iri)
    rows = []
    for a in left:
        if a.iri in pairs:
            for p in pairs[a.iri]:
                b = by_iri[p["right"]]
                if a.defects or b.defects:
                    sim = honest_redline(a.text, b.text, list(a.defects), list(b.defects))["similarity"]
                else:
                    sim = _similarity(a.text, b.text)
                rows.append({**p, "left": _art(a), "right": _art(b), "similarity": sim,
                             "status": _status(p, sim), "reviewed": p["source"] == "mapping",
                             "text_missing": _missing(a, b)})
        else:
            rows.append({"left": _art(a), "right": None, "relation": None, "harmonization": "divergent",
                         "source": "mapping" if a.iri in gaps_curated else "none",
                         "mapping": gaps_curated.get(a.iri, {}).get("mapping"),
                         "comment": gaps_curated.get(a.iri, {}).get("comment"), "similarity": 0.0,
                         "confidence": None, "stale": False, "status": "missing",
                         "reviewed": a.iri in gaps_curated, "text_missing": _missing(a, None)})
    right_only = [{"right": _art(b), "source": "mapping" if b.iri in gaps_curated else "none",
                   "reviewed": b.iri in gaps_curated, "comment": gaps_curated.get(b.iri, {}).get("comment")}
                  for b in right if b.iri not in right_seen]
    chapters: dict[str, dict] = {}
    for r in rows:
        c = chapters.setdefault(r["left"]["chapter"], {
            "chapter": r["left"]["chapter"], "title": r["left"]["chapter_title"], "matched": 0, "diverging": 0,
            "missing": 0, **{f"{k}_{s}": 0 for k in _KINDS for s in _STATUSES}})
        c[r["status"]] += 1
        c[f"{_kind(r)}_{r['status']}"] += 1
    counts = {k: sum(1 for r in rows if r["status"] == k) for k in _STATUSES}
    split = {f"{k}_{s}": sum(1 for r in rows if _kind(r) == k and r["status"] == s) for k in _KINDS for s in _STATUSES}
    affected = len({r["left"]["iri"] for r in rows if r["text_missing"]})
    return {"left_act": left_work, "right_act": right_work, "pairs": rows, "right_only": right_only,
            "chapters": list(chapters.values()),
            "summary": {**counts, **split, "left_articles": len(left), "right_articles": len(right),
                        "right_without_counterpart": len(right_only),
                        # articles, not rows: an article with two reviewed counterparts counts once
                        **{name: len({r["left"]["iri"] for r in rows if _kind(r) == k})
                           for name, k in (("reviewed", "reviewed"), ("suggested", "suggested"), ("unmatched", "none"))},
                        "from_mappings": sum(1 for r in rows if r["source"] == "mapping" and r["right"]),
                        "from_suggestions": sum(1 for r in rows if r["source"] == "suggestion"),
                        "text_missing": affected},
            "notice": text_missing_notice(affected)}


@lru_cache(maxsize=20_000)
def _similarity(left: str, right: str) -> float:
    """`similarity`, kept per pair of texts: a pure function of them, so a gap analysis computed
    again after a mapping write (texts unchanged) does not redo the pairs it already scored."""
    return similarity(left, right)


_STATUSES = ("matched", "diverging", "missing")
# reviewed: a reviewed mapping (or a reviewed "no counterpart"); suggested: the suggester's
# proposal, nobody has checked it; none: neither
_KINDS = ("reviewed", "suggested", "none")


def _kind(row: dict) -> str:
    return "reviewed" if row["source"] == "mapping" else "suggested" if row["source"] == "suggestion" else "none"


def _missing(a: _Art, b: _Art | None) -> dict | None:
    """The text-missing defects of the two sides, or None when both texts are whole."""
    if not a.defects and not (b and b.defects):
        return None
    return {"left": list(a.defects), "right": list(b.defects) if b else []}


def _art(a: _Art) -> dict:
    return {"iri": a.iri, "eid": a.eid, "label": a.label, "title": a.title, "chapter": a.chapter,
            "chapter_title": a.chapter_title}


def _status(p: dict, similarity: float) -> str:
    if p["source"] == "suggestion":
        return "matched" if similarity >= 0.8 else "diverging"
    if p["relation"] == "equal" and p["harmonization"] != "divergent":
        return "matched"
    if p["relation"] in ("subset_of", "superset_of") and p["harmonization"] != "divergent":
        return "matched" if similarity >= 0.6 else "diverging"
    return "diverging"


def compare_csv(result: dict) -> str:
    """The correlation table a ministry attaches to a draft law."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["глава", "статья", "наименование", "соотношение", "статья (другая юрисдикция)", "наименование",
                "гармонизация", "сходство текста", "основание", "соответствие", "комментарий", "вероятность",
                "текст в источнике"])
    for r in result["pairs"]:
        b = r["right"] or {}
        chapter = " ".join(x for x in (r["left"]["chapter"], r["left"].get("chapter_title") or "") if x)
        w.writerow([chapter, r["left"]["label"], r["left"]["title"],
                    r["relation"] or ("нет соответствия" if not b else "предложено"), b.get("label", ""),
                    b.get("title", ""), r["harmonization"] or "", f"{r['similarity']:.2f}",
                    {"mapping": "проверено", "suggestion": "предложение системы, не проверено", "none": ""}[r["source"]],
                    r["mapping"] or "", r["comment"] or "",
                    "" if r.get("probability") is None else f"{r['probability']:.2f}",
                    "неполный (перечень отсутствует или обрывается)" if r.get("text_missing") else ""])
    for r in result["right_only"]:
        b = r["right"]
        w.writerow(["", "", "", "нет соответствия", b["label"], b["title"], "divergent", "",
                    "проверено" if r.get("reviewed") else "", "", r["comment"] or "", "", ""])
    return out.getvalue()


# ------------------------------------------------------------------ numbers the pairs set

def parameter_differences(result: dict, shelf: ArticleShelf) -> dict:
    """The pairs of a gap analysis (`compare_acts`' answer) whose parameters differ — periods,
    ages, amounts, counts, shares (ingest.parameters) — each with its parameters aligned side by
    side and the Russian summary ("срок исковой давности: 3 года ↔ 3 года; …"). Pairs whose
    numbers agree are counted, not listed."""
    from ingest.parameters.align import align, differs, summary
    texts = {a.iri: a.text for work in (result["left_act"], result["right_act"]) for a in shelf.latest(work)}
    listed, compared, with_numbers = [], 0, 0
    for row in result["pairs"]:
        if not row.get("right"):
            continue
        left, right = row["left"]["iri"], row["right"]["iri"]
        compared += 1
        pl, pr = _parameters_of(texts.get(left, ""), _jurisdiction(left)), \
            _parameters_of(texts.get(right, ""), _jurisdiction(right))
        if pl or pr:
            with_numbers += 1
        aligned = align(list(pl), list(pr))
        if differs(aligned):
            listed.append({"left": row["left"], "right": row["right"], "source": row["source"],
                           "reviewed": row["reviewed"], "parameters": [a.as_dict() for a in aligned],
                           "summary": summary(aligned)})
    return {"pairs": listed, "summary": {"compared": compared, "with_parameters": with_numbers,
                                         "differing": len(listed)}}


@lru_cache(maxsize=20_000)
def _parameters_of(text: str, jurisdiction: str) -> tuple:
    """The parameters of one provision's text, kept per text (a pure function of it)."""
    from ingest.parameters import extract_parameters
    return tuple(extract_parameters(text, jurisdiction))


def _jurisdiction(iri: str) -> str:
    """"ru" or "by" of a provision IRI (…/eli/by/…); "" when it says neither."""
    rest = iri.split(ELI_MARK, 1)[-1]
    return rest.split("/", 1)[0] if ELI_MARK in iri else ""


# ------------------------------------------------------------------ redaction vs redaction

def changes(store: GraphStore, settings, act_path: str, date_from: str, date_to: str, with_redlines: bool = True) -> dict:
    """Articles added, repealed, changed (with redlines), renumbered or moved between two dates."""
    if date_from > date_to:
        raise CompareError(f"from {date_from} is after to {date_to}")
    work_iri = _eli(act_path)
    if work_iri.startswith("eli/"):
        work_iri = f"{settings.base_iri}/{work_iri}"
    dates = sorted({r["d"] for r in q.select(store, "act_dates", work=work_iri)})
    if len(dates) == 1:
        raise CompareError(f"{act_path} has only one redaction ({dates[0]}) in the store; nothing to compare")
    try:
        old = resources.resolve(store, settings, _eli(act_path), date_from)
        new = resources.resolve(store, settings, _eli(act_path), date_to)
    except resources.NotFound as exc:
        raise CompareError(str(exc), 404) from None
    except ValueError as exc:
        raise CompareError(f"act: {exc}") from None
    if old.path.eid:
        raise CompareError(f"{act_path} is a provision; /changes compares redactions of an act")
    if old.expression == new.expression:
        raise CompareError(f"both dates fall in the same redaction ({old.version}); pick dates on either side "
                           f"of a redaction: {', '.join(sorted(set(dates)))}")
    # the two redactions are read side by side (pyoxigraph releases the GIL while it evaluates)
    with ThreadPoolExecutor(max_workers=2) as pool:
        (a, ta, da), (b, tb, db) = pool.map(lambda r: _read_redaction(store, r.work, r.expression), (old, new))
    norm = lambda t: " ".join(_strip_head(t).split())  # noqa: E731
    kept: dict[tuple[str, str], dict] = {}

    def redline_once(left: str, right: str) -> dict:
        # the renumbering check and the changed list redline the same article pair: once
        if (left, right) not in kept:
            kept[(left, right)] = redline(left, right)
        return kept[(left, right)]
    out = {"act": old.work, "from": {"date": date_from, "redaction": old.version},
           "to": {"date": date_to, "redaction": new.version}, "unit": next(iter(a.values()))["kind"] if a else "article",
           "added": [], "repealed": [], "changed": [], "renumbered": [], "moved": [], "removed": [],
           "text_missing": []}
    # renumbered: the old text, unchanged, now stands under another number (and its old
    # number is gone or holds another text) — an insertion shifted the numbering
    new_by_text: dict[str, list[str]] = defaultdict(list)
    for e in b:
        if norm(tb.get(e, "")):
            new_by_text[norm(tb[e])].append(e)
    new_by_title: dict[str, list[str]] = defaultdict(list)
    for e in b:
        if b[e]["title"]:
            new_by_title[_title_key(b[e]["title"])].append(e)
    renum_old, renum_new = set(), set()
    for e in a:
        t_old = norm(ta.get(e, ""))
        if not t_old or (e in b and norm(tb.get(e, "")) == t_old) or a[e]["status"] != "in_force":
            continue
        hits = [x for x in new_by_text.get(t_old, []) if x != e and x not in renum_new]
        similarity = 1.0
        if not hits and a[e]["title"]:
            # the same title under another number with nearly the same text (cross-references
            # inside it renumbered too), while its old number now says something else
            own = redline_once(_strip_head(ta[e]), _strip_head(tb[e]))["similarity"] if e in b and tb.get(e) else 0.0
            if own < 0.5:
                for x in new_by_title.get(_title_key(a[e]["title"]), []):
                    free = x not in a or _title_key(a[x]["title"]) != _title_key(b[x]["title"])
                    if x != e and x not in renum_new and free:
                        sim = redline_once(_strip_head(ta[e]), _strip_head(tb.get(x, "")))["similarity"]
                        if sim >= RENUMBER_SIMILARITY:
                            hits, similarity = [x], sim
                            break
        if hits:
            out["renumbered"].append({"from": _ref(a[e]), "to": _ref(b[hits[0]]), "similarity": round(similarity, 4)})
            renum_old.add(e)
            renum_new.add(hits[0])
    for e in b:
        if e in a or e in renum_new:
            continue
        if b[e]["status"] == "in_force":
            out["added"].append(_ref(b[e]))
        else:   # a repealed stub the later source lists and the earlier one did not
            out["repealed"].append({**_ref(b[e]), "status": b[e]["status"], "absent_before": True})
    out["removed"] = [_ref(a[e]) for e in a if e not in b and e not in renum_old]
    for e in a:
        if e not in b or e in renum_old:
            continue
        x, y = a[e], b[e]
        if x["status"] == "in_force" and y["status"] != "in_force":
            out["repealed"].append({**_ref(y), "status": y["status"]})
            continue
        if x["parent"] != y["parent"]:
            out["moved"].append({**_ref(y), "from_chapter": x["chapter"], "to_chapter": y["chapter"]})
        if e in renum_new:
            continue   # its number now holds another, renumbered text: reported above
        if norm(ta.get(e, "")) != norm(tb.get(e, "")) and y["status"] == "in_force":
            item = {**_ref(y)}
            cut = {"from": da.get(e, []), "to": db.get(e, [])}
            if cut["from"] or cut["to"]:
                # a source lost text: what is missing is not a repeal; an article whose only
                # difference is that is listed apart, not as changed
                r = honest_redline(_strip_head(ta.get(e, "")), _strip_head(tb.get(e, "")), cut["from"], cut["to"])
                item["source_defects"] = cut
                if with_redlines or r["identical"]:
                    item.update(similarity=r["similarity"], stats=r["stats"], ops=r["ops"])
                (out["text_missing"] if r["identical"] else out["changed"]).append(item)
                continue
            if with_redlines:
                r = redline_once(_strip_head(ta.get(e, "")), _strip_head(tb.get(e, "")))
                item.update(similarity=r["similarity"], stats=r["stats"], ops=r["ops"])
            out["changed"].append(item)
    # document order: each unit's place in the new redaction, or in the old one when it is gone
    place = {x["iri"]: x["sort"] for x in a.values()} | {x["iri"]: x["sort"] for x in b.values()}
    for key in ("added", "repealed", "changed", "moved", "removed", "text_missing"):
        out[key].sort(key=lambda x: place[x["iri"]])
    out["renumbered"].sort(key=lambda x: place[x["from"]["iri"]])
    out["summary"] = {k: len(out[k]) for k in ("added", "repealed", "changed", "renumbered", "moved", "removed",
                                               "text_missing")}
    # every compared article with text missing in either source, changed or not
    affected = len(out["text_missing"]) + sum(1 for x in out["changed"] if "source_defects" in x)
    out["summary"]["text_missing_changed"] = affected - len(out["text_missing"])
    out["notice"] = text_missing_notice(affected)
    return out


RENUMBER_SIMILARITY = 0.85


def _title_key(title: str | None) -> str:
    return " ".join((title or "").lower().replace("ё", "е").split())


def _read_redaction(store: GraphStore, work: str, expression: str) -> tuple[dict, dict, dict]:
    """A redaction's article-level units, their printed texts and their text-missing defects."""
    units = _redaction_articles(store, work, expression)
    return units, provision_texts(store, work, expression, set(units)), text_defects(store, expression)


def _redaction_articles(store: GraphStore, work: str, expression: str) -> dict[str, dict]:
    """The article-level units of a redaction (articles; sections where an act has no articles, as AKN by-laws)."""
    kinds = {r["k"]: int(r["n"]) for r in q.select(store, "unit_kinds", expression=expression)}
    unit = "article" if kinds.get("article", 0) >= max(5, kinds.get("section", 0) // 2) else "section"
    rows = q.select(store, "redaction_units", expression=expression, unit=unit)
    return {r["eid"]: {"iri": r["p"], "eid": r["eid"], "label": r.get("label"), "title": r.get("title"), "kind": unit,
                       "status": status_name(r.get("st")), "parent": r["parent"].rsplit("/", 1)[-1], "sort": int(r["sort"]),
                       "chapter": r.get("plabel") or r["parent"].rsplit("/", 1)[-1]}
            for r in rows}


def _ref(x: dict) -> dict:
    return {"iri": x["iri"], "eid": x["eid"], "label": x["label"], "title": x["title"], "chapter": x["chapter"]}
