"""The query catalogue: every named query parses, every placeholder kind refuses what could
break out of its term, and the modules moved onto the catalogue build no SPARQL text.
Also the mapping queries' semantics on a small synthetic store: the list filters against a
Python reference, and the guards of the conditional writes."""
from __future__ import annotations

import ast
import itertools
import re

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef

from ingest.config import PROJECT_ROOT
from ingest.mappings.model import NO_TERM_FOUND, Mapping, to_graph
from ingest.mappings.repository import Expected, Filters, MappingError, MappingRepository
from ingest.query import InvalidTerm
from ingest.query import catalog as q
from ingest.query.terms import ntriples
from ingest.store import OxigraphStore
from ontology import LEXMAP, SPARQL_PREFIXES

# ------------------------------------------------------------------ every query parses

_ONE = Graph()
_ONE.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal('o "quoted" }')))
# per kind: a value, and the emptiest one the kind takes (no IRI, UNDEF, no triple)
DUMMY = {"iri": ("urn:x:1", "urn:x:1"), "iris": (["urn:x:1", "urn:x:2"], []), "literal": ("x", ""),
         "literals": (["a", "b"], []), "date": ("2020-01-01", "2020-01-01"), "int": (1, 0),
         "opt_iri": ("urn:x:1", None), "ntriples": (ntriples(_ONE), ntriples(Graph()))}
QUERY_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")


def _is_update(text: str) -> bool:
    """Whether the text is an update (its first keyword, after comments and a prologue, is not a query form)."""
    words = re.sub(r"(?m)^\s*#.*$", "", text).split()
    while words and words[0].upper() in ("PREFIX", "BASE"):
        words = words[3:] if words[0].upper() == "PREFIX" else words[2:]
    return bool(words) and words[0].upper() not in QUERY_FORMS


@pytest.mark.parametrize("name", q.names())
@pytest.mark.parametrize("form", [0, 1], ids=["values", "empty"])
def test_every_query_of_the_catalogue_parses(name, form):
    query = q.named(name)
    text = SPARQL_PREFIXES + query.render(**{p: DUMMY[kind][form] for p, kind in query.params.items()})
    store = ox.Store()
    try:
        if _is_update(query.text):
            store.update(text)
        else:
            store.query(text, use_default_graph_as_union=True)
    except SyntaxError as exc:
        pytest.fail(f"{name}.rq does not parse: {exc}")


def test_the_mapping_row_queries_project_the_same_row():
    store = ox.Store()

    def variables(name: str) -> list[str]:
        query = q.named(name)
        text = query.render(**{p: DUMMY[kind][0] for p, kind in query.params.items()})
        return [v.value for v in store.query(SPARQL_PREFIXES + text).variables]

    row = variables("mapping_list")
    assert {"m", "record_id", "subject", "object", "lifecycle", "stale_from"} <= set(row)
    assert variables("mapping_get") == row and variables("mapping_rows") == row


# ------------------------------------------------------------------ hostile values

HOSTILE_IRIS = ["urn:x> . ?s ?p ?o . <urn:y", "urn:a b", 'urn:"x', "urn:x\n", "relative"]


@pytest.mark.parametrize("bad", HOSTILE_IRIS)
def test_iri_kinds_refuse_what_is_no_iri(bad):
    with pytest.raises(InvalidTerm):
        q.named("mapping_history").render(mapping=bad)                          # iri
    with pytest.raises(InvalidTerm):
        q.named("mapping_graphs").render(mappings=["urn:ok", bad])              # iris
    with pytest.raises(InvalidTerm):
        _list_text(source_act=bad)                                              # opt_iri
    with pytest.raises(InvalidTerm):
        q.named("mapping_graphs").render(mappings=bad)                          # a str is no list of IRIs


def _list_text(**values) -> str:
    base = dict(source_act=None, target_act=None, act=None, provision="", lifecycles=[], relations=[],
                harmonizations=[], limit=10, offset=0)
    return q.named("mapping_list").render(**{**base, **values})


def test_literals_are_escaped_and_opt_iri_none_is_undef():
    hostile = 'x" } } ; DROP ALL ; #\n\\'
    text = q.named("mapping_get").render(record_id=hostile)
    assert '"x\\" } } ; DROP ALL ; #\\n\\\\"' in text
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:m"), ox.NamedNode(str(LEXMAP.recordId)), ox.Literal(hostile),
                      ox.NamedNode("urn:g")))
    # the escaped literal is the value itself: it finds the mapping whose id it is
    found = store.query(SPARQL_PREFIXES + q.named("mapping_graph").render(record_id=hostile))
    assert [s["v"].value for s in found] == ["urn:g"]
    assert "VALUES ?_source_act { UNDEF }" in _list_text()
    assert "VALUES ?_source_act { <urn:x:a> }" in _list_text(source_act="urn:x:a")
    assert '"a\\"b" "c"' in q.NamedQuery("t", "VALUES ?x { ${x:literals} }", {"x": "literals"}).render(x=['a"b', "c"])


@pytest.mark.parametrize("bad", ["1; DROP ALL", True, 1.5, None])
def test_int_refuses_what_is_no_integer(bad):
    with pytest.raises(InvalidTerm):
        _list_text(limit=bad)


def test_date_refuses_what_is_no_date():
    query = q.NamedQuery("t", "SELECT * WHERE { FILTER(?d <= ${d:date}) }", {"d": "date"})
    for bad in ['2020-01-01"^^xsd:date) } #', "2016-02-30", "soon"]:
        with pytest.raises(InvalidTerm):
            query.render(d=bad)


def test_ntriples_come_only_from_an_rdflib_graph():
    describe = q.named("mapping_set_describe")
    good = dict(graph="urn:g", set="urn:s")

    class Lookalike(str):
        """A str that passes for N-Triples made by ntriples()."""

    for bad in ["<urn:a> <urn:b> <urn:c> } } ; DROP ALL ; INSERT DATA { <urn:a> <urn:b> <urn:c> .",
                "", Lookalike("<urn:a> <urn:b> <urn:c> ."), _ONE]:
        with pytest.raises(InvalidTerm):
            describe.render(**good, description=bad)
    with pytest.raises(InvalidTerm):
        ntriples("<urn:a> <urn:b> <urn:c> .")
    broken = Graph()
    broken.add((URIRef("urn:a> <urn:b"), URIRef("urn:p"), Literal("o")))
    with pytest.raises(Exception):           # rdflib refuses to serialize an IRI that would end its term
        ntriples(broken)
    text = describe.render(**good, description=ntriples(_ONE))
    store = ox.Store()
    store.update(SPARQL_PREFIXES + text)
    assert [str(t.object.value) for t in store] == ['o "quoted" }']


def test_missing_and_unexpected_values_are_bugs():
    with pytest.raises(KeyError):
        q.named("mapping_history").render()
    with pytest.raises(KeyError):
        q.named("mapping_history").render(mapping="urn:x", extra="urn:y")


def test_update_all_binds_every_value_before_it_writes():
    store = OxigraphStore(None)
    ops = [("mapping_set_describe", dict(graph="urn:g", set="urn:s", description=ntriples(_ONE))),
           ("mapping_set_describe", dict(graph="urn:g", set="urn:s> <urn:t", description=ntriples(_ONE)))]
    with pytest.raises(InvalidTerm):
        q.update_all(store, ops)
    assert store.graphs() == []
    q.update_all(store, ops[:1] * 2)
    assert store.graphs() == ["urn:g"]


# ------------------------------------------------------------------ no SPARQL text in the migrated modules

MIGRATED = ["ingest/mappings/repository.py", "ingest/mappings/curated.py", "ingest/index/indexer.py"]
SPARQL_WORDS = re.compile(r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|INSERT|DELETE|WHERE|GRAPH|FILTER|VALUES|OPTIONAL|"
                          r"UNION|MINUS|PREFIX|LIMIT)\b|\?\w+ |lexmap:|<\{")
TERM_HELPERS = {"iriref", "irirefs", "literal", "sparql_literal", "_iri", "date_literal", "int_literal"}


@pytest.mark.parametrize("path", MIGRATED)
def test_migrated_modules_build_no_sparql_text(path):
    tree = ast.parse((PROJECT_ROOT / path).read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SPARQL_WORDS.search(text):
                problems.append(f"{node.lineno}: f-string of SPARQL text")
            problems += [f"{node.lineno}: {ast.unparse(v.value)} in an f-string" for v in node.values
                         if isinstance(v, ast.FormattedValue) and isinstance(v.value, ast.Call)
                         and getattr(v.value.func, "id", getattr(v.value.func, "attr", "")) in TERM_HELPERS]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            # the store is asked through the catalogue only (q.select, q.ask, q.update_all ...)
            owner = node.func.value
            if node.func.attr in ("select", "ask", "update", "construct") and not (
                    isinstance(owner, ast.Name) and owner.id == "q"):
                problems.append(f"{node.lineno}: {ast.unparse(node.func)}() outside the catalogue")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(
                r"\b(SELECT|ASK|INSERT|DELETE)\b.*[{?]", node.value):
            problems.append(f"{node.lineno}: a string of SPARQL text")
        elif isinstance(node, ast.Name) and node.id == "SELECT_FIELDS":
            problems.append(f"{node.lineno}: SELECT_FIELDS pasted into a query")
    assert not problems, f"{path}:\n" + "\n".join(problems)


# ------------------------------------------------------------------ the mapping queries on a synthetic store

BASE = "https://lexmap.org"
ACT_A, ACT_B = f"{BASE}/eli/ru/kodeks/2000/1-fz", f"{BASE}/eli/by/kodeks/2000/1-z"
GRAPHS_OF = {ACT_A: ("2020-01-01", "2021-01-01"), ACT_B: ("2020-01-01",)}


def _store_with_mappings() -> tuple[OxigraphStore, MappingRepository, list[Mapping]]:
    """Two acts (A in two redactions: each provision's lexmap:act is stated twice in the union
    graph), and mappings of every lifecycle, relation and harmonization, gaps among them, and
    one whose subject is no longer in the store."""
    store = OxigraphStore(None)
    for act, dates in GRAPHS_OF.items():
        for d in dates:
            g = Graph()
            for eid in ("art_1", "art_1__para_1", "art_2", "art_3", "art_10"):
                g.add((URIRef(f"{act}/{eid}"), LEXMAP.act, URIRef(act)))
            store.replace_graph(f"{act}/{d}/rus", ntriples(g))
    repo = MappingRepository(store, BASE)
    a, b = (lambda e: f"{ACT_A}/{e}"), (lambda e: f"{ACT_B}/{e}")
    pairs = [(a("art_1"), b("art_1"), "equal"), (a("art_1__para_1"), b("art_2"), "subset_of"),
             (a("art_2"), NO_TERM_FOUND, None), (a("art_10"), b("art_3"), "intersects_with"),
             (b("art_1"), a("art_3"), "superset_of"), (b("art_2"), NO_TERM_FOUND, None),
             (a("art_99"), b("art_10"), "not_related"), (b("art_3"), a("art_1"), "equal")]
    lifecycles, harmonizations = ["proposed", "accepted", "rejected", "stale"], ["unified", "harmonized", "divergent"]
    mappings = [Mapping(subject=s, object=o, relation=r, harmonization=harmonizations[i % 3], confidence=0.5,
                        author=f"{BASE}/agent/t", mapping_date="2026-01-01", lifecycle=lifecycles[i % 4],
                        stale_from="accepted" if lifecycles[i % 4] == "stale" else None,
                        mapping_set=repo.set_iri("t"), record_id=f"r{i}")
                for i, (s, o, r) in enumerate(pairs)]
    store.replace_graph(repo.set_graph("t"), ntriples(to_graph(mappings, BASE)))
    return store, repo, mappings


def _expected(mappings: list[Mapping], f: Filters) -> list[str]:
    """What list(f) gives, by the filters' definitions (an act: the end is a stored provision of it)."""
    stored = {f"{act}/{e}": act for act in GRAPHS_OF for e in ("art_1", "art_1__para_1", "art_2", "art_3", "art_10")}

    def at(x: str, p: str) -> bool:
        return x == p or x.startswith(p + "__")

    keep = [m for m in mappings
            if (not f.provision or at(m.subject, f.provision) or at(m.object, f.provision))
            and (not f.source_act or stored.get(m.subject) == f.source_act)
            and (not f.target_act or stored.get(m.object) == f.target_act)
            and (not f.act or f.act in (stored.get(m.subject), stored.get(m.object)))
            and (not f.lifecycle or m.lifecycle in f.lifecycle)
            and (not f.relation or m.relation in f.relation)
            and (not f.harmonization or m.harmonization in f.harmonization)]
    return [m.record_id for m in sorted(keep, key=lambda m: (m.subject, m.object))]


FILTERS = [Filters(), Filters(source_act=ACT_A), Filters(target_act=ACT_B), Filters(source_act=ACT_A, target_act=ACT_B),
           Filters(act=ACT_B), Filters(act=ACT_A, source_act=ACT_B), Filters(provision=f"{ACT_A}/art_1"),
           Filters(provision=f"{ACT_B}/art_1", act=ACT_A), Filters(lifecycle=("accepted", "stale")),
           Filters(relation=("equal",)), Filters(relation=("equal", "not_related"), harmonization=("unified",)),
           Filters(source_act=ACT_A, lifecycle=("proposed",), relation=("subset_of", "equal")),
           Filters(harmonization=("divergent", "harmonized"), target_act=ACT_A),
           Filters(lifecycle=("accepted", "accepted", "stale"), act=ACT_A)]


def test_list_filters_match_their_definition():
    store, repo, mappings = _store_with_mappings()
    for f in FILTERS:
        assert [m.record_id for m in repo.list(f)] == _expected(mappings, f), f
    whole = _expected(mappings, Filters())
    for limit, offset in itertools.product((1, 3), (0, 2, 7)):     # pages of distinct rows
        assert [m.record_id for m in repo.list(Filters(), limit, offset)] == whole[offset:offset + limit]
    assert [m.record_id for m in repo.list(Filters(), 0, 5)] == whole          # no limit: every row
    paged = Filters(lifecycle=("proposed", "proposed", "stale"), source_act=ACT_A)
    assert [m.record_id for m in repo.list(paged, 1, 1)] == _expected(mappings, paged)[1:2]
    assert repo.get("r1") == next(m for m in repo.list() if m.record_id == "r1")
    assert repo.get('r1" || "" = "') is None
    with pytest.raises(MappingError):
        repo.list(Filters(act="urn:x> . ?s ?p ?o . <urn:y"))


def test_conditional_writes_apply_only_to_the_state_they_read():
    store, repo, mappings = _store_with_mappings()
    graph, agent = repo.set_graph("t"), f"{BASE}/agent/t"
    m = mappings[0]                                                  # proposed, no trail yet
    assert not repo._write(m, graph, "create", agent, [], Expected(None))            # exists already
    assert not repo._write(m, graph, "review", agent, [], Expected("accepted"))       # another lifecycle
    assert repo._write(m.with_changes(lifecycle="accepted"), graph, "review", agent, [], Expected("proposed"))
    trail = frozenset(h["activity"] for h in repo.history(m.record_id))
    assert len(trail) == 1 and repo.get(m.record_id).lifecycle == "accepted"
    # a write that read the mapping before that review: its trail lacks the review's activity
    assert not repo._write(m.with_changes(lifecycle="rejected"), graph, "review", agent, [], Expected("accepted"))
    assert repo._write(m.with_changes(lifecycle="rejected"), graph, "review", agent, [], Expected("accepted", trail))
    assert repo.get(m.record_id).lifecycle == "rejected" and len(repo.history(m.record_id)) == 2
    new = m.with_changes(record_id="fresh", lifecycle="proposed")
    assert repo._write(new, graph, "create", agent, ["created"], Expected(None))
    assert not repo._write(new, graph, "create", agent, ["created"], Expected(None))
    assert [h["changes"] for h in repo.history("fresh")] == [["created"]]
    assert repo.graph_of("fresh") == graph and repo.get("fresh").lifecycle == "proposed"
    with pytest.raises(MappingError):                                # refused before anything is sent
        repo._write(new, "urn:g> <urn:h", "review", agent, [], Expected("proposed"))
    assert repo.graph_of("fresh") == graph
