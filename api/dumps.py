"""Bulk data: the whole store as files a data user downloads once, with a DCAT catalog.

    lexmap.nq.gz          every named graph as gzipped N-Quads (one graph per redaction,
                          the mapping sets, the provenance of mapping edits)
    lexmap.trig.gz        the same as TriG, one `<graph> { … }` block per graph
    mappings.sssom.tsv    every mapping as one SSSOM TSV (api.mappings.export)
    mappings.jsonld       every mapping as JSON-LD (the SSSOM RDF form)
    provisions.jsonl.gz   one line per article (section where an act has none) of every
                          redaction: ELI, redaction, title, status, text and its sha256
    catalog.ttl           DCAT: each file with its size, sha256, triple or row count and date

Written by streaming: one graph (one redaction) is in memory at a time, and the compressors
write as they go, so the peak stays bounded whatever the corpus (bench/dumps.py measures it).
Files are built in a hidden directory and moved into place with the catalog last, so a
reader never sees half a file. The catalog records a fingerprint of the data (the build
fingerprint of every redaction and the state of every mapping); `is_stale` compares it, and
`lexmap ingest`, `lexmap dump` and GET /dumps refresh what an ingest or a review made stale.
"""
from __future__ import annotations

import datetime as _dt
import gzip
import hashlib
import json
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from pydantic import BaseModel, ConfigDict
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, XSD

from ingest.config import Settings
from ingest.identifiers import eli_of
from ingest.query import catalog as q
from ingest.query.terms import iriref
from ingest.sources import act_aliases
from ingest.store import GraphStore
from ingest.text import provision_texts, status_name

from . import mappings as mapping_service, resources

SPDX = Namespace("http://spdx.org/rdf/terms#")
VOID = Namespace("http://rdfs.org/ns/void#")
GZIP_LEVEL = 6
_BNODE_SUBJECT = re.compile(rb"^_:(\S+)", re.M)
_BNODE_OBJECT = re.compile(rb" _:(\S+) \.$", re.M)


class DumpFile(str, Enum):
    """The files of a dump: the only names GET /dumps/{name} and the writer know."""

    nquads = "lexmap.nq.gz"
    trig = "lexmap.trig.gz"
    sssom = "mappings.sssom.tsv"
    mappings_jsonld = "mappings.jsonld"
    provisions = "provisions.jsonl.gz"
    catalog = "catalog.ttl"


MEDIA = {DumpFile.nquads: "application/n-quads", DumpFile.trig: "application/trig",
         DumpFile.sssom: "text/tab-separated-values", DumpFile.mappings_jsonld: "application/ld+json",
         DumpFile.provisions: "application/jsonl", DumpFile.catalog: "text/turtle"}
TITLES = {DumpFile.nquads: "Граф целиком (N-Quads, gzip) / The whole graph as N-Quads",
          DumpFile.trig: "Граф целиком (TriG, gzip), граф на редакцию / The whole graph as TriG, one graph per redaction",
          DumpFile.sssom: "Все соответствия (SSSOM TSV) / Every mapping as SSSOM TSV",
          DumpFile.mappings_jsonld: "Все соответствия (JSON-LD) / Every mapping as JSON-LD",
          DumpFile.provisions: "Статьи всех редакций (JSONL, gzip) / Articles of every redaction as JSONL"}
STATE_FILE = "state.json"     # the fingerprint and figures of the dump in place


class DumpFileOut(BaseModel):
    """One file of GET /dumps: its URL, size, sha256 and triple or row count."""

    model_config = ConfigDict(extra="allow")
    file: str
    url: str
    media_type: str
    bytes: int
    sha256: str


class DumpListing(BaseModel):
    """GET /dumps: when the dump was written, whether the data changed since, and its files."""

    issued: str
    stale: bool
    catalog: str
    files: list[DumpFileOut]


class DumpError(RuntimeError):
    """The dump cannot be written (disk full, unwritable directory); the message says where."""


@dataclass(frozen=True)
class Entry:
    """One written file: its name, size, sha256 and how many triples or rows it holds."""

    file: DumpFile
    bytes: int
    sha256: str
    count: int
    unit: str            # "triples" or "rows"

    def as_dict(self) -> dict:
        return {"file": self.file.value, "media_type": MEDIA[self.file], "bytes": self.bytes, "sha256": self.sha256,
                self.unit: self.count}


def directory(settings: Settings) -> Path:
    """Where the dumps live: `LEXMAP_DATA_DIR/dumps`."""
    return settings.data_dir / "dumps"


def fingerprint(store: GraphStore, settings: Settings) -> str:
    """What the dumps depend on: every redaction's build fingerprint and every mapping's state."""
    h = hashlib.sha256()
    for r in sorted((r["e"], r["fp"]) for r in q.select(store, "build_fingerprints")):
        h.update(f"{r[0]} {r[1]}\n".encode())
    ctx = mapping_service.Context(store, settings.base_iri, {})
    for m in sorted(ctx.repo.table().select(), key=lambda m: m.record_id):
        h.update(f"{m.record_id} {m.lifecycle} {m.reviewer} {m.stale_from} {m.relation} {m.harmonization} "
                 f"{m.confidence} {m.comment}\n".encode())
    return h.hexdigest()


def state(settings: Settings) -> dict | None:
    """The figures of the dump in place (None: none written yet)."""
    try:
        return json.loads((directory(settings) / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def is_stale(store: GraphStore, settings: Settings, current: str | None = None) -> bool:
    """True when there is no dump or the data changed since it was written."""
    done = state(settings)
    return done is None or done.get("fingerprint") != (current or fingerprint(store, settings))


class _Hashed:
    """A binary file that counts and hashes what is written to it."""

    def __init__(self, fh: IO[bytes]):
        self.fh, self.sha, self.size = fh, hashlib.sha256(), 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.size += len(data)
        return self.fh.write(data)

    def flush(self) -> None:
        self.fh.flush()


class _Writer:
    """A file of the dump being written in the build directory (gzipped or plain)."""

    def __init__(self, folder: Path, file: DumpFile):
        self.file, self.path = file, folder / file.value
        self.raw = open(self.path, "wb")
        self.hashed = _Hashed(self.raw)
        self.out: IO[bytes] = (gzip.GzipFile(filename="", mode="wb", fileobj=self.hashed, compresslevel=GZIP_LEVEL,
                                             mtime=0) if file.value.endswith(".gz") else self.hashed)  # type: ignore
        self.count = 0

    def write(self, text: str) -> None:
        self.out.write(text.encode("utf-8"))

    def write_bytes(self, data: bytes) -> None:
        self.out.write(data)

    def close(self, unit: str) -> Entry:
        if self.out is not self.hashed:
            self.out.close()
        self.raw.close()
        return Entry(self.file, self.hashed.size, self.hashed.sha.hexdigest(), self.count, unit)


def _relabel(ntriples: bytes, n: int) -> bytes:
    """Blank-node labels made unique per graph (each CONSTRUCT labels its own from scratch)."""
    if b"_:" not in ntriples:
        return ntriples
    ntriples = _BNODE_SUBJECT.sub(lambda m: b"_:g%dx%s" % (n, m[1]), ntriples)
    return _BNODE_OBJECT.sub(lambda m: b" _:g%dx%s ." % (n, m[1]), ntriples)


def _graphs(store: GraphStore, nquads: _Writer, trig: _Writer) -> None:
    # The store serialises each graph natively (N-Triples bytes): ~10x faster than rows in Python.
    for n, graph in enumerate(store.graphs()):
        nt, _ = store.raw_query(q.named("dump_graph").render(graph=graph), "application/n-triples")
        nt = _relabel(nt, n)
        if nt and not nt.endswith(b"\n"):
            nt += b"\n"
        lines = nt.count(b"\n")
        term = iriref(graph).encode()      # N-Quads output, checked as an IRI by the query layer
        nquads.write_bytes(nt.replace(b" .\n", b" " + term + b" .\n"))
        trig.write_bytes(term + b" {\n" + nt + b"}\n")
        nquads.count += lines
        trig.count += lines
        del nt


def _provisions(store: GraphStore, out: _Writer) -> None:
    for act in resources.list_acts(store):
        work = act["iri"]
        for red in q.select(store, "act_sources", work=work):
            expr, date = red["e"], red["d"]
            nodes = q.select(store, "redaction_tree", expression=expr)
            kinds = {n["kind"] for n in nodes}
            unit = "article" if "article" in kinds else "section"
            units = sorted((n for n in nodes if n["kind"] == unit), key=lambda n: int(n["sort"]))
            texts = provision_texts(store, work, expr, {n["eid"] for n in units})
            for n in units:
                text = texts.get(n["eid"], "")
                out.write(json.dumps({
                    "eli": eli_of(n["p"]), "iri": n["p"], "act": eli_of(work), "jurisdiction": act["jurisdiction"],
                    "redaction": date, "expression": expr, "kind": unit, "label": n.get("label"),
                    "title": n.get("title"), "status": status_name(n.get("st")), "text": text,
                    "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}, ensure_ascii=False) + "\n")
                out.count += 1


def _mappings(store: GraphStore, settings: Settings, folder: Path) -> list[Entry]:
    ctx = mapping_service.Context(store, settings.base_iri, act_aliases(settings))
    out = []
    for file, fmt in ((DumpFile.sssom, "sssom"), (DumpFile.mappings_jsonld, "jsonld")):
        body, _ = mapping_service.export(ctx, fmt)
        w = _Writer(folder, file)
        w.write(body)
        if fmt == "sssom":
            w.count = max(0, sum(1 for line in body.splitlines() if line and not line.startswith("#")) - 1)
        else:
            w.count = len(ctx.table().select())
        out.append(w.close("rows"))
    return out


def catalog(settings: Settings, entries: list[Entry], issued: str) -> str:
    """The DCAT catalog (Turtle) of the written files."""
    base = settings.base_iri
    g = Graph()
    for p, ns in (("dcat", DCAT), ("dcterms", DCTERMS), ("spdx", SPDX), ("void", VOID)):
        g.bind(p, ns)
    cat, ds = URIRef(f"{base}/dumps/catalog"), URIRef(f"{base}/dumps/dataset")
    when = Literal(issued, datatype=XSD.dateTime)
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("lexmap: bulk data", lang="en")))
    g.add((cat, DCTERMS.title, Literal("lexmap: выгрузки данных", lang="ru")))
    g.add((cat, DCTERMS.modified, when))
    g.add((cat, DCAT.dataset, ds))
    g.add((ds, RDF.type, DCAT.Dataset))
    g.add((ds, DCTERMS.title, Literal("Законодательство России и Беларуси: акты, редакции, соответствия", lang="ru")))
    g.add((ds, DCTERMS.title, Literal("Legislation of Russia and Belarus: acts, redactions, mappings", lang="en")))
    g.add((ds, DCTERMS.issued, when))
    g.add((ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")))
    for e in entries:
        d = URIRef(f"{base}/dumps/{e.file.value}")
        g.add((ds, DCAT.distribution, d))
        g.add((d, RDF.type, DCAT.Distribution))
        g.add((d, DCTERMS.title, Literal(TITLES[e.file])))
        g.add((d, DCAT.downloadURL, URIRef(f"{base}/dumps/{e.file.value}")))
        g.add((d, DCAT.mediaType, URIRef(f"https://www.iana.org/assignments/media-types/{MEDIA[e.file]}")))
        if e.file.value.endswith(".gz"):
            g.add((d, DCAT.compressFormat, URIRef("https://www.iana.org/assignments/media-types/application/gzip")))
        g.add((d, DCAT.byteSize, Literal(e.bytes, datatype=XSD.nonNegativeInteger)))
        g.add((d, DCTERMS.issued, when))
        checksum = BNode()
        g.add((d, SPDX.checksum, checksum))
        g.add((checksum, RDF.type, SPDX.Checksum))
        g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
        g.add((checksum, SPDX.checksumValue, Literal(e.sha256, datatype=XSD.hexBinary)))
        g.add((d, VOID.triples if e.unit == "triples" else VOID.entities, Literal(e.count, datatype=XSD.integer)))
    return g.serialize(format="turtle")


_LOCK = threading.Lock()


def write_all(store: GraphStore, settings: Settings, progress=lambda msg: None) -> dict:
    """Write every file of the dump and its catalog; returns the state recorded beside them.

    One writer at a time per process; the files appear together (each moved into place,
    the catalog and the state last)."""
    with _LOCK:
        target = directory(settings)
        build = target / ".building"
        try:
            shutil.rmtree(build, ignore_errors=True)
            build.mkdir(parents=True)
            current = fingerprint(store, settings)
            issued = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
            nquads, trig = _Writer(build, DumpFile.nquads), _Writer(build, DumpFile.trig)
            prov = _Writer(build, DumpFile.provisions)
            # the provisions are read while the graphs are written: the store and gzip release
            # the GIL, so the two overlap on two cores
            with ThreadPoolExecutor(max_workers=1) as pool:
                progress("graphs and provisions")
                provisions = pool.submit(_provisions, store, prov)
                _graphs(store, nquads, trig)
                entries = [nquads.close("triples"), trig.close("triples")]
                progress("mappings")
                entries += _mappings(store, settings, build)
                provisions.result()
            entries.append(prov.close("rows"))
            (build / DumpFile.catalog.value).write_text(catalog(settings, entries, issued), encoding="utf-8")
            done = {"fingerprint": current, "issued": issued, "files": [e.as_dict() for e in entries]}
            (build / STATE_FILE).write_text(json.dumps(done, indent=1), encoding="utf-8")
            for e in entries:
                os.replace(build / e.file.value, target / e.file.value)
            os.replace(build / DumpFile.catalog.value, target / DumpFile.catalog.value)
            os.replace(build / STATE_FILE, target / STATE_FILE)
        except OSError as exc:
            raise DumpError(f"cannot write the dumps in {target}: {exc}") from None
        finally:
            shutil.rmtree(build, ignore_errors=True)
        return done


def refresh(store: GraphStore, settings: Settings) -> dict | None:
    """Rewrite the dumps when they exist and the data changed since (after an ingest); None
    when nothing was written."""
    if state(settings) is None or not is_stale(store, settings):
        return None
    return write_all(store, settings)


def path_of(settings: Settings, file: DumpFile) -> Path:
    """The file on disk (its name comes from the enum, never from a request)."""
    return directory(settings) / file.value
