"""The machine and software a run was measured on (goes into the JSON and README)."""

from __future__ import annotations

import datetime as dt
import os
import platform
import shutil
import subprocess
from importlib import metadata

# Libraries whose version changes the figures.
LIBRARIES = ("forensics", "duckdb", "pandas", "user-agents", "ua-parser", "ua-parser-rs",
             "geoip2", "maxminddb", "jinja2", "weasyprint", "click")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_bytes() -> int | None:
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def tool_version(argv: list[str]) -> str | None:
    """First line of a peer's version output, or None when it is not installed."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        out = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip()
    return text.splitlines()[0].strip() if text else "unknown"


def source_version() -> dict:
    """The commit measured, and whether the product's files differed from it."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=20).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "forensics", "queries", "report_templates"],
                               cwd=root, capture_output=True, text=True, timeout=20).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return {"commit": None, "uncommitted_files": None}
    return {"commit": commit, "uncommitted_files": len(dirty)}


def describe() -> dict:
    """Everything a reader needs to compare a run with another one."""
    versions = {}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "date_utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_model": cpu_model(),
        "cpu_cores": os.cpu_count(),
        "cpu_cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_bytes": memory_bytes(),
        "platform": platform.platform(),
        # Other work on the machine slows every figure: recorded, not hidden.
        "load_average_1_5_15": list(os.getloadavg()),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "libraries": versions,
        "source": source_version(),
        "peers": {
            "goaccess": tool_version(["goaccess", "--version"]),
            "lnav": tool_version(["lnav", "-V"]),
        },
    }
