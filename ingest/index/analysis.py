"""Russian analysis shared by every search backend and by the snippet maker.

A text becomes a list of tokens, each with its character span, its position and
the set of terms it is indexed under:

- words are lower-cased and ё is folded to е;
- a word in the pymorphy3 dictionary is indexed under every normal form it may
  have ("стали" -> стать, сталь), the most likely first;
- a word outside the dictionary (a rare term) falls back to its Snowball stem,
  a Belarusian word (і, ў) to a light Belarusian stem, so inflected forms meet;
- numbers and citation tokens ("67.1", "51-ФЗ", "1/2") stay whole;
- stop words are dropped but keep their position, so phrases stay exact.

The backends never analyse text themselves: they receive these tokens, so
whoosh, tantivy and the highlighter agree on what matches.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Bump when the analysis changes: indexes built with another version are rebuilt.
ANALYSIS_VERSION = "2"

# A number with its dotted/slashed tail and an optional suffix (51-ФЗ, 2-х), or a
# word with hyphenated parts (какой-либо, уголовно-процессуальный).
_TOKEN = re.compile(r"\d+(?:[./]\d+)*(?:-[^\W_]+)?|[^\W\d_]+(?:-[^\W\d_]+)*")
_CYRILLIC = re.compile(r"[а-яё]")
_BELARUSIAN = re.compile(r"[іў]")

# Function words that carry no meaning for retrieval. Negations ("не", "без",
# "нет") are kept: "не допускается" and "допускается" are opposite rules.
STOP_WORDS = frozenset("""
а в во вне да для до же за и из изо или иль к ко ли либо на над надо о об обо
от ото по под подо при про с со у уж чем что чтобы как так то это этот эта
эти того тех том тому та те ту тот также тоже лишь ведь бы б вот даже еще
его ее их им ими ему ей нему него нее них ним ней о оба
а ад і ў у ці ды з са на па пры да ад аб або
""".split())


# Inflectional endings of Belarusian adjectives, nouns and verbs, longest first:
# a light stemmer so "працоўнага" and "працоўны" meet. Snowball has no Belarusian.
_BY_ENDINGS = sorted("""
ага яга аму яму ымі імі ыя ія ых іх ым ім ая яя ую юю ое ое ой ей ай яй ою ею
амі ямі ах ях ам ям аў яў ом ем ём ыі ы і а я у ю е о ь
ць ці ла лі ло ў ем еш ець ім іце уць юць аць яць
""".split(), key=len, reverse=True)


def by_stem(word: str) -> str:
    """Strip one Belarusian ending, keeping a stem of at least three letters."""
    for end in _BY_ENDINGS:
        if word.endswith(end) and len(word) - len(end) >= 3:
            return word[: -len(end)]
    return word


@dataclass(frozen=True)
class Token:
    """One word of a text: where it is, its position, and the terms it is indexed under."""

    start: int
    end: int
    position: int
    terms: tuple[str, ...]


def fold(word: str) -> str:
    """Lower case with ё folded to е (the statute writes both)."""
    return word.lower().replace("ё", "е")


@lru_cache(maxsize=1)
def _morph():
    import pymorphy3  # imported lazily: the dictionary takes ~0.5 s to load
    return pymorphy3.MorphAnalyzer(lang="ru")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer
    return Stemmer.Stemmer("russian")


@lru_cache(maxsize=500_000)
def terms_of(word: str) -> tuple[str, ...]:
    """The index terms of one folded word (see the module docstring)."""
    if word[0].isdigit() or not _CYRILLIC.search(word):
        return (word,)
    if _BELARUSIAN.search(word):
        return (by_stem(word),)
    morph = _morph()
    if not morph.word_is_known(word):
        return (_stemmer().stemWord(word),)
    forms: list[str] = []
    for parse in morph.parse(word):
        nf = fold(parse.normal_form)
        if nf not in forms:
            forms.append(nf)
    return tuple(forms) or (word,)


def tokenize(text: str) -> list[Token]:
    """Tokens of a text; stop words are skipped but counted in positions."""
    out: list[Token] = []
    for pos, m in enumerate(_TOKEN.finditer(text)):
        word = fold(m.group())
        if word in STOP_WORDS:
            continue
        out.append(Token(m.start(), m.end(), pos, terms_of(word)))
    return out


def words_of(text: str) -> list[tuple[int, str]]:
    """(position, folded word) of every token, stop words included (for query phrases)."""
    return [(pos, fold(m.group())) for pos, m in enumerate(_TOKEN.finditer(text))]


def is_stop_word(word: str) -> bool:
    """Whether a folded word is dropped from the index."""
    return word in STOP_WORDS
