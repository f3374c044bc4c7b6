"""Numbers as a statute prints them: digits ("10", "3 000", "0,5") or Russian words in any case
("трех", "десятью", "двухсот пятидесяти тысяч"), read through pymorphy3's lemmas, and the number
stems of compound adjectives ("трех|летний", "шестнадцати|летнего", "дву|кратном")."""
from __future__ import annotations

from functools import lru_cache

# the cardinal lemmas (ё folded); every inflected form reaches one of them through pymorphy3
CARDINALS = {
    "ноль": 0, "один": 1, "два": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6, "семь": 7,
    "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13,
    "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "двести": 200, "триста": 300, "четыреста": 400, "пятьсот": 500, "шестьсот": 600,
    "семьсот": 700, "восемьсот": 800, "девятьсот": 900, "полтора": 1.5, "полтораста": 150,
}
MULTIPLIERS = {"тысяча": 1_000, "миллион": 1_000_000, "миллиард": 1_000_000_000}
# denominators of fractions: "одной трети", "трех четвертых", "одной десятой"
ORDINALS = {
    "второй": 2, "третий": 3, "четвертый": 4, "пятый": 5, "шестой": 6, "седьмой": 7, "восьмой": 8,
    "девятый": 9, "десятый": 10, "двадцатый": 20, "сотый": 100,
}
FRACTION_NOUNS = {"половина": 0.5, "треть": 1 / 3, "четверть": 0.25}
COLLECTIVE = {"двое": 2, "трое": 3, "четверо": 4, "пятеро": 5, "шестеро": 6, "семеро": 7}
ADVERB_TIMES = {"дважды": 2, "трижды": 3, "четырежды": 4, "однократно": 1}

# how many of each class a well-formed number has: hundreds, tens, units
_RANK = {1: 0, 10: 1, 100: 2}



def fold(word: str) -> str:
    """Lower case with ё folded to е."""
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def morph():
    """The shared pymorphy3 analyzer (loaded once, ~0.5 s)."""
    import pymorphy3
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=200_000)
def lemmas(word: str) -> tuple[tuple[str, str], ...]:
    """(lemma, tag) pairs pymorphy3 gives a folded word, best first, lemmas ё-folded."""
    return tuple((fold(p.normal_form), str(p.tag)) for p in morph().parse(word))


@lru_cache(maxsize=200_000)
def parse1(word: str):
    """pymorphy3's most likely analysis of a folded word (kept: the statute repeats its words)."""
    return morph().parse(word)[0]


def word_value(word: str) -> float | None:
    """The value of one cardinal number word in any case ("трех" → 3, "ста" → 100), else None."""
    for lemma, tag in lemmas(fold(word)):
        if lemma in CARDINALS and ("NUMR" in tag or lemma == "один" or lemma == "ноль"):
            return CARDINALS[lemma]
    return None


def multiplier_value(word: str) -> int | None:
    """1000 for "тысяч", "тысячи"…, a million for "миллионов"…, else None."""
    for lemma, _tag in lemmas(fold(word)):
        if lemma in MULTIPLIERS:
            return MULTIPLIERS[lemma]
    return None


def ordinal_value(word: str) -> int | None:
    """The denominator an ordinal names ("третьей", "четвертых" → 3, 4), else None."""
    for lemma, tag in lemmas(fold(word)):
        if lemma in ORDINALS and "ADJF" in tag:
            return ORDINALS[lemma]
    return None


def fraction_noun(word: str) -> float | None:
    """0.5 for "половины", 1/3 for "трети", 1/4 for "четверти"; None otherwise."""
    for lemma, tag in lemmas(fold(word)):
        if lemma in FRACTION_NOUNS and "NOUN" in tag:
            return FRACTION_NOUNS[lemma]
    return None


def digits_value(token: str) -> float | None:
    """"10" → 10, "3 000" → 3000, "0,5" → 0.5; None if not a number."""
    t = token.replace(" ", "").replace(" ", "").replace(",", ".")
    if len(t) > 16 or not t.replace(".", "", 1).isascii():
        return None                  # no statute sets a number of 17 digits: an identifier, not a parameter
    try:
        return float(t)
    except ValueError:
        return None


def combine(values: list[float]) -> float | None:
    """The number that a run of number words names ("двести пятьдесят тысяч" = [200, 50, 1000]
    → 250000), or None if the run is not one number ("три два")."""
    total = 0.0
    group = 0.0
    last_rank = 3
    seen = False
    for v in values:
        if v >= 1000:
            if not seen and group == 0 and total:
                return None          # "тысяча тысяч": a multiplier needs a number of its own
            if not seen and group == 0:
                group = 1
            total += group * v
            group, last_rank, seen = 0.0, 3, False
            continue
        rank = 2 if v >= 100 else 1 if v >= 20 else 0
        if rank >= last_rank:
            return None
        group += v
        last_rank = rank
        seen = True
    return total + group


@lru_cache(maxsize=1)
def stems() -> dict[str, float]:
    """The number stems compound adjectives start with: the genitive of every cardinal
    ("трех", "шестнадцати", "двадцати", "ста") made by pymorphy3, plus the stems the language
    fixes ("дву", "одно", "полу", "сто", "тысяче")."""
    out: dict[str, float] = {"дву": 2, "одно": 1, "полу": 0.5, "сто": 100, "тысяче": 1000, "много": 0}
    for lemma, value in CARDINALS.items():
        if value != int(value) or value == 0:
            continue
        for p in morph().parse(lemma):
            if p.normal_form.replace("ё", "е") == lemma and ("NUMR" in p.tag or lemma == "один"):
                g = p.inflect({"gent"})
                if g:
                    out.setdefault(fold(g.word), value)
                break
    return out


def split_stem(prefix: str) -> float | None:
    """The number a compound adjective's prefix names: "трех" → 3, "двадцатипяти" → 25,
    "шестнадцати" → 16; None if the prefix is not made of number stems."""
    table = stems()
    values: list[float] = []
    rest = prefix
    while rest:
        for n in range(len(rest), 1, -1):
            if rest[:n] in table:
                values.append(table[rest[:n]])
                rest = rest[n:]
                break
        else:
            return None
    if not values or 0 in values:
        return None
    if len(values) == 1:
        return values[0]
    return combine(values)
