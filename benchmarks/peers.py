"""The tools a support lead uses today, timed on the same access log.

GoAccess and lnav are Debian packages; where one is not installed the figure
is recorded as skipped with that reason (CI does not install them).  DuckDB's
bare ``read_csv`` + ``regexp_extract`` runs in a child Python process
(`benchmarks._duckdb_bare`) so that its peak RSS is its own.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

from benchmarks.measure import ProcessRun, run_process


@dataclass
class PeerResult:
    """Repeated runs of one peer over one file."""

    name: str
    description: str
    command: list[str] | None = None
    skipped: str | None = None          # why it did not run
    runs: list[ProcessRun] = field(default_factory=list)
    lines_counted: int | None = None    # what the peer says it read (sanity check)
    error: str | None = None


def _goaccess_argv(log: str, out_json: str) -> list[str]:
    # COMBINED preset = %h %^[%d:%t %^] "%r" %s %b "%R" "%u"; the JSON report
    # forces a full parse and aggregation, like the HTML report would.
    return ["goaccess", log, "--log-format=COMBINED", "--no-global-config", "-o", out_json]


def _lnav_argv(log: str) -> list[str]:
    # Headless (-n): index the file, then an SQL query that touches parsed
    # fields of every row (count(*) alone could skip the field parse).
    return ["lnav", "-n", "-c",
            ";SELECT count(*) AS lines, sum(sc_bytes) AS bytes, count(DISTINCT c_ip) AS ips FROM access_log",
            log]


def run_goaccess(log: str, repeat: int, timeout_s: float) -> PeerResult:
    result = PeerResult("goaccess", "GoAccess, COMBINED format, JSON report")
    if shutil.which("goaccess") is None:
        result.skipped = "goaccess not installed (Debian package goaccess)"
        return result
    with tempfile.TemporaryDirectory(prefix="bench-goaccess-") as tmp:
        out_json = os.path.join(tmp, "report.json")
        result.command = _goaccess_argv(log, "OUT.json")
        for _ in range(repeat):
            run = run_process(_goaccess_argv(log, out_json), timeout_s=timeout_s)
            result.runs.append(run)
            if not run.ok:
                result.error = f"exit {run.returncode}{' (timeout)' if run.timed_out else ''}: {run.stderr[-300:]}"
                break
            try:
                with open(out_json, encoding="utf-8") as fh:
                    general = json.load(fh).get("general", {})
                result.lines_counted = int(general.get("total_requests", 0))
            except (OSError, ValueError):
                pass
    return result


def run_lnav(log: str, repeat: int, timeout_s: float) -> PeerResult:
    result = PeerResult("lnav", "lnav headless, SQL over access_log")
    if shutil.which("lnav") is None:
        result.skipped = "lnav not installed (Debian package lnav)"
        return result
    result.command = _lnav_argv(log)
    # lnav keeps its state under HOME; a throwaway HOME keeps runs independent.
    with tempfile.TemporaryDirectory(prefix="bench-lnav-") as home:
        env = dict(os.environ, HOME=home)
        for _ in range(repeat):
            run = run_process(_lnav_argv(log), timeout_s=timeout_s, env=env)
            result.runs.append(run)
            if not run.ok:
                result.error = f"exit {run.returncode}{' (timeout)' if run.timed_out else ''}: {run.stderr[-300:]}"
                break
            rows = [line.split() for line in run.stdout.splitlines() if line.strip()]
            if len(rows) >= 2 and rows[1] and rows[1][0].isdigit():
                result.lines_counted = int(rows[1][0])
    return result


def run_duckdb_bare(log: str, mode: str, repeat: int, timeout_s: float, workdir: str) -> PeerResult:
    descriptions = {
        "parse": "DuckDB read_csv + regexp_extract, count only",
        "store": "DuckDB read_csv + regexp_extract into a table with the raw line",
    }
    result = PeerResult(f"duckdb-{mode}", descriptions[mode])
    db = os.path.join(workdir, "duckdb-bare.duckdb")
    argv = [sys.executable, "-m", "benchmarks._duckdb_bare", mode, log]
    if mode == "store":
        argv.append(db)
    result.command = argv
    for _ in range(repeat):
        if os.path.exists(db):
            os.remove(db)
        run = run_process(argv, timeout_s=timeout_s)
        result.runs.append(run)
        if not run.ok:
            result.error = f"exit {run.returncode}: {run.stderr[-300:]}"
            break
        result.lines_counted = int(run.stdout.split()[0])
    if os.path.exists(db):
        os.remove(db)
    return result
