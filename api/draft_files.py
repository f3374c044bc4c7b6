"""A draft as the drafter gives it — pasted text, a Word file or Akoma Ntoso XML — read safely and
split into articles and parts with the project's own parsers.

- plain text: each non-empty line is one paragraph for the `plain-text` adapter (the tree
  builder then finds "Статья N. …", parts "1.", points "1)", as it does for the codes); text
  without an article heading is read as one untitled article;
- DOCX: the paragraphs of word/document.xml, read from the zip only after its directory passed
  the limits (members, uncompressed size, compression ratio: a zip bomb is refused before a byte
  is inflated), parsed with no DTD, entities or network; macro-enabled documents (.docm, a
  vbaProject part, a macroEnabled content type) are refused;
- Akoma Ntoso: the `akoma-ntoso` adapter, whose XML parser refuses DTDs and entities.

Nothing here writes or logs a draft: errors name what is wrong and where, never the draft's text.
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from lxml import etree

from ingest.adapters import get_adapter
from ingest.adapters.safe_io import SourceError, decode_text, xml_parser
from ingest.identifiers import assign_eids
from ingest.model import ParsedDocument, Provision

from .errors import Problem

MAX_DRAFT_BYTES = 2 << 20          # an uploaded file or a pasted text
MAX_DRAFT_CHARS = 400_000          # text after decoding (a code's chapter, not a whole code)
MAX_ARTICLES = 50                  # articles checked in one draft
MAX_ZIP_MEMBERS = 500
MAX_UNPACKED_BYTES = 16 << 20      # sum of the DOCX members' uncompressed sizes
MAX_RATIO = 100                    # uncompressed / compressed size of one member
DOCX_TYPES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/octet-stream",
              "application/zip"}
XML_TYPES = {"application/xml", "text/xml", "application/akn+xml", "application/octet-stream"}
TEXT_TYPES = {"text/plain", "application/octet-stream"}
MACRO_TYPES = ("application/vnd.ms-word.document.macroenabled.12", "application/vnd.ms-word.template.macroenabled.12")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"^\s*(?:Статья|СТАТЬЯ)\s+\d", re.M)
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class DraftError(Problem):
    """A draft that cannot be checked as given: 4xx with what is wrong and what to do."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(status, title, detail, headers)


@dataclass
class DraftArticle:
    """One article of a draft: its number and heading as written, its text, its parts."""

    label: str
    num: str | None
    title: str
    text: str                          # body: the parts as printed, one per line, without the heading
    parts: list[dict] = field(default_factory=list)     # {"eid", "label", "text"}

    def as_dict(self) -> dict:
        return {"label": self.label, "num": self.num, "title": self.title, "text": self.text, "parts": self.parts}


# ------------------------------------------------------------------ reading

def refuse_macro_name(filename: str) -> None:
    """415 for a macro-enabled Word file named so (.docm, .dotm)."""
    if filename.lower().endswith((".docm", ".dotm")):
        raise DraftError(415, "Macro-enabled document refused",
                         f"{filename!r} is a macro-enabled Word document; save it as .docx (Word: File → Save As → "
                         "Word Document) and upload that")


def kind_of(filename: str, content_type: str) -> str:
    """"docx", "xml" or "text" for an upload; DraftError 415 for anything else."""
    refuse_macro_name(filename)
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype in MACRO_TYPES:
        raise DraftError(415, "Macro-enabled document refused",
                         "the file is declared macro-enabled; save it as .docx without macros")
    name = filename.lower()
    for ext, kind, types in ((".docx", "docx", DOCX_TYPES), (".xml", "xml", XML_TYPES), (".akn", "xml", XML_TYPES),
                             (".txt", "text", TEXT_TYPES)):
        if name.endswith(ext):
            if ctype and ctype not in types:
                raise DraftError(415, "Unsupported media type",
                                 f"a {ext} file was sent as {ctype!r}; send it as {sorted(types)[0]}")
            return kind
    raise DraftError(415, "Unsupported media type",
                     f"{filename or 'the upload'!r} ({ctype or 'no type'}) is not a draft lexmap reads; upload a .docx, "
                     "an Akoma Ntoso .xml or a .txt file, or paste the text")


def check_size(data: bytes | str, what: str = "the draft") -> None:
    """413 when a draft is over MAX_DRAFT_BYTES."""
    n = len(data.encode("utf-8", "replace")) if isinstance(data, str) else len(data)
    if n > MAX_DRAFT_BYTES:
        raise DraftError(413, "Draft too large", f"{what} has {n:,} bytes; the limit is {MAX_DRAFT_BYTES:,} bytes — "
                         f"check the draft a chapter at a time")


def read_upload(data: bytes, filename: str, content_type: str) -> list[DraftArticle]:
    """The articles of an uploaded draft file; DraftError (4xx) when it cannot be read safely."""
    check_size(data, repr(filename))
    kind = kind_of(filename, content_type)
    if kind == "docx":
        return split_text(docx_text(data))
    if kind == "xml":
        return akoma_ntoso_articles(data)
    try:
        text = decode_text(data, "the uploaded file")
    except SourceError as exc:
        raise DraftError(415, "Not a text file", exc.message + "; " + exc.hint) from None
    return split_text(text)


def docx_text(data: bytes) -> str:
    """The paragraphs of a DOCX's main document, one per line, after the zip passed the limits."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DraftError(400, "Malformed DOCX", "the file is not a Word .docx (not a zip package); save it as .docx")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
            _check_zip(infos)
            names = {i.filename for i in infos}
            if any(n.lower().endswith("vbaproject.bin") for n in names):
                raise DraftError(415, "Macro-enabled document refused",
                                 "the document holds a macro project (vbaProject.bin); save it as .docx without macros")
            if "[Content_Types].xml" in names:
                types = z.read("[Content_Types].xml")
                if b"macroEnabled" in types or b"macroenabled" in types.lower():
                    raise DraftError(415, "Macro-enabled document refused",
                                     "the package declares macro-enabled content; save it as .docx without macros")
            if "word/document.xml" not in names:
                raise DraftError(400, "Malformed DOCX", "the package has no word/document.xml; it is not a Word document")
            xml = z.read("word/document.xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError, RuntimeError, ValueError,
            OSError) as exc:
        if isinstance(exc, DraftError):
            raise
        raise DraftError(400, "Malformed DOCX", f"the zip package cannot be read ({type(exc).__name__}); "
                         "save the document again as .docx") from None
    root = _safe_xml(xml, "word/document.xml")
    lines = []
    for p in root.iter(f"{_W}p"):
        parts = []
        for el in p.iter(f"{_W}t", f"{_W}tab", f"{_W}br"):
            parts.append(el.text or "" if el.tag == f"{_W}t" else " ")
        line = re.sub(r"\s+", " ", "".join(parts)).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def _check_zip(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse a package whose directory promises too much before anything is inflated."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise DraftError(400, "Malformed DOCX", f"the package has {len(infos)} members; a Word document has a few dozen")
    total = 0
    for i in infos:
        total += i.file_size
        if i.file_size > 1024 and i.file_size > MAX_RATIO * max(1, i.compress_size):
            raise DraftError(400, "Suspicious DOCX refused",
                             f"member {i.filename!r} inflates {i.file_size // max(1, i.compress_size)}× "
                             f"(limit {MAX_RATIO}×): a zip bomb, not a Word document")
    if total > MAX_UNPACKED_BYTES:
        raise DraftError(413, "Draft too large", f"the package unpacks to {total:,} bytes; the limit is "
                         f"{MAX_UNPACKED_BYTES:,} — remove pictures or check the draft a chapter at a time")


def _safe_xml(data: bytes, where: str) -> etree._Element:
    if _DOCTYPE.search(data[:65536]):
        raise DraftError(400, "XML with a DTD refused",
                         f"{where} declares a DOCTYPE or entities, which lexmap never reads (entity expansion, "
                         "external entities); remove the DOCTYPE")
    try:
        return etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise DraftError(400, "Malformed XML", f"{where} is not well-formed XML (line {exc.lineno}); "
                         "save the document again") from None


def akoma_ntoso_articles(data: bytes) -> list[DraftArticle]:
    """The articles of an Akoma Ntoso draft, read by the project's AKN reader."""
    if _DOCTYPE.search(data[:65536]):
        _safe_xml(data, "the Akoma Ntoso file")          # raises with the DTD message
    try:
        doc = get_adapter("akoma-ntoso")(data, "the Akoma Ntoso file")
    except SourceError as exc:
        raise DraftError(400, "Malformed Akoma Ntoso", f"{exc.message}; {exc.hint}") from None
    if doc.errors:
        raise DraftError(400, "Malformed Akoma Ntoso", "; ".join(p.message for p in doc.errors[:3]))
    return _articles(doc)


# ------------------------------------------------------------------ splitting

def split_text(text: str) -> list[DraftArticle]:
    """The articles of a pasted or extracted draft, split by the `plain-text` adapter."""
    # stray control characters (a paste from a PDF, a Word field code) are not part of a draft's words
    text = _CONTROL.sub(" ", (text or "").encode("utf-8", "replace").decode("utf-8"))   # lone surrogates -> ?
    if len(text) > MAX_DRAFT_CHARS:
        raise DraftError(413, "Draft too large", f"the draft has {len(text):,} characters; the limit is "
                         f"{MAX_DRAFT_CHARS:,} — check it a chapter at a time")
    lines = [ln.strip() for ln in text.replace("\r", "").split("\n") if ln.strip()]
    if not lines:
        raise DraftError(422, "Empty draft", "the draft holds no text; paste one or more articles")
    if not _HEADING.search("\n".join(lines)):
        # one untitled article: the adapter needs a structural heading to start the law text
        lines.insert(0, "Статья 0.")
    # the adapter reads a paragraph as a line indented 10 columns (the official text export)
    data = "\n".join(" " * 10 + ln for ln in lines).encode("utf-8")
    try:
        doc = get_adapter("plain-text")(data, "the draft")
    except SourceError as exc:
        raise DraftError(422, "Draft text unreadable", f"{exc.message}; paste the draft's text again") from None
    except ValueError as exc:       # the tree builder refuses what no code could hold (a number twice …)
        raise DraftError(422, "Draft structure unreadable", f"{exc}; number the articles and parts once each") from None
    arts = _articles(doc)
    if not arts:
        raise DraftError(422, "No article found", "no article could be read from the draft; start each with "
                         "\"Статья N. Заголовок\" or paste a single article's text")
    return arts


def _articles(doc: ParsedDocument) -> list[DraftArticle]:
    try:
        assign_eids(doc)
    except ValueError as exc:
        raise DraftError(422, "Draft numbering unreadable", f"{exc}; number the articles once each") from None
    out = []
    for art in doc.articles():
        if art.num == "0" and art.label == "Статья 0":
            label, num = "", None
        else:
            label, num = art.label or "", art.num
        lines, parts = _render(art)
        out.append(DraftArticle(label, num, art.title or "", "\n".join(lines), parts))
        if len(out) > MAX_ARTICLES:
            raise DraftError(422, "Too many articles", f"the draft has more than {MAX_ARTICLES} articles; "
                             f"check at most {MAX_ARTICLES} at a time")
    return out


def _render(art: Provision) -> tuple[list[str], list[dict]]:
    """The article's body as the shelf prints it (label + text per unit) and its parts."""
    lines: list[str] = []
    parts: list[dict] = []

    def visit(node: Provision, top: bool) -> None:
        if not top:
            line = f"{node.label or ''} {node.text}".strip()
            if line:
                lines.append(line)
            if node.kind in ("para", "point") and node.text:
                parts.append({"eid": node.eid, "label": node.label or "", "text": node.text})
        elif node.text:
            lines.append(node.text)
        for c in node.children:
            visit(c, False)
        if node.wrap_up:
            lines.append(node.wrap_up)
    visit(art, True)
    return lines, parts
