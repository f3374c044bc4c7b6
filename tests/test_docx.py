"""Word documents (api/docx.py) and the CSV answers: each DOCX is opened with python-docx and
converted to text by Debian's LibreOffice in headless mode, and the text is checked against
the JSON answer of the same request."""
from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_UNDERLINE

RU_GK = "eli/ru/kodeks/1994/51-fz"
BY_GK = "eli/by/kodeks/1998/218-z"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def _open(resp) -> Document:
    assert resp.status_code == 200, resp.text[:300]
    assert resp.headers["content-type"] == DOCX
    assert resp.headers["content-disposition"].startswith("attachment; filename=")
    assert resp.headers["content-disposition"].endswith('.docx"')
    return Document(io.BytesIO(resp.content))


def _all_text(doc: Document) -> str:
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        for row in t.rows:
            parts += [c.text for c in row.cells]
    return "\n".join(parts)


def _libreoffice_text(body: bytes, tmp: Path) -> str:
    """The document converted to plain text by LibreOffice (headless, its own profile)."""
    if SOFFICE is None:
        if os.environ.get("LEXMAP_REQUIRE_LIBREOFFICE"):
            pytest.fail("LibreOffice is missing: apt-get install libreoffice-writer-nogui")
        pytest.skip("LibreOffice (soffice) is not installed")
    src = tmp / "doc.docx"
    src.write_bytes(body)
    run = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{tmp}/lo-profile", "--headless",
                          "--convert-to", "txt:Text (encoded):UTF8", "--outdir", str(tmp), str(src)],
                         capture_output=True, text=True, timeout=180)
    out = tmp / "doc.txt"
    assert out.is_file(), f"LibreOffice did not convert the document: {run.stdout} {run.stderr}"
    return out.read_text(encoding="utf-8-sig")


def test_gap_analysis_as_a_word_correlation_table(client, tmp_path):
    params = {"left_act": "ru-gk-1", "right_act": "by-gk"}
    data = client.get("/compare", params=params).json()
    resp = client.get("/compare", params={**params, "format": "docx"})
    doc = _open(resp)
    assert 'ru_kodeks_1994_51-fz--by_kodeks_1998_218-z.docx' in resp.headers["content-disposition"]
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header[0] == "Глава" and "Соотношение" in header and "Гармонизация" in header
    assert len(table.rows) == len(data["pairs"]) + 1
    # the row of each pair says what the JSON says, with the Russian label beside the code
    for row, pair in zip(table.rows[1:], data["pairs"][:50]):
        cells = [c.text for c in row.cells]
        assert cells[1].startswith(pair["left"]["label"])
        if pair["relation"]:
            assert pair["relation"] in cells[3] and "(" in cells[3]
        if pair["right"] is None:
            assert cells[2] == "нет соответствия"
    summary = data["summary"]
    assert f"Совпадает: {summary['matched']}" in _all_text(doc)
    text = _libreoffice_text(resp.content, tmp_path)
    assert "Сравнительная таблица" in text
    assert f"расходится: {summary['diverging']}" in text
    first = data["pairs"][0]["left"]
    assert first["title"] in text


def test_redline_with_tracked_change_styles(client, tmp_path):
    params = {"left": f"{RU_GK}/art_196", "right": f"{BY_GK}/art_197"}
    data = client.get("/diff", params=params).json()
    resp = client.get("/diff", params={**params, "format": "docx"})
    doc = _open(resp)
    # paragraphs: title, the two sides, figures, legend; then the text
    deleted = "".join(r.text for p in doc.paragraphs[5:] for r in p.runs if r.font.strike)
    inserted = "".join(r.text for p in doc.paragraphs[5:] for r in p.runs if r.font.underline == WD_UNDERLINE.SINGLE)
    want_del = "".join(o["left"] for o in data["ops"] if o["op"] in ("delete", "replace")).replace("\n", " ")
    want_ins = "".join(o["right"] for o in data["ops"] if o["op"] in ("insert", "replace")).replace("\n", " ")
    assert deleted == want_del and inserted == want_ins
    assert deleted and inserted, "art. 196 RU and 197 BY differ: both kinds of change must show"
    text = _libreoffice_text(resp.content, tmp_path)
    assert f"Сходство {data['similarity']:.2f}" in text
    # the redline reads through in order: unchanged words, deletions, then insertions
    seq = "".join(o["left"] + o["right"] if o["op"] == "replace" else o["left"] if o["op"] == "delete"
                  else o["right"] for o in data["ops"])
    assert " ".join(seq.split()) in " ".join(text.split())


def test_provision_with_counterparts(client, tmp_path):
    path = f"{RU_GK}/art_196"
    data = client.get(f"/{path}").json()
    assert data["mappings"], "art. 196 RU has a curated counterpart"
    resp = client.get(f"/{path}", params={"format": "docx"})
    doc = _open(resp)
    rows = doc.tables[0].rows
    assert len(rows) == len(data["mappings"]) + 1
    assert any("equal" in c.text or "intersects_with" in c.text for r in rows[1:] for c in r.cells)
    text = _libreoffice_text(resp.content, tmp_path)
    assert data["title"] in text and data["redaction"] in text
    body = data["full_text"].split("\n", 1)[-1]
    assert " ".join(body.split())[:150] in " ".join(text.split())


@pytest.mark.parametrize("url, status", [
    (f"/{RU_GK}?format=docx", 400),                                         # an act, not a provision
    (f"/{RU_GK}/art_99999?format=docx", 404),
    ("/diff?left=eli/ru/kodeks/1994/51-fz&right=eli/by/kodeks/1998/218-z/art_1&format=docx", 400),
    ("/compare?left_act=ru-gk-1&right_act=nothing&format=docx", 404),
    ("/compare?left_act=ru-gk-1&right_act=by-gk&format=doc", 422),
])
def test_bad_docx_requests_are_problems(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    assert resp.headers["content-type"].startswith("application/problem+json")


def test_csv_answers_have_bom_filename_and_russian_labels(client):
    resp = client.get("/compare", params={"left_act": "ru-gk-1", "right_act": "by-gk", "format": "csv"})
    assert resp.status_code == 200
    assert resp.content.startswith("\ufeff".encode("utf-8"))
    assert 'filename="ru_kodeks_1994_51-fz--by_kodeks_1998_218-z.csv"' in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    head = rows[0]
    rel, harm = head.index("соотношение"), head.index("гармонизация")
    assert head[rel + 1].startswith("соотношение") and head[harm + 1].startswith("гармонизация")
    equal = [r for r in rows[1:] if r[rel] == "equal"]
    assert equal and all(r[rel + 1] == "равнозначна" for r in equal)
    assert {r[harm + 1] for r in rows[1:] if r[harm] == "divergent"} == {"расходится"}

    resp = client.get("/mappings/export", params={"format": "csv", "source_act": "ru-gk-1"})
    assert resp.content.startswith("\ufeff".encode("utf-8"))
    assert 'filename="lexmap-mappings.csv"' in resp.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
    i = rows[0].index("lifecycle")
    assert rows[0][i + 1] == "lifecycle_ru"
    assert {r[i + 1] for r in rows[1:] if r[i] == "accepted"} == {"принято"}


def test_page_links_to_the_documents(client):
    page = client.get(f"/{RU_GK}/art_196", headers={"accept": "text/html"}).text
    assert "format=docx" in page
    page = client.get("/compare", params={"left_act": "ru-gk-1", "right_act": "by-gk", "format": "html"}).text
    assert "format=docx" in page
