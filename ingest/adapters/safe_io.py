"""Safe decoding and parsing of untrusted source bytes.

Sources are hostile input: size is bounded before parsing, XML is parsed without
entities, DTDs or network access, and bytes that are not text in a known
encoding are refused instead of becoming mojibake in the graph.
"""
from __future__ import annotations

import codecs

from lxml import etree

MAX_SOURCE_BYTES = 64 * 1024 * 1024


class SourceError(ValueError):
    """A source that cannot be read at all: what, where and what to do."""

    def __init__(self, message: str, where: str = "", hint: str = ""):
        self.message, self.where, self.hint = message, where, hint
        super().__init__(f"{where}: {message}" + (f" — {hint}" if hint else ""))


def check_size(data: bytes, where: str, limit: int = MAX_SOURCE_BYTES) -> None:
    """Refuse sources larger than `limit` bytes before any parsing."""
    if len(data) > limit:
        raise SourceError(f"file is {len(data):,} bytes, more than the limit of {limit:,}", where,
                          "split the act or raise LEXMAP_MAX_SOURCE_BYTES if the file is genuine")


def decode_text(data: bytes, where: str, declared: str | None = None) -> str:
    """Decode bytes as UTF-8 (with or without BOM), UTF-16 with BOM, or CP1251.

    CP1251 is accepted only when the result is mostly Cyrillic/ASCII text; control
    bytes or undecodable input raise SourceError.
    """
    check_size(data, where)
    if data.startswith(codecs.BOM_UTF8):
        return _checked(data[3:], "utf-8", where)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _checked(data, "utf-16", where)
    encodings = [declared] if declared else []
    encodings += ["utf-8", "cp1251"]
    for enc in encodings:
        try:
            text = data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        if _looks_like_text(text):
            return text
    raise SourceError("bytes are not text in UTF-8, UTF-16 (with BOM) or CP1251", where,
                      "check that the file is the act's text and not a binary or a truncated download")


def read_text_source(data: bytes, where: str) -> str:
    """A plain-text source as text: size bounded, encoding detected, binary refused."""
    check_size(data, where)
    text = decode_text(data, where)
    if "\x00" in text:
        raise SourceError("binary data in a text source", where, "check that the file is a plain-text export")
    return text


def _checked(data: bytes, enc: str, where: str) -> str:
    try:
        text = data.decode(enc)
    except UnicodeDecodeError as exc:
        raise SourceError(f"invalid {enc} at byte {exc.start}", where, "re-download the file") from None
    if not _looks_like_text(text):
        raise SourceError("decoded text contains control characters", where, "the file is not a text")
    return text


def _looks_like_text(text: str) -> bool:
    if not text:
        return False
    bad = sum(1 for ch in text[:200_000] if ord(ch) < 32 and ch not in "\t\n\r\f")
    return bad == 0


def xml_parser() -> etree.XMLParser:
    """An lxml parser that resolves no entities, loads no DTD and never uses the network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=False, remove_comments=True)


def parse_xml(data: bytes, where: str) -> etree._Element:
    """Parse untrusted XML safely; a DOCTYPE with entities is refused outright."""
    check_size(data, where)
    head = data[:4096].lstrip()
    if b"<!ENTITY" in data[:65536] or b"<!DOCTYPE" in head and b"[" in head.split(b"<!DOCTYPE", 1)[1][:2048]:
        raise SourceError("XML declares a DTD with entities, which lexmap refuses (entity expansion attacks)",
                          where, "remove the DOCTYPE; legislation sources never need entities")
    try:
        return etree.fromstring(data, xml_parser())
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"XML is not well-formed: {exc.msg} (line {exc.lineno}, column {exc.offset})",
                          where, "the file is truncated or damaged; re-download it") from None
