"""Legal parameters — the periods, ages, amounts, counts and shares a provision sets — found in
its text and normalised to value + unit, with the words quoted and their offsets.

    from ingest.parameters import extract_parameters
    extract_parameters("Общий срок исковой давности составляет три года.")
    # [Parameter(kind='period', value=3.0, unit='year', quote='три года', start=37, end=45,
    #            label='срок исковой давности')]

numbers.py reads numbers (digits or Russian words in any case, via pymorphy3), units.py knows the
unit words, extract.py walks a text, labels.py names what a number is about, align.py compares
the parameters of two provisions.
"""
from __future__ import annotations

from .extract import extract_parameters
from .model import KINDS, UNIT_FAMILY, Parameter

__all__ = ["KINDS", "UNIT_FAMILY", "Parameter", "extract_parameters"]
