"""Measurements of the product's own stages.

Ingest runs `forensics.ingest.engine.ingest_files` (the function behind
``forensics ingest``) for one file in a child interpreter: the figure is the
child's whole wall time (interpreter start, imports, the chain-of-custody
hash, parsing and the committed write into the case file) and its own peak
RSS.
Enrichment, investigation and report rendering run their library calls in a
child interpreter (`benchmarks._worker`) that times the call alone.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass, field

from benchmarks.measure import ProcessRun, run_process


@dataclass
class IngestRun:
    label: str                     # access_combined | sshd_syslog | panel_jsonl | ...
    path: str
    process: ProcessRun
    lines_read: int | None = None
    events_parsed: int | None = None
    lines_rejected: int | None = None
    lines_blank: int | None = None
    format: str | None = None
    call_s: float | None = None    # inside `ingest_files` (without interpreter start and imports)
    error: str | None = None

    @property
    def lines_per_s(self) -> float | None:
        if self.error or not self.lines_read:
            return None
        return self.lines_read / self.process.wall_s


@dataclass
class StageResult:
    """A worker's JSON answer plus its process figures."""

    name: str
    data: dict = field(default_factory=dict)
    process: ProcessRun | None = None
    error: str | None = None
    missing: str | None = None


def _child_env() -> dict:
    env = dict(os.environ)
    # Ingest must not enrich on its own: enrichment is timed separately.
    env.pop("FORENSICS_GEOIP", None)
    env.pop("FORENSICS_CONFIG", None)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def ingest_available() -> str | None:
    """None when the ingest engine exists, else why not."""
    try:
        from forensics.ingest.engine import ingest_files  # noqa: F401
    except Exception as exc:  # not built yet, or mid-edit
        return f"the ingest engine is not available ({type(exc).__name__}: {exc})"
    return None


def ingest_file(case: str, label: str, path: str, timeout_s: float, extra_args: list[str] = ()) -> IngestRun:
    """Ingest one file in a child interpreter through `ingest_files` (what
    `forensics ingest` calls); the wall time is the whole child's."""
    argv = [sys.executable, "-m", "benchmarks._worker", "ingest", case, path, *extra_args]
    process = run_process(argv, timeout_s=timeout_s, env=_child_env())
    run = IngestRun(label=label, path=path, process=process)
    if not process.ok:
        run.error = (f"exit {process.returncode}{' (timeout)' if process.timed_out else ''}: "
                     f"{(process.stderr or process.stdout).strip()[-400:]}")
        return run
    try:
        data = json.loads(process.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        run.error = f"no JSON from the ingest worker: {process.stdout[-200:]} {process.stderr[-200:]}"
        return run
    if data.get("error") or data.get("missing"):
        run.error = data.get("error") or data.get("missing")
        return run
    run.lines_read, run.events_parsed = data["lines_read"], data["events_parsed"]
    run.lines_rejected, run.lines_blank, run.format = data["lines_rejected"], data["lines_blank"], data["format"]
    run.call_s = data.get("seconds")
    return run


def run_worker(name: str, args: list[str], timeout_s: float) -> StageResult:
    argv = [sys.executable, "-m", "benchmarks._worker", name, *args]
    process = run_process(argv, timeout_s=timeout_s, env=_child_env())
    result = StageResult(name=name, process=process)
    if not process.ok:
        result.error = (f"exit {process.returncode}{' (timeout)' if process.timed_out else ''}: "
                        f"{process.stderr.strip()[-600:]}")
        return result
    try:
        result.data = json.loads(process.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result.error = f"worker printed no JSON: {process.stdout[-300:]} {process.stderr[-300:]}"
        return result
    result.missing = result.data.get("missing")
    result.error = result.data.get("error")
    return result


def copy_case(src: str, dst: str) -> None:
    """A copy of a case file (DuckDB keeps everything in the one file once closed)."""
    shutil.copyfile(src, dst)
    wal = src + ".wal"
    if os.path.exists(wal):
        shutil.copyfile(wal, dst + ".wal")


def remove_case(path: str) -> None:
    for p in (path, path + ".wal"):
        if os.path.exists(p):
            os.remove(p)
