"""`forensics investigate`, `forensics query`, `forensics timeline`: thin layers
over `forensics.investigate` and `forensics.named_queries`."""

from __future__ import annotations

import json

import click

from forensics.cli.output import echo, output_options, print_rows
from forensics.visible import visible

from forensics.cli.options import ISO_WHEN, TIME_ZONE, dispute_options


def _open(path):
    from forensics.case import Case

    return Case.open(path, read_only=True)


@click.command("investigate")
@dispute_options
@click.option("--tz", type=TIME_ZONE, help="IANA zone for local times and the customer's dates, e.g. Europe/Berlin.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document (schema: investigation.schema.json).")
def investigate_cmd(case, account, dispute, action, target, since, until, claims, claim_date, tz, as_json, config):
    """Investigate a dispute of an account and reconcile the customer's claims.

    --dispute action (default) attributes the account's disputed actions;
    --dispute notices lists every contact attempt with its delivery, the
    provider's actions and the customer's waits for an answer;
    --dispute outage measures a service's down windows and availability
    (--target: the service).

    \b
    Example:
        forensics investigate dispute.duckdb --account K-10023 --since 2026-03-01
        --claim "23.03. CentOS installiert" --tz Europe/Berlin
        forensics investigate dispute.duckdb --account K-10078 --dispute notices
        --claim "Niemand hat mich informiert"
        forensics investigate dispute.duckdb --dispute outage --account K-10131
        --target vps-31337,shop.example.de --since 2026-03-01 --until 2026-03-12
        --claim "seit Montag nicht erreichbar"
    """
    with _open(case) as c:
        result, render_text = run_dispute(c, dispute, account, action=action, target=target, since=since,
                                          until=until, claims=claims, claim_date=claim_date, tz=tz, config=config,
                                          text_only=not as_json)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
    else:
        echo(render_text(result, tz), nl=False)


def run_dispute(case, dispute, account, *, action, target, since, until, claims, claim_date, tz, config,
                text_only=False):
    """Run the investigation of one dispute kind: (result, its text renderer).

    Shared by `investigate` and `report`; each kind is its own package under
    `forensics.investigate`.  `text_only`: the result is only printed as
    text, so the action dispute reads the text of the lines the text shows
    (`textout.shown_raw`), not of every line it cites (the JSON and the report
    show them all).
    """
    if dispute == "notices":
        if action or target:
            raise click.UsageError("--action and --target belong to --dispute action")
        from forensics.investigate.notices import investigate_notices
        from forensics.investigate.notices.textout import render_text

        return investigate_notices(case, account, since=since, until=until, claims=claims, tz=tz,
                                   config=config), render_text
    if dispute == "outage":
        if action:
            raise click.UsageError("--action belongs to the action dispute; an outage needs --target")
        from forensics.investigate.outage import investigate_outage
        from forensics.investigate.outage.textout import render_text

        return investigate_outage(case, account, target=target, since=since, until=until, claims=claims, tz=tz,
                                  config=config), render_text
    from forensics.investigate import investigate
    from forensics.investigate.action.engine import UnknownAction
    from forensics.investigate.evidence import fill_raw
    from forensics.investigate.textout import render_text, shown_raw

    try:
        result = investigate(case, account, action=action, target=target, since=since, until=until, claims=claims,
                             tz=tz, config=config, claim_date=claim_date, raw=not text_only)
    except UnknownAction as exc:
        raise click.UsageError(str(exc)) from None
    if text_only:
        fill_raw(case, shown_raw(result))
    return result, render_text


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
@click.option("--list", "list_queries", is_flag=True, help="List the named queries with their parameters.")
@output_options
def query_cmd(case, name, params, list_queries, output):
    """Run one of the named SQL queries of queries/ on a case.

    \b
    Example:
        forensics query dispute.duckdb login_failures --param account=K-10023
        --param ips=84.132.10.99 --param since=2026-03-15 --param until=2026-03-23
    """
    from forensics.named_queries import all_queries, get_query, run_query

    if list_queries:
        import pandas as pd

        frame = pd.DataFrame([{"name": q.name, "description": q.description, "params": dict(q.params)}
                              for q in all_queries().values()], columns=["name", "description", "params"])
        print_rows(frame, output, table=_query_list_text)
        return
    if not case or not name:
        raise click.UsageError("give CASE and NAME, or --list")
    query = get_query(name)
    with _open(case) as c:
        frame = run_query(c, name, _parse_params(params, query))
    print_rows(frame, output, empty="(no rows: not observed)")


def _query_list_text(records) -> None:
    """`query --list` for a person: each query, then its parameters."""
    for r in records:
        echo(f"{r['name']}: {r['description']}")
        for p, d in (r["params"] or {}).items():
            echo(f"    --param {p}=...  {d}")


@click.command("timeline")
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--account", required=True, help="The customer account id.")
@click.option("--since", type=ISO_WHEN, help="Start: YYYY-MM-DD or ISO date-time (UTC when no offset).")
@click.option("--until", type=ISO_WHEN, help="End (a date includes that day).")
@click.option("--tz", type=TIME_ZONE, help="Show times in this IANA zone (with offset) instead of UTC.")
@output_options
def timeline_cmd(case, account, since, until, tz, output):
    """The merged timeline of all sources (panel, web, sshd) for one account.

    \b
    Example:
        forensics timeline dispute.duckdb --account K-10023 --since 2026-03-22 --until 2026-03-22
    """
    from forensics.investigate import timeline

    with _open(case) as c:
        frame = timeline(c, account, since=since, until=until)
    print_rows(frame, output, tz=tz, empty="(no events)", table=_timeline_lines)


def _timeline_lines(records) -> None:
    """The timeline for a person: one line per event with its `file:line`."""
    for r in records:
        what = r.get("event") or ""
        if r.get("source_kind") == "http":
            what = f"{r.get('method') or ''} {r.get('http_path') or ''} {r.get('status') or ''}".strip()
        result = f" {r['result']}" if r.get("result") else ""
        # a line of a damaged archive says so beside its file:line ("unverified", "cut")
        flag = f" ({r['integrity']})" if r.get("integrity") else ""
        # one event, one line: a newline inside a logged value is shown, not obeyed
        echo(visible(f"{r['ts']}  {r['source_kind'] or '':5}  {what}{result}  user={r.get('user') or '-'} "
                     f"ip={r.get('ip') or '-'}  [{r['path']}:{r['line_no']}{flag}]  ({r['attributed_by']})"))


COMMANDS = [investigate_cmd, query_cmd, timeline_cmd]

