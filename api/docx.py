"""Word documents for drafters (python-docx) and the CSV answers' dress.

- the gap analysis of two acts as a correlation table (landscape, Russian headings),
- the redline of two provisions, deletions and insertions styled as tracked changes are
  (red strike-through, underlined blue), inflections in italics,
- a provision with its counterparts in the other jurisdiction.

Each comes back as an HTTP answer with a Content-Disposition filename; the CSV answers get a
UTF-8 byte order mark (so Excel reads Cyrillic), a filename, and a Russian label column beside
each column of codes (relation, harmonization, review status).
"""
from __future__ import annotations

import csv
import io
from datetime import date

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_UNDERLINE
from docx.shared import Cm, Pt, RGBColor
from fastapi.responses import Response

from ingest.identifiers import eli_of, file_stem

from .templating import GAP_RU, HARMONIZATION_RU, JURISDICTION_RU, LIFECYCLE_RU, RELATION_RU, STATUS_RU

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DELETED = RGBColor(0xC0, 0x00, 0x00)
INSERTED = RGBColor(0x00, 0x4E, 0xA8)
SOURCE_RU = {"mapping": "соответствие", "suggestion": "предложение системы", "none": ""}
# CSV columns of codes, and the Russian names written beside them
CSV_LABELS = {"relation": RELATION_RU, "harmonization": HARMONIZATION_RU, "lifecycle": LIFECYCLE_RU,
              "соотношение": RELATION_RU, "гармонизация": HARMONIZATION_RU, "status": GAP_RU}


def _doc(title: str, landscape: bool = False) -> Document:
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.language = "ru-RU"
    doc.core_properties.author = "lexmap"
    style = doc.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(11)
    if landscape:
        s = doc.sections[0]
        s.orientation = WD_ORIENT.LANDSCAPE
        s.page_width, s.page_height = s.page_height, s.page_width
        s.left_margin = s.right_margin = Cm(1.5)
    doc.add_heading(title, level=1)
    return doc


def _bytes(doc: Document) -> bytes:
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc: Document, header: list[str], rows: list[list[str]]) -> None:
    table = doc.add_table(rows=1, cols=len(header))
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, header):
        cell.text = ""
        cell.paragraphs[0].add_run(text).bold = True
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row):
            cell.text = text or ""


def response(body: bytes, name: str) -> Response:
    """A DOCX answer to download, named `name`.docx."""
    return Response(body, media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.docx"'})


def _label(table: dict[str, str], code: str | None) -> str:
    return f"{table.get(code, code)} ({code})" if code else "—"


# ------------------------------------------------------------------ gap analysis

def gap_analysis(result: dict, titles: dict[str, str]) -> bytes:
    """The correlation table of two acts (`titles`: act IRI -> title)."""
    left, right = titles.get(result["left_act"], eli_of(result["left_act"])), \
        titles.get(result["right_act"], eli_of(result["right_act"]))
    doc = _doc("Сравнительная таблица", landscape=True)
    doc.add_paragraph(f"{left} — {right}")
    s = result["summary"]
    doc.add_paragraph(f"Статей: {s['left_articles']} / {s['right_articles']}. Совпадает: {s['matched']}, расходится: "
                      f"{s['diverging']}, нет соответствия: {s['missing']}; из проверенных соответствий: "
                      f"{s['from_mappings']}, предложено системой: {s['from_suggestions']}; статей второго акта без "
                      f"соответствия: {s['right_without_counterpart']}. Составлено {date.today():%d.%m.%Y}.")
    rows = []
    for r in result["pairs"]:
        a, b = r["left"], r["right"] or {}
        rows.append([a["chapter"] or "", " ".join(x for x in (a["label"], a["title"]) if x),
                     " ".join(x for x in (b.get("label"), b.get("title")) if x) or "нет соответствия",
                     _label(RELATION_RU, r["relation"]) if r["relation"] else
                     ("предложено системой" if r["source"] == "suggestion" else "—"),
                     _label(HARMONIZATION_RU, r["harmonization"]), GAP_RU.get(r["status"], r["status"]),
                     f"{r['similarity']:.2f}", SOURCE_RU.get(r["source"], r["source"]), r["comment"] or ""])
    _table(doc, ["Глава", f"Статья: {left}", f"Статья: {right}", "Соотношение", "Гармонизация", "Итог",
                 "Сходство текста", "Основание", "Комментарий"], rows)
    if result["right_only"]:
        doc.add_heading(f"Статьи без соответствия: {right}", level=2)
        _table(doc, ["Статья", "Комментарий"],
               [[" ".join(x for x in (r["right"]["label"], r["right"]["title"]) if x), r["comment"] or ""]
                for r in result["right_only"]])
    return _bytes(doc)


def gap_analysis_name(result: dict) -> str:
    return f"{file_stem(result['left_act'])}--{file_stem(result['right_act'])}"


# ------------------------------------------------------------------ redline

def redline(result: dict) -> bytes:
    """The redline of two provisions: deletions struck in red, insertions underlined in blue."""
    doc = _doc("Сравнение редакций норм")
    for name, side in (("Было", result["left"]), ("Стало", result["right"])):
        p = doc.add_paragraph()
        p.add_run(f"{name}: ").bold = True
        p.add_run(" ".join(x for x in (side.get("label"), side.get("title")) if x) +
                  f" ({eli_of(side['iri'])}, редакция от {side['redaction']})")
    st = result["stats"]
    doc.add_paragraph(f"Сходство {result['similarity']:.2f}; вставлено слов: {st['inserted']}, удалено: "
                      f"{st['deleted']}, заменено: {st['replaced']}, изменена форма: {st['inflected']}.")
    legend = doc.add_paragraph("Обозначения: ")
    _deleted(legend.add_run("удалённый текст"))
    legend.add_run(", ")
    _inserted(legend.add_run("добавленный текст"))
    legend.add_run(".")
    for chunk in _paragraphs(result["ops"]):
        p = doc.add_paragraph()
        for op, left, right in chunk:
            if op == "equal":
                p.add_run(right)
            elif op == "insert":
                _inserted(p.add_run(right))
            elif op == "delete":
                _deleted(p.add_run(left))
            elif op == "inflection":
                run = p.add_run(right)
                run.italic = True
            else:
                _deleted(p.add_run(left))
                _inserted(p.add_run(right))
    return _bytes(doc)


def _deleted(run) -> None:
    run.font.strike = True
    run.font.color.rgb = DELETED


def _inserted(run) -> None:
    run.font.underline = WD_UNDERLINE.SINGLE
    run.font.color.rgb = INSERTED


def _paragraphs(ops: list[dict]) -> list[list[tuple[str, str, str]]]:
    """The ops cut at line breaks into paragraphs (a Word paragraph per line of the text)."""
    out: list[list[tuple[str, str, str]]] = [[]]
    for o in ops:
        if o["op"] == "equal" and "\n" in o["right"]:
            pieces = o["right"].split("\n")
            for i, piece in enumerate(pieces):
                if i:
                    out.append([])
                if piece:
                    out[-1].append(("equal", piece, piece))
        else:
            out[-1].append((o["op"], o["left"].replace("\n", " "), o["right"].replace("\n", " ")))
    return [p for p in out if p]


def redline_name(result: dict) -> str:
    return f"{file_stem(result['left']['iri'])}--{file_stem(result['right']['iri'])}"


# ------------------------------------------------------------------ provision with counterparts

def provision(data: dict, act_title: str | None = None) -> bytes:
    """A provision in one redaction with its counterparts (data: GET /eli/… JSON with `mappings`)."""
    head = " ".join(x for x in (data.get("label"), data.get("title")) if x) or data["eid"]
    doc = _doc(head)
    doc.add_paragraph(f"{act_title or eli_of(data['act'])}; редакция от {data['redaction']}; "
                      f"{STATUS_RU.get(data.get('status') or 'in_force', data.get('status'))}; {eli_of(data['iri'])}")
    text = data.get("full_text") or ""
    first, _, rest = text.partition("\n")
    for line in (rest if first.strip() == head.strip() else text).split("\n"):
        if line.strip():
            doc.add_paragraph(line)
    for note in data.get("notes") or []:
        doc.add_paragraph(note).runs[0].italic = True
    doc.add_heading("Соответствия в другой юрисдикции", level=2)
    rows = []
    for m in data.get("mappings") or []:
        mine = (m.get("subject") or {}).get("iri") == data["iri"] or not m.get("object")
        other = m.get("object") if mine else m.get("subject")
        rows.append(["нет соответствия" if m["no_counterpart"] or not other else
                     f"{other.get('label') or ''} ({other.get('eli') or other.get('iri')})",
                     _label(RELATION_RU, m["relation"]), _label(HARMONIZATION_RU, m["harmonization"]),
                     _label(LIFECYCLE_RU, m["lifecycle"]), f"{m['confidence']:.2f}" if m["confidence"] is not None else "",
                     m["comment"] or ""])
    if rows:
        _table(doc, ["Норма", "Соотношение", "Гармонизация", "Статус проверки", "Уверенность", "Комментарий"], rows)
    else:
        doc.add_paragraph("Соответствия не установлены.")
    return _bytes(doc)


def provision_name(data: dict) -> str:
    return f"{file_stem(data['iri'])}_{data['redaction']}"


# ------------------------------------------------------------------ pair list (issue 23)

def pair_list(result: dict, base: str) -> bytes:
    """RU↔BY pairs of a query (GET /search/pairs JSON) as a table for a memo: both provisions,
    what links them (mapping or suggestion), relation, harmonization, review, permanent URL."""
    doc = _doc("Пары норм России и Беларуси", landscape=True)
    f = result.get("filters") or {}
    shown = [f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in f.items()
             if v not in (None, [], "")]
    doc.add_paragraph(f"Запрос: «{result['query']}». Найдено пар: {result['total']}"
                      + (f"; фильтры: {'; '.join(shown)}" if shown else "") + f". Составлено {date.today():%d.%m.%Y}.")
    rows = []
    for n, p in enumerate(result["pairs"], result["offset"] + 1):
        ln = p["link"]
        how = (f"предложено системой, P {ln['probability']:.2f}" if ln["review"] == "suggested" and
               ln.get("probability") is not None else _label(LIFECYCLE_RU, ln.get("lifecycle")))
        rows.append([str(n), f"{p['ru']['cite']}\n{p['ru']['label'] or ''}", f"{p['by']['cite']}\n{p['by']['label'] or ''}",
                     _label(RELATION_RU, ln.get("relation")), _label(HARMONIZATION_RU, ln.get("harmonization")),
                     how + (" · устарело" if ln.get("stale") else ""), ln.get("comment") or "", base + p["url"]])
    _table(doc, ["№", "Россия", "Беларусь", "Соотношение", "Гармонизация", "Проверка", "Комментарий", "Ссылка"], rows)
    return _bytes(doc)


# ------------------------------------------------------------------ CSV

def labelled_csv(text: str, labels: dict[str, dict[str, str]] = CSV_LABELS) -> str:
    """`text` (a CSV with a header row) with a Russian label column after each column of codes."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return text
    coded = [(i, labels[h]) for i, h in enumerate(rows[0]) if h in labels]
    out = io.StringIO()
    w = csv.writer(out)
    for n, row in enumerate(rows):
        new: list[str] = []
        for i, v in enumerate(row):
            new.append(v)
            for j, table in coded:
                if j == i:
                    new.append(f"{v} (рус.)" if n == 0 and not v.isascii() else
                               f"{v}_ru" if n == 0 else table.get(v, v))
        w.writerow(new)
    return out.getvalue()


def csv_response(text: str, name: str) -> Response:
    """A CSV answer: UTF-8 with a byte order mark, labels beside the codes, a filename to save."""
    return Response(("\ufeff" + labelled_csv(text)).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


__all__ = ["CSV_LABELS", "JURISDICTION_RU", "MEDIA_TYPE", "csv_response", "gap_analysis", "labelled_csv",
           "pair_list", "provision", "redline", "response"]
