"""The query language of lexmap search, parsed into a tree of analysed nodes.

    срок исковой давности         words: ranked by how many match (all of them first)
    "исковой давности"            a phrase, in any inflection
    залог AND ипотека             both;  залог OR ипотека: either
    NOT / -word                   exclude;  +word: required
    довер*                        a prefix of the dictionary form
    (a OR b) c                    grouping

Words are analysed exactly as the index was (see analysis.py), so the tree
holds index terms, not surface words, and every backend compiles the same tree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .analysis import fold, is_stop_word, terms_of, words_of

MAX_QUERY_CHARS = 1000
MAX_PHRASE_VARIANTS = 16


class QueryError(ValueError):
    """A query that cannot be run; the message says what and where."""


@dataclass(frozen=True)
class Word:
    terms: tuple[str, ...]          # a match on any of these counts
    surface: str
    related: tuple[str, ...] = ()   # thesaurus terms: they count too, for less
    weighted: tuple[tuple[str, float], ...] = ()   # expansion terms, each with its own weight


@dataclass(frozen=True)
class Rewrite:
    """Everyday words of a query that stand for the codes' own: `phrase` (lemmas, in order) adds
    `adds` to the query; `typed` is the phrase as the lexicon writes it."""

    phrase: tuple[str, ...]
    adds: str
    typed: str


@dataclass(frozen=True)
class Thesaurus:
    """Terms the two jurisdictions (or lawyers and statutes) say differently.

    `related` maps an index term to the terms that mean the same in the other
    wording (работодатель ~ наниматель); `rewrites` add words to a query that
    asks in everyday words ("что такое" -> "понятие", "коммуналка" -> "плата за
    жилищно-коммунальные услуги": the colloquial lexicon, corpus/colloquial.toml).
    """

    related: dict[str, tuple[str, ...]]
    rewrites: tuple[Rewrite, ...] = ()
    # first lemma of a phrase -> the rewrites whose phrase opens with it (a query looks up its
    # own words instead of trying every phrase: the lexicon has hundreds)
    by_first: dict[str, tuple[Rewrite, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def load(cls, path) -> "Thesaurus":
        """Read a thesaurus TOML ([[synonyms]] words=[...]; [[rewrite]] phrase=, adds=) and the
        colloquial lexicon beside it (colloquial.toml: [[colloquial]] typed=[...], statute=),
        when there is one. ValueError names the file and the entry that cannot be read."""
        import tomllib
        from pathlib import Path
        p = Path(path)
        if not p.exists():
            return cls({})
        data = tomllib.loads(p.read_text(encoding="utf-8"))
        related: dict[str, set[str]] = {}
        for i, group in enumerate(data.get("synonyms", []), 1):
            words = group.get("words") or []
            if len(words) < 2:
                raise ValueError(f"{p}: synonym group #{i} needs at least two words")
            terms = {terms_of(fold(w))[0] for w in words}
            for t in terms:
                related.setdefault(t, set()).update(terms - {t})
        rewrites = [_rewrite(p, f"rewrite #{i}", r.get("phrase"), r.get("adds"))
                    for i, r in enumerate(data.get("rewrite", []), 1)]
        lexicon = p.with_name(COLLOQUIAL_FILE)
        entries = tomllib.loads(lexicon.read_text(encoding="utf-8")).get("colloquial", []) if lexicon.exists() else []
        for i, entry in enumerate(entries, 1):
            typed = entry.get("typed")
            if not isinstance(typed, list) or not typed:
                raise ValueError(f"{lexicon}: colloquial entry #{i} needs typed = [\"…\"] (the everyday words)")
            rewrites.extend(_rewrite(lexicon, f"colloquial entry #{i}", t, entry.get("statute")) for t in typed)
        index: dict[str, list[Rewrite]] = {}
        for r in rewrites:
            index.setdefault(r.phrase[0], []).append(r)
        return cls({k: tuple(sorted(v)) for k, v in related.items()}, tuple(rewrites),
                   {k: tuple(v) for k, v in index.items()})

    def applied(self, q: str) -> list[Rewrite]:
        """The rewrites whose phrase the query holds, each once, in the order they occur."""
        words = [_lemma(w) for _, w in words_of(q)]
        found: list[Rewrite] = []
        for i, w in enumerate(words):
            for r in self.by_first.get(w, ()):
                if r not in found and tuple(words[i:i + len(r.phrase)]) == r.phrase:
                    found.append(r)
        return found

    def stands_for_codes_words(self, term: str) -> bool:
        """Whether a one-word rewrite reads this term ("минималка"): a word the lexicon knows is
        no typo, even where the index lacks it."""
        return any(r.phrase == (term,) for r in self.by_first.get(term, ()))

    def expand(self, q: str) -> str:
        """The query with the words its everyday phrasings stand for."""
        adds = list(dict.fromkeys(r.adds for r in self.applied(q)))
        return q + (" " + " ".join(adds) if adds else "")


# The colloquial lexicon's file, read beside the thesaurus (corpus/colloquial.toml).
COLLOQUIAL_FILE = "colloquial.toml"


def _rewrite(src, what: str, phrase, adds) -> Rewrite:
    """One rewrite entry, checked: ValueError says which file and entry is wrong."""
    if not isinstance(phrase, str) or not isinstance(adds, str) or not adds.strip():
        raise ValueError(f"{src}: {what} needs a phrase and the codes' words it stands for (strings)")
    lemmas = tuple(_lemma(w) for _, w in words_of(phrase))
    if not lemmas:
        raise ValueError(f"{src}: {what}: {phrase!r} holds no word")
    return Rewrite(lemmas, adds.strip(), phrase.strip())


@dataclass(frozen=True)
class Prefix:
    prefix: str


@dataclass(frozen=True)
class Phrase:
    words: tuple[tuple[int, tuple[str, ...]], ...]   # (offset in the phrase, alternatives)
    surface: str


@dataclass(frozen=True)
class All:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Any:
    items: tuple["Node", ...]


@dataclass(frozen=True)
class Ranked:
    """Juxtaposed words: a document matching more of them ranks higher."""

    items: tuple["Node", ...]


@dataclass(frozen=True)
class Not:
    item: "Node"


Node = Word | Prefix | Phrase | All | Any | Ranked | Not

_LEX = re.compile(r'\s*(?:(?P<quote>")|(?P<lp>\()|(?P<rp>\))|(?P<op>AND|OR|NOT)(?=[\s()"]|$)|(?P<sign>[+-])(?=[\w"(])'
                  r'|(?P<word>\d+(?:[./]\d+)*(?:-[^\W_]+)?\*?|[^\W\d_]+(?:-[^\W\d_]+)*\*?)|(?P<junk>\S))')


def _lemma(word: str) -> str:
    return terms_of(fold(word))[0]


def check_text(q: str) -> str:
    """Reject what no search can mean: too long, control characters, nothing to search."""
    if len(q) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(q)} characters long; the limit is {MAX_QUERY_CHARS}")
    bad = next((i for i, ch in enumerate(q) if (ord(ch) < 32 and ch not in "\t\n\r") or 0x7f <= ord(ch) < 0xa0), None)
    if bad is not None:
        raise QueryError(f"control character U+{ord(q[bad]):04X} at position {bad + 1}; remove it")
    if not q.strip():
        raise QueryError("the query is empty")
    return q


MAX_DEPTH = 20   # nesting of parentheses and NOT/-/+ (LEXMAP_QUERY_MAX_DEPTH); deeper means nobody typed it


def rewritable(q: str, thesaurus: Thesaurus | None) -> bool:
    """Whether the thesaurus' rewrites apply to the query: plain words only (operators, phrases,
    prefixes and groups are run exactly as typed)."""
    return thesaurus is not None and not re.search(r'["()*]|\b(?:AND|OR|NOT)\b', q)


def rewrites_of(q: str, thesaurus: Thesaurus | None) -> list[Rewrite]:
    """The rewrites parse() applies to the query (what the answer says was searched for)."""
    return thesaurus.applied(q) if rewritable(q, thesaurus) else []


def parse(q: str, thesaurus: Thesaurus | None = None, max_depth: int = MAX_DEPTH) -> Node | None:
    """Parse a query; None when it holds only stop words. QueryError when malformed or nested
    deeper than `max_depth`."""
    check_text(q)
    if rewritable(q, thesaurus):
        q = thesaurus.expand(q)
    if q.count('"') % 2:
        raise QueryError(f'unbalanced quotation mark at position {q.rindex(chr(34)) + 1}; close the phrase with "')
    toks: list[tuple[str, str, int]] = []
    i = 0
    while i < len(q):
        m = _LEX.match(q, i)
        if m is None or m.end() == i:        # only trailing blanks left
            break
        kind = m.lastgroup
        if kind == "quote":
            end = q.index('"', m.end())
            toks.append(("phrase", q[m.end():end], m.start()))
            i = end + 1
            continue
        if kind != "junk":
            toks.append((kind, m.group(kind), m.start(kind)))
        i = m.end()
    parser = _Parser(toks, thesaurus, max_depth)
    node = parser.expr()
    if parser.i < len(toks):
        _, text, pos = toks[parser.i]
        raise QueryError(f"unexpected '{text}' at position {pos + 1}" + (" (no opening parenthesis)" if text == ")" else ""))
    return node


class _Parser:
    def __init__(self, toks: list[tuple[str, str, int]], thesaurus: Thesaurus | None = None,
                 max_depth: int = MAX_DEPTH):
        self.toks, self.i, self.thesaurus = toks, 0, thesaurus
        self.depth, self.max_depth = 0, max_depth

    def _deeper(self, pos: int) -> None:
        """One more level of nesting; refused past the limit (the parser recurses per level)."""
        self.depth += 1
        if self.depth > self.max_depth:
            raise QueryError(f"the query nests parentheses or NOT more than {self.max_depth} levels deep "
                             f"(at position {pos + 1}); simplify it")

    def peek(self) -> tuple[str, str, int] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def expr(self) -> Node | None:
        start = self.i
        alts = [self.sequence()]
        while (t := self.peek()) and t[0] == "op" and t[1] == "OR":
            if self.i == start:
                raise QueryError(f"operator OR at position {t[2] + 1} has nothing on one side")
            self.i += 1
            start = self.i
            alts.append(self.sequence())
            if self.i == start:
                raise QueryError(f"operator OR at position {t[2] + 1} has nothing on one side")
        alts = [a for a in alts if a is not None]
        return None if not alts else alts[0] if len(alts) == 1 else Any(tuple(alts))

    def sequence(self) -> Node | None:
        groups: list[list[Node]] = []
        joined = False
        while (t := self.peek()) and not (t[0] == "rp" or (t[0] == "op" and t[1] == "OR")):
            if t[0] == "op" and t[1] == "AND":
                self.i += 1
                joined = True
                continue
            node = self.unary()
            if node is None:
                continue
            if joined and groups:
                groups[-1].append(node)
            else:
                groups.append([node])
            joined = False
        items = [g[0] if len(g) == 1 else All(tuple(g)) for g in groups]
        return None if not items else items[0] if len(items) == 1 else Ranked(tuple(items))

    def unary(self) -> Node | None:
        t = self.peek()
        if t[0] == "op" and t[1] == "NOT" or t[0] == "sign" and t[1] == "-":
            self.i += 1
            if self.peek() is None:
                raise QueryError(f"nothing to exclude after '{t[1]}' at position {t[2] + 1}")
            self._deeper(t[2])
            inner = self.unary()
            self.depth -= 1
            return Not(inner) if inner is not None else None
        if t[0] == "sign":       # "+word": required
            self.i += 1
            if self.peek() is None:
                return None
            self._deeper(t[2])
            inner = self.unary()
            self.depth -= 1
            return All((inner,)) if inner is not None else None
        return self.atom()

    def atom(self) -> Node | None:
        kind, text, pos = self.toks[self.i]
        self.i += 1
        if kind == "lp":
            self._deeper(pos)
            inner = self.expr()
            self.depth -= 1
            t = self.peek()
            if t is None or t[0] != "rp":
                raise QueryError(f"unbalanced parenthesis opened at position {pos + 1}")
            self.i += 1
            return inner
        if kind == "rp":
            raise QueryError(f"unexpected ')' at position {pos + 1} (no opening parenthesis)")
        if kind == "op":
            raise QueryError(f"operator {text} at position {pos + 1} has nothing on one side")
        if kind == "phrase":
            return phrase(text)
        node = word(text)
        if isinstance(node, Word) and self.thesaurus is not None:
            related = tuple(r for t in node.terms for r in self.thesaurus.related.get(t, ()) if r not in node.terms)
            if related:
                node = Word(node.terms, node.surface, related)
        return node


def word(text: str) -> Node | None:
    """A single query word, analysed; a trailing * makes it a prefix."""
    if text.endswith("*"):
        stem = fold(text[:-1])
        if len(stem) < 2:
            raise QueryError(f"the prefix '{text}' is too short; give at least two letters before *")
        return Prefix(stem)
    w = fold(text)
    return None if is_stop_word(w) else Word(terms_of(w), text)


def phrase(text: str) -> Node | None:
    """A quoted phrase: its words at their offsets (stop words leave gaps)."""
    kept = [(pos, terms_of(w)) for pos, w in words_of(text) if not is_stop_word(w)]
    if not kept:
        return None
    if len(kept) == 1:
        return Word(kept[0][1], text)
    first = kept[0][0]
    return Phrase(tuple((pos - first, terms) for pos, terms in kept), text)


def phrase_variants(node: Phrase) -> list[list[tuple[int, str]]]:
    """The phrase spelled with one term per word: every combination of the
    alternatives of ambiguous words, most likely first, at most MAX_PHRASE_VARIANTS."""
    variants: list[list[tuple[int, str]]] = [[]]
    for off, terms in node.words:
        variants = [v + [(off, t)] for v in variants for t in terms][:MAX_PHRASE_VARIANTS]
    return variants


def all_terms(node: Node | None) -> tuple[set[str], list[str]]:
    """Every positive term and prefix of a query (for highlighting)."""
    terms: set[str] = set()
    prefixes: list[str] = []

    def walk(n: Node | None) -> None:
        if isinstance(n, Word):
            terms.update(n.terms)
            terms.update(n.related)
            terms.update(t for t, _ in n.weighted)
        elif isinstance(n, Prefix):
            prefixes.append(n.prefix)
        elif isinstance(n, Phrase):
            for _, ts in n.words:
                terms.update(ts)
        elif isinstance(n, (All, Any, Ranked)):
            for c in n.items:
                walk(c)

    walk(node)
    return terms, prefixes
