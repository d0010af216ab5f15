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
import heapq
import json
import os
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from forensics.english import counted
from forensics.errors import ForensicsError
from forensics.lake.store import Lake, filesystem, is_local, sha_of
from forensics.lake.tasks import FilePlan, PartResult, SourceWritten, ingest_part, plan_file


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
        text = (f"{self.path}: format {self.format}, {counted(self.parts, 'task')}: {self.lines_read:,} lines read, "
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
    custody: list[SourceWritten] = field(default_factory=list)   # every custody row's task

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    def failures(self) -> list[LakeFileResult]:
        return [r for r in self.results if not r.ok]


class _InProcess:
    """The executor when no Dask scheduler or local cluster is asked for: each
    task runs when it is submitted, in the order the driver chose."""

    workers = 1

    def __init__(self):
        self._done: deque = deque()

    def has_room(self, ahead: bool = False) -> bool:
        return not self._done

    def submit(self, fn, *args, first: bool = False) -> None:
        self._done.append(fn(*args))

    def next_done(self):
        return self._done.popleft()

    def close(self):
        pass


# The LocalCluster of `--workers N` lives as long as one ingest; what Dask does
# for long-lived clusters only costs CPU on the cores the tasks need (measured
# on the medium benchmark input, 2026-12-03, see README "The evidence lake").
LOCAL_CLUSTER_CONFIG = {
    # the statistical profiler samples every worker thread's stack every 10 ms, for a
    # dashboard that is not running
    "distributed.worker.profile.enabled": False,
    # Dask sets glibc's trim threshold to 64 KiB for the workers it spawns (to hand memory
    # back between the tasks of a long-lived worker); the parsers' frames then come from
    # fresh pages each time: a third more page faults and a fifth more system CPU per task
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    # worker processes forked from a process that has imported what they need (start_worker_forkserver)
    "distributed.worker.multiprocessing-method": "forkserver",
    # memory and host monitors (10 and 2 polls a second by default), the event loops'
    # health check (50 a second in each of the scheduler, nannies and workers) and work
    # stealing (10 rounds a second; the driver already gives each task to a free worker):
    # an idle 2-worker cluster's processes took 0.11 s of CPU a second, with these 0.02 s
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "500ms",
    "distributed.scheduler.work-stealing": False,
}


# What a worker imports for its tasks, once, in the forkserver the worker processes are forked from,
# and the variables Dask would set before spawning a worker (numerical libraries on one thread).
WORKER_PRELOAD = ["distributed", "forensics.lake.ingest", "forensics.ingest.engine", "forensics.ingest.registry"]
WORKER_ENVIRON = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}


def start_worker_forkserver() -> bool:
    """Start the process the LocalCluster's workers are forked from, with Dask and the
    ingest engine imported, while the driver goes on (its own imports, the scheduler).

    With the default (spawn) each worker process starts an interpreter and imports
    Dask (~0.6 s of CPU) and then, in its first task, the ingest engine (~0.7 s); here
    that is done once, and a worker starts in milliseconds.

    Returns:
        Whether it was started here (False: this process's forkserver was running already).
    """
    import multiprocessing
    import multiprocessing.forkserver

    if getattr(multiprocessing.forkserver._forkserver, "_forkserver_pid", None) is not None:
        return False
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(WORKER_PRELOAD)
    saved = {k: os.environ.get(k) for k in WORKER_ENVIRON}
    os.environ.update(WORKER_ENVIRON)    # set before numpy loads in the forkserver (Dask's own defaults)
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    try:
        import distributed.utils

        distributed.utils._forkserver_preload_set = True   # it would import pandas here to preload it there
    except ImportError:
        pass
    return True



def stop_worker_forkserver() -> None:
    """Stop the forkserver once the cluster is closed and wait for it: no process is
    left behind, and its CPU time (and its workers') counts as this process's children's."""
    import multiprocessing.forkserver

    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


class _Dask:
    """Tasks on Dask distributed: a scheduler's address, or a LocalCluster of N workers."""

    def __init__(self, scheduler: str | None, workers: int | None):
        import importlib.util

        # first: the forkserver's imports then overlap the driver's own and the scheduler's start
        self._forkserver = bool(not scheduler and importlib.util.find_spec("distributed")
                                and start_worker_forkserver())
        try:
            import dask
            from distributed import Client, LocalCluster, as_completed
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
            try:
                with dask.config.set(LOCAL_CLUSTER_CONFIG):
                    self.cluster = LocalCluster(n_workers=int(workers), threads_per_worker=1, processes=True,
                                                dashboard_address=None, silence_logs=40)
                self.client = Client(self.cluster)
            except BaseException:
                if self.cluster is not None:
                    self.cluster.close()
                if self._forkserver:
                    stop_worker_forkserver()
                raise
        self._completed = as_completed()
        self._where: dict = {}       # future's key -> the worker it was given to
        self._threads: dict = {}
        self._refresh()

    def _refresh(self) -> None:
        """The scheduler's workers and their threads (a cluster may grow or shrink during a run)."""
        self._threads = {addr: max(1, n) for addr, n in self.client.nthreads().items()}
        self._busy = {addr: sum(1 for a in self._where.values() if a == addr) for addr in self._threads}
        self.workers = max(1, len(self._threads))
        self._refreshed = time.monotonic()

    def has_room(self, ahead: bool = False) -> bool:
        """Whether a worker has a thread without a task (ahead: or without a task waiting
        for it: the worker then starts it without a round trip through the driver)."""
        if time.monotonic() - self._refreshed > 5:
            self._refresh()
        return (any(self._busy[a] < n * (2 if ahead else 1) for a, n in self._threads.items())
                or not (self._threads or self._where))

    def submit(self, fn, *args, first: bool = False) -> None:
        # The driver decides which worker runs what: each task goes to the least
        # busy worker (the scheduler's own choice, by estimated durations, could
        # queue a task behind a running one while another worker idles, as it
        # did with the first tasks of a run).  allow_other_workers: should that
        # worker leave, the task runs elsewhere.  first: before any task already
        # waiting there (a custody row: small, and it makes the file part of the lake).
        addr = min(self._threads, key=lambda a: (self._busy[a] / self._threads[a], a), default=None)
        future = self.client.submit(fn, *args, pure=False, priority=1 if first else 0,
                                    workers=[addr] if addr else None, allow_other_workers=bool(addr))
        self._where[future.key] = addr
        if addr:
            self._busy[addr] += 1
        self._completed.add(future)

    def next_done(self):
        future = next(self._completed)
        addr = self._where.pop(future.key)
        if addr in self._busy:
            self._busy[addr] -= 1
        return future.result()

    def close(self):
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._forkserver:
            stop_worker_forkserver()


def _expand(paths, storage_options) -> list[tuple[str, dict]]:
    """PATH arguments -> (file, its options): a directory stands for the files
    under it, a glob for its matches; a (path, options) pair gives them its options."""
    out: list[tuple[str, dict]] = []
    for given in paths:
        options: dict = {}
        if isinstance(given, (tuple, list)):
            given, options = given
        given = str(given)
        fs, inner = filesystem(given, storage_options)
        prefix = "" if is_local(fs) else given.split("://", 1)[0] + "://"
        if any(ch in inner for ch in "*?["):
            matches = sorted(fs.glob(inner))
            if not matches:
                raise ForensicsError(f"{given}: no file matches")
            out += [(prefix + m, options) for m in matches if fs.isfile(m)]
        elif fs.isdir(inner):
            found = sorted(p for p in fs.find(inner) if not _basename(p).startswith("."))
            if not found:
                raise ForensicsError(f"{given}: is an empty directory")
            out += [(prefix + p if prefix else p, options) for p in found]
        else:
            out.append((given, options))
    return out


def _local_size(path: str) -> int:
    if "://" in path:
        return 0
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


FILE_OPTIONS = ("format", "tz", "year", "host")


def file_settings(defaults: dict, given: dict | None) -> dict:
    """One file's settings (format, tz, year, host): its own over the call's, checked.

    Raises:
        ForensicsError: an unknown option, zone or format, or an implausible year.
    """
    from forensics.timefmt import zone

    given = dict(given or {})
    if "format_name" in given:
        given["format"] = given.pop("format_name")
    unknown = sorted(set(given) - set(FILE_OPTIONS))
    if unknown:
        raise ForensicsError(f"unknown file option {unknown[0]!r} (known: {', '.join(FILE_OPTIONS)})")
    settings = {k: given[k] if given.get(k) not in (None, "") else defaults.get(k) for k in FILE_OPTIONS}
    if settings["tz"]:
        zone(settings["tz"])
    if settings["year"] is not None:
        try:
            settings["year"] = int(settings["year"])
        except (TypeError, ValueError):
            raise ForensicsError(f"year {settings['year']!r} is not a year") from None
        if not 1970 <= settings["year"] <= 2100:
            raise ForensicsError(f"--year {settings['year']} is not a plausible year (1970-2100)")
    if settings["format"]:
        # an unknown name is refused before anything runs (the registry, which
        # imports pandas, is loaded in the driver only for this check)
        from forensics.ingest.registry import get_format

        get_format(settings["format"])
    return settings


def read_file_list(path: str | Path) -> list[tuple[str, dict]]:
    """A list of inputs with their own options, one per line (`--files-from`).

    Each line is a path (file, directory or glob, local or a URL) and, after
    it, any of `--format NAME`, `--tz ZONE`, `--year YYYY`, `--host NAME`,
    written as on the command line (shell quoting); `#` starts a comment.  A
    relative local path is relative to the list's own directory::

        # case 4711: the panel, the web server, the customer's VPS
        panel-audit.jsonl
        access/access.log*
        auth.log  --tz Europe/Berlin --host vps-31337

    Returns:
        (path, options) pairs for `ingest_to_lake`.
    """
    import shlex

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ForensicsError(f"cannot read the file list {path}: {exc}") from None
    names = {f"--{k}": k for k in FILE_OPTIONS}
    out: list[tuple[str, dict]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(line, comments=True)
        except ValueError as exc:
            raise ForensicsError(f"{path}:{number}: {exc}") from None
        if not words:
            continue
        given, rest, options = words[0], words[1:], {}
        while rest:
            word = rest.pop(0)
            key, _, value = word.partition("=")
            if key not in names or key in (f"--{k}" for k in options):
                raise ForensicsError(f"{path}:{number}: {word!r} is not one of --format, --tz, --year, --host "
                                     "(each at most once)")
            if not value:
                if not rest:
                    raise ForensicsError(f"{path}:{number}: {key} needs a value")
                value = rest.pop(0)
            options[names[key]] = value
        if "://" not in given and not Path(given).is_absolute():
            given = str(path.parent / given)
        out.append((given, options))
    return out


def ingest_to_lake(lake_url: str, paths, *, format_name: str | None = None, tz: str | None = None,
                   year: int | None = None, host: str | None = None, scheduler: str | None = None,
                   workers: int | None = None, storage_options: dict | None = None, config: dict | None = None,
                   on_file: Callable[[LakeFileResult], None] | None = None) -> LakeIngestReport:
    """Ingest log files into a lake, all of them in one task graph.

    Args:
        lake_url: the lake's root (local directory, `s3://bucket/prefix`, ...).
        paths: files, directories (every file under them) or globs, local or
            URLs; an item may be a `(path, options)` pair whose options
            (`format`, `tz`, `year`, `host`) hold for that path's files only,
            so that the files of a whole case (an sshd log with its zone and
            server among web logs) go in one call, on one cluster.
        format_name, tz, year, host: as for `forensics ingest` (`ingest_files`):
            the defaults of every path that does not set its own.
        scheduler: a Dask scheduler's address (`tcp://host:8786`).
        workers: the number of workers of a Dask LocalCluster (when no scheduler).
            Neither: the tasks run in this process, one after the other.
        storage_options: fsspec options for the lake and the inputs (S3 endpoint, keys).
        config: settings (`load_config()` when None); `[lake]` decides the splitting.
        on_file: called with each file's result as soon as the file is in the lake.

    Returns:
        A `LakeIngestReport` with one result per file, in the order given.
    """
    from forensics.config import load_config

    started = time.perf_counter()
    config = config or load_config()
    settings = config.get("lake", {})
    defaults = file_settings({}, {"format": format_name, "tz": tz, "year": year, "host": host})
    storage_options = dict(storage_options or {})
    lake = Lake(str(lake_url), storage_options)
    files = [(path, file_settings(defaults, own)) for path, own in _expand(paths, storage_options)]
    if not files:
        raise ForensicsError("no log file given")
    lake.ensure()   # only once every file's options are known to be good: a refusal creates nothing
    options = {
        "config": config, "storage_options": storage_options,
        "split_bytes": int(float(settings.get("split_mib", 16)) * (1 << 20)),
        "split_formats": list(settings.get("split_formats", [])),
        "threads": int(settings.get("task_threads", 1)) if (scheduler or workers) else None,
        "run": uuid.uuid4().hex[:12],
    }
    executor = _Dask(scheduler, workers) if (scheduler or workers) else _InProcess()
    report = LakeIngestReport(lake=str(lake_url), workers=executor.workers)
    try:
        _Driver(executor, lake, files, options, report, on_file).run()
    finally:
        executor.close()
    report.seconds = time.perf_counter() - started
    return report


class _Driver:
    """Plans, parse tasks and custody rows of one ingest, as one stream of tasks.

    Every file is hashed (planned) first; as each plan arrives its parse
    tasks join a queue, from which the driver hands the executor the largest
    remaining piece whenever a slot frees: whole files first (a file that
    cannot be cut is the coarsest piece, so it starts early and the small
    pieces fill in around it), biggest first; then byte ranges, costliest
    first, their cost estimated from the CPU seconds per byte of the ranges of
    the same format finished so far.  A file's custody row is written as soon
    as its last part is in.
    """

    def __init__(self, executor, lake: Lake, files, options: dict, report: LakeIngestReport, on_file):
        self.executor, self.lake, self.files, self.options = executor, lake, files, options
        self.report, self.on_file = report, on_file
        self.batch = dt.datetime.now(dt.timezone.utc).isoformat()
        self.results: dict[int, LakeFileResult] = {}
        self.whole: list = []                       # heap of (-bytes, seq, plan)
        self.ranges: dict[str, list] = {}           # format -> heap of (-bytes, seq, plan, part)
        self.rate: dict[str, list[float]] = {}      # format -> [CPU seconds, bytes] of finished ranges
        self.parts: dict[str, list[PartResult]] = {}
        self.plans: dict[str, FilePlan] = {}
        self.seq = 0
        self.running = 0
        self.custody: dict[str, LakeFileResult] = {}   # sha256 -> the file's result, once its custody row is written

    def run(self) -> None:
        known = frozenset(self.lake.known_sha256())
        # Parts of files without a sources row: an interrupted run's (a part
        # uploads its coverage file first, so one listing finds them all).
        leftovers = {s for s in map(sha_of, self.lake.files("coverage")) if s and s not in known}
        waiting = 0
        # Every file is hashed before any piece is parsed; local files smallest
        # first: the small whole files (an sshd log) are then known, and started,
        # before the first byte range of a big file is.  (Remote ones in the
        # order given: a size is a request each.)
        to_plan = deque(sorted(enumerate(self.files), key=lambda f: _local_size(f[1][0])))
        seen: set[str] = set()
        while waiting or to_plan or self.running or self.custody or self._pending():
            # A task waits on each worker for the next one's thread, except for the
            # last pieces, which go to whichever worker frees first (both end together).
            while ((to_plan or self._pending())
                   and self.executor.has_room(ahead=len(to_plan) + self._pending() > self.executor.workers)):
                if to_plan:
                    position, (path, settings) = to_plan.popleft()
                    self.executor.submit(plan_file, path, position, frozenset(), {**self.options, "file": settings})
                    waiting += 1
                else:
                    self._start_next()
            done = self.executor.next_done()
            if isinstance(done, FilePlan):
                waiting -= 1
                self.report.plans.append(done)
                if done.error:
                    self._finish(done.position, LakeFileResult(done.path, "refused", reason=done.error))
                elif done.sha256 in known or done.sha256 in seen:
                    self._finish(done.position, LakeFileResult(done.path, "duplicate", sha256=done.sha256))
                else:
                    seen.add(done.sha256)
                    if done.sha256 in leftovers:   # an interrupted run's parts: never read, now removed
                        self.lake.remove(self.lake.parts_of(done.sha256))
                    self._enqueue(done)
            elif isinstance(done, SourceWritten):
                self.report.custody.append(done)
                result = self.custody.pop(done.sha256)
                self._finish(self.plans[done.sha256].position, result)
            else:
                self.running -= 1
                self._part_done(done)
        self.report.results = [self.results[i] for i in sorted(self.results)]

    def _enqueue(self, plan: FilePlan) -> None:
        self.plans[plan.sha256] = plan
        self.parts[plan.sha256] = []
        if not plan.ranges:
            heapq.heappush(self.whole, (-plan.size_bytes, self._next(), plan, 0))
            return
        heap = self.ranges.setdefault(plan.format_name or "", [])
        for part, (start, end, _) in enumerate(plan.ranges):
            heapq.heappush(heap, (-(end - start), self._next(), plan, part))

    def _pending(self) -> int:
        return len(self.whole) + sum(len(heap) for heap in self.ranges.values())

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _cost(self, fmt: str, size: int) -> float:
        known = [cpu / size_ for cpu, size_ in self.rate.values() if size_]
        cpu, done = self.rate.get(fmt, (0.0, 0))
        per_byte = cpu / done if done else (sum(known) / len(known) if known else 1.0)
        return size * per_byte

    def _start_next(self) -> None:
        if self.whole:
            _, _, plan, part = heapq.heappop(self.whole)
        else:
            # A format none of whose ranges has finished goes first (its cost is
            # then learned), then the costliest range.
            fmt = max((f for f, heap in self.ranges.items() if heap),
                      key=lambda f: (f not in self.rate, self._cost(f, -self.ranges[f][0][0]), -self.ranges[f][0][1]))
            _, _, plan, part = heapq.heappop(self.ranges[fmt])
        self.executor.submit(ingest_part, self.lake.url, plan, part, self.options)
        self.running += 1
        self.report.tasks += 1

    def _part_done(self, part: PartResult) -> None:
        self.report.parts.append(part)
        plan = self.plans[part.sha256]
        if plan.ranges and not part.error:
            start, end, _ = plan.ranges[part.part]
            figures = self.rate.setdefault(plan.format_name or "", [0.0, 0])
            figures[0] += part.cpu_seconds
            figures[1] += end - start
        mine = self.parts[part.sha256]
        mine.append(part)
        if len(mine) < max(1, len(plan.ranges)):
            return
        mine.sort(key=lambda p: p.part)
        failed = next((p for p in mine if p.error), None)
        if failed is not None:
            self.lake.remove([w for p in mine for w in p.written])
            self._finish(plan.position, LakeFileResult(plan.path, "refused", sha256=plan.sha256, reason=failed.error))
            return
        if len(plan.ranges) > 1 and any(p.naive_times for p in mine):
            # Naive times need the whole file's order (DST, years): redone as one task.
            self.lake.remove([w for p in mine for w in p.written])
            plan.ranges, plan.format_name = [], None
            self._enqueue(plan)
            return
        source = _merge_sources(plan, mine)
        self.custody[plan.sha256] = LakeFileResult(
            plan.path, "truncated" if source.get("truncated") else mine[0].status, sha256=plan.sha256,
            format=source["format"], parts=len(mine), lines_read=int(source["lines_read"]),
            events_parsed=int(source["events_parsed"]), lines_rejected=int(source["lines_rejected"]),
            lines_blank=int(source["lines_blank"]), reason=source.get("truncation_reason"))
        # Written by a task too: the driver then never loads DuckDB and pandas (a second of
        # CPU, on a core the workers need when there are as many workers as cores).
        self.executor.submit(_write_source, self.lake.url, self.lake.storage_options, plan, source, self.batch,
                             self.options["run"], first=True)

    def _finish(self, position: int, result: LakeFileResult) -> None:
        self.results[position] = result
        if self.on_file:
            self.on_file(result)


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


def _write_source(lake_url: str, storage_options: dict, plan: FilePlan, source: dict, batch: str,
                  run: str) -> SourceWritten:
    """Write a file's custody row (the case schema's `sources` columns, plus the
    lake's own: when and in which order of the command line it came in); a task."""
    import socket

    import duckdb
    import pandas as pd

    from forensics.schema import DDL

    written = SourceWritten(plan.sha256, worker=f"{socket.gethostname()}:{os.getpid()}", started_at=time.time())
    cpu_started = time.process_time()
    lake = Lake(lake_url, storage_options)
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
        with tempfile.TemporaryDirectory(prefix="forensics-lake-", dir=lake.staging()) as tmp:
            out = Path(tmp) / "sources"
            out.mkdir()
            con.execute(f"COPY (SELECT * EXCLUDE (source_id), $batch::TIMESTAMPTZ AS lake_batch, "
                        f"$position::INTEGER AS lake_position, $run AS lake_run FROM sources) "
                        f"TO '{out / (plan.sha256 + '.parquet')}' (FORMAT parquet, COMPRESSION zstd)",
                        {"batch": batch, "position": plan.position, "run": run})
            lake.upload(Path(tmp))
    finally:
        con.close()
    written.cpu_seconds = time.process_time() - cpu_started
    written.finished_at = time.time()
    return written
