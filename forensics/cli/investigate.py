"""`forensics investigate`, `forensics query`, `forensics timeline`: thin layers
over `forensics.investigate` and `forensics.named_queries`."""

from __future__ import annotations

import json

import click

from forensics.cli.output import echo

from forensics.cli.options import ISO_WHEN, TIME_ZONE, dispute_options


def _open(path):
    from forensics.case import Case

    return Case.open(path, read_only=True)


def _iso_frame(frame, tz=None):
    """Datetime columns as ISO 8601 strings with offset (never DD.MM)."""
    import pandas as pd

    from forensics.timefmt import iso

    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[col]):
            frame[col] = frame[col].map(lambda v: iso(v, tz) if pd.notna(v) else "")
    return frame


@click.command("investigate")
@dispute_options
@click.option("--tz", type=TIME_ZONE, help="IANA zone for local times and the customer's dates, e.g. Europe/Berlin.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: investigation.schema.json).")
def investigate_cmd(case, account, action, target, since, until, claims, tz, as_json, config):
    """Attribute an account's disputed actions and reconcile the customer's claims.

    \b
    Example:
        forensics investigate dispute.duckdb --account K-10023 --since 2026-03-01
        --claim "23.03. CentOS installiert" --tz Europe/Berlin
    """
    from forensics.investigate import investigate
    from forensics.investigate.textout import render_text

    with _open(case) as c:
        result = investigate(c, account, action=action, target=target, since=since, until=until,
                             claims=claims, tz=tz, config=config)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(render_text(result, tz), nl=False)


def _parse_params(pairs, query):
    params = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE", param_hint="--param")
        name, value = pair.split("=", 1)
        description = query.params.get(name, "")
        if description.upper().startswith("LIST"):
            params[name] = [v.strip() for v in value.split(",") if v.strip()]
        else:
            params[name] = value if value != "" else None
    return params


@click.command("query")
@click.argument("case", required=False, type=click.Path(dir_okay=False))
@click.argument("name", required=False)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="A query parameter; LIST parameters take comma-separated values.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per row).")
@click.option("--list", "list_queries", is_flag=True, help="List the named queries with their parameters.")
def query_cmd(case, name, params, as_csv, as_json, list_queries):
    """Run one of the named SQL queries of queries/ on a case.

    \b
    Example:
        forensics query dispute.duckdb login_failures --param account=K-10023
        --param ips=84.132.10.99 --param since=2026-03-15 --param until=2026-03-23
    """
    from forensics.named_queries import all_queries, get_query, run_query

    if list_queries:
        for q in all_queries().values():
            echo(f"{q.name}: {q.description}")
            for p, d in q.params.items():
                echo(f"    --param {p}=...  {d}")
        return
    if not case or not name:
        raise click.UsageError("give CASE and NAME, or --list")
    query = get_query(name)
    with _open(case) as c:
        frame = run_query(c, name, _parse_params(params, query))
    frame = _iso_frame(frame)
    if as_csv:
        click.echo(frame.to_csv(index=False), nl=False)
    elif as_json:
        click.echo(frame.to_json(orient="records", force_ascii=False, indent=2, default_handler=str))
    else:
        echo(frame.to_string(index=False) if not frame.empty else "(no rows: not observed)")


@click.command("timeline")
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--account", required=True, help="The customer account id.")
@click.option("--since", type=ISO_WHEN, help="Start: YYYY-MM-DD or ISO date-time (UTC when no offset).")
@click.option("--until", type=ISO_WHEN, help="End (a date includes that day).")
@click.option("--tz", type=TIME_ZONE, help="Show times in this IANA zone (with offset) instead of UTC.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV with every column.")
def timeline_cmd(case, account, since, until, tz, as_csv):
    """The merged timeline of all sources (panel, web, sshd) for one account.

    \b
    Example:
        forensics timeline dispute.duckdb --account K-10023 --since 2026-03-22 --until 2026-03-22
    """
    from forensics.investigate import timeline

    with _open(case) as c:
        frame = timeline(c, account, since=since, until=until)
    frame = _iso_frame(frame, tz)
    if as_csv:
        click.echo(frame.to_csv(index=False), nl=False)
        return
    if frame.empty:
        echo("(no events)")
        return
    for r in frame.to_dict("records"):
        what = r.get("event") or ""
        if r.get("source_kind") == "http":
            what = f"{r.get('method') or ''} {r.get('http_path') or ''} {r.get('status') or ''}".strip()
        result = f" {r['result']}" if r.get("result") else ""
        echo(f"{r['ts']}  {r['source_kind']:5}  {what}{result}  user={r.get('user') or '-'} "
                   f"ip={r.get('ip') or '-'}  [{r['path']}:{r['line_no']}]  ({r['attributed_by']})")


COMMANDS = [investigate_cmd, query_cmd, timeline_cmd]

