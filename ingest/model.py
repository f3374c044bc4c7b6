"""The one provision tree every source adapter returns.

Adapters turn bytes into a `ParsedDocument`; identifiers, RDF and the index are
computed from it elsewhere, so every format ends up with the same identifiers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator

# Kinds of subdivision, from the largest to the smallest. The eId prefix of each
# kind follows Akoma Ntoso naming.
EID_PREFIX: dict[str, str] = {
    "part": "part",            # Часть (of a code: Общая / Особенная)
    "section": "sec",          # Раздел
    "subsection": "subsec",    # Подраздел
    "chapter": "chp",          # Глава
    "paragraph": "subchp",     # § параграф inside a chapter
    "subparagraph": "subsubchp",  # numbered sub-paragraph inside a §
    "preamble": "preamble",
    "article": "art",          # Статья
    "para": "para",            # часть / пункт of an article
    "point": "point",          # подпункт 1) / а)
    "subpoint": "subpoint",    # а) inside 1)
    "note": "note",            # Примечание к статье
    "item": "item",
    "attachment": "att",
    "list": "list",            # a list of items inside a unit (Akoma Ntoso blockList)       # a schedule / annex (Akoma Ntoso attachment, component)
}
CONTAINER_KINDS = frozenset({"part", "section", "subsection", "chapter", "paragraph", "subparagraph"})

IN_FORCE = "in_force"
REPEALED = "repealed"
EXCLUDED = "excluded"
STATUSES = (IN_FORCE, REPEALED, EXCLUDED)


@dataclass
class Provision:
    """One subdivision of an act in one redaction, with its own text only."""

    kind: str
    num: str | None = None          # normalised number: "67.1", "2", "a", "I"
    label: str | None = None        # as printed: "Статья 67¹", "1.", "2)"
    title: str | None = None
    text: str = ""                  # own text, paragraphs joined by "\n"; no notes
    wrap_up: str = ""               # text after the sub-provisions (Akoma Ntoso wrapUp)
    notes: list[str] = field(default_factory=list)
    status: str = IN_FORCE
    defects: list[str] = field(default_factory=list)
    where: str = ""                 # source location: "line 812" or "$.children[2]"
    children: list["Provision"] = field(default_factory=list)
    eid: str = ""                   # assigned by identifiers.assign_eids

    def walk(self) -> Iterator["Provision"]:
        """This provision and all its descendants in document order."""
        yield self
        for child in self.children:
            yield from child.walk()

    def add_text(self, paragraph: str) -> None:
        """Append one paragraph (абзац) to the own text."""
        paragraph = paragraph.strip()
        if paragraph:
            self.text = f"{self.text}\n{paragraph}" if self.text else paragraph


@dataclass
class Problem:
    """Something found in a source: an error stops the act, a warning is reported."""

    severity: str                  # "error" | "warning"
    message: str
    where: str = ""                # "line 812", "$.children[3]", an eId
    hint: str = ""                 # what to do about it

    def __str__(self) -> str:
        loc = f" [{self.where}]" if self.where else ""
        hint = f" — {self.hint}" if self.hint else ""
        return f"{self.severity}{loc}: {self.message}{hint}"


@dataclass
class ParsedDocument:
    """What an adapter returns: the tree under the act and what it noticed."""

    children: list[Provision]
    title: str | None = None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, str] = field(default_factory=dict)   # what the source says of itself (FRBR ids …); not in the graph

    def walk(self) -> Iterator[Provision]:
        for child in self.children:
            yield from child.walk()

    def articles(self) -> list[Provision]:
        return [p for p in self.walk() if p.kind == "article"]

    def error(self, message: str, where: str = "", hint: str = "") -> None:
        self.problems.append(Problem("error", message, where, hint))

    def warn(self, message: str, where: str = "", hint: str = "") -> None:
        self.problems.append(Problem("warning", message, where, hint))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]
