"""``python -m benchmarks.lake [--scale small|medium|large] [--out lake.json] [--workers 1,2]``.

The evidence lake's figures (issue: lake ingest with 1 and 2 local workers,
and the pull time of one account):

* **lake ingest**: the scale's three generated logs into a fresh local lake
  with ``--workers N`` (a Dask LocalCluster of N single-threaded worker
  processes; ``0`` is the in-process path), as ``forensics lake ingest`` does
  it: one call, the auth log with the ``--tz`` and ``--host`` its manifest
  asks for as its own options (``--files-from``), in a child process
  (``--child``) that calls ``ingest_to_lake``, the one function the command
  calls.  The wall time is the child's whole life: interpreter start, the
  LocalCluster's start, hashing, parsing, Parquet writing.
* **CPU**: every task reports the CPU time of its worker process during the
  task; per run, the CPU seconds of each worker and of the busiest one, the
  driver's own CPU (the child process: with ``--workers``, also the
  LocalCluster's scheduler and nannies) and the workers' CPU outside their
  tasks (process CPU of the child and everything under it, minus both).
* **where the wall time goes**: every task reports when it ran; per run, the
  seconds before the first task (interpreter, imports, the cluster's start),
  after the last (the cluster's close, exit), with no task running at all,
  and each worker's idle seconds between the first task's start and the last
  task's end.
* **speed-up**: the median wall time with 1 worker over that with N workers,
  and the same from CPU time, ``busiest worker's CPU with 1 worker / busiest
  worker's CPU with N``: what the wall speed-up would be if every worker had
  a core of its own (on a shared machine the wall figure measures the other
  jobs too).  The load average before and after every run is recorded.
* **lake pull**: ``forensics lake pull`` of the founding dispute's account
  (its whole history) from the last lake, in a child process.

Needs the lake extra (``pip install -e '.[lake]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

from benchmarks import inputs, machine
from benchmarks.measure import run_process
from benchmarks.scales import SCALES


def _child(argv: list[str]) -> int:
    """``--child LAKE WORKERS PANEL ACCESS AUTH [AUTH OPTIONS]``: one ingest call, figures as JSON."""
    import resource
    import time

    from forensics.lake.ingest import ingest_to_lake

    lake, workers, panel, access, auth, *rest = argv
    options = {k.removeprefix("--"): v for k, v in zip(rest[0::2], rest[1::2])}
    workers = int(workers) or None
    started = time.perf_counter()
    # One call, as `forensics lake ingest LAKE PANEL ACCESS --files-from` does it:
    # the auth log with its own --tz and --host, all files on one cluster.
    report = ingest_to_lake(lake, [panel, access, (auth, options)], workers=workers)
    tasks = [*report.plans, *report.parts, *report.custody]
    cpu = defaultdict(float)
    for task in tasks:
        cpu[task.worker] += task.cpu_seconds
    own = resource.getrusage(resource.RUSAGE_SELF)
    doc = {
        "busiest_worker_cpu_s": max(cpu.values(), default=0.0),
        "seconds": time.perf_counter() - started,
        "calls_seconds": [report.seconds],
        "tasks": report.tasks,
        "events": sum(f.events_parsed for f in report.results),
        "failed": [f.summary() for f in report.failures()],
        "cpu_per_worker": dict(cpu),
        "task_cpu_seconds": sum(cpu.values()),
        # this process's own CPU: the driver (and, with --workers, the LocalCluster's scheduler and nannies)
        "driver_cpu_seconds": own.ru_utime + own.ru_stime,
        "parts": [{"file": Path(p.path).name, "part": p.part, "worker": p.worker, "wall": p.seconds,
                   "cpu": p.cpu_seconds} for p in report.parts],
        # when every task ran (seconds since the epoch): where the wall time goes
        "intervals": [[t.started_at, t.finished_at, t.worker] for t in tasks],
    }
    print(json.dumps(doc))
    return 1 if doc["failed"] else 0


def _ingest(lake: Path, sample, workers: int, timeout_s: float) -> dict:
    """One run of the ingest call in a child process."""
    shutil.rmtree(lake, ignore_errors=True)
    argv = [sys.executable, "-m", "benchmarks.lake", "--child", str(lake), str(workers), sample.panel_log,
            sample.access_log, sample.auth_log, *sample.ingest_args("sshd_syslog")]
    load_before = os.getloadavg()
    launched = time.time()
    run = run_process(argv, timeout_s=timeout_s)
    if not run.ok:
        return {"error": (run.stderr or run.stdout).strip()[-400:]}
    doc = json.loads(run.stdout.strip().splitlines()[-1])
    busiest = doc["busiest_worker_cpu_s"]
    process_cpu = run.user_s + run.sys_s
    return {"wall_s": run.wall_s, "process_cpu_s": process_cpu, "task_cpu_s": doc["task_cpu_seconds"],
            "busiest_worker_cpu_s": busiest, "cpu_per_worker": doc["cpu_per_worker"], "tasks": doc["tasks"],
            "events": doc["events"], "peak_rss_bytes": run.peak_rss_bytes, "load_before": list(load_before),
            "load_after": list(os.getloadavg()), "parts": doc["parts"],
            "driver_cpu_s": doc["driver_cpu_seconds"],
            "worker_cpu_outside_tasks_s": process_cpu - doc["driver_cpu_seconds"] - doc["task_cpu_seconds"],
            **_timeline(doc["intervals"], launched, run.wall_s)}


def _timeline(intervals, launched: float, wall: float) -> dict:
    """Where the child's wall time went: before the first task (interpreter, imports, the
    cluster's start), after the last (the cluster's close, exit), with no task running at all
    (both, and any gap between tasks), and each worker's idle time while others ran tasks."""
    if not intervals:
        return {}
    first = min(start for start, _, _ in intervals)
    last = max(end for _, end, _ in intervals)
    busy, reach = 0.0, first
    for start, end, _ in sorted(intervals):
        if end > reach:
            busy += end - max(start, reach)
            reach = end
    per_worker = defaultdict(float)
    for start, end, worker in intervals:
        per_worker[worker] += end - start
    return {"before_first_task_s": first - launched, "after_last_task_s": launched + wall - last,
            "no_task_running_s": wall - busy,
            "worker_idle_s": {w: (last - first) - b for w, b in per_worker.items()}}


def measure(scale, sample, work: Path, *, workers=(1, 2), repeat: int = 1, pull: bool = True, log=print) -> dict:
    """The lake figures of one sample: ingest runs per worker count (interleaved), then the pull.

    Used by ``python -m benchmarks.lake`` and by the suite's ``lake`` group
    (``python -m benchmarks --only lake``).
    """
    lines = sum(int(sample.counts[Path(p).name]) for p in (sample.panel_log, sample.access_log, sample.auth_log))
    data = {"scale": scale.name, "input_lines": lines, "load_average_at_start": list(os.getloadavg()),
            "input_bytes": sum(os.path.getsize(p) for p in (sample.panel_log, sample.access_log, sample.auth_log)),
            "ingest": {}, "errors": []}
    lake = work / f"lake-{scale.name}"
    # Interleaved (1, 2, 1, 2, ...): a change in the machine's load hits every worker count alike.
    counts = list(workers)
    runs: dict[int, list[dict]] = {w: [] for w in counts}
    for r in range(repeat):
        for workers in counts:
            run = _ingest(lake, sample, workers, scale.timeout_s)
            if "error" in run:
                data["errors"].append(f"lake ingest --workers {workers}: {run['error']}")
                continue
            runs[workers].append(run)
            log(f"lake ingest, {workers or 'in-process'} worker(s), run {r + 1}: {run['wall_s']:.1f} s wall "
                f"({lines / run['wall_s']:,.0f} lines/s), task CPU {run['task_cpu_s']:.1f} s, busiest worker "
                f"{run['busiest_worker_cpu_s']:.1f} s, {run['tasks']} tasks, load "
                f"{run['load_before'][0]:.1f} -> {run['load_after'][0]:.1f}; outside the tasks: driver CPU "
                f"{run['driver_cpu_s']:.1f} s, workers' CPU {run['worker_cpu_outside_tasks_s']:.1f} s, no task "
                f"running {run.get('no_task_running_s', 0):.1f} s ({run.get('before_first_task_s', 0):.1f} s before the "
                f"first, {run.get('after_last_task_s', 0):.1f} s after the last)")
    for workers, done in runs.items():
        if not done:
            continue
        wall = statistics.median(r["wall_s"] for r in done)
        data["ingest"][str(workers)] = {
            "seconds": wall, "lines_per_s": lines / wall, "runs": [r["wall_s"] for r in done],
            "busiest_worker_cpu_s": statistics.median(r["busiest_worker_cpu_s"] for r in done),
            "task_cpu_s": statistics.median(r["task_cpu_s"] for r in done),
            "process_cpu_s": statistics.median(r["process_cpu_s"] for r in done),
            "tasks": done[0]["tasks"], "peak_rss_bytes": max(r["peak_rss_bytes"] for r in done),
            **{key: statistics.median(r[key] for r in done)
               for key in ("driver_cpu_s", "worker_cpu_outside_tasks_s", "before_first_task_s", "after_last_task_s",
                           "no_task_running_s") if all(key in r for r in done)},
            "load_1min": [[r["load_before"][0], r["load_after"][0]] for r in done], "detail": done}
    if "1" in data["ingest"]:
        base = data["ingest"]["1"]
        for figure in data["ingest"].values():
            figure["speedup_vs_1"] = base["seconds"] / figure["seconds"]
            figure["cpu_speedup_vs_1"] = base["busiest_worker_cpu_s"] / figure["busiest_worker_cpu_s"]
    dispute = sample.dispute("account_holder")
    if dispute and lake.exists() and pull:
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
            log(f"lake pull {dispute['account']}: {run.wall_s:.1f} s")
        if pulls:
            data["pull"] = {"account": dispute["account"], "seconds": statistics.median(pulls), "runs": pulls}
    data["load_average_at_end"] = list(os.getloadavg())
    return data


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lake", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (0: in-process)")
    parser.add_argument("--repeat", type=int, help="runs per figure (default: the scale's)")
    parser.add_argument("--no-pull", action="store_true", help="skip the pull figure")
    parser.add_argument("--out", help="write the figures as JSON to this file")
    parser.add_argument("--work-dir", default=os.environ.get("FORENSICS_BENCH_DIR", "/tmp/forensics-bench"))
    args = parser.parse_args(argv)
    try:
        import distributed  # noqa: F401
    except ImportError:
        print("the lake extra is not installed (pip install -e '.[lake]'); nothing measured", file=sys.stderr)
        return 0
    scale = SCALES[args.scale]
    work = Path(args.work_dir)
    sample = inputs.generate(scale, work, log=lambda m: print(m, file=sys.stderr))
    data = measure(scale, sample, work, workers=[int(w) for w in args.workers.split(",")],
                   repeat=args.repeat or scale.repeat, pull=not args.no_pull,
                   log=lambda m: print(m, file=sys.stderr))
    data["machine"] = machine.describe()
    lines = data["input_lines"]
    print(f"scale {scale.name}: {lines:,} input lines; load average at the start "
          f"{data['load_average_at_start']}, at the end {data['load_average_at_end']}")
    for key, figure in data["ingest"].items():
        print(f"lake ingest, {key if key != '0' else 'in-process'} worker(s), {figure['tasks']} tasks: "
              f"{figure['seconds']:.1f} s wall, {figure['lines_per_s']:,.0f} lines/s, busiest worker "
              f"{figure['busiest_worker_cpu_s']:.1f} s CPU (all tasks {figure['task_cpu_s']:.1f} s); speed-up vs 1 "
              f"worker: wall {figure.get('speedup_vs_1', 0):.2f}, CPU {figure.get('cpu_speedup_vs_1', 0):.2f}")
        if "no_task_running_s" in figure:
            print(f"    outside the tasks (medians): driver CPU {figure['driver_cpu_s']:.1f} s, workers' CPU "
                  f"{figure['worker_cpu_outside_tasks_s']:.1f} s; no task running {figure['no_task_running_s']:.1f} s "
                  f"of the wall ({figure['before_first_task_s']:.1f} s before the first, "
                  f"{figure['after_last_task_s']:.1f} s after the last)")
    if "pull" in data:
        print(f"lake pull {data['pull']['account']}: {data['pull']['seconds']:.1f} s")
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=1, default=str))
    for error in data["errors"]:
        print(f"error: {error}", file=sys.stderr)
    return 1 if data["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
