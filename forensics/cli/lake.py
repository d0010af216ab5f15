"""`forensics lake`: the evidence lake (`forensics.lake`): ingest many files, pull one account's case."""

from __future__ import annotations

import click

from forensics.cli.options import ISO_WHEN, TIME_ZONE
from forensics.cli.output import echo, output_options, print_rows
from forensics.english import counted, were


@click.group("lake")
def lake():
    """A Parquet evidence lake for logs that do not fit on one machine.

    `lake ingest` parses files (same formats and guarantees as `forensics
    ingest`) into Hive-partitioned Parquet on a local path, NFS or S3, per
    file and per byte range on Dask; `lake pull` builds an ordinary case file
    with one account's slice.  Needs the lake extra: pip install 'forensics[lake]'.
    """


@lake.command("ingest")
@click.argument("lake_url", metavar="LAKE")
@click.argument("paths", metavar="[PATH]...", nargs=-1)
@click.option("--files-from", "file_list", type=click.Path(dir_okay=False), metavar="FILE",
              help="Read more inputs from FILE, one per line: PATH [--format NAME] [--tz ZONE] [--year YYYY] "
                   "[--host NAME] (the options for that line's files only; relative paths from FILE's directory).")
@click.option("--format", "format_name", metavar="NAME|FILE.toml",
              help="Log format (see `forensics formats list`); default: detected per file.")
@click.option("--tz", type=TIME_ZONE, help="Zone of timestamps written without one (IANA name).")
@click.option("--year", type=int, metavar="YYYY", help="Year of the first line of year-less syslog files.")
@click.option("--host", metavar="NAME", help="The server the files come from.")
@click.option("--scheduler", metavar="tcp://HOST:8786", help="Run the tasks on this Dask scheduler's workers.")
@click.option("--workers", type=click.IntRange(1, 1024), metavar="N",
              help="Run the tasks on a local Dask cluster of N worker processes.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (TOML) over the defaults.")
def lake_ingest(lake_url, paths, file_list, format_name, tz, year, host, scheduler, workers, config_file):
    """Parse log files into the lake (a local directory or s3://bucket/prefix).

    PATH may be a file, a directory (every file under it) or a glob, local or
    a URL.  --format, --tz, --year and --host hold for every PATH and for
    each line of --files-from that does not set its own, so that all files of
    a case go in one run, on one cluster.  A file already in the lake (same
    SHA-256) adds nothing.  Without --scheduler or --workers the tasks run in
    this process.

    \b
    Example:
        forensics lake ingest s3://acme-logs-lake s3://acme-logs/2026/ --workers 8
        forensics lake ingest /srv/lake panel-audit.jsonl access.log --scheduler tcp://10.0.0.5:8786
        forensics lake ingest /srv/lake --files-from case-4711.files --workers 2

    \b
    where case-4711.files reads:
        panel-audit.jsonl
        access.log
        auth.log  --tz Europe/Berlin --host vps-31337
    """
    from forensics.config import load_config
    from forensics.lake.ingest import ingest_to_lake, read_file_list

    if scheduler and workers:
        raise click.UsageError("give --scheduler or --workers, not both")
    inputs = list(paths) + (read_file_list(file_list) if file_list else [])
    if not inputs:
        raise click.UsageError("give at least one PATH or --files-from FILE")
    report = ingest_to_lake(lake_url, inputs, format_name=format_name, tz=tz, year=year, host=host,
                            scheduler=scheduler, workers=workers, config=load_config(config_file),
                            on_file=lambda r: echo(r.summary()))
    echo(f"{counted(len(report.results), 'file')}, {counted(report.tasks, 'task')} on {counted(report.workers, 'worker')} "
         f"in {report.seconds:.1f} s")
    failures = report.failures()
    if failures:
        from forensics.errors import ForensicsError

        raise ForensicsError(f"{counted(len(failures), 'file')} {were(len(failures))} not ingested completely: "
                             + ", ".join(r.path for r in failures))


@lake.command("pull")
@click.argument("lake_url", metavar="LAKE")
@click.argument("case", type=click.Path(dir_okay=False))
@click.option("--account", required=True, help="The customer account id.")
@click.option("--since", type=ISO_WHEN, help="Start of the disputed period (YYYY-MM-DD or ISO date-time).")
@click.option("--until", type=ISO_WHEN, help="End of the disputed period (a date includes that day).")
@click.option("--history", default="365d", show_default=True, metavar="DAYSd",
              help="How far before --since the account's history reaches (the baseline).")
@click.option("--target", "targets", multiple=True, metavar="NAME[,NAME]",
              help="More names of the account's services (server/VM id, domain) whose monitoring, system and "
                   "access logs the case needs (an outage's --target); its panel targets are always included.")
@click.option("--geoip", "geoip_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="MaxMind DB file to enrich the new case with; repeatable (default as for ingest).")
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (TOML) over the defaults.")
def lake_pull(lake_url, case, account, since, until, history, targets, geoip_paths, config_file):
    """Build a case file with one account's slice of the lake.

    The case holds the account's panel events, the web and sshd lines
    matching its addresses, user names, sessions and servers, the failed
    logins from its addresses across the fleet, its rows in other logs (a
    ticket export), its services' monitoring, system and access logs, the
    mail log's lines about its notices, the first and last line of every
    hour of each file (so that gaps are found as in the whole file), and the
    custody rows of every file they come from.  `investigate` (every dispute
    kind) and `report` then work on it as on any case.

    \b
    Example:
        forensics lake pull s3://acme-logs-lake dispute-4711.duckdb --account K-10023 --since 2026-03-01
        forensics lake pull /srv/lake outage.duckdb --account K-10131 --target shop.example.de
    """
    from forensics.config import load_config
    from forensics.lake.pull import pull_case

    result = pull_case(lake_url, case, account, since=since, until=until, history=history, targets=targets,
                       geoip_paths=geoip_paths, config=load_config(config_file))
    echo(result.summary())


@lake.command("sources")
@click.argument("lake_url", metavar="LAKE")
@output_options
def lake_sources(lake_url, output):
    """List the files in the lake: the chain of custody (one row per file).

    \b
    Example:
        forensics lake sources s3://acme-logs-lake --csv
    """
    from forensics.lake.pull import lake_sources as read_sources

    frame = read_sources(lake_url)
    print_rows(frame, output, empty=f"{lake_url}: no file in the lake yet (use `forensics lake ingest`)")


@lake.command("sql")
@click.argument("lake_url", metavar="LAKE")
@click.argument("query", metavar="SQL")
@click.option("--tz", type=TIME_ZONE, help="Show times in this IANA zone (with offset) instead of UTC.")
@output_options
def lake_sql_cmd(lake_url, query, tz, output):
    """Run a read-only SQL query on a local lake and print its rows.

    The views `sources`, `events` (with `source_kind` and `day`), `rejects`
    and `coverage` hold the rows of the files in the lake.  Only queries
    run, as for `forensics sql`, and nothing outside the lake is read.

    \b
    Example:
        forensics lake sql /srv/lake "SELECT source_kind, day, count(*) AS n FROM events GROUP BY ALL ORDER BY ALL" --csv
    """
    from forensics.lake.query import lake_sql

    print_rows(lake_sql(lake_url, query), output, tz=tz)


COMMANDS = [lake]
