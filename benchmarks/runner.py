"""The order of a benchmark run, and the JSON document it produces."""

from __future__ import annotations

import os
import shlex
import statistics
import sys
import time
from pathlib import Path

from benchmarks import inputs, machine, measure, peers, stages
from benchmarks.scales import Scale

REALDATA = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"

# Figure groups a run can be limited to (--only), and the JSON keys they fill.
FIGURES = ("ingest", "peers", "enrich", "investigate", "report", "outage", "formats", "lake")
FIGURE_KEYS = {"ingest": "ingest", "peers": "peers", "enrich_case": "enrich", "enrich_target": "enrich",
               "investigate": "investigate", "investigate_shell": "investigate", "startup": "investigate",
               "report": "report", "report_long_user_agent": "report",
               "case_size": "ingest", "profiles": "profile", "outage": "outage", "formats": "formats",
               "lake": "lake"}
LONG_USER_AGENT_BYTES = 1024 * 1024   # the hostile value
SHELL_ACCOUNTS = 5                     # accounts timed for `forensics investigate` from the shell


def _forensics_command() -> list[str]:
    """The `forensics` console script of this interpreter's environment (what a
    person types), else `python -m forensics`."""
    script = Path(sys.executable).with_name("forensics")
    return [str(script)] if script.exists() else [sys.executable, "-m", "forensics"]


def _figure_group(figure: str) -> str:
    first = figure.split()[0]
    return {"peer": "peers", "sample": "ingest"}.get(first, first)


def _median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _process_dict(run) -> dict:
    return {"wall_s": run.wall_s, "peak_rss_bytes": run.peak_rss_bytes, "user_s": run.user_s,
            "sys_s": run.sys_s, "returncode": run.returncode}


class Runner:
    """Runs every figure of one scale; `results` is the JSON document."""

    def __init__(self, scale: Scale, work_dir: Path, *, repeat: int | None = None, seed: int = inputs.SEED,
                 regenerate: bool = False, keep: bool = False, skip_peers: bool = False,
                 profile: bool = False, only: set[str] | None = None, case_path: str | None = None,
                 merge_from: dict | None = None, out_path: str | None = None,
                 peer_repeat: int | None = None, log=None):
        self.scale = scale
        self.work_dir = work_dir
        self.repeat = repeat or scale.repeat
        self.peer_repeat = peer_repeat or (min(self.repeat, scale.peer_repeat) if repeat else scale.peer_repeat)
        self.seed = seed
        self.regenerate = regenerate
        self.keep = keep
        self.skip_peers = skip_peers
        self.profile = profile
        self.only = set(only or FIGURES)
        self.case_path = case_path
        self.out_path = out_path
        # Cheap figures (seconds each) always get at least three runs.
        self.cheap_repeat = max(self.repeat, scale.cheap_repeat)
        self.log = log or (lambda msg: print(msg, file=sys.stderr, flush=True))
        self.results: dict = {
            "scale": scale.name,
            "command": "python -m benchmarks " + " ".join(shlex.quote(a) for a in sys.argv[1:]),
            "machine": machine.describe(),
            "parameters": {"repeat": self.repeat, "peer_repeat": self.peer_repeat, "seed": seed,
                           "cheap_repeat": max(self.repeat, scale.cheap_repeat),
                           "scale": scale.__dict__},
            "missing": [],
            "errors": [],
        }
        self.results["invocations"] = [{"date_utc": self.results["machine"]["date_utc"],
                                        "command": self.results["command"], "figures": sorted(self.only),
                                        "load_average_at_start": self.results["machine"]["load_average_1_5_15"],
                                        "source": self.results["machine"]["source"]}]
        if merge_from:
            # Figures of an earlier invocation on the same sample that this
            # one does not measure again (e.g. ingest + peers first, then
            # investigate + report on the kept case).
            for key, value in merge_from.items():
                if key in ("missing", "errors"):
                    self.results[key] = [m for m in value if _figure_group(m["figure"]) not in self.only]
                elif key == "invocations":
                    earlier = [dict(inv) for inv in value]
                    if earlier and "load_average_at_start" not in earlier[-1]:
                        earlier[-1]["load_average_at_start"] = merge_from.get("machine", {}).get("load_average_1_5_15")
                    self.results[key] = earlier + self.results[key]
                elif key in FIGURE_KEYS:
                    if FIGURE_KEYS[key] not in self.only:  # measured again: the old value must not linger
                        self.results[key] = value
                elif key not in self.results:
                    self.results[key] = value

    # -- helpers -----------------------------------------------------------
    def missing(self, figure: str, why: str) -> None:
        self.log(f"  missing: {figure}: {why}")
        self.results["missing"].append({"figure": figure, "why": why})

    def checkpoint(self) -> None:
        """Write what is measured so far (a long run that dies keeps its figures)."""
        if self.out_path:
            import json

            Path(self.out_path).write_text(json.dumps(self.results, indent=1, default=str))

    def error(self, figure: str, what: str) -> None:
        self.log(f"  ERROR: {figure}: {what}")
        self.results["errors"].append({"figure": figure, "error": what})

    # -- the run -----------------------------------------------------------
    def run(self) -> dict:
        started = time.perf_counter()
        self.work_dir.mkdir(parents=True, exist_ok=True)
        try:
            sample = inputs.generate(self.scale, self.work_dir, seed=self.seed,
                                     regenerate=self.regenerate, log=self.log)
        except inputs.GeneratorMissing as exc:  # no generator: nothing to measure on
            self.missing("sample", str(exc))
            sample = None
        except Exception as exc:  # the generator failed: a defect to report
            self.error("sample", f"generate_sample failed: {type(exc).__name__}: {exc}")
            sample = None
        self.sample = sample
        if "outage" in self.only:   # its own input: one service's checks, not the sample
            self.measure_outage()
            self.checkpoint()
        if "formats" in self.only:  # its own input: each definition's sample lines, repeated
            self.measure_formats()
            self.checkpoint()
        if sample is not None and "lake" in self.only:   # benchmarks/lake.py: its own lake of the sample
            self.measure_lake(sample)
            self.checkpoint()
        if sample is not None:
            self.results["sample"] = self._describe_sample(sample)
            case = self.case_path
            if case is None and "ingest" in self.only:
                case = self.measure_ingest(sample)
                self.checkpoint()
            if "peers" in self.only:
                if not self.skip_peers:
                    self.measure_peers(sample.access_log)
                    self.checkpoint()
                else:
                    self.results["peers"] = {"skipped": "--no-peers"}
            if case:
                if "enrich" in self.only:
                    self.measure_enrich_case(case, sample)
                    self.measure_enrich_target(sample)
                    self.checkpoint()
                if "investigate" in self.only:
                    self.measure_investigate(case)
                    self.checkpoint()
                if "report" in self.only:
                    self.measure_report(case, sample)
                    self.checkpoint()
                if "ingest" in self.only or "enrich" in self.only:
                    self.measure_case_size(case, sample)
                if self.profile:
                    self.profile_missed_targets(case, sample)
                if self.keep or self.case_path:
                    self.log(f"case kept: {case}")
                    self.results["case_kept"] = case
                else:
                    stages.remove_case(case)
        self.results["total_seconds"] = time.perf_counter() - started
        self.results["load_average_at_end"] = list(os.getloadavg())
        self.results["invocations"][-1]["load_average_at_end"] = self.results["load_average_at_end"]
        self.results["invocations"][-1]["seconds"] = self.results["total_seconds"]
        return self.results

    def _describe_sample(self, sample) -> dict:
        files = {}
        for label, path in sample.logs().items():
            with open(path, "rb") as fh:
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b""))
            files[label] = {"path": path, "bytes": os.path.getsize(path), "lines": lines}
        total = sum(f["lines"] for f in files.values())
        self.log(f"sample: {total:,} lines, {sum(f['bytes'] for f in files.values()) / 2**20:,.0f} MiB "
                 + ", ".join(f"{k} {v['lines']:,}" for k, v in files.items()))
        return {"directory": sample.directory, "generate_s": sample.generate_s,
                "parameters": sample.parameters, "generator_counts": sample.counts,
                "files": files, "total_lines": total, "geoip_dbs": sample.geoip_dbs,
                "manifest_extra": sample.extra}

    # -- ingest ------------------------------------------------------------
    def measure_ingest(self, sample) -> str | None:
        """Ingest the three logs `repeat` times into fresh cases; keep the last case."""
        why = stages.ingest_available()
        if why:
            for label in sample.logs():
                self.missing(f"ingest {label}", why)
            return None
        per_label: dict[str, list] = {label: [] for label in sample.logs()}
        case = None
        for r in range(self.repeat):
            if case:
                stages.remove_case(case)
            case = str(self.work_dir / f"case-{self.scale.name}-{r}.duckdb")
            stages.remove_case(case)
            for label, path in sample.logs().items():
                self.log(f"ingest {label} (run {r + 1}/{self.repeat}) ...")
                run = stages.ingest_file(case, label, path, self.scale.timeout_s, sample.ingest_args(label))
                per_label[label].append(run)
                if run.error:
                    self.error(f"ingest {label}", run.error)
                else:
                    self.log(f"  {run.lines_read:,} lines in {run.process.wall_s:.2f} s = "
                             f"{run.lines_per_s:,.0f} lines/s, peak RSS {run.process.peak_rss_bytes / 2**20:,.0f} MiB")
        out = {}
        for label, runs in per_label.items():
            good = [r for r in runs if not r.error]
            last = runs[-1]
            out[label] = {
                "path": last.path, "bytes": os.path.getsize(last.path), "format": last.format,
                "lines_read": last.lines_read, "events_parsed": last.events_parsed,
                "lines_rejected": last.lines_rejected, "lines_blank": last.lines_blank,
                "lines_per_s": _median([r.lines_per_s for r in good]),
                "wall_s": _median([r.process.wall_s for r in good]),
                "call_s": _median([r.call_s for r in good]),
                "peak_rss_bytes": max((r.process.peak_rss_bytes for r in good), default=None),
                "runs": [{**_process_dict(r.process), "lines_per_s": r.lines_per_s, "error": r.error}
                         for r in runs],
                "error": next((r.error for r in runs if r.error), None),
            }
        self.results["ingest"] = out
        ok = all(not v["error"] for v in out.values())
        return case if ok or os.path.exists(case) else None

    # -- peers -------------------------------------------------------------
    def measure_peers(self, access_log: str) -> None:
        ours = self.results.get("ingest", {}).get("access_combined", {}).get("lines_per_s")
        lines = None
        for f in self.results["sample"]["files"].values():
            if f["path"] == access_log:
                lines = f["lines"]
        out = {}
        runs = [
            lambda: peers.run_goaccess(access_log, self.peer_repeat, self.scale.timeout_s),
            lambda: peers.run_lnav(access_log, self.peer_repeat, self.scale.timeout_s),
            lambda: peers.run_duckdb_bare(access_log, "parse", self.peer_repeat, self.scale.timeout_s,
                                          str(self.work_dir)),
            lambda: peers.run_duckdb_bare(access_log, "store", self.peer_repeat, self.scale.timeout_s,
                                          str(self.work_dir)),
        ]
        for make in runs:
            result = make()
            self.log(f"peer {result.name}: " + (result.skipped or result.error or
                     f"{_median([r.wall_s for r in result.runs]):.2f} s"))
            good = [r for r in result.runs if r.ok]
            wall = _median([r.wall_s for r in good])
            lps = lines / wall if (wall and lines and not result.error) else None
            out[result.name] = {
                "description": result.description, "command": result.command, "skipped": result.skipped,
                "error": result.error, "lines_counted": result.lines_counted, "wall_s": wall,
                "lines_per_s": lps, "peak_rss_bytes": max((r.peak_rss_bytes for r in good), default=None),
                "forensics_speedup": (ours / lps) if (ours and lps) else None,
                "runs": [_process_dict(r) for r in result.runs],
            }
            if result.skipped:
                self.missing(f"peer {result.name}", result.skipped)
            elif result.error:
                self.error(f"peer {result.name}", result.error)
        self.results["peers"] = out

    # -- enrichment --------------------------------------------------------
    def _geoip_args(self, sample) -> list[str]:
        args = []
        for db in sample.geoip_dbs:
            args += ["--geoip", db]
        return args

    def measure_enrich_case(self, case: str, sample) -> None:
        """Enrich the generated case itself (also what investigate needs)."""
        self.log("enrich the generated case ...")
        res = stages.run_worker("enrich", [case, *self._geoip_args(sample)], self.scale.timeout_s)
        self.results["enrich_case"] = {**res.data, "process": _process_dict(res.process) if res.process else None,
                                       "error": res.error, "missing": res.missing}
        if res.missing:
            self.missing("enrich (case)", res.missing)
        elif res.error:
            self.error("enrich (case)", res.error)
        else:
            self.log(f"  {res.data['distinct_user_agents']:,} UAs + {res.data['distinct_ips']:,} IPs "
                     f"in {res.data['seconds']:.2f} s")

    def measure_enrich_target(self, sample) -> None:
        """The enrichment target's own input: N distinct UAs + M distinct IPs."""
        n_ua, n_ip = self.scale.enrich_user_agents, self.scale.enrich_ips
        self.log(f"enrichment input: {n_ua:,} distinct UAs + {n_ip:,} distinct IPs ...")
        log_path = self.work_dir / f"enrich-input-{n_ua}-{n_ip}.log"
        real = inputs.real_user_agents(REALDATA)
        vocabulary = inputs.sample_user_agents(sample.access_log)
        user_agents = inputs.top_up_user_agents(real, vocabulary, n_ua)
        ips = inputs.distinct_ips(inputs.geoip_networks(*sample.geoip_dbs), n_ip)
        inputs.write_enrichment_log(log_path, user_agents, ips)
        base = str(self.work_dir / "case-enrich-base.duckdb")
        stages.remove_case(base)
        run = stages.ingest_file(base, "enrich_input", str(log_path), self.scale.timeout_s)
        info = {"user_agents": len(user_agents), "ips": len(ips),
                "user_agents_from_uap_core": min(len(real), n_ua),
                "user_agents_from_sample": len(vocabulary), "input": str(log_path)}
        if run.error:
            self.error("enrich (target input) ingest", run.error)
            self.results["enrich_target"] = {**info, "error": run.error}
            return
        seconds, rss, last = [], [], None
        for r in range(self.cheap_repeat):
            copy = str(self.work_dir / "case-enrich-run.duckdb")
            stages.remove_case(copy)
            stages.copy_case(base, copy)
            res = stages.run_worker("enrich", [copy, *self._geoip_args(sample)], self.scale.timeout_s)
            stages.remove_case(copy)
            last = res
            if res.missing or res.error:
                break
            seconds.append(res.data["seconds"])
            rss.append(res.process.peak_rss_bytes)
            self.log(f"  run {r + 1}: {res.data['distinct_user_agents']:,} UAs + "
                     f"{res.data['distinct_ips']:,} IPs in {res.data['seconds']:.2f} s")
        if not self.profile:
            stages.remove_case(base)
        self._enrich_base = base
        self.results["enrich_target"] = {**info, "seconds": _median(seconds), "runs": seconds,
                                         "peak_rss_bytes": max(rss, default=None),
                                         "distinct_user_agents": last.data.get("distinct_user_agents") if last else None,
                                         "distinct_ips": last.data.get("distinct_ips") if last else None,
                                         "error": last.error if last else None,
                                         "missing": last.missing if last else None}
        if last and last.missing:
            self.missing("enrich (target input)", last.missing)
        elif last and last.error:
            self.error("enrich (target input)", last.error)

    # -- investigate / report -------------------------------------------------
    def measure_investigate(self, case: str) -> None:
        n = self.scale.investigate_accounts
        self.log(f"investigate {n} random accounts ...")
        res = stages.run_worker("investigate", [case, "--accounts", str(n), "--seed", str(self.seed)],
                                self.scale.timeout_s)
        self.results["investigate"] = {**res.data, "error": res.error, "missing": res.missing,
                                       "process": _process_dict(res.process) if res.process else None}
        if res.missing:
            self.missing("investigate", res.missing)
        elif res.error:
            self.error("investigate", res.error)
        else:
            self.log(f"  median {res.data['median']:.3f} s, worst {res.data['worst']:.3f} s "
                     f"on {res.data['case_events']:,} events")
            self.measure_investigate_shell(case, res.data)
        self.measure_notices(case)

    def measure_investigate_shell(self, case: str, in_process: dict) -> None:
        """`forensics investigate` as a person runs it: the console script in a
        fresh process (interpreter start, imports, opening the case, the
        investigation, the text output), on accounts the in-process figure
        timed, with the same periods; and `forensics --help` (start-up alone).
        Wall and CPU (user + sys) per run, the 1-minute load average beside each.

        As installed: Python's bytecode cache is on (an environment with
        PYTHONDONTWRITEBYTECODE recompiles the package's sources on every
        start, ~0.2 s), and one untimed run first writes it and warms the
        file cache."""
        accounts = in_process.get("accounts", [])[:SHELL_ACCOUNTS]
        command = _forensics_command()
        env = stages._child_env()
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if accounts:
            measure.run_process([*command, "investigate", case, "--account", accounts[0]["account"]],
                                timeout_s=self.scale.timeout_s, env=env)
        runs = []
        self.log(f"forensics investigate from the shell: {len(accounts)} accounts x{self.cheap_repeat} ...")
        for r in range(self.cheap_repeat):
            for account in accounts:
                window = [a for k in ("since", "until") if account.get(k) for a in (f"--{k}", account[k])]
                argv = [*command, "investigate", case, "--account", account["account"], *window]
                load = os.getloadavg()[0]
                run = measure.run_process(argv, timeout_s=self.scale.timeout_s, env=env)
                if not run.ok:
                    self.error("investigate from the shell",
                               f"exit {run.returncode}: {(run.stderr or run.stdout).strip()[-300:]}")
                    return
                runs.append({"account": account["account"], "wall_s": run.wall_s, "user_s": run.user_s,
                             "sys_s": run.sys_s, "cpu_s": run.user_s + run.sys_s, "load_1min": load,
                             "in_process_s": account["seconds"], "over_in_process_s": run.wall_s - account["seconds"]})
        startup = []
        for r in range(self.cheap_repeat):
            load = os.getloadavg()[0]
            run = measure.run_process([*command, "--help"], timeout_s=60, env=env)
            if not run.ok:
                self.error("start-up", f"forensics --help: exit {run.returncode}: {run.stderr.strip()[-300:]}")
                return
            startup.append({"wall_s": run.wall_s, "user_s": run.user_s, "sys_s": run.sys_s,
                            "cpu_s": run.user_s + run.sys_s, "load_1min": load})
        if runs:
            self.results["investigate_shell"] = {
                "command": " ".join(command) + " investigate CASE --account ID --since DAY --until DAY",
                "case_events": in_process.get("case_events"), "accounts": len(accounts),
                "median": _median([r["wall_s"] for r in runs]), "worst": max(r["wall_s"] for r in runs),
                "median_cpu_s": _median([r["cpu_s"] for r in runs]),
                "median_over_in_process_s": _median([r["over_in_process_s"] for r in runs]),
                "load_1min": [min(r["load_1min"] for r in runs), max(r["load_1min"] for r in runs)],
                "runs": runs}
            fig = self.results["investigate_shell"]
            self.log(f"  median {fig['median']:.3f} s wall, {fig['median_cpu_s']:.3f} s CPU, "
                     f"{fig['median_over_in_process_s']:.3f} s over the in-process call")
        self.results["startup"] = {"command": " ".join(command) + " --help",
                                   "median": _median([r["wall_s"] for r in startup]),
                                   "median_cpu_s": _median([r["cpu_s"] for r in startup]),
                                   "load_1min": [min(r["load_1min"] for r in startup),
                                                 max(r["load_1min"] for r in startup)],
                                   "runs": startup}

    def measure_notices(self, case: str) -> None:
        """The notices investigation: the sample's notices dispute and random
        accounts with notifications (needs the mail log and ticket export)."""
        sample = getattr(self, "sample", None)
        dispute = sample.notice_dispute() if sample is not None else None
        args = [case, "--accounts", str(self.scale.investigate_accounts), "--seed", str(self.seed)]
        if dispute:
            args += ["--account", str(dispute["account"]), "--since", str(dispute["since"]),
                     "--until", str(dispute["until"])]
        self.log("investigate notices ...")
        res = stages.run_worker("notices", args, self.scale.timeout_s)
        self.results["investigate_notices"] = {**res.data, "error": res.error, "missing": res.missing,
                                               "process": _process_dict(res.process) if res.process else None}
        if res.missing:
            self.missing("investigate notices", res.missing)
        elif res.error:
            self.error("investigate notices", res.error)
        else:
            self.log(f"  median {res.data['median']:.3f} s, worst {res.data['worst']:.3f} s")

    def measure_formats(self) -> None:
        """Lines per second of every shipped declarative format (benchmarks/formats.py)."""
        from benchmarks import formats

        self.log(f"formats: {self.scale.format_lines:,} lines per declarative format ...")
        repeat = self.scale.format_repeat or self.cheap_repeat
        try:
            self.results["formats"] = {"lines": self.scale.format_lines, "repeat": repeat,
                                       "rows": formats.measure(self.scale.format_lines, repeat)}
        except Exception as exc:  # a format that fails to ingest its own samples is a defect
            self.error("formats", f"{type(exc).__name__}: {exc}")

    def measure_lake(self, sample) -> None:
        """Lake ingest with 1 and 2 local Dask workers, and one account's pull (benchmarks/lake.py)."""
        try:
            import distributed  # noqa: F401
        except ImportError:
            self.missing("lake", "the lake extra is not installed (pip install -e '.[lake]')")
            return
        from benchmarks import lake

        self.log("lake: ingest with 1 and 2 local workers, pull of one account ...")
        try:
            data = lake.measure(self.scale, sample, self.work_dir, workers=(1, 2), repeat=self.repeat,
                                log=lambda m: self.log(f"  {m}"))
        except Exception as exc:  # a failed lake ingest is a defect to report
            self.error("lake", f"{type(exc).__name__}: {exc}")
            return
        for detail in data["ingest"].values():
            detail.pop("detail", None)   # per-task figures: `python -m benchmarks.lake --out` keeps them
        self.results["lake"] = data
        for error in data["errors"]:
            self.error("lake", error)

    def measure_outage(self) -> None:
        days = self.scale.outage_days
        self.log(f"outage investigation over {days} days of one-minute checks ...")
        res = stages.run_worker("outage", [str(self.work_dir), "--days", str(days),
                                           "--repeat", str(self.scale.cheap_repeat)], self.scale.timeout_s)
        self.results["outage"] = {**res.data, "error": res.error, "missing": res.missing,
                                  "process": _process_dict(res.process) if res.process else None}
        if res.missing:
            self.missing("outage", res.missing)
        elif res.error:
            self.error("outage", res.error)
        else:
            self.log(f"  median {res.data['median']:.3f} s over {res.data['checks']:,} checks")

    def _report_args(self, sample, case: str) -> list[str] | None:
        """A typical report: the sample's founding dispute (one account, a year
        of history, its claims), or else the account with the most reinstalls."""
        dispute = sample.dispute("account_holder")
        if dispute:
            args = ["--account", str(dispute["account"])]
            # The dispute's period and claims, every state-changing action in
            # it (not only the reinstall): a report with several findings.
            for key in ("since", "until"):
                if dispute.get(key):
                    args += [f"--{key}", str(dispute[key])]
            for claim in dispute.get("claims") or []:
                args += ["--claim", claim]
            return args
        import duckdb

        con = duckdb.connect(case, read_only=True)
        try:
            row = con.execute(
                "SELECT account FROM events WHERE source_kind = 'panel' AND event = 'reinstall' "
                "AND account IS NOT NULL GROUP BY account ORDER BY count(*) DESC, account LIMIT 1").fetchone()
        finally:
            con.close()
        return ["--account", row[0]] if row else None

    def measure_report(self, case: str, sample) -> None:
        args = self._report_args(sample, case)
        if args is None:
            self.missing("report", "no dispute and no account with a reinstall in the case")
            return
        self.log(f"report ({' '.join(args)}) x{self.cheap_repeat} ...")
        args = [case, *args, "--out", str(self.work_dir / "reports"), "--repeat", str(self.cheap_repeat)]
        res = stages.run_worker("report", args, self.scale.timeout_s)
        self.results["report"] = {**res.data, "error": res.error, "missing": res.missing,
                                  "process": _process_dict(res.process) if res.process else None}
        if res.missing:
            self.missing("report", res.missing)
        elif res.error:
            self.error("report", res.error)
        else:
            self.log(f"  median {res.data['median']:.2f} s, {res.data.get('pages')} pages")
        self.measure_report_long_user_agent(case, args)

    def measure_report_long_user_agent(self, case: str, args: list[str]) -> None:
        """The same report, its disputed session's User-Agent 1 MB long (hostile
        input): the report must stay as long as the typical one, its time linear."""
        size = LONG_USER_AGENT_BYTES
        self.log(f"report with a {size:,}-character User-Agent x{self.cheap_repeat} ...")
        args = [*args[: args.index("--out")], "--out", str(self.work_dir / "reports-long-ua"),
                "--repeat", str(self.cheap_repeat), "--user-agent-bytes", str(size)]
        res = stages.run_worker("report", args, self.scale.timeout_s)
        self.results["report_long_user_agent"] = {
            **res.data, "error": res.error, "missing": res.missing,
            "process": _process_dict(res.process) if res.process else None}
        if res.missing:
            self.missing("report_long_user_agent", res.missing)
        elif res.error:
            self.error("report_long_user_agent", res.error)
        else:
            self.log(f"  median {res.data['median']:.2f} s, {res.data.get('pages')} pages")

    def measure_case_size(self, case: str, sample) -> None:
        case_bytes = os.path.getsize(case) + (os.path.getsize(case + ".wal") if os.path.exists(case + ".wal") else 0)
        input_bytes = sample.input_bytes()
        self.results["case_size"] = {"input_bytes": input_bytes, "case_bytes": case_bytes,
                                     "ratio": case_bytes / input_bytes if input_bytes else None,
                                     "enriched": "enrich_case" in self.results and not self.results["enrich_case"].get("error")}

    # -- profiling -----------------------------------------------------------
    def profile_missed_targets(self, case: str, sample) -> None:
        """Rerun each stage whose target FAILed once under py-spy; keep the hot spots."""
        from benchmarks import profile, results as tables

        failed = [row.figure for row in tables.rows(self.results) if row.status == "FAIL"]
        out = {}
        env = stages._child_env()
        timeout = self.scale.timeout_s * 2
        for figure in failed:
            self.log(f"profiling: {figure} ...")
            if figure.startswith("ingest combined access log"):
                scratch = str(self.work_dir / "case-profile.duckdb")
                stages.remove_case(scratch)
                argv = [sys.executable, "-m", "forensics", "ingest", scratch, sample.access_log]
                out["ingest access_combined"] = profile.profile_command(argv, timeout_s=timeout, env=env)
                stages.remove_case(scratch)
            elif figure.startswith("enrich") and os.path.exists(getattr(self, "_enrich_base", "")):
                scratch = str(self.work_dir / "case-profile.duckdb")
                stages.remove_case(scratch)
                stages.copy_case(self._enrich_base, scratch)
                argv = [sys.executable, "-m", "benchmarks._worker", "enrich", scratch, *self._geoip_args(sample)]
                out["enrich"] = profile.profile_command(argv, timeout_s=timeout, env=env)
                stages.remove_case(scratch)
            elif figure.startswith("investigate"):
                argv = [sys.executable, "-m", "benchmarks._worker", "investigate", case, "--accounts",
                        str(self.scale.investigate_accounts), "--seed", str(self.seed)]
                out["investigate"] = profile.profile_command(argv, timeout_s=timeout, env=env)
            elif figure.startswith("report"):
                argv = [sys.executable, "-m", "benchmarks._worker", "report", case,
                        *(self._report_args(sample, case) or []), "--out", str(self.work_dir / "reports"),
                        "--repeat", "3"]
                out["report"] = profile.profile_command(argv, timeout_s=timeout, env=env)
        for name, summary in out.items():
            self.log(profile.format_summary(name, summary))
        self.results["profiles"] = out
        base = getattr(self, "_enrich_base", None)
        if base:
            stages.remove_case(base)
