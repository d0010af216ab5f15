"""`forensics ingest` and `forensics sources`: log files into a case, and its chain of custody."""

from __future__ import annotations

import json
import sys

import click

from forensics.cli.options import TIME_ZONE
from forensics.cli.output import echo, output_options, print_rows
from forensics.english import counted, were


def _progress_bar():
    """A rich progress bar on a terminal; None (silent) otherwise."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TimeRemainingColumn(), transient=True)
    tasks: dict[str, int] = {}

    def update(path: str, done: int, total: int) -> None:
        if path not in tasks:
            tasks[path] = bar.add_task(path[-40:], total=total)
        bar.update(tasks[path], completed=done)

    return bar, update


@click.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False))
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=click.Path())
@click.option("--format", "format_name", metavar="NAME|FILE.toml",
              help="Log format (see `forensics formats list`) or a .toml definition; default: detected per file.")
@click.option("--tz", metavar="ZONE", type=TIME_ZONE,
              help="Zone of timestamps written without one (IANA name, e.g. Europe/Berlin). "
                   "Default: the format's zone, else UTC (assumed, and recorded as an assumption).")
@click.option("--year", type=int, metavar="YYYY",
              help="Year of the first line of year-less syslog files. Default: inferred from each "
                   "file's modification time (recorded on the source).")
@click.option("--host", metavar="NAME", help="The server the files come from (kept on the sources and events).")
@click.option("--geoip", "geoip_paths", multiple=True, type=click.Path(), metavar="PATH",
              help="MaxMind DB file for enrichment after the ingest; repeatable. "
                   "Default: FORENSICS_GEOIP, then [enrich] geoip in the config.")
@click.option("--accounts", "account_map", type=click.Path(dir_okay=False), metavar="MAP.csv",
              help="CSV map (field,value,account) of panel logins, users or server ids to customer "
                   "accounts; recorded in the case with its SHA-256 and applied to these files' events.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Settings file (TOML) over the defaults.")
def ingest(case_file, paths, format_name, tz, year, host, geoip_paths, account_map, config_file):
    """Load log files into a case (created when missing).

    Each file becomes one source with its SHA-256, counts and time
    decisions; every line becomes an event or a recorded reject.  A rotated
    set (auth.log auth.log.1 auth.log.2.gz) can be given at once; .gz, .bz2
    and .xz are read as streams.  A file already in the case (same SHA-256)
    adds nothing.  Of several files, one that is missing or unrecognised is
    reported (an unrecognised one recorded with its SHA-256) and the others
    are ingested.  Exits non-zero when a file is truncated, damaged, missing
    or unrecognised.

    \b
    Example:
        forensics ingest dispute.duckdb panel-audit.jsonl access.log auth.log.1 --tz Europe/Berlin
    """
    from pathlib import Path

    from forensics.case import refuse_log_as_case
    from forensics.config import load_config
    from forensics.errors import ForensicsError
    from forensics.ingest.engine import ingest_files

    # The case comes first: a log given as CASE is named as such before the
    # files are looked at (else a swapped pair reports the case as a missing log).
    refuse_log_as_case(Path(case_file))
    config = load_config(config_file)
    before = _committed_sources(case_file)
    bar, update = _progress_bar()
    try:
        if bar is not None:
            bar.start()
        report = ingest_files(case_file, paths, format_name=format_name, tz=tz, year=year,
                              host=host, geoip_paths=geoip_paths, progress=update,
                              config=config, account_map=account_map)
    except KeyboardInterrupt:
        if bar is not None:
            bar.stop()
            bar = None
        raise _interrupted(case_file, before) from None
    finally:
        if bar is not None:
            bar.stop()
    for result in report.results:
        echo(result.summary())
        for note in result.assumptions:
            echo(f"  assumption: {note}")
    if report.enrichment_note:
        echo(f"note: {report.enrichment_note}")
    elif report.enrichment is not None:
        enriched = report.enrichment
        echo(f"enriched: {enriched.new_user_agents} new user agents, {enriched.new_ips} new addresses")
    failures = report.failures()
    if failures:
        parts = []
        for status, sentence in (("truncated", "damaged (the lines before the damage are in the case, "
                                               "marked truncated)"),
                                 ("unrecognised", "not recognised (recorded with format unrecognised)"),
                                 ("changed", "changed while being read (nothing added; ingest a copy "
                                             "that is no longer written to)"),
                                 ("missing", "missing or not a file")):
            names = [r.path for r in failures if r.status == status]
            if names:
                parts.append(f"{', '.join(names)}: {sentence}")
        raise ForensicsError(f"{len(failures)} of {counted(len(report.results), 'file')} not ingested completely; "
                             + "; ".join(parts))


def _committed_sources(case_file) -> list[tuple[int, str]] | None:
    """The case's sources (id, path) as committed now; None when there is no case yet."""
    from pathlib import Path

    import duckdb

    if not Path(case_file).is_file():
        return None
    try:
        con = duckdb.connect(str(case_file), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute("SELECT source_id, path FROM sources ORDER BY source_id").fetchall()
    except duckdb.Error:
        return []
    finally:
        con.close()


def _interrupted(case_file, before):
    """Ctrl-C during an ingest: say what the case file now holds, as read from it."""
    from forensics.errors import ForensicsError

    after = _committed_sources(case_file) or []
    known = {sid for sid, _ in before or []}
    added = [path for sid, path in after if sid not in known]
    if added:
        text = (f"interrupted (Ctrl-C): {counted(len(added), 'file')} {were(len(added))} committed to {case_file} before it "
                f"({', '.join(added)}); the file being read then was rolled back and is not in the case")
    else:
        text = (f"interrupted (Ctrl-C): no file was committed to {case_file} by this call; "
                "the file being read was rolled back")
    err = ForensicsError(text)
    err.exit_code = 130
    return err


@click.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False))
@output_options
def sources(case_file, output):
    """List the case's sources: the chain of custody.

    Per file: path, format, SHA-256, size, line accounting (read = events +
    rejected + blank), first/last event time (ISO 8601 with offset) and the
    time-zone/year decisions.

    \b
    Example:
        forensics sources dispute.duckdb
    """
    from forensics.case import Case
    from forensics.ingest.engine import source_rows

    with Case(case_file, read_only=True) as case:
        rows = source_rows(case)
    if output in ("json", "nl"):   # the assumptions as a list, not JSON text inside JSON
        rows["assumptions"] = [json.loads(v) if isinstance(v, str) else v for v in rows["assumptions"]]
    print_rows(rows, output, empty=f"{case_file}: no sources yet (use `forensics ingest`)", table=_custody_text)


def _custody_text(records) -> None:
    """The chain of custody for a person, one block per file."""
    from types import SimpleNamespace

    for record in records:
        row = SimpleNamespace(**record)
        echo(f"#{row.source_id}  {row.path}")
        echo(f"    format {row.format}, {row.size_bytes:,} bytes"
                   + (f" ({row.compression})" if isinstance(row.compression, str) else "")
                   + f", sha256 {row.sha256}")
        echo(f"    lines {row.lines_read:,} = {row.events_parsed:,} events + "
                   f"{row.lines_rejected:,} rejected + {row.lines_blank:,} blank"
                   + (f"; {row.invalid_utf8_lines:,} invalid UTF-8" if row.invalid_utf8_lines else ""))
        echo(f"    events {row.first_ts or '-'} .. {row.last_ts or '-'}; file modified {row.mtime}")
        echo(f"    time: {row.tz_decision}")
        if isinstance(row.year_decision, str):
            echo(f"    year: {row.year_decision}")
        if row.truncated:
            echo(f"    TRUNCATED: {row.truncation_reason}")
        echo(f"    ingested {row.ingested_at} by forensics {row.tool_version}")


COMMANDS = [ingest, sources]
