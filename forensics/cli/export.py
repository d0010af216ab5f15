"""`forensics export`: an account's timeline for Timesketch, Parquet, CSV or JSON Lines."""

from __future__ import annotations

import sys

import click

from forensics.cli.options import ISO_WHEN
from forensics.cli.output import echo


@click.command("export")
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--account", required=True, help="The customer account id.")
@click.option("--format", "fmt", type=click.Choice(["timesketch", "jsonl", "parquet", "csv"]), default="timesketch",
              show_default=True, help="timesketch: Timesketch's JSONL/CSV import format; jsonl, csv, parquet: "
                                      "the timeline's columns.")
@click.option("--out", type=click.Path(dir_okay=False), help="File to write (default: standard output; "
                                                              "parquet needs a file). For timesketch, a name "
                                                              "ending in .csv writes CSV, else JSONL.")
@click.option("--since", type=ISO_WHEN, help="Start: YYYY-MM-DD or ISO date-time (UTC when no offset).")
@click.option("--until", type=ISO_WHEN, help="End (a date includes that day).")
def export_cmd(case, account, fmt, out, since, until):
    """Export an account's merged timeline, every row citing its file:line.

    The rows are those of `forensics timeline` (panel events, the web
    requests of its sessions, attributed sshd lines), with the raw line.

    \b
    Example:
        forensics export dispute.duckdb --account K-10023 --format timesketch --out K-10023.jsonl
        timesketch_importer --sketch_id 1 --timeline_name K-10023 K-10023.jsonl
    """
    from forensics.case import Case
    from forensics.export import export_account

    with Case.open(case, read_only=True) as c:
        n = export_account(c, account, fmt, out, since=since, until=until,
                           stream=sys.stdout)
    if out is not None:
        echo(f"{out}: {n:,} rows ({fmt})", err=True)


COMMANDS = [export_cmd]
