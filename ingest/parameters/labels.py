"""What a number is about, when its sentence says it: the nearest head noun before the number
("срок", "штраф", "отпуск", "возраст"…) with the words that qualify it ("срок исковой давности",
"испытательный срок")."""
from __future__ import annotations

import re

from .numbers import fold, lemmas, parse1

# the nouns a label is built around (lemmas); the words around them qualify them
HEADS = {
    "срок", "давность", "штраф", "отпуск", "возраст", "пособие", "компенсация", "неустойка",
    "испытание", "стаж", "арест", "работа", "свобода", "полномочие", "пенсия", "вознаграждение",
    "выплата", "пеня", "задаток", "продолжительность", "лишение", "ограничение", "заключение",
    "продление", "отсрочка", "рассрочка", "взыскание", "конфискация", "залог", "капитал", "доля",
    "перерыв", "время", "период", "смена", "предупреждение", "уведомление", "жалоба",
    "обжалование", "наказание", "опыт", "проживание", "пребывание", "аренда", "наем", "договор",
    "голос", "член", "состав", "брак", "ребенок", "алименты", "заработок", "плата", "сумма",
    "стоимость", "ставка", "оклад", "размер",
}
_WORD = re.compile(r"[А-Яа-яЁё]+")
_SENTENCE_START = re.compile(r"[.;:!?\n]\s*")     # a label never reaches into the previous sentence
_WINDOW = 160                                     # characters before the number looked at

# heads that say too little alone ("на срок", "в размере"): a specific head before them wins
GENERIC = {"срок", "период", "размер", "продолжительность", "время", "сумма"}


def label_for(text: str, start: int, avoid: frozenset[str] = frozenset()) -> str:
    """The label of the number at `start` in `text`: the last head noun in the same sentence
    within ~160 characters before it, with up to two agreeing adjectives before and up to three
    genitive words after, in the nominative ("срок исковой давности", "обязательные работы").
    A bare generic head ("на срок", "в размере") gives way to the nearest specific one before it
    ("лишением свободы на срок" → "лишение свободы"); heads in `avoid` are passed over (a period
    is not labelled "возраст"); "" when the sentence names none."""
    lo = max(0, start - _WINDOW)
    window = text[lo:start]
    cut = 0
    for m in _SENTENCE_START.finditer(window):
        cut = m.end()
    words = [(m.group(), lo + m.start()) for m in _WORD.finditer(window, cut)]
    fallback = ""
    i = len(words) - 1
    while i >= 0:
        head = _head(words[i][0])
        if head is None or head in avoid:
            i -= 1
            continue
        i = _outer_head(words, i)
        head = _head(words[i][0]) or head
        adjectives, genitives = _adjectives(words, i), _genitives(words, i)
        phrase = " ".join(adjectives + [_nominative(words[i][0], head)] + genitives)
        if head in GENERIC and not adjectives and not genitives:
            fallback = fallback or phrase
            i -= 1
            continue
        return phrase
    return fallback


def _head(word: str) -> str | None:
    """The head noun lemma a word is a form of, or None."""
    return next((lem for lem, tag in lemmas(fold(word))[:2] if lem in HEADS and "NOUN" in tag), None)


def _nominative(word: str, lemma: str) -> str:
    """The head in the nominative, keeping the plural of "работами" ("работы")."""
    p = parse1(fold(word))
    if "plur" in p.tag and fold(p.normal_form) == lemma:
        f = p.inflect({"nomn", "plur"})
        if f:
            return fold(f.word)
    return lemma


def _outer_head(words, i) -> int:
    """The head a genitive head depends on: "срок исковой давности" → the срок, not давность."""
    j = i
    while True:
        k = j - 1
        while k >= 0 and k >= j - 3:
            w = fold(words[k][0])
            if any(lem in HEADS and "NOUN" in tag for lem, tag in lemmas(w)[:2]):
                if any("gent" in tag for _l, tag in lemmas(fold(words[j][0]))[:3]):
                    j = k
                    break
                return j
            if not any("ADJF" in tag and "gent" in tag for _l, tag in lemmas(w)[:3]):
                return j
            k -= 1
        else:
            return j
        if k < 0:
            return j


def _adjectives(words, i) -> list[str]:
    """Up to two adjectives right before the head, agreeing with its nominative singular."""
    head = parse1(fold(words[i][0]))
    gender = next((g for g in ("masc", "femn", "neut") if g in head.tag), "masc")
    number = "plur" if "Pltm" in head.tag else "sing"
    out: list[str] = []
    j = i - 1
    while j >= 0 and len(out) < 2:
        p = parse1(fold(words[j][0]))
        if "ADJF" not in p.tag or "Apro" in p.tag or "Anum" in p.tag:
            break
        plural = "plur" in parse1(fold(words[i][0])).tag and number == "sing" and "plur" in p.tag
        form = p.inflect({"nomn", "plur"} if plural else {"nomn", number} | ({gender} if number == "sing" else set()))
        out.insert(0, fold(form.word if form else p.normal_form))
        j -= 1
    return out


def _genitives(words, i) -> list[str]:
    """Up to three words after the head that stand in the genitive ("исковой давности")."""
    out: list[str] = []
    for w, _pos in words[i + 1:i + 4]:
        p = parse1(fold(w))
        if "gent" not in p.tag or not ({"NOUN", "ADJF"} & set(str(p.tag).replace(" ", ",").split(","))):
            break
        out.append(fold(w))
    return out
