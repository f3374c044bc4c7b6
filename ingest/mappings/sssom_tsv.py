"""SSSOM TSV: read a mapping set with every problem named by line, write one back.

The file is SSSOM 1.0 TSV: a YAML metadata block in '#' lines (curie_map,
mapping_set_id, license, extension_definitions …) then a tab-separated table.
lexmap's own slots (set_relation, relationship_rationale, strength,
harmonization_status, lifecycle_status) are declared as SSSOM extensions, so
standard tools read the file and keep them.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

import yaml

from ontology import LEXMAP, SEMAPV, SSSOM

from .model import HARMONIZATION, JUSTIFICATIONS, LIFECYCLE, NO_TERM_FOUND, PREDICATES, RATIONALES, RELATIONS, Mapping

STANDARD_PREFIXES = {
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "semapv": str(SEMAPV),
    "sssom": str(SSSOM),
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "lexmap": str(LEXMAP),
}

EXTENSIONS = [
    {"slot_name": "set_relation", "property": "lexmap:setRelation", "type_hint": "xsd:string"},
    {"slot_name": "relationship_rationale", "property": "lexmap:rationale", "type_hint": "xsd:string"},
    {"slot_name": "strength", "property": "lexmap:strength", "type_hint": "xsd:integer"},
    {"slot_name": "harmonization_status", "property": "lexmap:harmonization", "type_hint": "xsd:string"},
    {"slot_name": "lifecycle_status", "property": "lexmap:lifecycle", "type_hint": "xsd:string"},
]

COLUMNS = [
    "record_id", "subject_id", "subject_label", "predicate_id", "predicate_modifier", "object_id", "object_label",
    "mapping_justification", "confidence", "author_id", "author_label", "reviewer_id", "reviewer_label",
    "mapping_date", "subject_source_version", "object_source_version", "comment",
    "set_relation", "relationship_rationale", "strength", "harmonization_status", "lifecycle_status",
]
REQUIRED = ["subject_id", "predicate_id", "object_id", "mapping_justification", "confidence", "author_id",
            "mapping_date", "harmonization_status", "lifecycle_status"]
_CURIE = re.compile(r"^([A-Za-z_][A-Za-z0-9_.\-]*):(\S*)$")
RECORD_PREFIX = "lexmapmapping"
_RECORD = re.compile(r"^[a-z0-9][a-z0-9-]{5,63}$")


class MappingFileError(ValueError):
    """A mapping file that cannot be imported; `problems` lists each with its line."""

    def __init__(self, path: str, problems: list[str]):
        self.path, self.problems = path, problems
        more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
        super().__init__(f"{path}: {len(problems)} problem(s): " + "; ".join(problems[:10]) + more)


@dataclass
class MappingSet:
    """A parsed SSSOM TSV: its metadata, prefix map, mappings and the line of each."""

    meta: dict
    prefixes: dict[str, str]
    mappings: list[Mapping] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)   # record_id -> line number in the file


def expand(curie: str, prefixes: dict[str, str]) -> str:
    """CURIE -> IRI; an IRI passes unchanged; KeyError for an unknown prefix."""
    if curie.startswith(("http://", "https://", "urn:")):
        return curie
    m = _CURIE.match(curie)
    if not m:
        raise KeyError(f"{curie!r} is neither a CURIE nor an IRI")
    if m.group(1) not in prefixes:
        raise KeyError(f"prefix {m.group(1)!r} of {curie!r} is not in the curie_map")
    return prefixes[m.group(1)] + m.group(2)


def contract(iri: str, prefixes: dict[str, str]) -> str:
    """IRI -> CURIE with the longest matching namespace (the IRI itself if none)."""
    best = max((p for p, ns in prefixes.items() if iri.startswith(ns)), key=lambda p: len(prefixes[p]), default=None)
    return f"{best}:{iri[len(prefixes[best]):]}" if best else iri


def parse(text: str, path: str = "<tsv>", base_iri: str | None = None) -> MappingSet:
    """Parse SSSOM TSV text; MappingFileError lists every problem with its line."""
    header, body, first_body_line = [], [], 1
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("#"):
            header.append(line[1:])
        else:
            body, first_body_line = lines[i:], i + 1
            break
    problems: list[str] = []
    try:
        meta = yaml.safe_load("\n".join(header)) or {} if header else {}
    except yaml.YAMLError as exc:
        raise MappingFileError(path, [f"line {getattr(exc, 'problem_mark', None) and exc.problem_mark.line + 1 or 1}: "
                                      f"the '#' metadata block is not valid YAML: {exc}"]) from None
    if not isinstance(meta, dict):
        raise MappingFileError(path, ["line 1: the '#' metadata block must be a YAML mapping"])
    prefixes = {**STANDARD_PREFIXES, **{str(k): str(v) for k, v in (meta.get("curie_map") or {}).items()}}
    if base_iri:
        # Files are written against the default base; a deployment with another
        # base reads them onto its own identifiers.
        prefixes = {k: v.replace("https://lexmap.org/", base_iri.rstrip("/") + "/", 1) for k, v in prefixes.items()}
    for key in ("mapping_set_id", "license"):
        if not meta.get(key):
            problems.append(f"line 1: the metadata has no {key} (SSSOM requires it)")
    if not body or not body[0].strip():
        raise MappingFileError(path, problems + [f"line {first_body_line}: no table header after the metadata"])
    reader = csv.reader(io.StringIO("\n".join(body)), delimiter="\t", quoting=csv.QUOTE_NONE)
    columns = next(reader)
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        problems.append(f"line {first_body_line}: unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        problems.append(f"line {first_body_line}: missing required column(s) {', '.join(missing)}")
        raise MappingFileError(path, problems)
    out = MappingSet(meta=meta, prefixes=prefixes)
    set_iri = expand(str(meta.get("mapping_set_id", "urn:lexmap:unnamed-set")), prefixes) if meta.get(
        "mapping_set_id") else None
    for n, cells in enumerate(reader, start=first_body_line + 1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(columns):
            problems.append(f"line {n}: {len(cells)} cells, the header has {len(columns)} (a tab too many or missing?)")
            continue
        row = dict(zip(columns, (c.strip() for c in cells)))
        where = f"line {n}"
        try:
            m = _mapping(row, prefixes, set_iri)
        except (KeyError, ValueError) as exc:
            problems.append(f"{where}: {exc.args[0] if exc.args else exc}")
            continue
        if m.record_id in out.lines:
            problems.append(f"{where}: record {m.record_id} repeats line {out.lines[m.record_id]} "
                            f"(same subject and object twice?)")
            continue
        out.lines[m.record_id] = n
        out.mappings.append(m)
    if problems:
        raise MappingFileError(path, problems)
    return out


def _need(row: dict, key: str) -> str:
    value = row.get(key, "")
    if not value:
        raise ValueError(f"{key} is empty")
    return value


def _choice(row: dict, key: str, table: dict, optional: bool = False) -> str | None:
    value = row.get(key, "")
    if not value and optional:
        return None
    if value not in table:
        raise ValueError(f"{key} {value!r} is not one of {', '.join(table)}")
    return value


def _mapping(row: dict, prefixes: dict[str, str], set_iri: str | None) -> Mapping:
    subject = expand(_need(row, "subject_id"), prefixes)
    obj = expand(_need(row, "object_id"), prefixes)
    predicate = _need(row, "predicate_id")
    if predicate not in PREDICATES:
        raise ValueError(f"predicate_id {predicate!r} is not a SKOS mapping predicate ({', '.join(PREDICATES)})")
    justification = _need(row, "mapping_justification")
    if justification not in JUSTIFICATIONS:
        raise ValueError(f"mapping_justification {justification!r} is not one of {', '.join(JUSTIFICATIONS)}")
    try:
        confidence = float(_need(row, "confidence"))
    except ValueError:
        raise ValueError(f"confidence {row.get('confidence')!r} is not a number") from None
    if not 0.0 <= confidence <= 1.0:
        raise ValueError(f"confidence {confidence} is outside [0, 1]")
    mapping_date = _need(row, "mapping_date")
    try:
        date.fromisoformat(mapping_date)
    except ValueError:
        raise ValueError(f"mapping_date {mapping_date!r} is not a date (YYYY-MM-DD)") from None
    relation = _choice(row, "set_relation", RELATIONS, optional=obj == NO_TERM_FOUND)
    if relation is None and obj != NO_TERM_FOUND:
        raise ValueError("set_relation is empty; only a row whose object is sssom:NoTermFound may omit it")
    strength = row.get("strength") or None
    if strength is not None:
        if not strength.isdigit() or not 0 <= int(strength) <= 10:
            raise ValueError(f"strength {strength!r} is not an integer from 0 to 10")
    modifier = row.get("predicate_modifier") or None
    if modifier not in (None, "Not"):
        raise ValueError(f"predicate_modifier {modifier!r}: the only modifier is Not")
    lifecycle = _choice(row, "lifecycle_status", LIFECYCLE)
    reviewer = expand(row["reviewer_id"], prefixes) if row.get("reviewer_id") else None
    if lifecycle == "accepted" and not reviewer:
        raise ValueError("an accepted mapping needs a reviewer_id")
    record = row.get("record_id") or ""
    if record:
        record = record.split(":", 1)[1] if ":" in record and not record.startswith("http") else record.rsplit("/", 1)[-1]
        if not _RECORD.match(record):
            raise ValueError(f"record_id {row['record_id']!r}: use 6-64 lower-case letters, digits and hyphens")
    return Mapping(
        subject=subject, object=obj, relation=relation,
        harmonization=_choice(row, "harmonization_status", HARMONIZATION),
        confidence=confidence, author=expand(_need(row, "author_id"), prefixes), mapping_date=mapping_date,
        lifecycle=lifecycle, rationale=_choice(row, "relationship_rationale", RATIONALES, optional=True),
        strength=int(strength) if strength is not None else None, predicate=predicate, predicate_modifier=modifier,
        justification=justification, reviewer=reviewer,
        author_label=row.get("author_label") or None, reviewer_label=row.get("reviewer_label") or None,
        subject_label=row.get("subject_label") or None, object_label=row.get("object_label") or None,
        subject_version=row.get("subject_source_version") or None,
        object_version=row.get("object_source_version") or None,
        comment=row.get("comment") or None, mapping_set=set_iri, record_id=record,
    )


def _clean(value: object) -> str:
    # A tab or newline inside a cell would break the table.
    return "" if value is None else re.sub(r"[\t\r\n]+", " ", str(value))


def write(mappings: list[Mapping], meta: dict, prefixes: dict[str, str], base_iri: str = "https://lexmap.org") -> str:
    """SSSOM TSV text of `mappings` with `meta` (curie_map is filled in from `prefixes`)."""
    prefixes = {**prefixes, RECORD_PREFIX: f"{base_iri.rstrip('/')}/mapping/"}
    used = {k: v for k, v in prefixes.items() if k not in STANDARD_PREFIXES or k in ("lexmap",)}
    prefixes = {**STANDARD_PREFIXES, **prefixes}
    head = {**meta, "curie_map": {**used, **{k: STANDARD_PREFIXES[k] for k in ("lexmap",)}},
            "extension_definitions": EXTENSIONS}
    yaml_text = yaml.safe_dump(head, allow_unicode=True, sort_keys=False, width=1000)
    out = io.StringIO()
    for line in yaml_text.splitlines():
        out.write(f"#{line}\n")
    w = csv.writer(out, delimiter="\t", lineterminator="\n", quoting=csv.QUOTE_NONE, escapechar="\\")
    w.writerow(COLUMNS)
    for m in mappings:
        w.writerow([_clean(x) for x in (
            f"{RECORD_PREFIX}:{m.record_id}", contract(m.subject, prefixes), m.subject_label, m.predicate, m.predicate_modifier,
            contract(m.object, prefixes), m.object_label, m.justification, f"{m.confidence:g}",
            contract(m.author, prefixes), m.author_label, contract(m.reviewer, prefixes) if m.reviewer else "",
            m.reviewer_label, m.mapping_date, m.subject_version, m.object_version, m.comment,
            m.relation, m.rationale, m.strength, m.harmonization, m.lifecycle)])
    return out.getvalue()
