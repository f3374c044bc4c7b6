"""Word-level redline of two legal texts.

Texts are cut into tokens — words (with their hyphenated parts), numbers with
their dots and brackets ("1.", "67.1", "2)"), single punctuation marks and
spaces — and compared token by token with difflib (autojunk off: the statute's
common words are not noise). An edit therefore never starts or ends inside a
word; a renumbered point is a replaced number token; whitespace and line
breaks are not differences. In lemma mode words are compared by lemma, so
"договора" / "договоров" is reported as an inflection, not as a replacement.
Where one side's source is recorded as incomplete (a list missing or cut in the source),
`with_missing_text` turns what only the other side has there into "missing" runs — text
missing in the source, never a deletion or an insertion.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from ingest.index.analysis import fold, terms_of

TOKEN = re.compile(r"\s*(?:\d+(?:[.,/]\d+)*(?:-[^\W_]+)?[.)]?|[^\W\d_]+(?:-[^\W\d_]+)*|[^\w\s])")
MODES = ("words", "lemmas")
MISSING_TITLE = "в источнике этой редакции текста нет: он утрачен в источнике, а не исключён"


@dataclass(frozen=True)
class Op:
    """One run of the redline: equal, insert, delete, replace, inflection or missing (text the
    other side has where this side's source is cut)."""

    op: str
    left: str
    right: str

    def as_dict(self) -> dict:
        return {"op": self.op, "left": self.left, "right": self.right}


def tokens(text: str) -> list[str]:
    """Tokens of a text, each with the whitespace before it collapsed to one space."""
    out = []
    for t in TOKEN.findall(text or ""):
        core = t.lstrip()
        space = t[: len(t) - len(core)]
        out.append(("\n" if "\n" in space else " " if space else "") + core)
    return out


def _key(tok: str, mode: str) -> str:
    core = tok.lstrip()
    if mode == "words" or not core[:1].isalpha():
        return core
    return terms_of(fold(core))[0]


def _join(toks: list[str]) -> str:
    return "".join(toks)


def redline(left: str, right: str, mode: str = "words") -> dict:
    """Ops turning `left` into `right`, a similarity in [0, 1] and counts of changed words."""
    if mode not in MODES:
        raise ValueError(f"mode {mode!r}: use words or lemmas")
    a, b = tokens(left), tokens(right)
    ka, kb = [_key(t, mode) for t in a], [_key(t, mode) for t in b]
    sm = SequenceMatcher(None, ka, kb, autojunk=False)
    ops: list[Op] = []
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            if mode == "lemmas":
                # equal lemmas, maybe different forms: split into equal and inflection runs
                run_l: list[str] = []
                run_r: list[str] = []
                for x, y in zip(a[i1:i2], b[j1:j2]):
                    same = x.lstrip() == y.lstrip()
                    if run_l and (same != (run_l[-1].lstrip() == run_r[-1].lstrip())):
                        _flush(ops, run_l, run_r)
                    run_l.append(x)
                    run_r.append(y)
                _flush(ops, run_l, run_r)
            else:
                ops.append(Op("equal", _join(a[i1:i2]), _join(b[j1:j2])))
        elif tag == "insert":
            ops.append(Op("insert", "", _join(b[j1:j2])))
        elif tag == "delete":
            ops.append(Op("delete", _join(a[i1:i2]), ""))
        else:
            ops.append(Op("replace", _join(a[i1:i2]), _join(b[j1:j2])))
    ops = _merge(ops)
    words = lambda s: len([t for t in tokens(s) if t.lstrip()[:1].isalnum()])  # noqa: E731
    # similarity over words and numbers, not spaces and punctuation
    wa, wb = [k for k in ka if k[:1].isalnum()], [k for k in kb if k[:1].isalnum()]
    # (spaces ride on the tokens, so they are never differences)
    sim = SequenceMatcher(None, wa, wb, autojunk=False).ratio() if wa or wb else 1.0
    return {
        "mode": mode, "similarity": round(sim, 4), "identical": all(o.op == "equal" for o in ops),
        "stats": {"inserted": sum(words(o.right) for o in ops if o.op == "insert"),
                  "deleted": sum(words(o.left) for o in ops if o.op == "delete"),
                  "replaced": sum(max(words(o.left), words(o.right)) for o in ops if o.op == "replace"),
                  "inflected": sum(words(o.left) for o in ops if o.op == "inflection")},
        "ops": [o.as_dict() for o in ops],
    }


def _words(s: str) -> int:
    return len([t for t in tokens(s) if t.lstrip()[:1].isalnum()])


def with_missing_text(result: dict, cut: str) -> dict:
    """The redline `result` when the source of side `cut` ("left" or "right") is recorded as
    incomplete: what only the other side has at the end, and every whole line only the other
    side has (a list item the cut source lacks), is a "missing" run — not deleted, not
    inserted; the similarity is over the text both sources hold; `stats.missing` counts the
    words. Other edits stay as they are."""
    if cut not in ("left", "right"):
        raise ValueError("cut is left or right")
    lone = "delete" if cut == "right" else "insert"       # what the cut side's gap looks like
    other = "left" if cut == "right" else "right"
    ops = [dict(o) for o in result["ops"]]
    tail = True
    for o in reversed(ops):
        if o["op"] == lone and (tail or o[other].startswith("\n")):
            o["op"] = "missing"
        elif o["op"] == "replace" and tail and o[cut].strip() in ("", ":", ";"):
            o["op"] = "missing"
        elif o["op"] != "equal" or o[other].strip():
            tail = False
    missing = sum(_words(o[other]) for o in ops if o["op"] == "missing")
    matched = sum(_words(o["left"]) for o in ops if o["op"] in ("equal", "inflection"))
    total = sum(_words(o["left"]) + _words(o["right"]) for o in ops) - missing
    stats = {**result["stats"], "missing": missing}
    stats["deleted"] = sum(_words(o["left"]) for o in ops if o["op"] == "delete")
    stats["inserted"] = sum(_words(o["right"]) for o in ops if o["op"] == "insert")
    return {**result, "ops": ops, "stats": stats, "identical": all(o["op"] in ("equal", "missing") for o in ops),
            "similarity": round(min(1.0, 2 * matched / total), 4) if total else 1.0, "text_missing": cut}


def similarity(left: str, right: str) -> float:
    """The redline's similarity alone (words and numbers, exact forms): cheaper than `redline`."""
    wa = [t.lstrip() for t in tokens(left) if t.lstrip()[:1].isalnum()]
    wb = [t.lstrip() for t in tokens(right) if t.lstrip()[:1].isalnum()]
    return round(SequenceMatcher(None, wa, wb, autojunk=False).ratio(), 4) if wa or wb else 1.0


def _flush(ops: list[Op], run_l: list[str], run_r: list[str]) -> None:
    if run_l:
        same = all(x.lstrip() == y.lstrip() for x, y in zip(run_l, run_r))
        ops.append(Op("equal" if same else "inflection", _join(run_l), _join(run_r)))
        run_l.clear()
        run_r.clear()


def _merge(ops: list[Op]) -> list[Op]:
    """Adjacent runs of the same kind as one; a lone space between two edits joins them."""
    out: list[Op] = []
    for o in ops:
        if out and out[-1].op == o.op:
            out[-1] = Op(o.op, out[-1].left + o.left, out[-1].right + o.right)
        else:
            out.append(o)
    return out


def to_html(result: dict) -> str:
    """The redline as HTML: <del> for removed, <ins> for added, <span class="infl"> for inflections."""
    parts = []
    for o in result["ops"]:
        left, right = html.escape(o["left"]), html.escape(o["right"])
        if o["op"] == "equal":
            parts.append(right)
        elif o["op"] == "insert":
            parts.append(f"<ins>{right}</ins>")
        elif o["op"] == "delete":
            parts.append(f"<del>{left}</del>")
        elif o["op"] == "inflection":
            parts.append(f'<span class="infl" title="{left}">{right}</span>')
        elif o["op"] == "missing":
            parts.append(f'<span class="missing" title="{MISSING_TITLE}">{left or right}</span>')
        else:
            parts.append(f"<del>{left}</del><ins>{right}</ins>")
    return "".join(parts).replace("\n", "<br>")


def to_html_side(result: dict, side: str) -> str:
    """One side of a side-by-side redline: the left text with its deletions marked, or the right
    text with its insertions marked (a replacement shows on both sides)."""
    if side not in ("left", "right"):
        raise ValueError("side is left or right")
    mark = "del" if side == "left" else "ins"
    parts = []
    for o in result["ops"]:
        text = html.escape(o[side])
        if not text:
            continue
        if o["op"] == "equal":
            parts.append(text)
        elif o["op"] == "missing":
            parts.append(f'<span class="missing" title="{MISSING_TITLE}">{text}</span>')
        elif o["op"] == "inflection":
            other = html.escape(o["right" if side == "left" else "left"])
            parts.append(f'<span class="infl" title="{other}">{text}</span>')
        else:
            parts.append(f"<{mark}>{text}</{mark}>")
    return "".join(parts).replace("\n", "<br>")


def to_terminal(result: dict, colour: bool = True) -> str:
    """The redline for a terminal: red strike for removed, green for added (or [-…-]{+…+})."""
    red, green, yellow, end = ("\033[9;31m", "\033[32m", "\033[33m", "\033[0m") if colour else ("[-", "{+", "{~", "")
    close_del, close_ins, close_inf = ("\033[0m",) * 3 if colour else ("-]", "+}", "~}")
    out = []
    for o in result["ops"]:
        if o["op"] == "equal":
            out.append(o["right"])
        elif o["op"] == "insert":
            out.append(f"{green}{o['right']}{close_ins}")
        elif o["op"] == "delete":
            out.append(f"{red}{o['left']}{close_del}")
        elif o["op"] == "inflection":
            out.append(f"{yellow}{o['right']}{close_inf}")
        elif o["op"] == "missing":
            out.append(f"\033[2m{o['left'] or o['right']}\033[0m" if colour else f"[?{o['left'] or o['right']}?]")
        else:
            out.append(f"{red}{o['left']}{close_del}{green}{o['right']}{close_ins}")
    return "".join(out) + (end if colour else "")
