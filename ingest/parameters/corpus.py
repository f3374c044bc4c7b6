"""The articles of an act's latest redaction read straight from its source in the corpus (no
store), printed as the store prints them: the judged set (tests/parameters/judged.tsv) and the
bench (bench/parameters.py) read the same texts whether or not a store is loaded."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ingest.text import render


_STATUS_IRI = {"repealed": "Repealed", "excluded": "Excluded"}   # as ingest.text.status_name reads them


@dataclass(frozen=True)
class CorpusArticle:
    """One article: act key, eId, label as printed and its body (without the "Статья N. Title" line)."""

    act: str
    eid: str
    label: str
    text: str

    @property
    def path(self) -> str:
        """"ru-gk-1/art_196": how the judged set names the article."""
        return f"{self.act}/{self.eid}"


@lru_cache(maxsize=8)
def articles(act_key: str) -> tuple[CorpusArticle, ...]:
    """The articles of `act_key`'s latest redaction, in document order. Raises KeyError for an
    act not in the manifest and ingest.sources.SourceError when the source cannot be read."""
    from ingest.config import load_settings
    from ingest.load import parse_source
    from ingest.sources import load_manifest, read_source

    settings = load_settings()
    manifest = load_manifest(settings)
    act = manifest.find(act_key)
    expr = act.latest
    doc = parse_source(expr, read_source(manifest, expr, settings))
    out = []
    for art in doc.articles():
        rows = [{"eid": p.eid, "label": p.label, "title": p.title, "text": p.text, "wrap": p.wrap_up,
                 "st": _STATUS_IRI.get(p.status)} for p in art.walk()]
        body = render([{**rows[0], "label": None, "title": None}] + rows[1:]) if rows else ""
        out.append(CorpusArticle(act_key, art.eid, art.label or "", body))
    return tuple(out)


def jurisdiction_of(act_key: str) -> str:
    """"ru" or "by" from the act key's prefix."""
    return act_key.split("-", 1)[0]
