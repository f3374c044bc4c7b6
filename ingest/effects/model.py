"""Amendment effects as plain data: what an amendment note says, read into events.

A note such as "(В редакции федеральных законов от 29.12.2006 № 258-ФЗ; от 02.07.2013 № 167-ФЗ)"
is one `Effect` per amending act it names; "Исключена" (a BY stub) is one effect with no act.
"""
from __future__ import annotations

from dataclasses import dataclass

# The kinds of effect, after legislation.gov.uk's effects tables.
WORDING = "wording"        # "в редакции", "в ред.": the provision was given a new wording
INSERTED = "inserted"      # "Дополнение статьей", "введен(а)": the provision was inserted
REPEALED = "repealed"      # "утратил(а) силу", "исключен(а)": the provision was repealed
AMENDED = "amended"        # the act's own list of amending acts: something in it was changed
KINDS = (WORDING, INSERTED, REPEALED, AMENDED)


@dataclass(frozen=True)
class AmendingAct:
    """The act that made a change, as the note names it."""

    act_type: str            # an ELI act type of ingest.identifiers.ACT_TYPES: "fz", "fkz", "zakon" …
    date: str                # ISO date of adoption (signature), as the note gives it
    number: str              # as printed: "100-ФЗ", "415-З"
    jurisdiction: str        # "ru" | "by"


@dataclass(frozen=True)
class NoteEffect:
    """One effect read from a note, before it is placed on a provision of the tree."""

    kind: str
    unit: str | None          # what the note names: "article", "part", "title", "abzats" …; None: the holder
    unit_num: str | None      # the unit's number when the note gives one ("пункт 4 введен")
    act: AmendingAct | None   # None: the note names no act ("Исключена")
    in_force: str | None = None   # ISO date the note says the change took effect, when it does


@dataclass(frozen=True)
class Effect:
    """A note effect placed on a provision: `eid` is the provision affected ("" = the act)."""

    eid: str
    holder: str               # eId of the provision whose notes hold it ("" = the act's own notes)
    note: str                 # the note's words (the holder's notes joined)
    note_index: int
    effect: NoteEffect
    placement: str = ""       # why the affected provision is not exactly the unit the note names
    unit_is_node: bool = False  # the affected provision is the very unit the note names (its unit word says nothing more)
