"""Amendment history as data (issue 16, item 5): the effects table of an act or a provision, as
GET /effects, the provision JSON ("effects"), its page ("История изменений") and `lexmap
effects` show it.

The effects are triples of each redaction's graph (ingest/effects): what the notes of that
redaction state. One amendment is stated again by every later redaction, so the table keeps one
row per (provision, kind, unit, amending act) and says in which redactions it was read.
"""
from __future__ import annotations

import re
from datetime import date as Date

from pydantic import BaseModel, ConfigDict

from ingest.config import Settings
from ingest.identifiers import eli_of
from ingest.query import catalog as q
from ingest.store import GraphStore

from . import resources

KINDS = ("wording", "inserted", "repealed", "amended")
KIND_RU = {"wording": "новая редакция", "inserted": "дополнение", "repealed": "утратило силу",
           "amended": "изменения в акте"}
UNIT_RU = {"article": "статья", "part": "часть", "point": "пункт", "subpoint": "подпункт", "abzats": "абзац",
           "chapter": "глава", "section": "раздел", "subsection": "подраздел", "paragraph": "параграф",
           "subparagraph": "подпараграф", "note": "примечание", "title": "наименование", "annex": "приложение"}
_TYPE_RU = {"fz": "Федеральный закон", "fkz": "Федеральный конституционный закон", "ukaz": "Указ",
            "dekret": "Декрет", "kodeks": "Кодекс", "postanovlenie": "Постановление"}
# an amending act as the filter takes it: a number ("100-ФЗ", "45-З") or an ELI path / IRI of one
_NUMBER = re.compile(r"\d{1,6}(?:-[0-9A-Za-zА-Яа-яЁё]{1,6}){0,2}")
_ELI = re.compile(r"(?:https?://[^\s/]+(?:/[^\s/]+)*?/)?eli/[a-z]{2}/[a-z]+/\d{4}/[a-z0-9][a-z0-9.\-]*")
LIMIT_MAX = 5000


class AmendingActOut(BaseModel):
    """The act that made a change, as its note names it."""

    model_config = ConfigDict(extra="allow")
    iri: str | None = None             # the corpus act's IRI, or the ELI IRI lexmap would give it
    type: str | None = None            # fz, fkz, zakon, ukaz, dekret, kodeks, postanovlenie
    date: str | None = None
    number: str | None = None
    title: str                         # "Федеральный закон от 07.05.2013 № 100-ФЗ"
    in_corpus: bool = False


class EffectOut(BaseModel):
    """One row of an effects table."""

    model_config = ConfigDict(extra="allow")
    provision: str                     # the provision (or act) affected, IRI
    eid: str | None = None
    label: str = ""                    # "п. 2 ст. 200" ("" for the act as a whole)
    kind: str                          # wording | inserted | repealed | amended
    kind_ru: str
    unit: str | None = None            # what the note names: article, part, title …
    unit_ru: str | None = None
    unit_number: str | None = None
    date: str | None = None            # the amending act's date (what the notes give)
    in_force: str | None = None
    amending: AmendingActOut | None = None
    note: str | None = None            # the note's words (a provision's history; None in an act's table)
    holder: str | None = None          # the redaction whose notes state it (the latest)
    placement: str | None = None
    redactions: list[str]              # dates of the redactions whose notes state it


class EffectList(BaseModel):
    """GET /effects: the effects on an act (or a provision of it), filtered."""

    model_config = ConfigDict(extra="allow")
    act: str
    provision: str | None = None
    filters: dict
    total: int
    effects: list[EffectOut]
    amending_acts: list[dict]          # every amending act of the unfiltered table, with its ELI path and count
    years: list[int]


class BadFilter(ValueError):
    """A filter value that cannot be what it claims (answered 400)."""


def parse_amending(value: str | None, base_iri: str) -> tuple[str, str] | None:
    """("number", "100-ФЗ") or ("iri", IRI) for an amending-act filter; BadFilter otherwise."""
    if value is None:
        return None
    v = value.strip()
    if _NUMBER.fullmatch(v):
        return ("number", v.upper())
    if _ELI.fullmatch(v):
        return ("iri", v if v.startswith("http") else f"{base_iri.rstrip('/')}/{v}")
    raise BadFilter(f"amending={value[:80]!r} is neither an act number (100-ФЗ, 45-З) nor an ELI path of an act "
                    "(eli/ru/fz/2013/100-fz)")


def amending_title(atype: str | None, adate: str | None, number: str | None, jurisdiction: str) -> str:
    """"Федеральный закон от 07.05.2013 № 100-ФЗ", "Закон Республики Беларусь от 17.07.2020 № 45-З"."""
    if atype == "zakon":
        name = "Закон Республики Беларусь" if jurisdiction == "by" else "Закон Российской Федерации"
    else:
        name = _TYPE_RU.get(atype or "", "Акт")
    when = ""
    if adate:
        try:
            when = " от " + Date.fromisoformat(adate).strftime("%d.%m.%Y")
        except ValueError:
            when = f" от {adate}"
    return f"{name}{when}" + (f" № {number}" if number else "")


def _rows(store: GraphStore, work: str, provision: str | None) -> list[dict]:
    if provision and provision != work:
        return q.select(store, "effects_of_provision", work=work, provision=provision)
    return q.select(store, "effects_of_act", work=work)


def collect(store: GraphStore, work: str, provision: str | None, known_acts: set[str]) -> list[dict]:
    """The effects on `provision` (and its sub-provisions; None or the work: the whole act), one
    row per effect across redactions, by date then provision."""
    jurisdiction = "by" if "/eli/by/" in work else "ru"
    out: dict[tuple, dict] = {}
    for r in _rows(store, work, provision):
        r["holder"] = r["e"].rsplit("#", 1)[0]       # the effect is named after the note's holder
        # an effect naming no act ("Исключена") is one per holder
        key = (r["affects"], r["kind"], r.get("unit"), r.get("unitnum"), r.get("anum"), r.get("adate"),
               None if r.get("anum") else r["holder"].rsplit("/", 1)[-1])
        row = out.get(key)
        if row is None or r["v"] > row["_v"]:
            amending = None
            if r.get("anum") or r.get("act"):
                amending = {"iri": r.get("act"), "type": r.get("atype"), "date": r.get("adate"), "number": r.get("anum"),
                            "title": amending_title(r.get("atype"), r.get("adate"), r.get("anum"), jurisdiction),
                            "in_corpus": r.get("act") in known_acts}
            redactions = row["redactions"] if row else []
            eid = r["affects"][len(work) + 1:] if r["affects"].startswith(work + "/") else None
            row = out[key] = {
                "provision": r["affects"], "eid": eid, "kind": r["kind"], "kind_ru": KIND_RU.get(r["kind"], r["kind"]),
                "label": provision_label(r["affects"]), "unit": r.get("unit"),
                "unit_ru": UNIT_RU.get(r.get("unit") or "", r.get("unit")), "unit_number": r.get("unitnum"),
                "date": r.get("adate"),
                "in_force": r.get("inforce"), "amending": amending, "note": None, "holder": r["holder"],
                "placement": r.get("placement"), "redactions": redactions, "_v": r["v"]}
        if r["v"] not in row["redactions"]:
            row["redactions"].append(r["v"])
    rows = sorted(out.values(), key=lambda x: (x["date"] or "", x["provision"], x["kind"]))
    for row in rows:
        row["redactions"].sort()
        del row["_v"]
    return rows


def table(store: GraphStore, settings: Settings, path: str, known_acts: set[str], date_from: str | None = None,
          date_to: str | None = None, amending: str | None = None, kind: str | None = None, limit: int = 1000,
          offset: int = 0, rows: list[dict] | None = None) -> dict:
    """The effects table of GET /effects: `path` an act (or a provision: its effects and its
    sub-provisions'), filtered by effect date, amending act and kind. `rows`: `collect`'s answer
    when the caller keeps it. NotFound for an unknown act or provision; BadFilter for a bad filter."""
    if kind is not None and kind not in KINDS:
        raise BadFilter(f"kind={kind[:40]!r}: use one of {', '.join(KINDS)}")
    if date_from and date_to and date_from > date_to:
        raise BadFilter(f"from={date_from} is after to={date_to}")
    wanted = parse_amending(amending, settings.base_iri)
    res = resources.resolve(store, settings, path)
    if rows is None:
        rows = collect(store, res.work, res.iri, known_acts)
    acts: dict[str, dict] = {}
    years: set[int] = set()
    for r in rows:
        if r["date"]:
            years.add(int(r["date"][:4]))
        a = r["amending"]
        if a and a["number"]:
            # one entry per act (number and date: "15-ФЗ" of 2003 and of 2014 are two acts)
            entry = acts.setdefault(a["number"] + "|" + (a["date"] or ""), {
                **a, "path": eli_of(a["iri"]) if a["iri"] else None, "effects": 0})
            entry["effects"] += 1

    def keep(r: dict) -> bool:
        if kind and r["kind"] != kind:
            return False
        if date_from and (not r["date"] or r["date"] < date_from):
            return False
        if date_to and (not r["date"] or r["date"] > date_to):
            return False
        if wanted:
            a = r["amending"] or {}
            if wanted[0] == "number" and (a.get("number") or "").upper() != wanted[1]:
                return False
            if wanted[0] == "iri" and a.get("iri") != wanted[1]:
                return False
        return True

    chosen = [r for r in rows if keep(r)]
    return {"act": res.work, "provision": res.iri if res.iri != res.work else None,
            "filters": {"from": date_from, "to": date_to, "amending": amending, "kind": kind, "limit": limit,
                        "offset": offset},
            "total": len(chosen), "effects": chosen[offset:offset + limit],
            "amending_acts": sorted(acts.values(), key=lambda a: (a["date"] or "", a["number"] or "")),
            "years": sorted(years)}


def for_provision(store: GraphStore, work: str, iri: str, known_acts: set[str]) -> list[dict]:
    """The history of one provision (and its sub-provisions), newest first, each with its note's
    words: the provision JSON's `effects` and the page's "История изменений"."""
    rows = collect(store, work, iri, known_acts)
    notes: dict[str, str] = {}
    for r in rows:
        h = r["holder"]
        if h not in notes:
            # a provision's notes: a note split over paragraphs is read back whole (their order is not kept)
            notes[h] = " ".join(sorted(x["v"] for x in q.select(store, "provision_notes", node=h)))
        r["note"] = notes[h] or None
    return sorted(rows, key=lambda r: (r["date"] or "", r["provision"]), reverse=True)


def provision_label(iri: str) -> str:
    """A short Russian label from a provision IRI: "ст. 200 п. 2", "гл. 5"; "" for an act."""
    try:
        path = eli_of(iri)
    except ValueError:
        return ""
    eid = path.rsplit("/", 1)[-1] if "_" in path.rsplit("/", 1)[-1] else ""
    words = {"art": "ст.", "para": "п.", "point": "пп.", "subpoint": "пп.", "chp": "гл.", "sec": "разд.",
             "subsec": "подразд.", "subchp": "§", "subsubchp": "§", "part": "ч.", "note": "прим.", "att": "прил.",
             "item": "", "list": "", "preamble": "преамбула"}
    out = []
    for piece in eid.split("__") if eid else []:
        kind, _, num = piece.partition("_")
        w = words.get(kind, kind)
        out.append(f"{w} {num}".strip() if w != "преамбула" else w)
    return " ".join(x for x in reversed(out) if x)      # as cited: "п. 2 ст. 200"


def history(ctx, work: str, iri: str) -> list[dict]:
    """`for_provision` through the app context (`ctx`: api.context.AppContext): kept until the
    next write, the amending acts of the corpus linked."""
    def build() -> list[dict]:
        return for_provision(ctx.store, work, iri, {a["iri"] for a in ctx.acts()})
    return ctx.memo("provision effects", (work, iri), build)
