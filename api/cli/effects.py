"""`lexmap effects ACT` (the effects table of an act, or a provision's history) and `lexmap impact
PATH` (what cites a provision, transitively, with counterparts), over the services of GET
/effects and GET /impact (api.effects, api.impact)."""
from __future__ import annotations

import argparse

from .context import CliContext, Refused, print_json
from .read import eli_path


def cmd_effects(args: argparse.Namespace, ctx: CliContext) -> int:
    """The effects table: one line per effect, or the JSON of GET /effects."""
    from .. import effects, resources
    path = eli_path(ctx.act_path(args.act))

    def table(store):
        known = {a["iri"] for a in resources.list_acts(store)}
        return effects.table(store, ctx.settings, path, known, args.date_from, args.date_to, args.amending,
                             args.kind, args.limit)
    data = ctx.read(table, effects.BadFilter)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['total']} effect(s) — {data['provision'] or data['act']}")
    for r in data["effects"]:
        where = effects.provision_label(r["provision"]) or "акт в целом"
        unit = f" ({effects.UNIT_RU.get(r['unit'], r['unit'])})" if r["unit"] else ""
        by = r["amending"]["title"] if r["amending"] else "акт не назван"
        print(f"  {r['date'] or '—':<10}  {r['kind']:<8}  {where + unit:<34} {by}")
    return 0


def cmd_impact(args: argparse.Namespace, ctx: CliContext) -> int:
    """What cites a provision up to --depth steps, each with its counterparts; or the JSON of GET /impact."""
    from .. import impact, resources
    path = eli_path(ctx.act_path(args.path))

    def cited(store):
        res = resources.resolve(store, ctx.settings, path)
        if res.iri == res.work:
            raise Refused("impact is of one provision: add its eId to the path")
        return impact.impact(store, res.iri, args.depth, impact.latest_graphs(store),
                             impact.accepted_counterparts(ctx.mappings(store).table()))
    data = ctx.read(cited)
    if args.json:
        print_json(data)
        return 0
    print(f"{data['total']} provision(s) cite {data['provision']} within {data['depth']} step(s)"
          + (" (truncated)" if data["truncated"] else ""))
    for r in data["provisions"]:
        cp = ", ".join(c["iri"].rsplit("/eli/", 1)[-1] for c in r["counterparts"][:3]) or "—"
        print(f"  {r['level']}  {r['iri'].rsplit('/eli/', 1)[-1]:<48} «{r['quote'][:50]}»  ↔ {cp}")
    return 0


def add_effects(sub: argparse._SubParsersAction) -> None:
    """`lexmap effects ACT [--from D] [--to D] [--amending N] [--kind K] [--json]`."""
    p = sub.add_parser("effects", help="what amended an act or a provision (its amendment notes as a table)")
    p.add_argument("act", help="manifest key or ELI path of an act or provision (ru-gk-1, eli/ru/kodeks/1994/51-fz/art_1)")
    p.add_argument("--from", dest="date_from", default=None, help="effects dated on or after (YYYY-MM-DD)")
    p.add_argument("--to", dest="date_to", default=None, help="effects dated on or before (YYYY-MM-DD)")
    p.add_argument("--amending", default=None, help="only the effects of this amending act (100-ФЗ or an ELI path)")
    p.add_argument("--kind", default=None, choices=("wording", "inserted", "repealed", "amended"))
    p.add_argument("--limit", type=int, default=1000, help="at most this many rows (default 1000)")
    p.add_argument("--json", action="store_true", help="the JSON of GET /effects")
    p.set_defaults(fn=cmd_effects)


def add_impact(sub: argparse._SubParsersAction) -> None:
    """`lexmap impact PATH [--depth N] [--json]`."""
    p = sub.add_parser("impact", help="what cites a provision, transitively, with its counterparts")
    p.add_argument("path", help="ELI path of a provision (eli/ru/kodeks/1994/51-fz/art_196)")
    p.add_argument("--depth", type=int, default=2, choices=(1, 2, 3), help="steps of citation followed (default 2)")
    p.add_argument("--json", action="store_true", help="the JSON of GET /impact")
    p.set_defaults(fn=cmd_impact)
