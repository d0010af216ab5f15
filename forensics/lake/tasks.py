"""The lake's per-file tasks; plain functions, so that Dask can ship them to any worker.

`plan_file` hashes a file (one pass, which also counts its lines) and, for a
large plain file in a line-independent format, cuts it into byte ranges at
line boundaries with the number of lines before each range.  `ingest_part`
parses one file or one byte range with the ordinary ingest engine
(`forensics.ingest.engine.ingest_files`) into a temporary case, then copies
its rows to the lake's Parquet files: every column the case tables have
(read from the table, not listed here), with the file's SHA-256 as the key
and the line numbers of the whole file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import posixpath
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from forensics.case import Case
from forensics.errors import ForensicsError
from forensics.lake.store import Lake, filesystem, is_local

_BLOCK = 8 << 20


@dataclass
class FilePlan:
    """What `plan_file` found out about one input file."""

    path: str                       # as given
    position: int                   # its place among the paths given
    sha256: str | None = None
    size_bytes: int = 0
    mtime: float | None = None      # seconds since the epoch
    compressed: bool = False
    format_name: str | None = None  # set when the file is split (detected once for all ranges)
    settings: dict = field(default_factory=dict)   # the file's own: format, tz, year, host
    ranges: list[tuple[int, int, int]] = field(default_factory=list)   # (start, end, lines before)
    duplicate: bool = False
    error: str | None = None
    cpu_seconds: float = 0.0        # CPU time of the hash pass
    worker: str = ""                # the process that planned it (host:pid)
    started_at: float = 0.0         # when the task ran (seconds since the epoch): where the wall time goes
    finished_at: float = 0.0


@dataclass
class PartResult:
    """What `ingest_part` wrote for one file or one byte range."""

    path: str
    sha256: str
    part: int
    source: dict | None = None      # the temporary case's sources row (without source_id)
    status: str = "ingested"        # the engine's: ingested | truncated | empty
    naive_times: bool = False       # the part resolved times without an offset (zone/year decisions)
    written: list[str] = field(default_factory=list)
    seconds: float = 0.0            # wall time of the task
    cpu_seconds: float = 0.0        # CPU time of the worker process during the task
    parse_seconds: float = 0.0      # of which: the ingest engine into the temporary case
    worker: str = ""                # the process that ran it (host:pid)
    started_at: float = 0.0         # when the task ran (seconds since the epoch)
    finished_at: float = 0.0
    error: str | None = None


@dataclass
class SourceWritten:
    """A file's custody row, written (`forensics.lake.ingest._write_source`): the file is in the lake."""

    sha256: str
    worker: str = ""                # the process that wrote it (host:pid)
    cpu_seconds: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0


def _mtime(fs, path: str) -> float | None:
    """The file's modification time: the file system's, or an object's `mtime` metadata
    (rclone's convention, which keeps the original file's time across an upload)."""
    info = fs.info(path)
    if not is_local(fs):
        try:
            meta = fs.metadata(path) or {}
        except (AttributeError, NotImplementedError, OSError):
            meta = {}
        for key in ("mtime", "Mtime", "x-amz-meta-mtime"):
            if key in meta:
                try:
                    return float(meta[key])
                except ValueError:
                    pass
    for key in ("mtime", "LastModified", "last_modified", "created"):
        value = info.get(key)
        if value is None:
            continue
        if isinstance(value, dt.datetime):
            return value.timestamp()
        try:
            return float(value)
        except (TypeError, ValueError):
            continue
    return None


def plan_file(path: str, position: int, known: frozenset, options: dict) -> FilePlan:
    """Hash one file and decide whether it is split into byte ranges.

    Args:
        path: a local path or URL.
        position: its index among the paths given (keeps the ingest order).
        known: SHA-256 values already in the lake (an empty set: the driver checks).
        options: `split_bytes`, `split_formats`, `storage_options`, `config`, and
            `file`: the file's settings (`format`, `tz`, `year`, `host`).
    """
    import socket
    import time

    cpu_started = time.process_time()
    plan = FilePlan(path=path, position=position, worker=f"{socket.gethostname()}:{os.getpid()}",
                    settings=dict(options.get("file") or {}), started_at=time.time())
    try:
        return _plan(plan, known, options)
    finally:
        plan.cpu_seconds = time.process_time() - cpu_started
        plan.finished_at = time.time()


def _plan(plan: FilePlan, known: frozenset, options: dict) -> FilePlan:
    from forensics.ingest.reader import describe_path_problem

    path = plan.path
    fs, inner = filesystem(path, options.get("storage_options"))
    local = is_local(fs)
    if local:
        problem = describe_path_problem(inner)
        if problem:
            plan.error = problem.replace(inner, path, 1)
            return plan
    elif not fs.isfile(inner):
        plan.error = f"{path}: no such file"
        return plan
    plan.mtime = _mtime(fs, inner)
    digest = hashlib.sha256()
    split_bytes = int(options["split_bytes"])
    next_cut = split_bytes
    lines_before = 0
    boundaries: list[tuple[int, int]] = []   # (byte offset, lines before it)
    offset = 0
    with fs.open(inner, "rb") as fh:
        head = fh.read(6)
        plan.compressed = head.startswith((b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"))
        block = head + fh.read(_BLOCK - len(head))
        while block:
            digest.update(block)
            if not plan.compressed:
                while next_cut < offset + len(block):
                    at = block.find(b"\n", max(0, next_cut - offset))
                    if at < 0:
                        break
                    cut = offset + at + 1
                    boundaries.append((cut, lines_before + block.count(b"\n", 0, at + 1)))
                    next_cut = cut + split_bytes
                lines_before += block.count(b"\n")
            offset += len(block)
            block = fh.read(_BLOCK)
    plan.size_bytes = offset
    plan.sha256 = digest.hexdigest()
    if plan.sha256 in known:
        plan.duplicate = True
        return plan
    boundaries = [b for b in boundaries if b[0] < plan.size_bytes]
    if plan.compressed or not boundaries:
        return plan
    fmt_name = plan.settings.get("format") or _detect(fs, inner, path, options)
    if fmt_name not in options["split_formats"]:
        return plan
    plan.format_name = fmt_name
    starts = [(0, 0), *boundaries]
    ends = [b[0] for b in boundaries] + [plan.size_bytes]
    plan.ranges = [(start, end, before) for (start, before), end in zip(starts, ends)]
    return plan


def _detect(fs, inner: str, path: str, options: dict) -> str | None:
    """The format auto-detection of `forensics ingest` on the file's first lines."""
    from forensics.config import load_config
    from forensics.ingest.detect import detect_format
    from forensics.ingest.reader import head_lines
    from forensics.ingest.registry import all_formats

    settings = (options.get("config") or load_config()).get("ingest", {})
    with tempfile.TemporaryDirectory(prefix="forensics-lake-") as tmp:
        head_file = Path(tmp) / "head"
        with fs.open(inner, "rb") as src:
            head_file.write_bytes(src.read(1 << 20))
        head = head_lines(head_file, max_lines=int(settings.get("detect_head_lines", 50)))
    try:
        fmt = detect_format(path, head, all_formats(), int(settings["detect_sample_lines"]),
                            float(settings["detect_min_share"]))
    except ForensicsError:
        return None   # the whole-file task reports it, in the engine's words
    return fmt.name


def ingest_part(lake_url: str, plan: FilePlan, part: int, options: dict) -> PartResult:
    """Parse one file (part 0 of an unsplit file) or one byte range into the lake.

    The rows land in `events/`, `rejects/` and `coverage/`; the `sources` row
    is returned (the driver writes it once every part of the file is in).
    """
    import socket
    import time

    started, cpu_started = time.perf_counter(), time.process_time()
    result = PartResult(path=plan.path, sha256=plan.sha256, part=part, worker=f"{socket.gethostname()}:{os.getpid()}",
                        started_at=time.time())
    try:
        _ingest_part(lake_url, plan, part, options, result)
    finally:
        result.seconds = time.perf_counter() - started
        result.cpu_seconds = time.process_time() - cpu_started
        result.finished_at = time.time()
    return result


def _ingest_part(lake_url: str, plan: FilePlan, part: int, options: dict, result: PartResult) -> None:
    import time

    byte_range = plan.ranges[part] if plan.ranges else None
    lake = Lake(lake_url, options.get("storage_options") or {})
    fs, inner = filesystem(plan.path, options.get("storage_options"))
    with tempfile.TemporaryDirectory(prefix="forensics-lake-", dir=lake.staging()) as tmp:
        tmp = Path(tmp)
        local = _local_copy(fs, inner, plan, byte_range, tmp)
        parse_started = time.perf_counter()
        # The temporary case lives in memory: its rows go straight from the
        # engine's tables to Parquet, without a round trip through a file.
        with Case.open(":memory:") as case:
            threads = options.get("threads")
            if threads:
                case.con.execute(f"SET threads = {int(threads)}")
            try:
                result.source, result.status, result.naive_times = _parse(local, plan, options, case)
            except ForensicsError as exc:
                result.error = str(exc).replace(str(local), plan.path)
                return
            result.parse_seconds = time.perf_counter() - parse_started
            out = tmp / "out"
            _write_parts(case.con, plan, part, byte_range[2] if byte_range else 0, out, options.get("run") or "")
        result.written = lake.upload(out)


def _local_copy(fs, inner: str, plan: FilePlan, byte_range, tmp: Path) -> Path:
    """The bytes to parse as a local file with the original's modification time
    (year-less syslog takes its year from it)."""
    if is_local(fs) and byte_range is None:
        return Path(inner)
    name = posixpath.basename(inner) or "input"
    local = tmp / name
    with fs.open(inner, "rb") as src, open(local, "wb") as dst:
        if byte_range is None:
            shutil.copyfileobj(src, dst, _BLOCK)
        else:
            start, end, _ = byte_range
            src.seek(start)
            left = end - start
            while left > 0:
                block = src.read(min(_BLOCK, left))
                if not block:
                    break
                dst.write(block)
                left -= len(block)
    if plan.mtime is not None:
        os.utime(local, (plan.mtime, plan.mtime))
    return local


def _parse(local: Path, plan: FilePlan, options: dict, case):
    """Ingest into the temporary case; returns (sources row, status, naive times?)."""
    from forensics.ingest.engine import ingest_files

    own = plan.settings
    report = ingest_files(case, [str(local)], format_name=plan.format_name or own.get("format"),
                          tz=own.get("tz"), year=own.get("year"), host=own.get("host"),
                          config=options.get("config"))
    status = report.results[0].status
    # Python values (None for NULL, datetime): the driver merges and writes them without loading pandas.
    found = case.con.execute("SELECT * EXCLUDE (source_id) FROM sources")
    row = dict(zip([d[0] for d in found.description], found.fetchone()))
    row["path"] = plan.path
    row["abs_path"] = plan.path if "://" in plan.path else str(Path(plan.path).resolve())
    naive = row.get("tz") is not None or bool(row.get("tz_assumed")) or row.get("year_decision") is not None
    return row, status, naive


def _write_parts(con, plan: FilePlan, part: int, lines_before: int, out: Path, run: str) -> None:
    """The temporary case's rows as the lake's Parquet files (every column the
    tables have, except the case-local ids; line numbers of the whole file).

    Each row and file name carries the ingest run (`lake_run`): the file's
    `sources` row names the run whose parts are the file, so the parts an
    interrupted run left behind (cut differently, perhaps) are never read.
    """
    sha = plan.sha256
    if not (sha and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise ValueError("not a SHA-256")
    if not all(c in "0123456789abcdef" for c in run):
        raise ValueError("not a run id")
    stem = f"{sha}-{run}-p{part:04d}" if run else f"{sha}-p{part:04d}"
    offset = int(lines_before)
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")
    events = (f"SELECT * EXCLUDE (event_id, source_id) REPLACE (line_no + {offset} AS line_no), "
              f"'{sha}' AS source_sha256, '{run}' AS lake_run FROM events")
    (out / "events").mkdir(parents=True)
    # Sorted by account, address and time inside each day: row groups then
    # carry narrow min/max statistics for the pull's filters.
    con.execute(
        f"COPY (SELECT *, coalesce(strftime(ts, '%Y-%m-%d'), 'none') AS day FROM ({events}) "
        f"ORDER BY account, ip, ts, line_no) TO '{out / 'events'}' "
        f"(FORMAT parquet, COMPRESSION zstd, PARTITION_BY (source_kind, day), FILENAME_PATTERN '{stem}-{{i}}', "
        f"ROW_GROUP_SIZE 32768, OVERWRITE_OR_IGNORE)")
    (out / "rejects").mkdir()
    con.execute(
        f"COPY (SELECT * EXCLUDE (source_id) REPLACE (line_no + {offset} AS line_no), "
        f"'{sha}' AS source_sha256, '{run}' AS lake_run FROM rejects ORDER BY line_no) "
        f"TO '{out / 'rejects' / (stem + '.parquet')}' (FORMAT parquet, COMPRESSION zstd)")
    # The first and last event of every hour: with them a pulled case finds
    # exactly the silences (`source_gaps`) the whole file has.
    (out / "coverage").mkdir()
    con.execute(
        f"COPY (WITH hours AS (SELECT epoch_us(ts) // 3600000000 AS h, arg_min(line_no, ts) AS first_line, "
        f"                            arg_max(line_no, ts) AS last_line FROM events WHERE ts IS NOT NULL GROUP BY h) "
        f"SELECT * FROM ({events}) WHERE line_no - {offset} IN "
        f"(SELECT first_line FROM hours UNION SELECT last_line FROM hours) ORDER BY ts, line_no) "
        f"TO '{out / 'coverage' / (stem + '.parquet')}' (FORMAT parquet, COMPRESSION zstd)")

