"""What reference extraction finds and what resolution decides, as plain data.

A `Citation` is what the text says (patterns.py); a `Reference` is one citation resolved
against the acts of the corpus (resolve.py), ready to be written as triples (to_ntriples.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field

# The kinds of reference the graph and the API know.
INTERNAL = "internal"      # a unit of the same act (or, for the RU Civil Code, of the same Code)
RELATIVE = "relative"      # "настоящей статьи", "пунктом 1 настоящей статьи", "настоящей главы"
OTHER_ACT = "other-act"    # another act of the corpus
EXTERNAL = "external"      # an act outside the corpus
KINDS = (INTERNAL, RELATIVE, OTHER_ACT, EXTERNAL)

# Units of a citation, by the word that names them.
ARTICLE, PART, POINT, SUBPOINT, ABZATS, SENTENCE = "article", "part", "point", "subpoint", "abzats", "sentence"
CHAPTER, SECTION, SUBSECTION, PARAGRAPH = "chapter", "section", "subsection", "paragraph"
CONTAINERS = (PARAGRAPH, CHAPTER, SUBSECTION, SECTION)   # above the article, smallest first
INNER = (PART, POINT, SUBPOINT, ABZATS, SENTENCE)         # below the article


@dataclass(frozen=True)
class Item:
    """One number of a unit list: a single number, or a range `first`–`last`."""

    first: str
    last: str | None = None

    def spec(self) -> str:
        return self.first if self.last is None else f"{self.first}~{self.last}"


@dataclass(frozen=True)
class Group:
    """A unit word and its numbers: "пунктами 1 и 2" -> Group("point", (Item("1"), Item("2")))."""

    unit: str
    items: tuple[Item, ...]

    def spec(self) -> str:
        return f"{self.unit}:{','.join(i.spec() for i in self.items)}"


@dataclass(frozen=True)
class ActName:
    """The act a citation names after its units.

    `self_scope` is the relative container ("article", "point", "chapter", …, or "act" for
    "настоящего Кодекса"); otherwise the act is named: its title words matched a corpus act
    (`act_key`), or it is written out (`as_written`, with date and number when given)."""

    self_scope: str | None = None
    act_key: str | None = None
    as_written: str = ""
    jurisdiction: str | None = None
    act_type: str | None = None       # "fz", "fkz", "zakon", "kodeks", "ukaz", "dekret", "konst"
    date: str | None = None           # ISO date of adoption, when written
    number: str | None = None         # as written: "35-ФЗ", "455-З"


@dataclass
class Citation:
    """One citation in a provision's text: where it is, its units (outermost first) and the act."""

    start: int
    end: int
    quote: str
    groups: list[Group]               # outermost first: article, then part, then point …
    act: ActName | None = None        # None: the same act, no "настоящ…" written

    def spec(self) -> str:
        """The units as one string: 'article:301~305/point:1,2' (stored for later resolution)."""
        return "/".join(g.spec() for g in self.groups)


@dataclass
class Reference:
    """A citation resolved: the targets found (eIds in `target_work`), or why there are none."""

    source_eid: str                   # the citing provision
    start: int
    end: int
    quote: str
    kind: str
    spec: str                         # Citation.spec(), kept so a later pass can resolve again
    target_work: str | None = None    # IRI of the cited act (in the corpus)
    targets: list[str] = field(default_factory=list)      # eIds in target_work
    pending_works: list[str] = field(default_factory=list)  # acts to look in after all are loaded
    external: str = ""                # the cited act as written, when outside the corpus
    external_date: str | None = None
    external_number: str | None = None
    reason: str = ""                  # why unresolved, or what was approximated

    @property
    def resolved(self) -> bool:
        return bool(self.targets) or (self.target_work is not None and not self.spec)
