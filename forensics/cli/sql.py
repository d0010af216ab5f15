"""`forensics sql`: ad-hoc SQL on a case, read-only (`forensics.adhoc`)."""

from __future__ import annotations

import click

from forensics.cli.output import output_options, print_rows
from forensics.cli.options import TIME_ZONE


@click.command("sql")
@click.argument("case", type=click.Path(dir_okay=False))
@click.argument("query", metavar="SQL")
@click.option("--tz", type=TIME_ZONE, help="Show times in this IANA zone (with offset) instead of UTC.")
@output_options
def sql_cmd(case, query, tz, output):
    """Run a read-only SQL query on a case and print its rows.

    The connection is read-only and cannot reach other files: INSERT,
    UPDATE, DELETE, CREATE, DROP, COPY, ATTACH, INSTALL/LOAD and SET are
    refused with one sentence.  Tables and columns: README "The case file".

    \b
    Example:
        forensics sql dispute.duckdb "SELECT source_kind, count(*) AS n FROM events GROUP BY ALL" --csv
    """
    from forensics.adhoc import run_sql

    print_rows(run_sql(case, query), output, tz=tz)


COMMANDS = [sql_cmd]
