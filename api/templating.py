"""The Jinja environment of the web page: templates, Russian labels of the closed lists, helpers.

The HTTP routes render through `templates` (a request in the context); the CLI
renders the same templates to a standalone file through `render`.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from ingest.identifiers import ELI_MARK, eli_of

from .redline import to_html as redline_html, to_html_side
from .ru_format import citation_title, heading_case, label_case, ru_date
from .ru_messages import ru_message

WEB = Path(__file__).resolve().parent / "web"
templates = Jinja2Templates(directory=str(WEB / "templates"))

# Russian names of the closed lists (ontology/lexmap.ttl): how a lawyer reads them.
RELATION_RU = {"equal": "равнозначна", "subset_of": "уже (входит в)", "superset_of": "шире (охватывает)",
               "intersects_with": "частично совпадает", "not_related": "не связана"}
HARMONIZATION_RU = {"unified": "унифицирована", "harmonized": "гармонизирована", "divergent": "расходится"}
LIFECYCLE_RU = {"proposed": "предложено", "accepted": "принято", "rejected": "отклонено", "stale": "устарело"}
STATUS_RU = {"in_force": "действует", "repealed": "утратила силу", "excluded": "исключена"}
GAP_RU = {"matched": "совпадает", "diverging": "расходится", "missing": "нет соответствия"}
JURISDICTION_RU = {"ru": "Россия", "by": "Беларусь"}
# Source defects the adapters record (ingest/adapters, ingest/akoma_ntoso/reader.py), as a lawyer
# reads them; a defect stated by the source itself (an Akoma Ntoso note) is shown as written.
DEFECT_RU = {
    "empty in the source": "в источнике пусто",
    "no text in the source": "в источнике нет текста",
    "empty in the source: the articles it contained are missing": "в источнике пусто: входившие сюда статьи отсутствуют",
    "no title in the source: the title field holds body text, kept as the article's text":
        "в источнике нет заголовка: в поле заголовка стоит текст статьи, он сохранён как её текст",
    "the text starts mid-sentence: its beginning is missing in the source":
        "текст начинается с середины предложения: его начало в источнике утрачено",
    "list items after the last colon are missing in the source":
        "пункты перечня после последнего двоеточия в источнике отсутствуют",
    "a list announced by a colon inside the article is missing in the source":
        "перечень, который вводит двоеточие внутри статьи, в источнике отсутствует",
    'a list ends with ";" and nothing follows: its last items are missing in the source':
        "перечень обрывается на «;»: его последние пункты в источнике отсутствуют",
}


def stale_notice(previous: str | None) -> str:
    """The notice beside a stale mapping: why, what it was before, what to do."""
    before = f" (до этого: {LIFECYCLE_RU.get(previous, previous)})" if previous else ""
    return f"текст одной из статей изменился или исчез в новой редакции{before}; нужна повторная проверка"


def eli_href(iri_or_path: str | None, **query: str | None) -> str:
    """The page URL of an ELI IRI or path: /eli/…, with the query given (empty values dropped)."""
    if not iri_or_path:
        return ""
    qs = urlencode({k: v for k, v in query.items() if v})
    path = eli_of(iri_or_path) if ELI_MARK in iri_or_path else "eli/" + iri_or_path.removeprefix("eli/")
    return "/" + path + (f"?{qs}" if qs else "")


def eli_path(iri: str | None) -> str:
    """eli/… of an IRI (what the API's left=, right=, act= parameters take)."""
    if not iri:
        return ""
    return eli_of(iri) if iri.startswith("eli/") or ELI_MARK in iri else iri


def query_url(path: str, params: dict, **changes) -> str:
    """`path` with `params` updated by `changes` (None drops a key): links that keep the filters."""
    merged = {**params, **changes}
    pairs = []
    for k, v in merged.items():
        if v is None or v == "" or v == [] or v == ():
            continue
        for x in (v if isinstance(v, (list, tuple)) else [v]):
            pairs.append((k, x))
    return path + ("?" + urlencode(pairs) if pairs else "")


def unit_heading(x: dict | None, labels: dict[str, str | None] | None = None) -> str:
    """How the page names a unit: 'Глава 35. Охрана труда' (label and title re-cased for display),
    a part or point as cited ('Часть 2 статьи 81'), an act by its title."""
    if not x:
        return ""
    if x.get("kind") == "act":
        return x.get("title") or x.get("label") or ""
    if x.get("kind") in ("para", "point", "subpoint", "note"):
        cited = citation_title(x.get("eid"), labels or {x.get("eid"): x.get("label")})
        if cited:
            return cited
    label, title = label_case(x.get("label")), heading_case(x.get("title"))
    if label and title:
        return f"{label}. {title}"
    return label or title or x.get("eid") or ""


def _label(table: dict[str, str]):
    return lambda v: table.get(v, v) if v else "—"


env = templates.env
env.filters.update(relation_ru=_label(RELATION_RU), harmonization_ru=_label(HARMONIZATION_RU),
                   lifecycle_ru=_label(LIFECYCLE_RU), status_ru=_label(STATUS_RU), gap_ru=_label(GAP_RU),
                   jurisdiction_ru=_label(JURISDICTION_RU), defect_ru=lambda v: DEFECT_RU.get(v, v),
                   stale_notice=stale_notice, eli_href=eli_href, eli_path=eli_path, ru_date=ru_date,
                   heading=heading_case, label_case=label_case, unit_heading=unit_heading, ru_message=ru_message,
                   redline=lambda result: Markup(redline_html(result)),
                   redline_side=lambda result, side: Markup(to_html_side(result, side)))
env.globals.update(query_url=query_url, RELATION_RU=RELATION_RU, HARMONIZATION_RU=HARMONIZATION_RU)


def render(name: str, **context) -> str:
    """A template rendered without a request (the CLI's standalone HTML)."""
    return env.get_template(name).render(standalone=True, **context)
