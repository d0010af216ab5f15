"""The ingest engine: log files into a case, whole or not at all.

`ingest_files` is the one entry point (the CLI's `forensics ingest` calls it).
For every file it

1. refuses what cannot be ingested before touching the case (missing file,
   directory, unknown format, bad `--tz`);
2. picks the format (`--format`, else auto-detection on the first lines);
3. opens one transaction, streams the file in chunks through the format and
   writes events and rejects as it goes (vectorised formats run inside
   DuckDB, the whole file in one INSERT over a stream of the chunks; the
   others return DataFrames, written chunk by chunk);
4. resolves naive times (zone, year, DST) and records every decision;
5. refuses a file whose SHA-256 is already in the case (rollback: nothing
   added), else writes the `sources` row with its counts and commits.

Any exception (including Ctrl-C) rolls the file's transaction back, so the
case never holds half a file.  After all files, enrichment runs when GeoIP
databases are configured.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import os
import sys

# OpenBLAS starts a thread per core when numpy is imported, and those threads
# spin after any BLAS call: 1% of an access-log ingest's CPU, on a 2-core
# machine taken from DuckDB's threads.  Nothing here needs BLAS threads.  (Only
# effective when numpy is not imported yet; a user's setting is kept.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, TYPE_CHECKING, Iterator

import duckdb
import numpy as np

from forensics import __version__, collector
from forensics.case import Case, write_source_hours
from forensics.config import load_config
from forensics.english import counted, were
from forensics.errors import ForensicsError, UnknownFormatError
from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, LogFormat
from forensics.ingest.detect import detect_format
from forensics.ingest.formats.sqlformat import register_functions
from forensics.ingest.reader import (OVERLONG_KEEP, BatchStream, Chunk, SourceReader, damaged_near_start,
                                     describe_path_problem, head_lines, interrupts_end, prefetched)
from forensics.ingest.registry import all_formats, get_format
from forensics.ingest.timestamps import (SlicedYears, ambiguous_note, apply_years, decide_zone, infer_ambiguous_at,
                                         nonexistent_note, placeholder_year, probe, utc_values)
from forensics.schema import EVENT_COLUMNS, EVENT_TABLES, HTTP_COLUMNS
from forensics.timefmt import UTC, iso, zone

if TYPE_CHECKING:   # pandas is loaded where a frame is built (not on the SQL paths)
    import pandas as pd

# Whitespace that makes a line blank (the same set in SQL and in Python).
BLANK_CHARS = " \t\r\f\v"

Progress = Callable[[str, int, int], None]  # (path, stored bytes done, stored bytes total)

# `integrity` of a line whose bytes no checksum confirmed (a compressed
# stream failed its check, or ended, after them) and of the line a damage cut short.
UNVERIFIED = "unverified"
CUT = "cut"
_INT_COLUMNS = {"port": "INTEGER", "status": "INTEGER", "bytes": "BIGINT"}
# The vectorised path writes a file with one INSERT over a stream of its
# chunks (`_FileLoader._load_sql_stream`); False: one INSERT per chunk (the
# tests compare both).
STREAM_INSERT = True
# Rows per Arrow record batch of a chunk: DuckDB scans the batches of a table
# in parallel, so a 16 MiB chunk (~60,000 access-log lines) keeps both cores busy.
_SCAN_BATCH_ROWS = 16_384
# DuckDB settings for the statement that runs a format's SELECT (see
# _load_chunk_sql): without filter pushdown, because the optimizer copies the
# `reject_reason IS NULL` of the INSERT down into the scan, and with it the
# format's whole test of a line (the combined log's fast-path regex ran twice).
_FORMAT_SELECT_SETTINGS = {"disabled_optimizers": "filter_pushdown"}

# SQL over a format's SELECT: the row's time is naive (zone and year still to decide).
# Such a row carries its wall-clock time into the event table (`_event_values`).
_NAIVE_SQL = "(ts IS NULL AND ts_raw IS NOT NULL AND ts_local IS NOT NULL)"

# SQL: the address, normalised (the Python helper runs only where it can matter).
# NULL for '', '-' and either with spaces around (trim() only where there is a
# space: without one the text is its own trim, and trim() copies a long text).
_IP_SQL = ("CASE WHEN ip IS NULL OR ip IN ('', '-') THEN NULL "
           "WHEN contains(ip, ' ') THEN CASE WHEN trim(ip) IN ('', '-') THEN NULL "
           "ELSE forensics_normalize_ip(ip) END "
           "WHEN contains(ip, ':') OR contains(ip, '[') THEN forensics_normalize_ip(ip) ELSE ip END")


def _event_values(detail: str, ok: str | None = None, table: str = "event_rows", *,
                  values_null_when_rejected: bool = False, naive: str | None = None) -> str:
    """The SELECT list that maps a format's columns onto the columns of `table`
    (`_insert_columns(table)`, in that order).

    With `ok` (a boolean column: the line parsed), a line that did not parse
    keeps NULL where a parsed value or cast would stand and its reason in
    `event`, with `event_id` NULL (the streamed INSERT's rejects).  Into
    `http_events` (no `result`, `actor`, `auth`, `session`, `port`, `target`),
    a row with one of those set is an error, never a value dropped (for the
    access formats, whose SELECT has NULL constants there, the check is
    folded away before any row is read).

    `values_null_when_rejected`: the format's SELECT already gives NULL in
    every parsed column of a line it rejects (and no cast here can fail on
    them), so only `event_id` and `event` look at `ok` (a CASE a column costs
    ~0.05 µs a line).

    `naive` (a boolean column: the row's time is naive, `ts` NULL with
    `ts_raw` and `ts_local` set) carries `ts_local` out of the format's
    SELECT: such a row is written with `ts = timezone('UTC', ts_local)` and its
    `event_id` negated, which `_insert_local_sql` reads into `ingest_local` and
    `_write_times` turns into the resolved time and the event's id, so the
    format need not read `ts_raw` again."""
    def parsed(expr: str, always: bool = False) -> str:
        return f"CASE WHEN {ok} THEN {expr} END" if ok and (always or not values_null_when_rejected) else expr

    event = f"CASE WHEN {ok} THEN event ELSE reject_reason END" if ok else "event"
    event_id, ts = "$base + line_no", "ts"
    if naive:
        event_id = f"CASE WHEN {naive} THEN -($base + line_no) ELSE $base + line_no END"
        ts = f"CASE WHEN {naive} THEN timezone('UTC', ts_local) ELSE ts END"
    values = {
        "event_id": parsed(event_id, always=True), "source_id": "$sid", "line_no": "line_no",
        "ts": parsed(ts),
        "ts_raw": parsed("ts_raw"), "source_kind": "source_kind", "event": event, "result": "result",
        "account": "account", "actor": "actor", "user": '"user"', "auth": "auth", "session": "session",
        "ip": parsed(_IP_SQL), "port": parsed("port::INTEGER"), "user_agent": "user_agent", "method": "method",
        "path": "path", "status": parsed("status::INTEGER"), "bytes": parsed("bytes::BIGINT"),
        "referrer": "referrer", "target": "target", "host": "coalesce(host, $host)", "detail": parsed(detail),
        "raw": "raw", "raw_bytes": "NULL",
    }
    if table == "http_events":
        values["event_id"] = (
            "CASE WHEN coalesce(result, actor, auth, session, target) IS NOT NULL OR port IS NOT NULL "
            "THEN error('format ' || $format || ' set a column that http_events does not have') "
            f"ELSE {values['event_id']} END")
    return ", ".join(values[c] for c in _insert_columns(table, quoted=False))


def _insert_columns(table: str, quoted: bool = True) -> tuple[str, ...]:
    """The columns the ingest writes into `table` (one of `EVENT_TABLES`)."""
    names = tuple(c for c in (HTTP_COLUMNS if table == "http_events" else EVENT_COLUMNS) if c != "integrity")
    return tuple(f'"{c}"' if quoted and c == "user" else c for c in names)


@dataclass
class IngestResult:
    """What happened to one file."""

    path: str
    status: str                      # ingested | duplicate | truncated | empty | unrecognised | missing | changed
    format: str | None = None
    source_id: int | None = None
    duplicate_of: int | None = None
    sha256: str | None = None
    lines_read: int = 0
    events_parsed: int = 0
    lines_rejected: int = 0
    lines_blank: int = 0
    invalid_utf8_lines: int = 0
    truncation_reason: str | None = None
    assumptions: list[str] = field(default_factory=list)
    problem: str | None = None       # why an unrecognised or missing file was not ingested
    accounts_mapped: int = 0         # events whose account the --accounts map set
    duplicate_path: str | None = None  # the source with the same content, stored differently
    unverified_from_line: int | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ingested", "duplicate", "empty")

    def summary(self) -> str:
        """One line for the terminal."""
        if self.status == "duplicate" and self.duplicate_path:
            return (f"{self.path}: the same log as source #{self.duplicate_of} ({self.duplicate_path}): "
                    f"its decompressed content has the same SHA-256; nothing added")
        if self.status == "duplicate":
            return (f"{self.path}: already in the case as source #{self.duplicate_of} "
                    f"(same SHA-256 {self.sha256[:16]}...); nothing added")
        if self.status == "changed":
            return f"{self.path}: NOT INGESTED: {self.problem}"
        if self.status == "empty":
            return (f"{self.path}: source #{self.source_id}, recorded as an empty source "
                    f"(SHA-256 {self.sha256[:16]}..., {self.lines_read:,} lines, none with content)")
        if self.status == "missing":
            return f"{self.path}: NOT INGESTED: {self.problem}"
        if self.status == "unrecognised":
            return (f"{self.path}: NOT INGESTED, no format recognised it; recorded as source "
                    f"#{self.source_id} (format unrecognised, SHA-256 {self.sha256}, "
                    f"{self.lines_read:,} lines kept as rejects): {self.problem}")
        text = (f"{self.path}: source #{self.source_id}, format {self.format}: "
                f"{counted(self.lines_read, 'line')} read, {counted(self.events_parsed, 'event')}, "
                f"{self.lines_rejected:,} rejected, {self.lines_blank:,} blank")
        if self.invalid_utf8_lines:
            text += f", {self.invalid_utf8_lines:,} with invalid UTF-8 (original bytes kept)"
        if self.truncation_reason:
            text += f"; TRUNCATED: {self.truncation_reason}"
        if self.unverified_from_line:
            text += (f"; lines from {self.unverified_from_line:,} on are marked unverified "
                     f"(no checksum confirmed their bytes)")
        if self.events_parsed == 0 and self.lines_rejected:
            text += f"; no line matched format {self.format} (is it the right one?)"
        if self.accounts_mapped:
            text += f"; account set from --accounts on {counted(self.accounts_mapped, 'event')}"
        return text


@dataclass
class IngestReport:
    """The outcome of one `ingest_files` call."""

    results: list[IngestResult]
    enrichment: object | None = None
    enrichment_note: str | None = None

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failures(self) -> list[IngestResult]:
        return [r for r in self.results if not r.ok]


def ingest_files(
    case: Case | str | Path,
    paths: Iterable[str | Path],
    *,
    format_name: str | None = None,
    tz: str | None = None,
    year: int | None = None,
    host: str | None = None,
    geoip_paths: Iterable[str | Path] | None = None,
    progress: Progress | None = None,
    config: dict | None = None,
    chunk_bytes: int | None = None,
    account_map: str | Path | None = None,
) -> IngestReport:
    """Ingest log files into a case.

    Args:
        case: an open writable `Case`, or the path of the case file (created
            when missing).
        paths: the files, in the order given (a rotated set may be given at once).
        format_name: a format name (`forensics formats list`) or a `.toml`
            definition file; None auto-detects per file.
        tz: zone of naive timestamps (IANA name); None means the format's zone,
            else UTC assumed (and recorded).
        year: the year of the first line of year-less syslog files; None infers
            it from each file's modification time.
        host: the server the files come from (kept on sources and events).
        geoip_paths: MaxMind DB files; enrichment runs after the ingest when
            these (or the configured ones) exist.
        progress: called with (path, stored bytes read, file size).
        config: settings (`forensics.config.load_config()` when None).
        chunk_bytes: override of `[ingest] chunk_mib` (tests use small chunks).
        account_map: a CSV map of logins / server ids to accounts
            (`forensics.ingest.accounts`), recorded in the case and applied to
            the events of these files.

    Returns:
        An `IngestReport` (one `IngestResult` per file, in order).

    With several files, one that is missing or that no format recognises
    does not stop the others: it is reported in its `IngestResult` (status
    `missing`, or `unrecognised` with its SHA-256 and lines recorded as a
    source of format `unrecognised`, so that the chain of custody shows it
    was handed over).

    Raises:
        ForensicsError: the single file given cannot be ingested at all
            (missing, a directory, no known format), or an option or the
            account map is invalid; nothing has been written then.
    """
    paths = [str(p) for p in paths]
    if not paths:
        raise ForensicsError("no log file given")
    config = config or load_config()
    settings = config.get("ingest", {})
    chunk = chunk_bytes or int(float(settings.get("chunk_mib", 16)) * (1 << 20))
    if tz:
        zone(tz)
    if year is not None and not 1970 <= int(year) <= 2100:
        raise ForensicsError(f"--year {year} is not a plausible year (1970-2100)")
    problems = {path: problem for path in paths if (problem := describe_path_problem(path))}
    if problems and len(paths) == 1:
        raise ForensicsError("; ".join(problems.values()))
    amap = None
    if account_map is not None:
        from forensics.ingest.accounts import load_account_map

        amap = load_account_map(account_map)

    chosen = get_format(format_name) if format_name else None
    candidates = all_formats()
    shipped = {f.name for f in candidates}
    if chosen is not None and format_name not in shipped and chosen.name in shipped:
        raise ForensicsError(f"{format_name}: the definition is named {chosen.name!r}, the name of a shipped "
                             "format; give it a name of its own, so that the case never records it as the "
                             "shipped one")
    # (path, format, why it was not recognised); a missing path has no plan
    plans: list[tuple[str, LogFormat | None, str | None]] = []
    for path in paths:
        if path in problems:
            continue
        if chosen is not None:
            plans.append((path, chosen, None))
            continue
        head_count = int(settings.get("detect_head_lines", 50))
        head = head_lines(path, max_lines=head_count)
        if not any(line.strip() for line in head):
            # Blank lines first (or nothing): judge the first lines with content.
            head = head_lines(path, max_lines=head_count, skip_blank=True)
        if not any(line.strip() for line in head):
            plans.append((path, None, None))  # empty, blank, or damaged before its first line: recorded
            continue
        try:
            plans.append((path, detect_format(path, head, candidates, int(settings["detect_sample_lines"]),
                                              float(settings["detect_min_share"])), None))
        except UnknownFormatError as exc:
            if damaged_near_start(path):
                plans.append((path, None, None))  # what the damage left is no log: recorded as unreadable
                continue
            if len(paths) == 1:
                raise
            plans.append((path, None, str(exc)))

    own_case = not isinstance(case, Case)
    case_obj = Case.open(case) if own_case else case
    try:
        memory_limit = settings.get("duckdb_memory_limit")
        if memory_limit:
            case_obj.con.execute("SET memory_limit = $limit", {"limit": str(memory_limit)})
        # Rows carry their line numbers, so DuckDB may write them in any order:
        # that lets the insert run on all cores and keep less in memory.
        case_obj.con.execute("SET preserve_insertion_order = false")
        try:  # our own progress bar speaks for the ingest; DuckDB's would interleave with it
            case_obj.con.execute("SET enable_progress_bar = false")
        except duckdb.Error:
            # Inside Jupyter without ipywidgets DuckDB refuses any change of
            # this setting, and it draws no bar there anyway.
            pass
        register_functions(case_obj.con)
        if amap is not None:
            from forensics.ingest.accounts import record_account_map

            record_account_map(case_obj.con, amap)
        planned = {plan[0]: plan for plan in plans}
        results = []
        for path in paths:
            if path in problems:
                results.append(IngestResult(path, "missing", problem=problems[path]))
                continue
            _, fmt, unrecognised = planned[path]
            loader = _FileLoader(case_obj, path, fmt, tz=tz, year=year, host=host,
                                 chunk_bytes=chunk, settings=settings, progress=progress,
                                 unrecognised=unrecognised, account_map=amap)
            results.append(loader.run())
        report = IngestReport(results)
        _enrich_after(case_obj, report, geoip_paths, config)
        return report
    finally:
        if own_case:
            case_obj.close()


def _enrich_after(case: Case, report: IngestReport, geoip_paths, config: dict) -> None:
    """Run enrichment when GeoIP databases are configured (`--geoip`, env, config)."""
    if not (geoip_paths or os.environ.get("FORENSICS_GEOIP") or config.get("enrich", {}).get("geoip")):
        return  # nothing configured: skip importing the enrichment stack (~1 s)
    try:
        from forensics.enrich import configured_geoip_paths, enrich_case
    except ImportError:
        if geoip_paths:
            report.enrichment_note = ("GeoIP enrichment is not available in this build; "
                                      "run `forensics enrich` when it is")
        return
    databases = configured_geoip_paths(list(geoip_paths or []), config)
    if not databases:
        return
    if not any(r.status in ("ingested", "truncated") for r in report.results):
        return
    report.enrichment = enrich_case(case, geoip_paths=databases, config=config)


class _FileLoader:
    """Loads one file inside one transaction."""

    def __init__(self, case: Case, path: str, fmt: LogFormat | None, *, tz, year, host,
                 chunk_bytes: int, settings: dict, progress: Progress | None,
                 unrecognised: str | None = None, account_map=None):
        self.case = case
        self.unrecognised = unrecognised   # detection's sentence when no format fits
        self.account_map = account_map
        self.con = case.con
        self.path = path
        self.fmt = fmt
        self.tz = tz
        self.year = year
        self.host = host
        self.settings = settings
        self.progress = progress
        self.max_line_mib = float(settings.get("max_line_mib", 64))
        self.compiled_min_lines = int(settings.get("compiled_min_lines", 0))
        if "pandas" not in sys.modules:   # the Python path would import it first: the SQL path pays sooner
            self.compiled_min_lines = min(self.compiled_min_lines,
                                          int(settings.get("compiled_min_lines_without_pandas", self.compiled_min_lines)))
        self.chunk_bytes = chunk_bytes
        # The vectorised path reads the whole file in one INSERT (`_load_sql_stream`);
        # False: one INSERT per chunk (the fallback when a format returns other rows than lines).
        self.streamed = STREAM_INSERT
        # True once the compiled path's answers, line by line, were not the format's for this
        # file (`records_span_lines`): the file again, through the format's own `parse`
        self.python_only = False
        self._start()
        mtime = dt.datetime.fromtimestamp(self.reader.mtime, tz=UTC)
        self.ctx = IngestContext(path=path, tz=tz, year=year, host=host, mtime_utc=mtime)
        if hasattr(fmt, "for_file"):   # a format with state per file (panel-csv: its header line)
            self.fmt = fmt.for_file(self.ctx)

    def _start(self) -> None:
        """The reader and the counts of a (first or repeated) pass over the file."""
        self.vectorised: bool | None = None   # decided on the first chunk (_load_chunk)
        self.reader = SourceReader(self.path, chunk_bytes=self.chunk_bytes,
                                   chunk_lines=int(self.settings.get("chunk_max_lines", 1 << 18)),
                                   max_line_bytes=int(self.max_line_mib * (1 << 20)))
        self.lines_read = 0
        self.blank = 0
        self.parsed = 0
        self.rejected = 0
        self.invalid = 0
        fmt = self.fmt
        self.yearless = bool(getattr(fmt, "yearless", False)) if fmt is not None else False
        self.has_local = False
        # a multi-line record the last chunk ended inside (`_load_chunk_python`)
        self._carry: tuple[int, list[str], dict] | None = None
        self._side: _SideData | None = None   # inside a streamed INSERT (`_stream_batches`)

    # -- the transaction ---------------------------------------------------
    def run(self) -> IngestResult:
        duplicate = self._known_duplicate()
        if duplicate is not None:
            return duplicate
        # The ingest makes few Python objects that could form cycles, but many
        # that count towards the collector's thresholds: no cyclic collection during a file.
        with collector.paused():
            try:
                return self._run()
            except _StreamMismatch:
                # The format gave other rows than lines in the one-INSERT pass (rolled
                # back): the file again, one INSERT per chunk, which records every line.
                self.streamed = False
                self._start()
                return self._run()
            except _RecordsSpanLines:
                # A line of a format whose records may span lines did not parse alone
                # (rolled back): the file again through the format's `parse`.
                self.python_only = True
                self._start()
                return self._run()

    def _run(self) -> IngestResult:
        self.con.begin()
        try:
            self.source_id = self.con.execute(
                "SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchall()[0][0]
            self.event_base = self.con.execute(
                "SELECT coalesce(max(event_id), 0) FROM events").fetchall()[0][0]
            self.con.execute("CREATE OR REPLACE TEMP TABLE ingest_local "
                             "(line_no BIGINT, ts_local TIMESTAMP)")
            with contextlib.closing(prefetched(self.reader.chunks())) as chunks:
                for chunk in chunks:
                    if self.fmt is not None and self.streamed and not chunk.all_blank:
                        self._decide_path(chunk)
                        if self.vectorised:
                            self._load_sql_stream(itertools.chain([chunk], chunks))
                            break
                    if self.fmt is not None:
                        self._load_chunk(chunk)
                    elif self.unrecognised:
                        self._reject_all(chunk, "not ingested: no known format recognises this file")
                    else:
                        self._reject_all(chunk, "no format could be detected")
                    if self.progress:
                        self.progress(self.path, self.reader.bytes_read, self.reader.size_bytes)
            if self.vectorised and getattr(self.fmt, "records_span_lines", False) and _first_row(self.con.execute(
                    "SELECT 1 FROM rejects WHERE source_id = $sid AND (raw IS NULL OR contains(raw, '{')) LIMIT 1",
                    {"sid": self.source_id})) is not None:
                # jsonl `multiline`: a record pretty-printed over several lines starts at a line that
                # holds `{` and does not parse alone; where none is left, each line's answer is the
                # format's (`DefinitionFormat._parse_json_records`), else Python reads the file
                raise _RecordsSpanLines
            if self._carry is not None:   # the file ends inside a record: the format says so
                first, lines, overlong = self._carry
                self._carry = None
                self._load_chunk_python(Chunk(first, lines=lines, overlong=overlong), carry=False)
            sha = self.reader.sha256
            if self.reader.changed:
                self.con.rollback()
                return IngestResult(self.path, "changed", self._format_name(), sha256=sha, problem=(
                    f"the file changed while it was read ({self.reader.size_bytes:,} bytes when opened, "
                    f"{self.reader.bytes_read:,} bytes read and hashed): its size and SHA-256 would not "
                    "describe one state of the file, so nothing was added; ingest a copy that is no longer "
                    "written to (e.g. the rotated file)"))
            # Every empty file is a source of its own (empty auth.log beside auth.log.1).
            existing = None if self.reader.content_bytes == 0 else _first_row(
                self.con.execute(_SAME_FILE_SQL, {"sha": sha, "unrec": bool(self.unrecognised)}))
            if existing:
                self.con.rollback()
                return IngestResult(self.path, "duplicate", self._format_name(), duplicate_of=existing[0],
                                    sha256=sha)
            same = None if self.reader.content_bytes == 0 else _first_row(self.con.execute(
                "SELECT source_id, path FROM sources WHERE content_sha256 = $c AND format <> 'unrecognised' "
                "ORDER BY source_id LIMIT 1", {"c": self.reader.content_sha256}))
            if same and not self.unrecognised:
                self.con.rollback()
                return IngestResult(self.path, "duplicate", self._format_name(), duplicate_of=same[0],
                                    sha256=sha, duplicate_path=same[1])
            assumptions, tz_fields, year_decision = self._resolve_times()
            self._reject_untimed()
            self._mark_integrity()
            if self.unrecognised:
                assumptions.append(f"Not ingested: {self.unrecognised}")
            mapped = 0
            if self.account_map is not None:
                from forensics.ingest.accounts import apply_account_map

                mapped = apply_account_map(self.con, self.account_map, self.source_id)
            write_source_hours(self.con, [self.source_id])
            result = self._write_source(sha, assumptions, tz_fields, year_decision)
            result.accounts_mapped = mapped
            self.con.execute("DROP TABLE IF EXISTS ingest_local")
            self.con.commit()
            return result
        except BaseException:
            try:
                self.con.rollback()
            except duckdb.Error:
                # A failed commit ends the transaction itself; its error, not
                # "no transaction is active", is the one to report.
                pass
            raise

    def _format_name(self) -> str:
        if self.fmt is not None:
            return self.fmt.name
        if self.unrecognised:
            return "unrecognised"
        return "unreadable" if self.reader.truncated else "empty"

    def _mark_integrity(self) -> None:
        """Flag the lines no checksum confirmed, and the line the damage cut short."""
        reader = self.reader
        for table in (*EVENT_TABLES, "rejects"):
            if reader.unverified_from_line is not None:
                self.con.execute(f"UPDATE {table} SET integrity = $v WHERE source_id = $sid AND line_no >= $lo",
                                 {"v": UNVERIFIED, "sid": self.source_id, "lo": reader.unverified_from_line})
            if reader.cut_line is not None and (reader.unverified_from_line is None
                                                or reader.cut_line < reader.unverified_from_line):
                self.con.execute(f"UPDATE {table} SET integrity = $v WHERE source_id = $sid AND line_no = $no",
                                 {"v": CUT, "sid": self.source_id, "no": reader.cut_line})

    def _known_duplicate(self) -> IngestResult | None:
        """Fast refusal of a file seen before at the same place, size and time.

        The hash decides; path/size/mtime only say when hashing first is worth it.
        """
        row = _first_row(self.con.execute(
            "SELECT source_id, sha256 FROM sources WHERE abs_path = $p AND size_bytes = $s",
            {"p": str(Path(self.path).resolve()), "s": self.reader.size_bytes},
        ))
        if row is None:
            return None
        import hashlib

        digest = hashlib.sha256()
        with open(self.path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        sha = digest.hexdigest()
        same = _first_row(self.con.execute(_SAME_FILE_SQL, {"sha": sha, "unrec": bool(self.unrecognised)}))
        if same is None:
            return None
        return IngestResult(self.path, "duplicate", self._format_name(), duplicate_of=same[0], sha256=sha)

    # -- chunks ------------------------------------------------------------
    def _load_chunk(self, chunk: Chunk) -> None:
        """One chunk: counted, parsed and written; inside a streamed INSERT
        (`self._side` set) its batches are queued for the stream and what
        is written beside it is kept for after the INSERT."""
        side = self._side
        self.lines_read += chunk.count
        self.invalid += len(chunk.invalid)
        if chunk.overlong and side is not None:
            first = chunk.first_line_no
            for i, long in chunk.overlong.items():
                side.overlong.append((first + i, self._overlong_reason(long), chunk.line(i)))
                side.size += OVERLONG_KEEP
        elif chunk.overlong:
            self._reject_overlong(chunk)
        if chunk.invalid and side is not None:
            side.invalid.update({chunk.first_line_no + i: data for i, data in chunk.invalid.items()})
            side.size += sum(len(data) for data in chunk.invalid.values())
        if chunk.all_blank:
            return
        self._decide_path(chunk)
        if self.vectorised:
            self._load_chunk_sql(chunk)
        else:
            self._load_chunk_python(chunk)
        if chunk.invalid and side is None:
            self._attach_raw_bytes(chunk)

    def _decide_path(self, chunk: Chunk) -> None:
        """One path for the whole file, decided on its first chunk with content."""
        if self.vectorised is None:
            self.vectorised = not self.python_only and hasattr(self.fmt, "select_sql") and not (
                # a compiled declarative definition on a small file: its Python path is cheaper
                getattr(self.fmt, "sql_plan", None) is not None and chunk.count < self.compiled_min_lines)

    def _load_sql_stream(self, chunks: Iterator[Chunk]) -> None:
        """Vectorised path, the whole file in one INSERT: the format's SELECT
        runs over a stream of Arrow record batches that DuckDB pulls from the
        reader chunk by chunk (`reader.BatchStream`).

        One INSERT writes full row groups as the rows come; an INSERT per
        chunk (16 MiB, ~70,000 lines, less than a row group per thread) left
        partial row groups that DuckDB scanned, merged and compressed again
        (measured: 3.8 against 2.8 µs per access-log line for the write).
        Lines that did not parse are written into `events` with `event_id`
        NULL and their reason in `event`, and moved to `rejects` after the
        INSERT (one statement cannot write two tables); the transaction
        commits neither half.  The side data of the lines the format is not
        given (overlong lines, the bytes of invalid UTF-8) is written after
        the INSERT; when it grows past `_SIDE_BYTES` the stream ends there
        and the next INSERT takes the rest of the file, so memory stays bounded.
        """
        chunks = iter(chunks)
        pending: list[Chunk] = []   # a chunk held back for the next INSERT
        while True:
            side = _SideData()
            batches = self._stream_batches(itertools.chain(pending, chunks), side)
            pending = []
            if next(batches, None) is not None:   # lines to parse: one INSERT reads them all
                stream = BatchStream(batches, large=side.large)
                try:
                    with interrupts_end(stream):
                        inserted = self._insert_stream(stream)
                except duckdb.Error:
                    if stream.error is not None:   # the reader's or a format's error (or Ctrl-C), as raised
                        raise stream.error from None
                    raise
                if stream.error is not None:
                    raise stream.error
                if inserted != stream.rows:
                    raise _StreamMismatch(f"format {self.fmt.name} returned {inserted:,} rows "
                                          f"for {stream.rows:,} lines")
                moved = self.con.execute(
                    "INSERT INTO rejects (source_id, line_no, reason, raw) SELECT source_id, line_no, event, raw "
                    "FROM events WHERE source_id = $sid AND event_id IS NULL",
                    {"sid": self.source_id}).fetchall()[0][0]
                if moved:
                    self.con.execute(f"DELETE FROM {self._vector_table()} WHERE source_id = $sid "
                                     "AND event_id IS NULL", {"sid": self.source_id})
                self.parsed += inserted - moved
                self.rejected += moved
                if self._carries_local():
                    self._insert_local_sql(side.lo, side.hi)
            if side.overlong:
                self._insert_overlong(side.overlong)
            if side.invalid:
                self._attach_invalid(side.invalid)
            if side.held is not None:
                pending = [side.held]
            elif side.done:
                return

    def _stream_batches(self, chunks: Iterator[Chunk], side: "_SideData") -> Iterator:
        """The record batches of `chunks` for one INSERT (`_load_chunk` counts each
        chunk and keeps its side data in `side`).

        The first item (True) says that there are lines to parse (`_load_sql_stream`
        opens no INSERT for nothing); the batches follow.
        """
        announced = False
        self._side = side
        try:
            for chunk in chunks:
                if announced and not chunk.all_blank and (chunk.buffers[0].dtype.itemsize == 8) != side.large:
                    side.held = chunk   # another Arrow string type (int64 offsets): the next INSERT
                    return
                self._load_chunk(chunk)
                if side.queued:
                    if not announced:
                        announced = True
                        side.large = chunk.buffers[0].dtype.itemsize == 8
                        yield True
                    batches, side.queued = side.queued, []
                    yield from batches
                if self.progress:
                    self.progress(self.path, self.reader.bytes_read, self.reader.size_bytes)
                if side.size > _SIDE_BYTES:
                    return
            side.done = True
        finally:
            self._side = None

    def _insert_stream(self, stream: BatchStream) -> int:
        """INSERT every line of `stream` through the format's SELECT; returns the rows written
        (events, and rejects marked by `event_id` NULL with the reason in `event`)."""
        sql, params = self.fmt.select_sql("(SELECT line_no, line FROM ingest_chunk)")
        table = self._vector_table()
        columns = ", ".join(_insert_columns(table))
        ingest_chunk = stream  # noqa: F841 (found by name by DuckDB)
        naive = self._carries_local()
        with _settings(self.con, self._select_settings()):
            return self.con.execute(
                f"""INSERT INTO {table} ({columns})
                SELECT {_event_values("detail", ok="_ok", table=table, values_null_when_rejected=getattr(
                    self.fmt, "values_null_when_rejected", False), naive="_naive" if naive else None)}
                FROM (SELECT *, reject_reason IS NULL AS _ok{", " + _NAIVE_SQL + " AS _naive" if naive else ""}
                      FROM ({sql}))""",
                {**params, "sid": self.source_id, "base": self.event_base, "host": self.host,
                 **self._format_param(table)},
            ).fetchall()[0][0]

    def _carries_local(self) -> bool:
        """The format's SELECT gives naive times (`ts_local`): its INSERT carries them (`_event_values`)."""
        return getattr(self.fmt, "select_gives_ts_local", False)

    def _vector_table(self) -> str:
        """The table the format's SELECT writes: its own (`event_table`, e.g. the
        combined access log's `http_events`), else `event_rows`."""
        table = getattr(self.fmt, "event_table", "event_rows")
        return table if table in EVENT_TABLES else "event_rows"

    def _format_param(self, table: str) -> dict:
        return {"format": self.fmt.name} if table == "http_events" else {}

    def _load_chunk_sql(self, chunk: Chunk) -> None:
        """Vectorised path: the format's SELECT runs inside DuckDB over the chunk's
        lines as Arrow record batches (no Python string per line).  Inside the
        file's one INSERT (`_load_sql_stream`) the batches join its stream;
        otherwise (the fallback) this chunk is written by an INSERT of its own:

        Parsed lines go straight into `events` (no intermediate table: it
        would hold the whole chunk a second time until the commit; no
        `RETURNING`: it would serialise the insert on one core).  When fewer
        lines parsed than were given, the missing ones are found in `events`
        and only they are parsed again, to record their reasons.
        """
        mask = chunk.parse_mask()
        ingest_chunk = chunk.arrow_table(None if mask.all() else mask, batch_rows=_SCAN_BATCH_ROWS)
        given = ingest_chunk.rows
        if given == 0:
            return
        side = self._side
        if side is not None:   # inside the file's one INSERT: the batches go into its stream
            side.lines += given
            side.lo = chunk.first_line_no if side.lo is None else side.lo
            side.hi = chunk.first_line_no + chunk.count - 1
            side.queued.extend(ingest_chunk.batches())
            return
        lo, hi = chunk.first_line_no, chunk.first_line_no + chunk.count - 1
        sql, params = self.fmt.select_sql("(SELECT line_no, line FROM ingest_chunk)")
        settings = self._select_settings()
        parsed = self._insert_events(f"({sql})", params, detail_is_json=True, ingest_chunk=ingest_chunk,
                                     scoped_settings=settings, table=self._vector_table(),
                                     naive=self._carries_local())
        if self._carries_local():
            self._insert_local_sql(lo, hi)
        rejected = 0
        if parsed < given:
            # Only the lines that did not parse are parsed again, for their reasons.
            leftover = self.con.execute(
                "SELECT line_no FROM ingest_chunk ANTI JOIN (SELECT line_no FROM events WHERE source_id = $sid "
                "AND line_no BETWEEN $lo AND $hi) USING (line_no)",
                {"sid": self.source_id, "lo": lo, "hi": hi}).fetchnumpy()["line_no"]
            again = np.zeros(chunk.count, dtype=bool)
            again[np.asarray(leftover, dtype=np.int64) - lo] = True
            rest = chunk.arrow_table(again, batch_rows=_SCAN_BATCH_ROWS)
            sql, params = self.fmt.select_sql("(SELECT line_no, line FROM ingest_chunk)")
            with _settings(self.con, settings):
                rejected = self._insert_rejects(f"({sql})", params, ingest_chunk=rest)
            if rejected < len(leftover):  # nothing lost, even if a format misbehaves
                ingest_chunk = rest  # noqa: F841 (found by name by DuckDB)
                rejected += self.con.execute(
                    "INSERT INTO rejects (source_id, line_no, reason, raw) SELECT $sid, line_no, $reason, line FROM ingest_chunk "
                    "WHERE line_no NOT IN (SELECT line_no FROM rejects WHERE source_id = $sid "
                    "AND line_no BETWEEN $lo AND $hi)",
                    {"sid": self.source_id, "lo": lo, "hi": hi,
                     "reason": f"format {self.fmt.name} returned no result for this line"},
                ).fetchall()[0][0]
        self.parsed += parsed
        self.rejected += rejected

    def _select_settings(self) -> dict:
        """DuckDB settings for the statements running the format's SELECT (a compiled
        definition names its own: `declarative_sql.SELECT_SETTINGS`)."""
        plan = getattr(self.fmt, "sql_plan", None)
        return getattr(plan, "select_settings", None) or _FORMAT_SELECT_SETTINGS

    def _insert_local_sql(self, lo: int, hi: int) -> None:
        """Naive times of the vectorised path's events (year-less syslog, no zone) into `ingest_local`.

        The INSERT wrote these events with their wall-clock time as
        `ts = timezone('UTC', ts_local)` and a negative `event_id` (the
        format's `ts_local`, carried: `_event_values`); `_resolve_times`
        decides zone and year for them as for the Python path, and its
        `_write_times` gives them their UTC time and their event id.
        """
        n_local = self.con.execute(
            f"INSERT INTO ingest_local SELECT line_no, timezone('UTC', ts) FROM {self._vector_table()} "
            "WHERE source_id = $sid AND line_no BETWEEN $lo AND $hi AND event_id < 0",
            {"sid": self.source_id, "lo": lo, "hi": hi}).fetchall()[0][0]
        self.has_local = self.has_local or n_local > 0

    def _load_chunk_python(self, chunk: Chunk, carry: bool = True) -> None:
        """Formats that parse in Python and hand back a DataFrame.

        A format whose records span lines (`unfinished_tail(lines)`: where the
        record the lines end inside begins) gets such a record whole: its lines
        are held back and parsed with the next chunk's (the file's last chunk
        gives them alone).  Lines that were not valid UTF-8 are not held back
        (their bytes are attached chunk by chunk): a record cut there is cut.
        """
        import pandas as pd
        if self._carry is not None:
            c_first, c_lines, c_overlong = self._carry
            self._carry = None
            # an all-blank chunk in between is not given to the format: blank lines here too
            c_lines = c_lines + [""] * (chunk.first_line_no - c_first - len(c_lines))
            shift = len(c_lines)
            chunk = Chunk(c_first, lines=c_lines + chunk.lines,
                          invalid={k + shift: v for k, v in chunk.invalid.items()},
                          overlong={**c_overlong, **{k + shift: v for k, v in chunk.overlong.items()}})
        first = chunk.first_line_no
        nonblank = np.flatnonzero(chunk.parse_mask()).tolist()
        lines = [chunk.lines[i] for i in nonblank]
        line_nos = [first + i for i in nonblank]
        tail = getattr(self.fmt, "unfinished_tail", None) if carry else None
        cut = tail(lines) if tail is not None and lines else None
        if cut is not None and not any(k >= nonblank[cut] for k in chunk.invalid):
            start = nonblank[cut]
            self._carry = (first + start, chunk.lines[start:],
                           {k - start: v for k, v in chunk.overlong.items() if k >= start})
            lines, line_nos = lines[:cut], line_nos[:cut]
            if not lines:
                return
        batches, failures = self._parse_isolating(lines, line_nos)
        frames = []
        for batch in batches:
            if batch.yearless:
                self.yearless = True
            events = batch.events
            frames.append(events if isinstance(events, pd.DataFrame) else events.to_pandas())
        # (no batch at all when every line of the chunk failed: an empty one gives the columns)
        frames = [f for f in frames if len(f)] or frames[:1] or [self.fmt.parse([], [], self.ctx).events]
        events = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        events = events.drop_duplicates(subset="line_no", keep="first")
        parsed_nos = set(int(x) for x in events["line_no"])
        rejects = dict(failures)
        for batch in batches:
            for line_no, reason in batch.rejects:
                line_no = int(line_no)
                if line_no not in parsed_nos and line_no not in rejects:
                    rejects[line_no] = str(reason)
        for line_no in line_nos:  # nothing lost: a line the format skipped is a reject
            if line_no not in parsed_nos and line_no not in rejects:
                rejects[line_no] = f"format {self.fmt.name} returned no result for this line"
        frame = self._canonical_frame(events, chunk)
        if rejects:
            reject_rows = pd.DataFrame({
                "line_no": np.asarray(list(rejects), dtype=np.int64),
                "reject_reason": np.asarray(list(rejects.values()), dtype=object),
                "raw": np.asarray([chunk.lines[no - first] for no in rejects], dtype=object),
            })
            frame = pd.concat([frame, reject_rows], ignore_index=True)
        ingest_frame = frame  # noqa: F841 (found by name by DuckDB: replacement scan)
        self.parsed += self._insert_events("ingest_frame", {}, detail_is_json=False, ingest_frame=frame)
        self.rejected += self._insert_rejects("ingest_frame", {}, ingest_frame=frame)
        n_local = self.con.execute(
            "INSERT INTO ingest_local SELECT line_no, ts_local FROM ingest_frame "
            "WHERE reject_reason IS NULL AND ts IS NULL AND ts_local IS NOT NULL").fetchall()[0][0]
        self.has_local = self.has_local or n_local > 0

    def _parse_isolating(self, lines: list[str], line_nos: list[int]):
        """The format's batches for `lines`; a line on which the format raises
        (RecursionError on JSON nested 1,000 deep, any other exception) becomes
        a reject with the exception as its reason, and the others are parsed.

        Returns (batches, [(line_no, reason)]).  A failing batch is halved
        until the failing lines are alone, so one bad line costs a few calls.
        """
        try:
            return [self.fmt.parse(lines, line_nos, self.ctx)], []
        except Exception as exc:  # noqa: BLE001 (any exception of a format on hostile input)
            if len(lines) <= 1:
                text = str(exc)
                text = text if len(text) <= 200 else text[:200] + "..."
                return [], [(int(no), f"format {self.fmt.name} failed on this line: {type(exc).__name__}: {text}")
                            for no in line_nos]
        mid = len(lines) // 2
        left, left_failed = self._parse_isolating(lines[:mid], line_nos[:mid])
        right, right_failed = self._parse_isolating(lines[mid:], line_nos[mid:])
        if not left and not right:   # every line failed: the frame still needs its columns
            left = [self.fmt.parse([], [], self.ctx)]
        return left + right, left_failed + right_failed

    def _canonical_frame(self, events: pd.DataFrame, chunk: Chunk) -> pd.DataFrame:
        """A format's events -> the columns `_insert_events` and `_insert_rejects` expect."""
        import pandas as pd
        n = len(events)
        frame = pd.DataFrame({"line_no": events["line_no"].astype(np.int64).to_numpy()})
        frame["reject_reason"] = pd.Series([None] * n, dtype=object)
        ts = events["ts"] if "ts" in events else pd.Series([pd.NaT] * n)
        frame["ts"] = pd.to_datetime(pd.Series(ts.to_numpy()), utc=True)
        if "ts_local" in events:
            frame["ts_local"] = pd.to_datetime(pd.Series(events["ts_local"].to_numpy()))
        else:
            frame["ts_local"] = pd.Series([pd.NaT] * n, dtype="datetime64[us]")
        frame["ts_raw"] = _text(events.get("ts_raw"), n)
        for column in CANONICAL_COLUMNS:
            values = events[column] if column in events else None
            if column in _INT_COLUMNS:
                frame[column] = pd.array(
                    pd.to_numeric(pd.Series(values.to_numpy() if values is not None else [None] * n),
                                  errors="coerce"), dtype="Int64")
            elif column == "detail":
                frame[column] = np.asarray([_json_text(v) for v in values] if values is not None
                                           else [None] * n, dtype=object)
            else:
                frame[column] = _text(values, n)
        frame["source_kind"] = frame["source_kind"].where(frame["source_kind"].notna(), self.fmt.source_kind)
        first = chunk.first_line_no
        frame["raw"] = np.asarray([chunk.lines[no - first] for no in frame["line_no"]], dtype=object)
        return frame

    def _insert_events(self, source: str, params: dict, *, detail_is_json: bool,
                       ingest_chunk=None, ingest_frame=None, scoped_settings: dict | None = None,
                       table: str = "event_rows", naive: bool = False) -> int:
        """Insert the parsed rows (reject_reason NULL) of `source`; returns how many.

        `ingest_chunk` / `ingest_frame` are the tables `source` names; as
        locals of this frame DuckDB's replacement scan finds them (a
        registered view would keep them alive until the commit).
        `scoped_settings` are DuckDB settings in force for this statement only.
        `naive`: `source` is the format's SELECT, whose `ts_local` the rows carry (`_event_values`).
        """
        columns = ", ".join(_insert_columns(table))
        detail = "detail" if detail_is_json else "detail::JSON"  # a cast re-parses the JSON
        with _settings(self.con, scoped_settings):
            result = self.con.execute(
                f"""INSERT INTO {table} ({columns})
                SELECT {_event_values(detail, table=table, naive=_NAIVE_SQL if naive else None)}
                FROM {source} WHERE reject_reason IS NULL""",
                {**params, "sid": self.source_id, "base": self.event_base, "host": self.host,
                 **self._format_param(table)},
            )
            return result.fetchall()[0][0]

    def _insert_rejects(self, source: str, params: dict, ingest_chunk=None, ingest_frame=None) -> int:
        """Insert the rejected rows (reject_reason set) of `source`; returns how many."""
        return self.con.execute(
            f"INSERT INTO rejects (source_id, line_no, reason, raw) SELECT $sid, line_no, reject_reason, raw "
            f"FROM {source} WHERE reject_reason IS NOT NULL",
            {**params, "sid": self.source_id},
        ).fetchall()[0][0]

    def _reject_overlong(self, chunk: Chunk) -> None:
        """Lines over `[ingest] max_line_mib`: a reject each, with length and SHA-256 of all
        their bytes; the format does not see them (`Chunk.parse_mask` leaves them out)."""
        first = chunk.first_line_no
        self._insert_overlong([(first + i, self._overlong_reason(long), chunk.line(i))
                               for i, long in chunk.overlong.items()])

    def _overlong_reason(self, long) -> str:
        return (f"line of {long.length:,} bytes is longer than [ingest] max_line_mib = "
                f"{self.max_line_mib:g} MiB: not parsed; its first MiB is kept here, the SHA-256 "
                f"of all its bytes is {long.sha256}")

    def _insert_overlong(self, rows: list[tuple[int, str, str]]) -> None:
        import pandas as pd
        frame = pd.DataFrame({"line_no": np.asarray([r[0] for r in rows], dtype=np.int64),
                              "reason": np.asarray([r[1] for r in rows], dtype=object),
                              "raw": np.asarray([r[2] for r in rows], dtype=object)})
        ingest_long = frame  # noqa: F841 (found by name by DuckDB)
        self.con.execute("INSERT INTO rejects (source_id, line_no, reason, raw) "
                         "SELECT $sid, line_no, reason, raw FROM ingest_long", {"sid": self.source_id})
        self.rejected += len(rows)

    def _reject_all(self, chunk: Chunk, reason: str) -> None:
        self.lines_read += chunk.count
        self.invalid += len(chunk.invalid)
        if chunk.overlong:
            self._reject_overlong(chunk)
        if chunk.all_blank:
            return
        mask = chunk.parse_mask()  # not blank, not overlong
        ingest_chunk = chunk.arrow_table(None if mask.all() else mask, batch_rows=_SCAN_BATCH_ROWS)  # noqa: F841
        self.rejected += self.con.execute(
            "INSERT INTO rejects (source_id, line_no, reason, raw) SELECT $sid, line_no, $reason, line "
            "FROM ingest_chunk", {"sid": self.source_id, "reason": reason}).fetchall()[0][0]
        if chunk.invalid:
            self._attach_raw_bytes(chunk)

    def _attach_raw_bytes(self, chunk: Chunk) -> None:
        """Keep the original bytes of lines that were not valid UTF-8."""
        self._attach_invalid({chunk.first_line_no + i: data for i, data in chunk.invalid.items()})

    def _attach_invalid(self, invalid: dict[int, bytes]) -> None:
        """The original bytes of lines (by line number) that were not valid UTF-8."""
        import pandas as pd
        frame = pd.DataFrame({
            "line_no": np.asarray(list(invalid), dtype=np.int64),
            "raw_bytes": np.asarray(list(invalid.values()), dtype=object),
        })
        ingest_invalid = frame  # noqa: F841 (found by name by DuckDB)
        for table in (*EVENT_TABLES, "rejects"):
            self.con.execute(
                f"UPDATE {table} SET raw_bytes = i.raw_bytes FROM ingest_invalid i "
                f"WHERE {table}.source_id = $sid AND {table}.line_no = i.line_no",
                {"sid": self.source_id},
            )

    # -- times -------------------------------------------------------------
    def _resolve_times(self) -> tuple[list[str], tuple, str | None]:
        """Zone/year/DST for naive times; returns (assumptions, tz fields, year decision)."""
        assumptions: list[str] = []
        year_decision = None
        if not self.has_local:
            tz_fields = (None, "every timestamp carries its own UTC offset (or epoch); no zone applied",
                         False)
            if self.fmt is None:
                tz_fields = (None, "no line could be read", False)
            return assumptions, tz_fields, year_decision
        decision = decide_zone(self.tz, getattr(self.fmt, "default_tz", None))
        tz_fields = (decision.tz, decision.decision, decision.assumed)
        if decision.assumed:
            assumptions.append("Timestamps without a zone were read as UTC (assumed: no --tz given, "
                               "the format names no zone).")
        if self.vectorised and self._carries_local() and not self.yearless and decision.tz.upper() == "UTC":
            # No year to infer, no clock change: the wall-clock times the INSERT wrote as UTC
            # (`_event_values`) are the instants; only the events' ids are restored.
            for table in EVENT_TABLES:
                self.con.execute(f"UPDATE {table} SET event_id = -event_id WHERE source_id = $sid AND event_id < 0",
                                 {"sid": self.source_id})
            return assumptions, tz_fields, year_decision
        # By slices of line numbers, so that memory stays bounded whatever the file's length
        # (the whole file at once held some 250 bytes a line: 931 MiB for 2.09 M sshd lines):
        # a first pass counts each slice's year roll-overs, the second gives each slice its
        # years and zone and writes its UTC times; the times that occur twice (clocks going
        # back) are resolved from the order of the lines at the end, all of them at once.
        # The times are numpy datetime64 throughout; pandas (0.2-0.5 s of CPU to import) is
        # loaded only for a zone other than UTC, whose DST changes it decides.
        width = max(1, int(self.settings.get("time_slice_lines", 500_000)))
        lo, hi = self.con.execute("SELECT min(line_no), max(line_no) FROM ingest_local").fetchone()
        ranges = [] if lo is None else [(a, a + width) for a in range(lo, hi + 1, width)]

        def read(a: int, b: int):
            local = self.con.execute("SELECT line_no, ts_local FROM ingest_local WHERE line_no >= $a "
                                     "AND line_no < $b ORDER BY line_no", {"a": a, "b": b}).fetchnumpy()
            times = np.ma.filled(local["ts_local"], np.datetime64("NaT")).astype("datetime64[us]")
            return np.asarray(local["line_no"], dtype=np.int64), times

        years = SlicedYears(float(self.settings.get("year_rollover_backstep_hours", 24))) if self.yearless else None
        if years is not None:
            for a, b in ranges:
                _, times = read(a, b)
                years.count(times[placeholder_year(times)])
            if years.found:
                years.start(cli_year=self.year, mtime_utc=self.ctx.mtime_utc, tz_name=decision.tz)
            else:
                years = None
        impossible, ambiguous, nonexistent = 0, 0, 0
        pending, position = [], 0   # pending: (position, line_no, local) of the times that occur twice
        for a, b in ranges:
            line_nos, times = read(a, b)
            if years is not None:
                mask = placeholder_year(times)
                part = times[mask]
                slice_years = years.years(part)
                if mask.any():
                    dated, bad = apply_years(part, slice_years)
                    impossible += bad
                    times = times.copy()
                    times[mask] = dated
            if decision.tz.upper() == "UTC":
                utc = times   # naive UTC times are their UTC instants
            else:
                import pandas as pd

                probed = probe(pd.Series(times), decision.tz)
                utc, nonexistent, ambiguous = (utc_values(probed.utc), nonexistent + probed.nonexistent,
                                               ambiguous + probed.ambiguous)
                if probed.ambiguous:
                    twice = np.flatnonzero(np.isnat(utc) & ~np.isnat(times))
                    pending.append((position + twice, line_nos[twice], times[twice]))
            position += len(line_nos)
            self._write_times(line_nos, utc)
        if years is not None:
            year_decision = years.decision()
            assumptions.append(f"Year-less timestamps: {year_decision}.")
            if impossible:
                assumptions.append(f"{counted(impossible, 'line')} name{'s' if impossible == 1 else ''} a day that does not exist in the "
                                   f"inferred year (Feb 29); {'it is' if impossible == 1 else 'they are'} rejected.")
        notes = []
        if ambiguous:   # resolved from the order of the lines, all at once, as in one pass
            utc, how = infer_ambiguous_at(np.concatenate([p[0] for p in pending]),
                                          np.concatenate([p[2] for p in pending]), decision.tz)
            self._write_times(np.concatenate([p[1] for p in pending]), utc_values(utc))
            notes.append(ambiguous_note(ambiguous, decision.tz, how))
        if nonexistent:
            notes.append(nonexistent_note(nonexistent, decision.tz))
        assumptions.extend(note[0].upper() + note[1:] + "." for note in notes)
        return assumptions, tz_fields, year_decision

    def _write_times(self, line_nos: np.ndarray, utc: np.ndarray) -> None:
        """The UTC instants (naive datetime64, NaT for none) of these lines (by line number) into their events."""
        if len(line_nos) == 0:
            return
        line_nos = np.asarray(line_nos, dtype=np.int64)
        ingest_times = {"line_no": line_nos, "ts": np.asarray(utc, dtype="datetime64[us]")}  # noqa: F841 (found by name by DuckDB)
        # a naive row of the vectorised path gets its event id back (`_event_values`; abs():
        # the times that occur twice are written again)
        event_id = ", event_id = abs(event_id)" if self.vectorised and self._carries_local() else ""
        for table in EVENT_TABLES:   # the range lets the scan skip the file's other row groups
            self.con.execute(
                f"UPDATE {table} SET ts = timezone('UTC', t.ts){event_id} FROM ingest_times t "
                f"WHERE {table}.source_id = $sid AND {table}.line_no BETWEEN $lo AND $hi "
                f"AND {table}.line_no = t.line_no",
                {"sid": self.source_id, "lo": int(line_nos.min()), "hi": int(line_nos.max())},
            )

    def _reject_untimed(self) -> None:
        """A timestamp that could not be resolved (e.g. Feb 29 of a common year): reject.

        Rows without any timestamp text stay events: formats whose lines carry
        no time (declared `required = false`) still give evidence that a
        message was logged.
        """
        moved = self.con.execute(
            "INSERT INTO rejects (source_id, line_no, reason, raw, raw_bytes) SELECT source_id, line_no, "
            "'no usable timestamp' || coalesce(' (' || ts_raw || ')', ''), raw, raw_bytes "
            "FROM events WHERE source_id = $sid AND ts IS NULL AND ts_raw IS NOT NULL",
            {"sid": self.source_id},
        ).fetchall()[0][0]
        if moved:
            for table in EVENT_TABLES:
                self.con.execute(f"DELETE FROM {table} WHERE source_id = $sid AND ts IS NULL "
                                 "AND ts_raw IS NOT NULL",
                                 {"sid": self.source_id})
            self.parsed -= moved
            self.rejected += moved

    def _write_source(self, sha: str, assumptions: list[str], tz_fields: tuple,
                      year_decision: str | None) -> IngestResult:
        reader = self.reader
        self.blank = self.lines_read - self.parsed - self.rejected
        if self.invalid:
            assumptions.append(f"{counted(self.invalid, 'line')} {were(self.invalid)} not valid UTF-8: decoded with U+FFFD "
                               "replacement characters; the original bytes are kept in raw_bytes.")
        if reader.bom:
            assumptions.append(f"The file begins with a {reader.bom} byte-order mark: removed before the "
                               "first line was read (the SHA-256 covers the file as stored).")
        if reader.encoding != "UTF-8":
            assumptions.append(f"The file is {reader.encoding} text (byte-order mark): decoded to UTF-8; "
                               "raw lines hold the decoded text.")
        if reader.truncated:
            assumptions.append(f"The file is damaged: {reader.truncation_reason}; the lines after the damage "
                               "could not be read.")
        if reader.unverified_from_line is not None and reader.unverified_from_line <= self.lines_read:
            assumptions.append(
                f"Lines {reader.unverified_from_line:,} to {self.lines_read:,} were decompressed before the damage "
                "showed, but no checksum confirmed them (the damage may have changed them): kept, with "
                "integrity = 'unverified'.")
        elif reader.cut_line is not None:
            assumptions.append(f"Line {reader.cut_line:,} was cut short by the damage: kept as far as it goes, "
                               "with integrity = 'cut'.")
        tz, tz_decision, tz_assumed = tz_fields
        self.con.execute(
            """INSERT INTO sources (source_id, path, abs_path, size_bytes, sha256, mtime, format,
                   source_kind, host, compression, tz, tz_decision, tz_assumed, year_decision,
                   lines_read, events_parsed, lines_rejected, lines_blank, invalid_utf8_lines,
                   truncated, truncation_reason, first_ts, last_ts, ingested_at, tool_version,
                   assumptions, content_sha256, encoding, unverified_from_line)
            SELECT $sid, $path, $abs, $size, $sha, $mtime::TIMESTAMPTZ, $format,
                   -- What the lines turned out to be: a syslog file without one
                   -- sshd line is no sshd log, so coverage must not count it as one.
                   coalesce((SELECT any_value(source_kind) FROM events
                             WHERE source_id = $sid AND source_kind = $kind),
                            -- else the kind most of its lines have; a tie goes to the first
                            -- name in order (mode() would take the first met in the scan)
                            (SELECT source_kind FROM events
                             WHERE source_id = $sid AND source_kind IS NOT NULL
                             GROUP BY source_kind ORDER BY count(*) DESC, source_kind LIMIT 1),
                            $kind),
                   $host,
                   $compression, $tz, $tz_decision, $tz_assumed, $year_decision,
                   $read, $parsed, $rejected, $blank, $invalid, $truncated, $reason,
                   (SELECT min(first_ts) FROM source_hours WHERE source_id = $sid),
                   (SELECT max(last_ts) FROM source_hours WHERE source_id = $sid),
                   now(), $version, $assumptions::JSON, $content_sha, $encoding, $unverified""",
            {
                "sid": self.source_id, "path": self.path, "abs": str(Path(self.path).resolve()),
                "size": reader.bytes_read, "sha": sha, "content_sha": reader.content_sha256,
                "encoding": reader.encoding + (" with BOM" if reader.bom else ""),
                "unverified": reader.unverified_from_line if reader.unverified_from_line is not None
                and reader.unverified_from_line <= self.lines_read else None, "mtime": self.ctx.mtime_utc.isoformat(),
                "format": self._format_name(),
                "kind": self.fmt.source_kind if self.fmt is not None else None,
                "host": self.host, "compression": reader.compression, "tz": tz,
                "tz_decision": tz_decision, "tz_assumed": tz_assumed,
                "year_decision": year_decision, "read": self.lines_read, "parsed": self.parsed,
                "rejected": self.rejected, "blank": self.blank, "invalid": self.invalid,
                "truncated": reader.truncated, "reason": reader.truncation_reason,
                "version": __version__, "assumptions": json.dumps(assumptions, ensure_ascii=False),
            },
        )
        # A compressed file with no line at all is recorded (its hash is
        # custody too) without a format; only damage makes it a failure.
        status = "truncated" if reader.truncated else ("ingested" if self.fmt is not None else "empty")
        unverified = reader.unverified_from_line
        if unverified is not None and unverified > self.lines_read:
            unverified = None
        if self.unrecognised:
            status = "unrecognised"
        return IngestResult(
            self.path, status, self._format_name(), source_id=self.source_id, sha256=sha,
            problem=self.unrecognised,
            lines_read=self.lines_read, events_parsed=self.parsed, lines_rejected=self.rejected,
            lines_blank=self.blank, invalid_utf8_lines=self.invalid,
            truncation_reason=reader.truncation_reason, assumptions=assumptions,
            unverified_from_line=unverified,
        )


class _RecordsSpanLines(Exception):
    """A format whose records may span lines (`records_span_lines`: jsonl `multiline`) left a
    line holding `{` unparsed on the compiled path: the file is loaded again in Python."""


class _StreamMismatch(Exception):
    """The one-INSERT pass wrote other rows than it was given lines (a format
    that drops or repeats lines): the file is loaded again chunk by chunk."""


# Side data (overlong lines' first MiB, invalid UTF-8 bytes) one streamed INSERT may collect.
_SIDE_BYTES = 64 << 20


@dataclass
class _SideData:
    """What one streamed INSERT (`_FileLoader._load_sql_stream`) leaves to write after it."""

    overlong: list = field(default_factory=list)      # (line_no, reason, first MiB)
    invalid: dict = field(default_factory=dict)       # line_no -> original bytes
    size: int = 0
    lines: int = 0           # lines given to the format
    lo: int | None = None    # first and last line number of the chunks given
    hi: int | None = None
    large: bool = False      # the stream's lines are Arrow large strings
    held: Chunk | None = None   # a chunk of the other string type, for the next INSERT
    done: bool = False       # the file's chunks are all read
    queued: list = field(default_factory=list)   # record batches of the chunk just loaded


# A file already in the case: the same bytes ingested before.  A file once
# recorded only as `unrecognised` does not block ingesting it with --format
# later (it is only a duplicate of itself while still unrecognised).
_SAME_FILE_SQL = ("SELECT source_id FROM sources WHERE sha256 = $sha "
                  "AND (format <> 'unrecognised' OR $unrec)")


@contextlib.contextmanager
def _settings(con: duckdb.DuckDBPyConnection, settings: dict | None):
    """DuckDB settings in force inside the block only (the previous values restored)."""
    if not settings:
        yield
        return
    before = {name: con.execute("SELECT current_setting($n)", {"n": name}).fetchall()[0][0]
              for name in settings}
    for name, value in settings.items():
        con.execute(f"SET {name} = $v", {"v": value})
    try:
        yield
    except BaseException:
        # A failed statement aborts the transaction, where no SET runs: restored
        # if possible; the statement's error is the one to report.
        with contextlib.suppress(duckdb.Error):
            for name, value in before.items():
                con.execute(f"SET {name} = $v", {"v": value})
        raise
    for name, value in before.items():
        con.execute(f"SET {name} = $v", {"v": value})


def _first_row(result):
    """The first row of a result, or None (fetching all: DuckDB wants results finished)."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _text(values, n: int) -> np.ndarray:
    """A frame's column as text: missing values (None, NaN, NaT, NA) None, the others `str()`
    (missing found for the whole column at once: per value it was most of the Python path's write)."""
    if values is None:
        return np.asarray([None] * n, dtype=object)
    import pandas as pd   # values come from a pandas frame (the Python path): it is loaded

    items = values.to_numpy(dtype=object) if hasattr(values, "to_numpy") else pd.Series(values, dtype=object).to_numpy()
    missing = pd.isna(items).tolist()
    return np.asarray([None if gone else (v if v.__class__ is str else str(v))
                       for v, gone in zip(items.tolist(), missing)], dtype=object)


def _missing(value) -> bool:
    if value is None:
        return True
    import pandas as pd   # values come from a pandas frame (the Python path): it is loaded

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _json_text(value) -> str | None:
    """A detail value as JSON text (objects dumped, plain strings quoted)."""
    if not isinstance(value, (dict, list)) and _missing(value):
        return None
    if isinstance(value, str):
        try:
            json.loads(value)
            return value
        except ValueError:
            return json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


def source_rows(case: Case):
    """The chain of custody, for `forensics sources` (times as ISO 8601 text)."""
    frame = case.sql_df(
        "SELECT source_id, path, format, sha256, content_sha256, size_bytes, compression, encoding, mtime, "
        "lines_read, unverified_from_line, "
        "events_parsed, lines_rejected, lines_blank, invalid_utf8_lines, truncated, "
        "truncation_reason, first_ts, last_ts, tz, tz_decision, tz_assumed, year_decision, "
        "ingested_at, tool_version, host, assumptions FROM sources ORDER BY source_id"
    )
    for column in ("mtime", "first_ts", "last_ts", "ingested_at"):
        frame[column] = [iso(v) if not _missing(v) else "" for v in frame[column]]
    return frame


__all__ = ["IngestReport", "IngestResult", "ingest_files", "source_rows", "UnknownFormatError"]
