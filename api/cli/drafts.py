"""`lexmap check-draft FILE --jurisdiction ru|by`: a draft checked against both jurisdictions
(api.drafts), nothing of it stored; a summary, the JSON report or the Word report."""
from __future__ import annotations

import argparse
from pathlib import Path

from .context import CliContext, err, print_json


def cmd_check_draft(args: argparse.Namespace, ctx: CliContext) -> int:
    """Read the draft file, check it, print what it touches in both jurisdictions."""
    from .. import draft_files, drafts
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        err(f"{path}: cannot read the draft ({exc.strerror}); give the path of a .docx, .xml or .txt file")
        return 2
    try:
        articles = draft_files.read_upload(data, path.name, "")     # the file's name says its kind
        with ctx.open_store(read_only=True) as store:
            checker = drafts.checker_over(store, ctx.settings)
            report = drafts.check(checker, articles, args.jurisdiction, budget=args.budget)
    except draft_files.DraftError as exc:
        err(f"{path}: {exc.title}: {exc.detail}")
        return 2
    if args.docx:
        Path(args.docx).write_bytes(drafts.report_docx(report))
        print(f"report written to {args.docx}")
        return 0
    if args.json:
        print_json(report)
        return 0
    for art in report["articles"]:
        print(" ".join(x for x in (art["label"] or "(без номера)", art["title"]) if x))
        for name, rows in (("own", art["own"]), ("counterparts", art["counterparts"])):
            for c in rows:
                p = "—" if c["probability"] is None else f"{c['probability']:.2f}"
                mark = " reviewed" if c.get("reviewed") else ""
                print(f"  {name:12} P {p}  sim {c['redline']['similarity']:.2f}  {c['iri']}  {c['label']}{mark}")
        for side in ("own", "counterpart"):
            for d in (art["parameters"].get(side) or {}).get("divergent", []):
                print(f"  diverges ({side}): {d['draft']['quote']} ↔ {d['provision']['quote']}"
                      + (f"  [{d['label']}]" if d.get("label") else ""))
        for r in art["references"]:
            status = "resolved" if r["resolved"] else f"unresolved: {r['reason']}"
            print(f"  cites {r['quote']!r} ({status})" + "".join(f" ↔ {c['iri']}" for c in r["counterparts"]))
        for d in art["definitions"]:
            print(f"  defines {d['term']!r}: own {len(d['own'])}, other {len(d['other'])} definition(s)")
    return 0


def add_check_draft(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check-draft", help="check a draft (.docx, Akoma Ntoso .xml, .txt) against both jurisdictions")
    p.add_argument("file", help="the draft file")
    p.add_argument("--jurisdiction", required=True, choices=("ru", "by"), help="the draft's jurisdiction")
    p.add_argument("--json", action="store_true", help="the whole report as JSON (the API's answer)")
    p.add_argument("--docx", metavar="OUT", help="write the report as a Word document to OUT")
    p.add_argument("--budget", type=float, default=120.0, help="seconds the check may take (default 120)")
    p.set_defaults(fn=cmd_check_draft)
