"""``python -m benchmarks.lake [--scale small|medium|large] [--out lake.json] [--workers 1,2]``.

The evidence lake's figures (issue: lake ingest with 1 and 2 local workers,
and the pull time of one account):

* **lake ingest**: ``forensics lake ingest LAKE ... --workers N`` into a fresh
  local lake for the scale's three generated logs (the auth log with the
  options its manifest asks for), in a child process; the figure is the
  child's whole wall time (interpreter start, the Dask LocalCluster's start,
  hashing, parsing, Parquet writing).  ``--workers 0`` is the in-process path.
* **speed-up**: the median wall time with 1 worker over that with N workers.
* **lake pull**: ``forensics lake pull`` of the founding dispute's account
  (its whole history) from the last lake, in a child process.

Needs the lake extra (``pip install -e '.[lake]'``).  The machine's load is
recorded with every run: on a shared 2-core machine it moves the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from benchmarks import inputs, machine
from benchmarks.measure import run_process
from benchmarks.scales import SCALES


def _ingest(lake: Path, sample, workers: int, timeout_s: float):
    """Both ingest calls of one run; (wall seconds, peak RSS of the biggest child, error)."""
    shutil.rmtree(lake, ignore_errors=True)
    extra = ["--workers", str(workers)] if workers else []
    calls = [[sample.panel_log, sample.access_log], [sample.auth_log, *sample.ingest_args("sshd_syslog")]]
    wall, rss = 0.0, 0
    for paths in calls:
        argv = [sys.executable, "-m", "forensics", "lake", "ingest", str(lake), *paths, *extra]
        run = run_process(argv, timeout_s=timeout_s)
        if not run.ok:
            return None, None, (run.stderr or run.stdout).strip()[-400:]
        wall += run.wall_s
        rss = max(rss, run.peak_rss_bytes or 0)
    return wall, rss, None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (0: in-process)")
    parser.add_argument("--repeat", type=int, help="runs per figure (default: the scale's)")
    parser.add_argument("--out", help="write the figures as JSON to this file")
    parser.add_argument("--work-dir", default=os.environ.get("FORENSICS_BENCH_DIR", "/tmp/forensics-bench"))
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("the lake extra is not installed (pip install -e '.[lake]'); nothing measured", file=sys.stderr)
        return 0
    scale = SCALES[args.scale]
    repeat = args.repeat or scale.repeat
    work = Path(args.work_dir)
    sample = inputs.generate(scale, work, log=lambda m: print(m, file=sys.stderr))
    lines = sum(int(v) for v in sample.counts.values())
    data = {"scale": scale.name, "machine": machine.describe(), "input_lines": lines,
            "input_bytes": sample.input_bytes(), "ingest": {}, "errors": []}
    lake = work / f"lake-{scale.name}"
    for workers in [int(w) for w in args.workers.split(",")]:
        runs, rss = [], []
        for r in range(repeat):
            wall, peak, error = _ingest(lake, sample, workers, scale.timeout_s)
            if error:
                data["errors"].append(f"lake ingest --workers {workers}: {error}")
                break
            runs.append(wall)
            rss.append(peak)
            print(f"lake ingest, {workers or 'in-process'} worker(s), run {r + 1}: {wall:.1f} s "
                  f"({lines / wall:,.0f} lines/s)", file=sys.stderr)
        if runs:
            median = statistics.median(runs)
            data["ingest"][str(workers)] = {"seconds": median, "runs": runs, "lines_per_s": lines / median,
                                            "peak_rss_bytes": max(rss), "load_after": list(os.getloadavg())}
    if "1" in data["ingest"]:
        base = data["ingest"]["1"]["seconds"]
        for key, figure in data["ingest"].items():
            figure["speedup_vs_1"] = base / figure["seconds"]
    dispute = sample.dispute("account_holder")
    if dispute and lake.exists():
        pulls = []
        for _ in range(repeat):
            case = work / f"pulled-{scale.name}.duckdb"
            for stale in (case, Path(str(case) + ".wal")):
                if stale.exists():
                    stale.unlink()
            run = run_process([sys.executable, "-m", "forensics", "lake", "pull", str(lake), str(case),
                               "--account", str(dispute["account"])], timeout_s=scale.timeout_s)
            if not run.ok:
                data["errors"].append(f"lake pull: {(run.stderr or run.stdout).strip()[-400:]}")
                break
            pulls.append(run.wall_s)
            print(f"lake pull {dispute['account']}: {run.wall_s:.1f} s", file=sys.stderr)
        if pulls:
            data["pull"] = {"account": dispute["account"], "seconds": statistics.median(pulls), "runs": pulls}
    print(f"scale {scale.name}: {lines:,} input lines; load average {data['machine']['load_average_1_5_15']}")
    for key, figure in data["ingest"].items():
        print(f"lake ingest, {key if key != '0' else 'in-process'} worker(s): {figure['seconds']:.1f} s, "
              f"{figure['lines_per_s']:,.0f} lines/s, speed-up vs 1 worker {figure.get('speedup_vs_1', 0):.2f}")
    if "pull" in data:
        print(f"lake pull {data['pull']['account']}: {data['pull']['seconds']:.1f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=1, default=str))
    for error in data["errors"]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if data["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
