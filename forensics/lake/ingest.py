"""`forensics lake ingest`: files into the lake, per file (and per byte range) on Dask.

Three phases, each a set of independent tasks (no shuffle):

1. `plan_file` per file: SHA-256 (a file already in the lake adds nothing),
   size, modification time, and for a large plain file in a line-independent
   format the byte ranges with the number of lines before each;
2. `ingest_part` per file or range: the ordinary ingest engine into a
   temporary case, its rows copied to Parquet in the lake;
3. here: per file, the parts' `sources` rows merged into one and written,
   which makes the file part of the lake.

A split file whose parts had to decide a zone or year (times without an
offset: DST and year inference look at the whole file's order of lines) is
ingested again as one task, so the result is always that of a whole-file
ingest.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from forensics.errors import ForensicsError
from forensics.lake.store import Lake, filesystem, is_local
from forensics.lake.tasks import FilePlan, PartResult, ingest_part, plan_file


@dataclass
class LakeFileResult:
    """What happened to one file."""

    path: str
    status: str                       # ingested | duplicate | truncated | empty | refused
    sha256: str | None = None
    format: str | None = None
    parts: int = 0
    lines_read: int = 0
    events_parsed: int = 0
    lines_rejected: int = 0
    lines_blank: int = 0
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("ingested", "duplicate", "empty")

    def summary(self) -> str:
        if self.status == "duplicate":
            return f"{self.path}: already in the lake (same SHA-256 {self.sha256[:16]}...); nothing added"
        if self.status == "refused":
            return f"{self.reason}"
        text = (f"{self.path}: format {self.format}, {self.parts} task(s): {self.lines_read:,} lines read, "
                f"{self.events_parsed:,} events, {self.lines_rejected:,} rejected, {self.lines_blank:,} blank")
        if self.status == "truncated":
            text += f"; TRUNCATED: {self.reason}"
        return text


@dataclass
class LakeIngestReport:
    lake: str
    results: list[LakeFileResult] = field(default_factory=list)
    tasks: int = 0
    workers: int = 1
    seconds: float = 0.0
    plans: list[FilePlan] = field(default_factory=list)     # every hash task's figures (CPU, worker)
    parts: list[PartResult] = field(default_factory=list)   # every parse task's figures (wall, CPU, worker)

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failures(self) -> list[LakeFileResult]:
        return [r for r in self.results if not r.ok]


class _InProcess:
    """The executor when no Dask scheduler or local cluster is asked for."""

    workers = 1

    def map(self, fn, *iterables):
        return [fn(*args) for args in zip(*iterables)]

    def close(self):
        pass


class _Dask:
    """Tasks on Dask distributed: a scheduler's address, or a LocalCluster of N workers."""

    def __init__(self, scheduler: str | None, workers: int | None):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ForensicsError("--scheduler and --workers need Dask distributed: "
                                 "pip install 'forensics[lake]'") from None
        self.cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as exc:
                raise ForensicsError(f"cannot reach the Dask scheduler {scheduler}: {exc}") from None
        else:
            # One thread per worker process: each task's DuckDB then runs on one
            # core, so N workers use N cores.
            self.cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
        self.workers = max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn, *iterables):
        futures = self.client.map(fn, *iterables, pure=False)
        return self.client.gather(futures)

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _expand(paths, storage_options) -> list[str]:
    """PATH arguments -> files: a directory stands for the files under it, a glob for its matches."""
    out: list[str] = []
    for given in paths:
        given = str(given)
        fs, inner = filesystem(given, storage_options)
        prefix = "" if is_local(fs) else given.split("://", 1)[0] + "://"
        if any(ch in inner for ch in "*?["):
            matches = sorted(fs.glob(inner))
            if not matches:
                raise ForensicsError(f"{given}: no file matches")
            out += [prefix + m for m in matches if fs.isfile(m)]
        elif fs.isdir(inner):
            found = sorted(p for p in fs.find(inner) if not _basename(p).startswith("."))
            if not found:
                raise ForensicsError(f"{given}: is an empty directory")
            out += [prefix + p if prefix else p for p in found]
        else:
            out.append(given)
    return out


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def ingest_to_lake(lake_url: str, paths, *, format_name: str | None = None, tz: str | None = None,
                   year: int | None = None, host: str | None = None, scheduler: str | None = None,
                   workers: int | None = None, storage_options: dict | None = None, config: dict | None = None,
                   on_file: Callable[[LakeFileResult], None] | None = None) -> LakeIngestReport:
    """Ingest log files into a lake.

    Args:
        lake_url: the lake's root (local directory, `s3://bucket/prefix`, ...).
        paths: files, directories (every file under them) or globs; local or URLs.
        format_name, tz, year, host: as for `forensics ingest` (`ingest_files`).
        scheduler: a Dask scheduler's address (`tcp://host:8786`).
        workers: the number of workers of a Dask LocalCluster (when no scheduler).
            Neither: the tasks run in this process, one after the other.
        storage_options: fsspec options for the lake and the inputs (S3 endpoint, keys).
        config: settings (`load_config()` when None); `[lake]` decides the splitting.
        on_file: called with each file's result as it is finished.

    Returns:
        A `LakeIngestReport` with one result per file, in the order given.
    """
    from forensics.config import load_config
    from forensics.ingest.registry import get_format
    from forensics.timefmt import zone

    started = time.perf_counter()
    config = config or load_config()
    settings = config.get("lake", {})
    if tz:
        zone(tz)
    if year is not None and not 1970 <= int(year) <= 2100:
        raise ForensicsError(f"--year {year} is not a plausible year (1970-2100)")
    if format_name:
        get_format(format_name)   # an unknown name is refused before anything runs
    storage_options = dict(storage_options or {})
    lake = Lake(str(lake_url), storage_options)
    lake.ensure()
    files = _expand(paths, storage_options)
    if not files:
        raise ForensicsError("no log file given")
    options = {
        "format_name": format_name, "tz": tz, "year": year, "host": host, "config": config,
        "storage_options": storage_options,
        "split_bytes": int(float(settings.get("split_mib", 64)) * (1 << 20)),
        "split_formats": list(settings.get("split_formats", [])),
        "threads": int(settings.get("task_threads", 1)) if (scheduler or workers) else None,
    }
    executor = _Dask(scheduler, workers) if (scheduler or workers) else _InProcess()
    batch = dt.datetime.now(dt.timezone.utc).isoformat()
    report = LakeIngestReport(lake=str(lake_url), workers=executor.workers)
    try:
        known = frozenset(lake.known_sha256())
        plans: list[FilePlan] = executor.map(plan_file, files, range(len(files)), [known] * len(files),
                                             [options] * len(files))
        report.plans = list(plans)
        results: dict[int, LakeFileResult] = {}
        todo: list[FilePlan] = []
        seen: dict[str, str] = {}
        for plan in plans:
            if plan.error:
                results[plan.position] = LakeFileResult(plan.path, "refused", reason=plan.error)
            elif plan.duplicate or plan.sha256 in seen:
                results[plan.position] = LakeFileResult(plan.path, "duplicate", sha256=plan.sha256)
            else:
                seen[plan.sha256] = plan.path
                todo.append(plan)
        parts = _run_parts(executor, lake_url, todo, options, report)
        for plan in todo:
            mine = sorted(parts[plan.sha256], key=lambda p: p.part)
            failed = next((p for p in mine if p.error), None)
            if failed is not None:
                lake.remove([w for p in mine for w in p.written])
                results[plan.position] = LakeFileResult(plan.path, "refused", sha256=plan.sha256,
                                                        reason=failed.error)
                continue
            source = _merge_sources(plan, mine)
            _write_source(lake, plan, source, batch)
            results[plan.position] = LakeFileResult(
                plan.path, "truncated" if source.get("truncated") else mine[0].status, sha256=plan.sha256,
                format=source["format"], parts=len(mine), lines_read=int(source["lines_read"]),
                events_parsed=int(source["events_parsed"]), lines_rejected=int(source["lines_rejected"]),
                lines_blank=int(source["lines_blank"]), reason=source.get("truncation_reason"))
        report.results = [results[i] for i in sorted(results)]
        if on_file:
            for r in report.results:
                on_file(r)
    finally:
        executor.close()
    report.seconds = time.perf_counter() - started
    return report


def _run_parts(executor, lake_url, todo: list[FilePlan], options, report) -> dict[str, list[PartResult]]:
    """Every part of every file; a split file that needed time decisions is redone whole."""
    jobs = [(plan, part) for plan in todo for part in range(max(1, len(plan.ranges)))]
    report.tasks = len(jobs)
    done = executor.map(ingest_part, [lake_url] * len(jobs), [j[0] for j in jobs], [j[1] for j in jobs],
                        [options] * len(jobs))
    parts: dict[str, list[PartResult]] = {}
    for result in done:
        parts.setdefault(result.sha256, []).append(result)
    redo = [plan for plan in todo if len(plan.ranges) > 1 and any(p.naive_times for p in parts[plan.sha256])]
    if redo:
        lake = Lake(lake_url, options.get("storage_options") or {})
        for plan in redo:
            lake.remove([w for p in parts[plan.sha256] for w in p.written])
            plan.ranges = []
            plan.format_name = None
        again = executor.map(ingest_part, [lake_url] * len(redo), redo, [0] * len(redo), [options] * len(redo))
        report.tasks += len(redo)
        for result in again:
            parts[result.sha256] = [result]
        done = list(done) + list(again)
    report.parts = list(done)
    return parts


def _merge_sources(plan: FilePlan, parts: list[PartResult]) -> dict:
    """One `sources` row for a file from its parts' rows (sums, min/max, the union of notes)."""
    rows = [p.source for p in parts]
    if len(rows) == 1:
        return dict(rows[0])
    merged = dict(rows[0])
    for key in ("lines_read", "events_parsed", "lines_rejected", "lines_blank", "invalid_utf8_lines"):
        merged[key] = sum(int(r[key] or 0) for r in rows)
    firsts = [r["first_ts"] for r in rows if r["first_ts"] is not None and r["first_ts"] == r["first_ts"]]
    lasts = [r["last_ts"] for r in rows if r["last_ts"] is not None and r["last_ts"] == r["last_ts"]]
    merged["first_ts"] = min(firsts) if firsts else None
    merged["last_ts"] = max(lasts) if lasts else None
    merged["ingested_at"] = max(r["ingested_at"] for r in rows)
    merged["truncated"] = any(bool(r["truncated"]) for r in rows)
    notes: list[str] = []
    for r in rows:
        for note in json.loads(r["assumptions"] or "[]"):
            if note not in notes:
                notes.append(note)
    merged["assumptions"] = json.dumps(notes, ensure_ascii=False)
    # What the lines turned out to be (the engine's rule): the format's own
    # kind when any part saw it, else the most frequent.
    kinds = [r["source_kind"] for r in rows]
    merged["source_kind"] = max(set(kinds), key=lambda k: (kinds.count(k), k or ""))
    return merged


def _write_source(lake: Lake, plan: FilePlan, source: dict, batch: str) -> None:
    """Write a file's custody row (the case schema's `sources` columns, plus the
    lake's own: when and in which order of the command line it came in)."""
    import duckdb
    import pandas as pd

    from forensics.schema import DDL

    row = dict(source, path=plan.path, size_bytes=plan.size_bytes, sha256=plan.sha256)
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        for statement in DDL:
            if "CREATE TABLE IF NOT EXISTS sources" in statement:
                con.execute(statement)
        columns = [r[0] for r in con.execute("DESCRIBE sources").fetchall()]
        frame = pd.DataFrame([{c: row.get(c) for c in columns if c != "source_id"}])
        lake_row = frame  # noqa: F841 (found by name by DuckDB)
        con.execute("INSERT INTO sources BY NAME SELECT 0 AS source_id, * FROM lake_row")
        with tempfile.TemporaryDirectory(prefix="forensics-lake-") as tmp:
            out = Path(tmp) / "sources"
            out.mkdir()
            con.execute(f"COPY (SELECT * EXCLUDE (source_id), $batch::TIMESTAMPTZ AS lake_batch, "
                        f"$position::INTEGER AS lake_position FROM sources) "
                        f"TO '{out / (plan.sha256 + '.parquet')}' (FORMAT parquet)",
                        {"batch": batch, "position": plan.position})
            lake.upload(Path(tmp))
    finally:
        con.close()
