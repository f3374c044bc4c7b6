"""The unit words that follow a number in a statute, as lemma sequences, and the canonical unit
each names (model.UNIT_FAMILY)."""
from __future__ import annotations

import re

# longest first; each item: lemmas of consecutive words → canonical unit
UNIT_PHRASES: list[tuple[tuple[str, ...], str]] = sorted([
    (("рабочий", "день"), "working_day"),
    (("календарный", "день"), "day"),
    (("полный", "день"), "day"),
    (("день",), "day"),
    (("сутки",), "day"),
    (("календарный", "неделя"), "week"),
    (("неделя",), "week"),
    (("календарный", "месяц"), "month"),
    (("полный", "месяц"), "month"),
    (("месяц",), "month"),
    (("календарный", "год"), "year"),
    (("полный", "год"), "year"),
    (("год",), "year"),
    (("час",), "hour"),
    (("базовый", "величина"), "base_unit"),
    (("минимальный", "размер", "оплата", "труд"), "mrot"),
    (("минимальный", "заработный", "плата"), "mrot"),
    (("мрот",), "mrot"),
    (("средний", "месячный", "заработок"), "avg_earnings"),
    (("среднемесячный", "заработок"), "avg_earnings"),
    (("средний", "заработок"), "avg_earnings"),
    (("месячный", "заработок"), "avg_earnings"),
    (("белорусский", "рубль"), "byn"),
    (("российский", "рубль"), "rub"),
    (("рубль",), "rub"),
    (("процент",), "percent"),
    (("раз",), "times"),
    (("человек",), "person"),
    (("лицо",), "person"),
], key=lambda p: -len(p[0]))

TIME_UNITS = {"hour", "day", "working_day", "week", "month", "year"}
MONEY_UNITS = {"rub", "byn", "base_unit", "mrot", "avg_earnings"}

# compound adjectives: number stem + one of these ("трех|летний", "десяти|дневный", "дву|кратном")
COMPOUND_SUFFIX = re.compile(r"(летн|годичн|месячн|дневн|недельн|часов|суточн|кратн|процентн)[а-я]*$")
SUFFIX_UNIT = {"летн": "year", "годичн": "year", "месячн": "month", "дневн": "day", "недельн": "week",
               "часов": "hour", "суточн": "day", "кратн": "multiple", "процентн": "percent"}
# "в месячный срок", "годичный срок": one of the unit, said by the adjective alone
LONE_ADJECTIVE = {"месячный": "month", "годичный": "year", "недельный": "week", "годовой": "year"}


def kind_of(unit: str) -> str:
    """The kind a canonical unit gives a parameter, before any age context: period, amount,
    share or count."""
    if unit in TIME_UNITS:
        return "period"
    if unit in MONEY_UNITS:
        return "amount"
    if unit in ("percent", "fraction", "multiple"):
        return "share"
    return "count"
