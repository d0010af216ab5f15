"""Timing and peak memory of child processes.

Each measured program runs in a child process so that its peak resident set
size is its own: ``os.wait4`` returns the rusage of exactly that child
(``ru_maxrss``, KiB on Linux), unlike ``RUSAGE_CHILDREN`` which keeps the
maximum over every child ever waited for.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field


@dataclass
class ProcessRun:
    """One child process: what it was, how long it took, how much it held."""

    argv: list[str]
    wall_s: float
    peak_rss_bytes: int
    user_s: float
    sys_s: float
    returncode: int
    stdout: str = ""
    stderr: str = ""
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


def run_process(argv: list[str], *, timeout_s: float | None = None, env: dict | None = None,
                cwd: str | None = None) -> ProcessRun:
    """Run `argv`, wait for it, return wall time and its own peak RSS.

    Output is captured into temporary files rather than pipes, so a chatty
    child (GoAccess prints progress) can never block on a full pipe.
    """
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd)
        timed_out = False
        deadline = None if timeout_s is None else start + timeout_s
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                proc.kill()
                timed_out = True
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            argv=list(argv),
            wall_s=wall,
            peak_rss_bytes=usage.ru_maxrss * 1024,
            user_s=usage.ru_utime,
            sys_s=usage.ru_stime,
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            timed_out=timed_out,
        )


@dataclass
class Series:
    """Repeated measurements of one figure; the table shows the median."""

    values: list[float] = field(default_factory=list)

    def add(self, value: float) -> None:
        self.values.append(float(value))

    @property
    def median(self) -> float | None:
        return statistics.median(self.values) if self.values else None

    @property
    def worst(self) -> float | None:
        return max(self.values) if self.values else None

    def to_dict(self) -> dict:
        return {"median": self.median, "min": min(self.values) if self.values else None,
                "max": self.worst, "runs": self.values}


def timed(fn, *args, **kwargs):
    """Call `fn` and return (result, seconds)."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start
