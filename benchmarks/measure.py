"""Timing and peak memory of child processes.

Each measured program runs in a child process so that its peak resident set
size is its own: ``os.wait4`` returns the rusage of exactly that child
(``ru_maxrss``, KiB on Linux), unlike ``RUSAGE_CHILDREN`` which keeps the
maximum over every child ever waited for.

A child forked straight from a large parent (pytest after the lake tests
holds 400 MB) inherits the parent's resident pages at fork time, and Linux
keeps that high-water mark across ``exec``: the child's ``ru_maxrss`` would
be the parent's size.  So the program is started by a small launcher (a bare
``python -S``, about 10 MB), which forks it and reports the rusage of its own
child, whose high-water mark starts at the launcher's size.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import time
import sys
from dataclasses import dataclass, field

# argv: launcher, rusage-file, program...  Exits as the program did.
_LAUNCHER = """\
import os, signal, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    except OSError as e:
        sys.stderr.write("cannot run %s: %s\\n" % (sys.argv[2], e.strerror))
    os._exit(127)
_, status, ru = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write("%d %r %r" % (ru.ru_maxrss, ru.ru_utime, ru.ru_stime))
if os.WIFSIGNALED(status):
    signal.signal(os.WTERMSIG(status), signal.SIG_DFL)
    os.kill(os.getpid(), os.WTERMSIG(status))
os._exit(os.waitstatus_to_exitcode(status))
"""


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

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rusage") as usage_file:
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-S", "-c", _LAUNCHER, usage_file.name, *argv],
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                env=env, cwd=cwd, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            timed_out = True
        wall = time.perf_counter() - start
        fields = usage_file.read().split()
        maxrss_kib, user_s, sys_s = (int(fields[0]), float(fields[1]), float(fields[2])) if fields else (0, 0.0, 0.0)
        out.seek(0)
        err.seek(0)
        return ProcessRun(
            argv=list(argv),
            wall_s=wall,
            peak_rss_bytes=maxrss_kib * 1024,
            user_s=user_s,
            sys_s=sys_s,
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
