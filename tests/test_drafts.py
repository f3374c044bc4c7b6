"""The drafter's workbench (POST /drafts/check, the page, the CLI) on the real codes: a real
article altered as a drafter would finds the article it amends and its reviewed counterpart, the
altered number is reported; nothing of a draft reaches the store, the index or the logs; hostile
uploads are refused with 4xx."""
from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from docx import Document

from ingest.query import catalog as q

RU_ART = "eli/ru/kodeks/1994/51-fz/art_196"
BY_ART = "eli/by/kodeks/1998/218-z/art_197"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
MARK = "Ультрасекретнаяпоправка"      # a word no act contains: its presence anywhere is a leak


def _printed(client, path: str) -> tuple[str, str]:
    """(heading line, body) of a provision as the API prints it."""
    text = client.get("/" + path).json()["full_text"]
    head, _, body = text.partition("\n")
    return head, body


def _reviewed(client, path: str) -> set[str]:
    ms = client.get("/mappings", params={"provision": path, "status": "accepted"}).json()["mappings"]
    iri = client.get("/" + path).json()["iri"]
    return {m["object"]["iri"] if m["subject"]["iri"] == iri else m["subject"]["iri"] for m in ms if m["object"]}


def _alter_number(body: str) -> tuple[str, str]:
    """The body with its first number word or figure changed, and the new words."""
    words = {"три года": "пять лет", "десять лет": "двенадцать лет", "одного года": "двух лет",
             "двух лет": "трех лет", "трех лет": "четырех лет"}
    for old, new in words.items():
        if old in body:
            return body.replace(old, new, 1), new
    m = re.search(r"\b(\d+)\b", body)
    assert m, "the article sets a number"
    new = str(int(m.group(1)) + 7)
    return body[:m.start()] + new + body[m.end():], new


def check(client, text: str, jurisdiction: str, **kw):
    return client.post("/drafts/check", json={"text": text, "jurisdiction": jurisdiction}, **kw)


@pytest.mark.parametrize("path, jurisdiction", [(RU_ART, "ru"), (BY_ART, "by")])
def test_an_altered_article_finds_itself_its_counterpart_and_the_changed_number(client, path, jurisdiction):
    head, body = _printed(client, path)
    altered, new = _alter_number(body)
    r = check(client, f"{head}\n{altered}", jurisdiction)
    assert r.status_code == 200, r.text[:500]
    report = r.json()
    assert report["stored"] is False and len(report["articles"]) == 1
    art = report["articles"][0]
    own_iri = client.get("/" + path).json()["iri"]
    assert art["own"][0]["iri"] == own_iri and art["amends"] == own_iri
    assert art["own"][0]["redline"]["similarity"] > 0.5 and not art["own"][0]["redline"]["identical"]
    reviewed = _reviewed(client, path)
    assert reviewed, f"{path} has a reviewed counterpart in the curated sets"
    assert art["counterparts"][0]["iri"] in reviewed
    assert art["counterparts"][0]["reviewed"] is True
    assert {c["iri"] for c in art["reviewed_counterparts"]} == reviewed
    # the changed number is a divergence from the amended provision, quoted as the draft has it
    div = art["parameters"]["own"]["divergent"]
    assert any(new in d["draft"]["quote"] or d["draft"]["quote"] in new for d in div), div
    assert all(o["op"] in ("equal", "insert", "delete", "replace", "inflection")
               for o in art["own"][0]["redline"]["ops"])
    # the search index over every act of the jurisdiction: other articles, never those listed above
    assert all(f"/eli/{jurisdiction}/" in x["iri"] for x in art["found_by_search"])
    assert not {x["iri"] for x in art["found_by_search"]} & {c["iri"] for c in art["own"]}


def test_references_resolve_with_their_counterparts(client):
    head, body = _printed(client, RU_ART)
    r = check(client, f"{head}\n{body}", "ru").json()
    refs = r["articles"][0]["references"]
    internal = [x for x in refs if x["kind"] == "internal" and x["resolved"]]
    assert internal, refs
    # "статьей 200 настоящего Кодекса": art_200, and its reviewed counterpart in the BY code
    target = internal[0]["targets"][0]
    assert target.endswith("/art_200")
    assert internal[0]["counterparts"] == [] or all("/eli/by/" in c["iri"] for c in internal[0]["counterparts"])
    mapped = _reviewed(client, "eli/ru/kodeks/1994/51-fz/art_200")
    assert {c["iri"] for c in internal[0]["counterparts"]} == mapped


def test_a_defined_term_is_compared_with_both_jurisdictions(client):
    text = ("Статья 282. Общие положения о работе по совместительству\n"
            "Совместительство — это выполнение работником другой регулярной оплачиваемой работы по трудовому "
            "договору в свободное от основной работы время.")
    art = check(client, text, "ru").json()["articles"][0]
    terms = {d["term"].lower(): d for d in art["definitions"]}
    assert "совместительство" in terms, art["definitions"]
    d = terms["совместительство"]
    # both labour codes define it ("Совместительство - выполнение работником …")
    assert d["own"] and all("/eli/ru/" in x["iri"] for x in d["own"])
    assert d["other"] and all("/eli/by/" in x["iri"] for x in d["other"])
    assert all(0 <= x["similarity"] <= 1 for x in d["own"] + d["other"])


def test_several_articles_are_split_by_the_plain_text_adapter(client):
    text = ("Статья 196. Общий срок исковой давности\n1. Общий срок исковой давности составляет два года.\n"
            "2. Срок исковой давности не может превышать десять лет.\n"
            "Статья 197. Специальные сроки исковой давности\n"
            "1. Для отдельных видов требований законом могут устанавливаться специальные сроки.\n")
    arts = check(client, text, "ru").json()["articles"]
    assert [a["label"] for a in arts] == ["Статья 196", "Статья 197"]
    assert [p["label"] for p in arts[0]["parts"]] == ["1.", "2."]


def test_nothing_of_a_draft_is_stored_indexed_or_logged(client, loaded, indexes, caplog):
    settings, store = loaded
    token = store.data_token()
    quads = sum(int(r["n"]) for r in q.select(store, "triples_per_graph"))
    stamp = indexes["tantivy"].state_stamp()
    head, body = _printed(client, RU_ART)
    with caplog.at_level(logging.DEBUG):
        for fmt in ("json", "docx"):
            r = client.post(f"/drafts/check?format={fmt}",
                            json={"text": f"{head}\n{body} {MARK} — это тайное понятие проекта.", "jurisdiction": "ru"})
            assert r.status_code == 200
        r = client.post("/drafts/check", files={"file": ("p.docx", _docx([head, body + " " + MARK]), DOCX_TYPE)},
                        data={"jurisdiction": "ru"})
        assert r.status_code == 200, r.text[:300]
        client.post("/drafts/check", json={"text": MARK * 10, "jurisdiction": "xx"})   # a refused one too
    assert store.data_token() == token
    assert sum(int(r["n"]) for r in q.select(store, "triples_per_graph")) == quads
    assert indexes["tantivy"].state_stamp() == stamp
    assert MARK not in caplog.text and all(MARK not in str(rec.args) for rec in caplog.records)
    assert client.get("/search", params={"q": MARK}).json()["total"] == 0


def test_a_docx_and_an_akoma_ntoso_draft_are_read(client):
    head, body = _printed(client, RU_ART)
    r = client.post("/drafts/check", files={"file": ("draft.docx", _docx([head] + body.split("\n")), DOCX_TYPE)},
                    data={"jurisdiction": "ru"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["articles"][0]["own"][0]["iri"].endswith("/51-fz/art_196")
    akn = ('<akomaNtoso xmlns="http://docs.oasis-open.org/legaldocml/ns/akn/3.0"><act><body>'
           '<article eId="art_196"><num>Статья 196.</num><heading>Общий срок исковой давности</heading>'
           f'<content><p>{body.split(chr(10))[0]}</p></content></article></body></act></akomaNtoso>')
    r = client.post("/drafts/check", files={"file": ("draft.xml", akn.encode(), "application/xml")},
                    data={"jurisdiction": "ru"})
    assert r.status_code == 200, r.text[:300]
    assert r.json()["articles"][0]["own"][0]["iri"].endswith("/51-fz/art_196")


def test_the_report_as_a_word_document(client):
    head, body = _printed(client, RU_ART)
    altered, _ = _alter_number(body)
    r = check(client, f"{head}\n{altered}", "ru", params={"format": "docx"})
    assert r.status_code == 200 and r.headers["content-type"].startswith(DOCX_TYPE)
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "Проверка проекта" in text and "Статья 196" in text
    struck = [run for p in doc.paragraphs for run in p.runs if run.font.strike]
    assert struck, "the redline marks what the draft deletes"


# ------------------------------------------------------------------ hostile and wrong input

def _docx(lines: list[str]) -> bytes:
    d = Document()
    for ln in lines:
        d.add_paragraph(ln)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return out.getvalue()


def _upload(client, name: str, data: bytes, ctype: str):
    return client.post("/drafts/check", files={"file": (name, data, ctype)}, data={"jurisdiction": "ru"})


def test_a_zip_bomb_is_refused_before_it_is_inflated(client):
    bomb = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<" + b" " * (40 << 20) + b"/>"})
    assert len(bomb) < 200_000
    r = _upload(client, "bomb.docx", bomb, DOCX_TYPE)
    assert r.status_code in (400, 413) and "zip bomb" in r.json()["detail"] or "unpacks" in r.json()["detail"]


def test_external_entities_and_dtds_are_refused(client):
    xxe = (b'<?xml version="1.0"?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r>'
           b'<w:t>&x;</w:t></w:r></w:p></w:body></w:document>')
    r = _upload(client, "xxe.docx", _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": xxe}), DOCX_TYPE)
    assert r.status_code == 400 and "DOCTYPE" in r.json()["detail"]
    assert "root:" not in r.text
    laughs = (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY l "lol"><!ENTITY l2 "&l;&l;&l;&l;">]>'
              b'<akomaNtoso><act><body><article><num>1</num><content><p>&l2;</p></content></article></body></act>'
              b'</akomaNtoso>')
    r = _upload(client, "laughs.xml", laughs, "application/xml")
    assert r.status_code == 400 and "DOCTYPE" in r.json()["detail"]


def test_macro_enabled_documents_are_refused(client):
    r = _upload(client, "draft.docm", _docx(["Статья 1. Текст"]), "application/vnd.ms-word.document.macroEnabled.12")
    assert r.status_code == 415 and "macro" in r.json()["detail"]
    with_vba = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<document/>",
                     "word/vbaProject.bin": b"\x00" * 100})
    r = _upload(client, "draft.docx", with_vba, DOCX_TYPE)
    assert r.status_code == 415 and "macro" in r.json()["detail"]


def test_wrong_types_and_broken_files_are_4xx(client):
    assert _upload(client, "draft.pdf", b"%PDF-1.4", "application/pdf").status_code == 415
    assert _upload(client, "draft.docx", b"not a zip at all", DOCX_TYPE).status_code == 400
    assert _upload(client, "draft.docx", _docx(["x"]), "text/html").status_code == 415
    assert _upload(client, "draft.xml", b"<akomaNtoso><act>", "application/xml").status_code == 400
    assert _upload(client, "draft.txt", b"\xff\xfe\x00\x00\x01binary\x00", "text/plain").status_code in (400, 415)
    r = client.post("/drafts/check", content=b"text=1", headers={"content-type": "text/html"})
    assert r.status_code == 415
    r = client.post("/drafts/check", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert check(client, "Статья 1. Текст", "kz").status_code == 422
    assert check(client, "   \n  ", "ru").status_code == 422


def test_too_big_and_too_many_articles(client, make_client):
    with make_client(max_body_bytes=4096) as small:
        r = check(small, "Статья 1. Текст\n" + "слово " * 2000, "ru")
        assert r.status_code == 413 and "4096" in r.json()["detail"]
    many = "\n".join(f"Статья {n}. Заголовок\nТекст статьи {n}." for n in range(1, 60))
    r = check(client, many, "ru")
    assert r.status_code == 422 and "50" in r.json()["detail"]


def test_a_check_past_its_time_budget_answers_503_with_retry_after(client, monkeypatch):
    from api import drafts
    monkeypatch.setattr(drafts, "TIME_BUDGET", -1.0)
    r = check(client, "Статья 196. Общий срок исковой давности\nТри года.", "ru")
    assert r.status_code == 503 and r.headers["retry-after"] and "fewer articles" in r.json()["detail"]


def test_the_cli_checks_a_draft_file(loaded, tmp_path, capsys, indexes):
    from api.cli import main
    settings, store = loaded
    draft = tmp_path / "draft.txt"
    draft.write_text("Статья 197. Общий срок исковой давности\n"
                     "Общий срок исковой давности устанавливается в пять лет.\n", encoding="utf-8")
    assert main(["check-draft", str(draft), "--jurisdiction", "by"], settings=settings, store=store) == 0
    out = capsys.readouterr().out
    assert "218-z/art_197" in out and "ru/kodeks/1994/51-fz/art_196" in out
    assert main(["check-draft", str(tmp_path / "missing.txt"), "--jurisdiction", "by"],
                settings=settings, store=store) == 2


def test_the_page_form_checks_a_pasted_draft(client):
    r = client.get("/drafts")
    assert r.status_code == 200 and "Проверить проект" in r.text and 'enctype="multipart/form-data"' in r.text
    head, body = _printed(client, RU_ART)
    altered, new = _alter_number(body)
    r = client.post("/drafts", data={"text": f"{head}\n{altered}", "jurisdiction": "ru", "format": "html"},
                    files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 200, r.text[:300]
    assert "Результат проверки" in r.text and "/eli/ru/kodeks/1994/51-fz/art_196" in r.text
    assert "/eli/by/kodeks/1998/218-z/art_197" in r.text and new in r.text and "<del>" in r.text
    r = client.post("/drafts", data={"text": "Статья 1. Текст", "jurisdiction": "kz"},
                    files={"file": ("", b"", "application/octet-stream")})
    assert r.status_code == 422 and "text/html" in r.headers["content-type"]
    r = client.post("/drafts", data={"jurisdiction": "ru"}, files={"file": ("x.docm", b"PK", "application/zip")})
    assert r.status_code == 415
