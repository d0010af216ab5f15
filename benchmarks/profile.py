"""Where the time goes: py-spy over a child process, summarised.

``--profile`` reruns each stage that missed its target once under
``py-spy record --format raw`` (collapsed stacks) and keeps the top frames:
*self* time (the leaf frame: where the CPU was) and *inclusive* time of the
project's own functions (which of our calls the time was spent under).  Time
inside DuckDB's C++ shows as the Python frame that called it (``execute``),
which is the honest answer at this level: one SQL statement is the hot spot.
py-spy is a benchmark-only tool (``pip install py-spy``); without it the
profile is recorded as skipped.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import tempfile

from benchmarks.measure import run_process

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def available() -> str | None:
    return None if shutil.which("py-spy") else "py-spy not installed (pip install py-spy)"


def _short(frame: str) -> str:
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match.group("file")
    for marker in ("/forensics/", "/benchmarks/", "/site-packages/", "/lib/python"):
        if marker in path:
            path = path.split(marker, 1)[1] if marker != "/forensics/" else "forensics/" + path.split(marker, 1)[1]
            break
    line = f":{match.group('line')}" if match.group("line") else ""
    return f"{match.group('func')} ({path}{line})"


def summarise(collapsed_path: str, top: int = 15) -> dict:
    """Top self and inclusive frames from py-spy's raw (collapsed) output."""
    leaf = collections.Counter()
    inclusive = collections.Counter()
    total = 0
    with open(collapsed_path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            total += n
            frames = [_short(f) for f in stack.split(";")]
            leaf[frames[-1]] += n
            for frame in set(frames):
                if "forensics/" in frame:
                    inclusive[frame] += n
    def share(counter):
        return [{"frame": f, "share": c / total} for f, c in counter.most_common(top)] if total else []
    return {"samples": total, "self": share(leaf), "inclusive_own_code": share(inclusive)}


def profile_command(argv: list[str], *, timeout_s: float, env: dict | None = None, rate: int = 100) -> dict:
    """Run `argv` under py-spy and summarise; {'skipped': why} without py-spy."""
    why = available()
    if why:
        return {"skipped": why}
    with tempfile.TemporaryDirectory(prefix="bench-pyspy-") as tmp:
        out = os.path.join(tmp, "stacks.txt")
        run = run_process(["py-spy", "record", "--format", "raw", "--rate", str(rate), "--subprocesses",
                           "--nonblocking", "-o", out, "--", *argv], timeout_s=timeout_s, env=env)
        if not os.path.exists(out):
            return {"error": f"py-spy wrote nothing (exit {run.returncode}): {run.stderr[-300:]}"}
        summary = summarise(out)
    summary["command"] = argv
    summary["wall_s_under_profiler"] = run.wall_s
    return summary


def format_summary(name: str, summary: dict, top: int = 8) -> str:
    if "skipped" in summary or "error" in summary:
        return f"profile {name}: {summary.get('skipped') or summary.get('error')}"
    lines = [f"profile {name} ({summary['samples']} samples):", "  self time (where the CPU was):"]
    lines += [f"    {row['share']:6.1%}  {row['frame']}" for row in summary["self"][:top]]
    lines.append("  inclusive, own code (under which of our calls):")
    lines += [f"    {row['share']:6.1%}  {row['frame']}" for row in summary["inclusive_own_code"][:top]]
    return "\n".join(lines)
