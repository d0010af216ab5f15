"""Child process: time one library call of a pipeline stage.

The parent (`benchmarks.stages`) runs this module in a fresh interpreter so
that each stage's peak RSS is its own and a failure in a stage cannot take
the whole benchmark down.  It prints one JSON document on stdout.

Usage::

    python -m benchmarks._worker ingest CASE FILE [--format NAME] [--tz ZONE] [--host NAME]
    python -m benchmarks._worker enrich CASE [--geoip DB]...
    python -m benchmarks._worker investigate CASE --accounts N --seed S [--account ID]...
    python -m benchmarks._worker startup CASE --account ID [--since DAY] [--until DAY]
    python -m benchmarks._worker report CASE --account ID --out DIR --repeat N [--claim TEXT]...
        [--user-agent-bytes N]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path


def _case(path: str, read_only: bool = False):
    from forensics.case import Case

    return Case.open(path, read_only=read_only)


def ingest(args) -> dict:
    """`ingest_files`, the one entry point `forensics ingest` calls, for one file."""
    from forensics.ingest.engine import ingest_files

    start = time.perf_counter()
    report = ingest_files(args.case, [args.path], format_name=args.format, tz=args.tz, host=args.host)
    seconds = time.perf_counter() - start
    result = report.results[0]
    import duckdb

    con = duckdb.connect(args.case, read_only=True)
    try:
        row = con.execute(
            "SELECT lines_read, events_parsed, lines_rejected, lines_blank, format FROM sources "
            "ORDER BY source_id DESC LIMIT 1").fetchone()
    finally:
        con.close()
    keys = ("lines_read", "events_parsed", "lines_rejected", "lines_blank", "format")
    return {"seconds": seconds, "ok": bool(getattr(result, "ok", True)),
            "message": str(getattr(result, "message", "") or "")[:300],
            **(dict(zip(keys, row)) if row else {"error": "no sources row written"})}


def enrich(args) -> dict:
    from forensics.enrich import enrich_case

    case = _case(args.case)
    try:
        distinct = case.con.execute(
            "SELECT count(DISTINCT user_agent), count(DISTINCT ip) FROM events").fetchone()
        start = time.perf_counter()
        outcome = enrich_case(case, geoip_paths=list(args.geoip) or None)
        seconds = time.perf_counter() - start
        stored = case.con.execute(
            "SELECT (SELECT count(*) FROM user_agents), (SELECT count(*) FROM ip_info)").fetchone()
    finally:
        case.close()
    return {"seconds": seconds, "distinct_user_agents": distinct[0], "distinct_ips": distinct[1],
            "user_agents_rows": stored[0], "ip_info_rows": stored[1], "outcome": repr(outcome)[:500]}


def _dispute_window(last_action_day, days: int) -> dict:
    """A dispute about the `days` days up to the account's last state-changing
    action (like the founding story's two weeks); the whole history stays the
    baseline."""
    if last_action_day is None or days <= 0:
        return {}
    import datetime as dt

    until = last_action_day if isinstance(last_action_day, dt.date) else dt.date.fromisoformat(str(last_action_day)[:10])
    return {"since": (until - dt.timedelta(days=days)).isoformat(), "until": until.isoformat()}


def _state_changing() -> list[str]:
    from forensics.config import load_config

    return list(load_config()["sessions"]["state_changing_events"])


def pick_accounts(case, n: int, seed: int) -> list[str]:
    """`n` random accounts with a state-changing panel action (seeded, so
    every run times the same ones): accounts a dispute can be about."""
    accounts = [row[0] for row in case.con.execute(
        "SELECT DISTINCT account FROM events WHERE account IS NOT NULL AND source_kind = 'panel' "
        "AND list_contains($events, event) ORDER BY account", {"events": _state_changing()}).fetchall()]
    return random.Random(seed).sample(accounts, min(n, len(accounts)))


def _last_action_day(case, account: str):
    """The day of the account's last state-changing action (a DATE; the session is UTC)."""
    return case.con.execute(
        "SELECT CAST(max(ts) AS DATE) FROM events WHERE account = $a AND source_kind = 'panel' "
        "AND list_contains($events, event)", {"a": account, "events": _state_changing()}).fetchone()[0]


def _time_each(case, accounts: list[str], run) -> dict:
    """Warm up on the last account (the target is "warm file cache": the first
    call also pays the imports and the first reads of the case's column
    segments), then time `run(account) -> (seconds, row)` for each account."""
    warm, _ = run(accounts[-1])
    rows = [run(account)[1] for account in accounts]
    total_events = case.con.execute("SELECT count(*) FROM events").fetchone()[0]
    times = [r["seconds"] for r in rows]
    return {"warmup_seconds": warm, "median": statistics.median(times), "worst": max(times),
            "case_events": total_events, "accounts": rows}


def investigate_accounts(args) -> dict:
    from forensics.investigate import investigate

    case = _case(args.case)
    try:
        accounts = list(args.account) or pick_accounts(case, args.accounts, args.seed)
        if not accounts:
            return {"error": "no panel accounts in the case"}

        def run(account):
            n_events = case.con.execute(
                "SELECT count(*) FROM events WHERE account = $a", {"a": account}).fetchone()[0]
            window = _dispute_window(_last_action_day(case, account), args.window_days)
            result, seconds = _timed(investigate, case, account, **window)
            return seconds, {"account": account, "seconds": seconds, "account_events": n_events,
                             **{k: str(v) for k, v in window.items()},
                             "findings": len(getattr(result, "findings", []) or []),
                             "sessions": len(getattr(result, "sessions", []) or [])}

        return _time_each(case, accounts, run)
    finally:
        case.close()


def investigate_notices_accounts(args) -> dict:
    """`investigate_notices` for the sample's notices dispute and random
    accounts with a panel notification (every account gets invoices)."""
    from forensics.investigate.notices import investigate_notices

    case = _case(args.case)
    try:
        accounts = [row[0] for row in case.con.execute(
            "SELECT DISTINCT account FROM events WHERE account IS NOT NULL AND event = 'notification_sent' "
            "ORDER BY account").fetchall()]
        if not accounts:
            return {"error": "no account with a notification in the case"}
        picked = random.Random(args.seed).sample(accounts, min(args.accounts, len(accounts)))
        picked = list(dict.fromkeys([*args.account, *picked]))

        def run(account):
            kwargs = {"since": args.since, "until": args.until} if account in args.account and args.since else {}
            result, seconds = _timed(investigate_notices, case, account, **kwargs)
            return seconds, {"account": account, "seconds": seconds, "contacts": len(result.contacts),
                             "claims": len(result.claims), **{k: str(v) for k, v in kwargs.items()}}

        return _time_each(case, picked, run)
    finally:
        case.close()


def startup(args) -> dict:
    """Where `forensics investigate` from the shell spends what the warm call
    does not: in this fresh interpreter, each step in the order the command
    takes it (the CLI's modules, DuckDB, the investigation package (no pandas),
    opening the case, the first call, its text), then the same call again
    (warm).  The first call takes the command's path (`run_dispute` for the
    text output: only the printed lines' text is read); the warm call is the
    library call the in-process figure times.  Wall and CPU seconds per step;
    the worker's own start (Python, argparse) comes before and is not counted."""
    import os

    steps = []
    wall, cpu = time.perf_counter(), time.process_time()

    def step(name: str) -> None:
        nonlocal wall, cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        steps.append({"step": name, "wall_s": now - wall, "cpu_s": now_cpu - cpu})
        wall, cpu = time.perf_counter(), time.process_time()

    import forensics.cli  # noqa: F401  (click and the command modules, as the console script loads them)
    step("import forensics.cli")
    import duckdb  # noqa: F401
    step("import duckdb")
    from forensics.cli.investigate import run_dispute
    from forensics.investigate import investigate
    step("import forensics.investigate")
    case = _case(args.case, read_only=True)
    step("open the case")
    kwargs = {k: v for k, v in (("since", args.since), ("until", args.until)) if v}
    try:
        result, render_text = run_dispute(case, "action", args.account, action=None, target=None,
                                          since=args.since, until=args.until, claims=(), claim_date=None,
                                          tz=None, config=None, text_only=True)
        step("investigate (first call)")
        render_text(result, None)
        step("text output")
        investigate(case, args.account, **kwargs)
        step("investigate (warm call)")
    finally:
        case.close()
    first = next(s for s in steps if s["step"] == "investigate (first call)")
    warm = steps[-1]
    over = [s for s in steps if s is not warm]
    return {"account": args.account, **kwargs, "steps": steps, "load_1min": os.getloadavg()[0],
            "over_warm_call_wall_s": sum(s["wall_s"] for s in over) - warm["wall_s"],
            "over_warm_call_cpu_s": sum(s["cpu_s"] for s in over) - warm["cpu_s"],
            "first_call_extra_cpu_s": first["cpu_s"] - warm["cpu_s"]}


def _investigate_kwargs(investigate, args) -> dict:
    """The dispute's parameters, as far as `investigate` takes them."""
    import datetime as dt
    import inspect

    wanted = {
        "action": args.action,
        "target": args.target,
        "since": dt.datetime.fromisoformat(args.since) if args.since else None,
        "until": dt.datetime.fromisoformat(args.until) if args.until else None,
        "claims": list(args.claim) or None,
    }
    accepted = inspect.signature(investigate).parameters
    return {k: v for k, v in wanted.items() if v is not None and k in accepted}


def report(args) -> dict:
    from forensics.investigate import investigate
    from forensics.report import render_report

    case = _case(args.case)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        kwargs = _investigate_kwargs(investigate, args)
        investigation, investigate_s = _timed(investigate, case, args.account, **kwargs)
        long_ua = None
        if args.user_agent_bytes:
            from benchmarks.inputs import with_long_user_agent

            investigation, long_ua = with_long_user_agent(investigation, args.user_agent_bytes)
            if long_ua is None:
                return {"missing": "no disputed session with a User-Agent to lengthen"}
        runs = []
        result = None
        for i in range(args.repeat):
            out = out_dir / f"report-{i}.pdf"
            result, seconds = _timed(render_report, investigation, out, case=args.case)
            runs.append(seconds)
        pdf = out_dir / f"report-{args.repeat - 1}.pdf"
        pages = getattr(result, "pages", None) or getattr(result, "page_count", None)
        if pages is None:
            try:
                from pypdf import PdfReader

                pages = len(PdfReader(str(pdf)).pages)
            except Exception:  # pypdf is a test extra; pages are a nicety
                pass
    finally:
        case.close()
    return {"account": args.account, "investigate_kwargs": sorted(kwargs), "investigate_seconds": investigate_s,
            "runs": runs, "median": statistics.median(runs), "pdf_bytes": pdf.stat().st_size, "pages": pages,
            "findings": len(investigation.findings), "claims": len(investigation.claims),
            "user_agent_chars": len(long_ua) if long_ua else None}


def outage(args) -> dict:
    """An outage investigation over `days` of one-minute checks of one service
    (one probe), with the VM's syslog, its shop's access log and a panel log;
    the case is built once per work directory and kept."""
    import datetime as dt

    from forensics.case import Case
    from forensics.demo.story_outage import Outage, OutageScenario, ingest, write_logs
    from forensics.investigate.outage import investigate_outage

    utc = dt.timezone.utc
    start = dt.datetime(2025, 1, 1, tzinfo=utc)
    end = start + dt.timedelta(days=args.days)
    outages = [Outage(start + dt.timedelta(days=d, hours=3), start + dt.timedelta(days=d, hours=3 + h),
                      cause=c, notice=n) for d, h, c, n in ((args.days // 5, 26, "hardware", "during"),
                                                         (args.days // 2, 2, "maintenance", "in_advance"),
                                                         (args.days * 4 // 5, 1, "customer_reboot", None))]
    scenario = OutageScenario(monitoring="checks", check_minutes=1, probes=("fra1",), start=start, end=end,
                              outages=outages, visits_per_hour=6.0, seed=f"bench-outage-{args.days}")
    work = Path(args.work_dir) / f"outage-{args.days}d"
    case_path = work / "case.duckdb"
    ingest_s = None
    if not case_path.exists():
        logs = write_logs(work, scenario, panel=True)
        with Case.open(case_path) as case:
            _, ingest_s = _timed(ingest, case, logs, scenario)
    case = _case(str(case_path), read_only=True)
    try:
        checks = case.con.execute("SELECT count(*) FROM events WHERE event = 'monitor_check'").fetchone()[0]
        total = case.con.execute("SELECT count(*) FROM events").fetchone()[0]
        kwargs = dict(target=f"{scenario.service},{scenario.domain}", since=start.date().isoformat(),
                      until=(end - dt.timedelta(days=1)).date().isoformat(),
                      claims=["the server was down for three days"])
        result, warm = _timed(investigate_outage, case, scenario.account, **kwargs)   # warm-up
        runs = [_timed(investigate_outage, case, scenario.account, **kwargs)[1] for _ in range(args.repeat)]
    finally:
        case.close()
    return {"days": args.days, "checks": checks, "case_events": total, "ingest_seconds": ingest_s,
            "warmup_seconds": warm, "runs": runs, "median": statistics.median(runs), "worst": max(runs),
            "windows": len(result.outage.windows), "sla_periods": len(result.outage.sla)}


def _timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return result, time.perf_counter() - start


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks._worker")
    sub = parser.add_subparsers(dest="stage", required=True)
    p = sub.add_parser("ingest")
    p.add_argument("case")
    p.add_argument("path")
    p.add_argument("--format")
    p.add_argument("--tz")
    p.add_argument("--host")
    p = sub.add_parser("enrich")
    p.add_argument("case")
    p.add_argument("--geoip", action="append", default=[])
    p = sub.add_parser("investigate")
    p.add_argument("case")
    p.add_argument("--accounts", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--account", action="append", default=[])
    p.add_argument("--window-days", type=int, default=14,
                   help="disputed period: N days up to the account's last state-changing action (0: everything)")
    p = sub.add_parser("notices")
    p.add_argument("case")
    p.add_argument("--accounts", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--account", action="append", default=[], help="the notices dispute's account (timed too)")
    p.add_argument("--since")
    p.add_argument("--until")
    p = sub.add_parser("startup")
    p.add_argument("case")
    p.add_argument("--account", required=True)
    p.add_argument("--since")
    p.add_argument("--until")
    p = sub.add_parser("report")
    p.add_argument("case")
    p.add_argument("--account", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--claim", action="append", default=[])
    p.add_argument("--action")
    p.add_argument("--target")
    p.add_argument("--since")
    p.add_argument("--until")
    p.add_argument("--user-agent-bytes", type=int, default=0,
                   help="lengthen the disputed session's User-Agent to this many characters (hostile input)")
    p = sub.add_parser("outage")
    p.add_argument("work_dir")
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    handler = {"ingest": ingest, "enrich": enrich, "investigate": investigate_accounts,
               "notices": investigate_notices_accounts, "startup": startup, "report": report,
               "outage": outage}[args.stage]
    try:
        result = handler(args)
    except ImportError as exc:
        # The stage is not built (yet): a missing figure, not a failure.
        result = {"missing": f"{type(exc).__name__}: {exc}"}
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
