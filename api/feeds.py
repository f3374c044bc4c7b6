"""Atom feeds (RFC 4287) of what changes in the knowledge base.

- new redactions, of one act or of a jurisdiction (or all): one entry per redaction;
- provisions changed between consecutive redactions of an act (added, repealed, changed,
  renumbered, moved, removed), from api.compare.changes;
- mapping events of an act pair (or all): created, reviewed, became stale, from the PROV trail.

Each entry links to the page (text/html) and to the JSON of what it names. A feed is built
from the services, kept by the app context until the data changes, and answered with an ETag
(sha256 of the body) and Last-Modified (its newest entry), so a reader polling it gets 304.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
from dataclasses import dataclass, field
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import urlencode

from lxml import etree

from ingest.identifiers import eli_of, work_of
from ingest.mappings.model import mapping_iri
from ingest.query import catalog as q

from . import compare as compare_service, mappings as mapping_service
from .context import AppContext
from .templating import HARMONIZATION_RU, JURISDICTION_RU, LIFECYCLE_RU, RELATION_RU

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml"
MAX_ENTRIES = 500
CHANGE_RU = {"added": "добавлена", "repealed": "утратила силу", "changed": "изменена", "renumbered": "перенумерована",
             "moved": "перемещена", "removed": "исключена из текста"}
EVENT_RU = {"created": "создано", "reviewed": "проверено", "stale": "требует повторной проверки",
            "updated": "изменено", "removed": "удалено"}


@dataclass
class Entry:
    """One Atom entry: id, title, updated (RFC 3339), links by media type, summary, category."""

    id: str
    title: str
    updated: str
    html: str
    json: str
    summary: str
    category: str
    related: list[str] = field(default_factory=list)


@dataclass
class Feed:
    """A feed's head and entries (newest first, at most MAX_ENTRIES)."""

    id: str
    title: str
    self_url: str
    page_url: str
    entries: list[Entry]

    @property
    def updated(self) -> str:
        return max((e.updated for e in self.entries), default="1970-01-01T00:00:00Z")


class FeedError(ValueError):
    """A feed asked for something that does not exist (an unknown act)."""


def _day(date: str) -> str:
    return f"{date}T00:00:00Z"


def _eli_url(iri: str, **query: str | None) -> str:
    qs = urlencode({k: v for k, v in query.items() if v})
    return "/" + eli_of(iri) + (f"?{qs}" if qs else "")


def redactions(ctx: AppContext, jurisdiction: str | None = None, act: str | None = None) -> Feed:
    """New redactions of one act, of a jurisdiction, or of every act; newest first."""
    work = _work(ctx, act) if act else None
    acts = [a for a in ctx.acts() if (work is None or a["iri"] == work)
            and (jurisdiction is None or a["jurisdiction"] == jurisdiction)]
    entries = []
    for a in acts:
        for r in q.select(ctx.store, "act_sources", work=a["iri"]):
            entries.append(Entry(
                id=r["e"], title=f"{a['title']}: редакция от {r['d']}", updated=_day(r["d"]),
                html=_eli_url(a["iri"], date=r["d"]), json=_eli_url(a["iri"], date=r["d"], format="json"),
                summary=(f"{JURISDICTION_RU.get(a['jurisdiction'], a['jurisdiction'])}, {a['eli']}: редакция от "
                         f"{r['d']} (источник: {r.get('fmt') or '—'}, sha256 {(r.get('sha') or '—')[:16]}…)"),
                category=a["jurisdiction"]))
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    scope = (f"act={eli_of(work)}" if work else f"jurisdiction={jurisdiction}" if jurisdiction else "")
    name = (acts[0]["title"] if work and acts else JURISDICTION_RU.get(jurisdiction or "", "все акты"))
    return _feed(ctx, "redactions", scope, f"Новые редакции: {name}", "/", entries)


def changes(ctx: AppContext, act: str) -> Feed:
    """Provisions changed between each pair of consecutive redactions of `act`; newest first."""
    work = _work(ctx, act)
    dates = [r["d"] for r in q.select(ctx.store, "act_sources", work=work)]
    entries: list[Entry] = []
    for old, new in zip(dates, dates[1:]):
        result = ctx.memo("changes feed", (work, old, new), lambda o=old, n=new: compare_service.changes(
            ctx.store, ctx.settings, work, o, n, with_redlines=False))
        for kind in CHANGE_RU:
            for x in result[kind]:
                target = x["to"] if kind == "renumbered" else x
                label = target.get("label") or target["eid"]
                title = f"{label}" + (f". {target['title']}" if target.get("title") else "")
                if kind == "renumbered":
                    summary = f"{x['from'].get('label')} → {label}"
                elif kind == "moved":
                    summary = f"{x.get('from_chapter')} → {x.get('to_chapter')}"
                else:
                    summary = target.get("chapter") or ""
                date = old if kind == "removed" else new
                related = ([f"/diff?{urlencode({'left': eli_of(target['iri']), 'right': eli_of(target['iri']), 'left_date': old, 'right_date': new, 'format': 'html'})}"]
                           if kind == "changed" else [])
                entries.append(Entry(
                    id=f"{target['iri']}#{kind}-{old}-{new}", title=f"{title} — {CHANGE_RU[kind]} ({old} → {new})",
                    updated=_day(new), html=_eli_url(target["iri"], date=date),
                    json=_eli_url(target["iri"], date=date, format="json"), summary=summary, category=kind,
                    related=related))
    entries.sort(key=lambda e: e.updated, reverse=True)   # stable: document order within a redaction
    title = next((a["title"] for a in ctx.acts() if a["iri"] == work), eli_of(work))
    return _feed(ctx, "changes", f"act={eli_of(work)}", f"Изменения статей: {title}", _eli_url(work), entries)


def mapping_events(ctx: AppContext, source_act: str | None = None, target_act: str | None = None) -> Feed:
    """Mapping events (created, reviewed, became stale) of an act pair, or of every mapping."""
    works = [w for w in (_work(ctx, source_act) if source_act else None,
                         _work(ctx, target_act) if target_act else None) if w]
    repo = ctx.mappings.repo
    table = {m.record_id: m for m in ctx.mappings.table().select()}
    prefix = mapping_iri(ctx.settings.base_iri, "")
    entries = []
    for r in q.select(ctx.store, "feed_mapping_events", provenance=repo.prov_graph):
        rid = r["m"].removeprefix(prefix)
        m = table.get(rid)
        if m is None:
            continue
        acts = {work_of(m.subject)} | (set() if m.no_counterpart else {work_of(m.object)})
        if any(w not in acts for w in works):
            continue
        event = _event(r["what"], r.get("changes") or "")
        other = "нет соответствия" if m.no_counterpart else (m.object_label or eli_of(m.object))
        summary = (f"{m.subject_label or eli_of(m.subject)} ↔ {other}: "
                   f"{RELATION_RU.get(m.relation or '', m.relation or '—')}, "
                   f"{HARMONIZATION_RU.get(m.harmonization, m.harmonization)}, "
                   f"статус {LIFECYCLE_RU.get(m.lifecycle, m.lifecycle)}"
                   + (f"; {r['note']}" if r.get("note") else ""))
        entries.append(Entry(
            id=r["a"], title=f"Соответствие {rid}: {EVENT_RU[event]}", updated=_instant(r["when"]),
            html=_eli_url(m.subject), json=f"/mappings/{rid}", summary=summary, category=event))
    # newest first; within one second a mapping is created before it is reviewed or flagged
    entries.sort(key=lambda e: (e.updated, list(EVENT_RU).index(e.category)), reverse=True)
    scope = "&".join(f"{k}={eli_of(w)}" for k, w in zip(("source_act", "target_act"), works))
    return _feed(ctx, "mappings", scope, "События соответствий" + (": " + " ↔ ".join(eli_of(w) for w in works)
                                                                   if works else ""), "/", entries)


def _event(action: str, changes: str) -> str:
    if action in ("create", "import") and ("added" in changes or action == "create"):
        return "created"
    if action == "import" and "removed" in changes:
        return "removed"
    if action == "review":
        return "reviewed"
    if action == "stale check":
        return "stale"
    return "updated"


def _instant(value: str) -> str:
    """An xsd:dateTime as RFC 3339 in UTC."""
    try:
        t = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "1970-01-01T00:00:00Z"
    if t.tzinfo is None:
        t = t.replace(tzinfo=_dt.timezone.utc)
    return t.astimezone(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _work(ctx: AppContext, ref: str) -> str:
    try:
        return mapping_service.act_iri(ctx.mappings, ref)
    except mapping_service.BadRequest as exc:
        raise FeedError(str(exc)) from None


def _feed(ctx: AppContext, kind: str, scope: str, title: str, page: str, entries: list[Entry]) -> Feed:
    base = ctx.settings.base_iri
    self_url = f"/feeds/{kind}.atom" + (f"?{scope}" if scope else "")
    return Feed(id=f"{base}/feeds/{kind}" + (f"?{scope}" if scope else ""), title=title, self_url=self_url,
                page_url=page, entries=entries[:MAX_ENTRIES])


def to_atom(feed: Feed) -> bytes:
    """The feed as an Atom 1.0 document (UTF-8)."""
    E = lambda tag, text=None, **attrs: _el(tag, text, attrs)  # noqa: E731
    root = etree.Element(f"{{{ATOM}}}feed", nsmap={None: ATOM})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "ru")
    for child in (E("id", feed.id), E("title", feed.title), E("updated", feed.updated),
                  E("link", rel="self", type=MEDIA_TYPE, href=feed.self_url),
                  E("link", rel="alternate", type="text/html", href=feed.page_url),
                  E("generator", "lexmap")):
        root.append(child)
    author = E("author")
    author.append(E("name", "lexmap"))
    root.append(author)
    for e in feed.entries:
        entry = E("entry")
        for child in (E("id", e.id if ":" in e.id else "urn:lexmap:" + e.id), E("title", e.title),
                      E("updated", e.updated), E("link", rel="alternate", type="text/html", href=e.html),
                      E("link", rel="alternate", type="application/json", href=e.json),
                      *[E("link", rel="related", type="text/html", href=r) for r in e.related],
                      E("category", term=e.category), E("summary", e.summary)):
            entry.append(child)
        root.append(entry)
    return etree.tostring(root, xml_declaration=True, encoding="utf-8", pretty_print=True)


def _el(tag: str, text: str | None, attrs: dict) -> etree._Element:
    el = etree.Element(f"{{{ATOM}}}{tag}", {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def last_modified(feed: Feed) -> str:
    """The newest entry's time as an HTTP date."""
    t = _dt.datetime.strptime(feed.updated, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=_dt.timezone.utc)
    return format_datetime(t, usegmt=True)


def not_modified(if_none_match: str | None, if_modified_since: str | None, tag: str, modified: str) -> bool:
    """RFC 9110: If-None-Match decides when present; otherwise If-Modified-Since."""
    if if_none_match is not None:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or tag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            return False
        return parsedate_to_datetime(modified) <= since
    return False


__all__ = ["Feed", "FeedError", "MEDIA_TYPE", "changes", "etag", "last_modified", "mapping_events",
           "not_modified", "redactions", "to_atom"]
