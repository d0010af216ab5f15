"""Start-up: each command imports only what it uses.

`forensics --help` and `forensics investigate` run from a shell many times a
day; Python start-up plus imports is most of their time (issue 14).  Each
case runs the real entry point (`forensics.cli:main`, as the console script
does) in a fresh interpreter and lists the heavy packages it had imported
when it exited.  Timings are measured by `python -m benchmarks`, never here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import casebuilder as cb

# Imported by the commands that need them, never at start-up.
HEAVY = ("pandas", "numpy", "duckdb", "weasyprint", "jinja2", "dask", "distributed", "matplotlib", "pyarrow",
         "user_agents", "ua_parser", "geoip2", "maxminddb", "babel", "rich", "pyhanko", "s3fs", "mmdb_writer")

# The child runs the entry point and, at exit, writes the heavy packages it
# imported to the file named by FORENSICS_TEST_MODULES.
_CHILD = """\
import atexit, json, os, sys
heavy = json.loads(os.environ["FORENSICS_TEST_HEAVY"])
def _dump():
    with open(os.environ["FORENSICS_TEST_MODULES"], "w") as fh:
        json.dump(sorted(m for m in heavy if m in sys.modules), fh)
atexit.register(_dump)
from forensics.cli import main
main()
"""


def imported_by(tmp_path, *args) -> tuple[list[str], subprocess.CompletedProcess]:
    out = tmp_path / "modules.json"
    env = {**os.environ, "FORENSICS_TEST_MODULES": str(out), "FORENSICS_TEST_HEAVY": json.dumps(HEAVY)}
    run = subprocess.run([sys.executable, "-c", _CHILD, *map(str, args)], capture_output=True, text=True,
                         env=env, timeout=120)
    return json.loads(out.read_text()), run


@pytest.mark.parametrize("args", [["--help"], ["investigate", "--help"], ["report", "--help"], ["demo", "--help"],
                                  ["lake", "--help"], ["--version"]],
                         ids=lambda a: " ".join(a))
def test_help_imports_no_heavy_package(tmp_path, args):
    modules, run = imported_by(tmp_path, *args)
    assert run.returncode == 0, run.stderr
    assert ("Usage:" in run.stdout) or ("version" in run.stdout)
    assert modules == []


def test_investigate_imports_what_it_uses_and_nothing_for_reports_or_the_lake(tmp_path):
    case = tmp_path / "case.duckdb"
    cb.founding_story(case).close()
    modules, run = imported_by(tmp_path, "investigate", case, "--account", cb.HOLDER, "--since", "2026-03-01")
    assert run.returncode == 0, run.stderr
    assert "ASSESSMENT: account_holder" in run.stdout      # it did investigate
    # The investigation works on DuckDB's rows: no pandas, no numpy (their import
    # alone cost more than the warm call), nothing else heavy.
    assert modules == ["duckdb"]


def test_investigate_json_imports_no_pandas(tmp_path):
    case = tmp_path / "case.duckdb"
    cb.founding_story(case).close()
    modules, run = imported_by(tmp_path, "investigate", case, "--account", cb.HOLDER, "--since", "2026-03-01",
                               "--json", "--claim", "23.03. CentOS installiert")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["findings"][0]["assessment"] == "account_holder"
    assert modules == ["duckdb"]


def test_notices_and_outage_disputes_import_no_pandas(tmp_path):
    from forensics.case import Case
    from forensics.demo.story_outage import Outage, OutageScenario, ingest, write_logs
    import datetime as dt

    utc = dt.timezone.utc
    scenario = OutageScenario(outages=[Outage(dt.datetime(2026, 3, 9, 3, 12, tzinfo=utc),
                                              dt.datetime(2026, 3, 10, 2, 41, tzinfo=utc),
                                              cause="hardware", notice="during")],
                              end=dt.datetime(2026, 3, 20, tzinfo=utc))
    logs = write_logs(tmp_path / "logs", scenario, panel=True)
    case = tmp_path / "case.duckdb"
    with Case.open(case) as c:
        ingest(c, logs, scenario)
    modules, run = imported_by(tmp_path, "investigate", case, "--dispute", "outage", "--account", scenario.account,
                               "--target", f"{scenario.service},{scenario.domain}", "--json")
    assert run.returncode == 0, run.stderr
    assert len(json.loads(run.stdout)["outage"]["windows"]) == 1
    assert modules == ["duckdb"]
    modules, run = imported_by(tmp_path, "investigate", case, "--dispute", "notices", "--account", scenario.account,
                               "--json")
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["account"] == scenario.account
    assert modules == ["duckdb"]


def test_a_usage_error_imports_no_heavy_package(tmp_path):
    modules, run = imported_by(tmp_path, "investigate", tmp_path / "case.duckdb", "--account", "K-1",
                               "--since", "19.03.2026")
    assert run.returncode == 2 and "19.03.2026" in run.stderr
    assert modules == []


def test_ingest_of_an_access_log_imports_no_pandas(tmp_path):
    """The combined access log is parsed and written in DuckDB and its times carry
    their offsets: pandas (0.2-0.5 s of CPU to import) is loaded only by the
    Python path and by naive times (zone, year, DST)."""
    log = Path(__file__).parent / "data" / "access" / "elastic-examples" / "apache_logs"  # real, Apache-2.0
    modules, run = imported_by(tmp_path, "ingest", tmp_path / "case.duckdb", log)
    assert run.returncode == 0, run.stderr
    assert "format combined: 10,000 lines read, 9,999 events, 1 rejected, 0 blank" in run.stdout
    assert "pandas" not in modules and "duckdb" in modules


def _stored(case, sql: str) -> list[tuple]:
    """The rows of `sql` over the case the child process wrote (read here, after it ended)."""
    import duckdb

    con = duckdb.connect(str(case), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_ingest_of_year_less_utc_times_imports_no_pandas(tmp_path):
    """Year-less syslog times read as UTC are given their years and written in numpy
    (`forensics.ingest.timestamps`): pandas is loaded by the Python path and for a zone
    whose clock changes (DST), not for these."""
    times = ["Dec 30 08:00:00", "Dec 31 23:59:59", "Jan  1 00:00:01", "Feb 28 12:30:00"]
    log = tmp_path / "auth.log"
    log.write_text("".join(f"{t} web1 sshd[{i}]: Connection closed by 192.0.2.{i} port {i}\n"
                           for i, t in enumerate(times, start=1)), encoding="utf-8")
    settings = tmp_path / "settings.toml"
    settings.write_text("[ingest]\ncompiled_min_lines = 1\n")   # the compiled SQL path for these 4 lines
    case = tmp_path / "case.duckdb"
    modules, run = imported_by(tmp_path, "ingest", case, log, "--format", "syslog", "--tz", "UTC", "--year", "2025",
                               "--config", settings)
    assert run.returncode == 0, run.stderr
    assert "format syslog: 4 lines read, 4 events, 0 rejected, 0 blank" in run.stdout
    assert ("Year-less timestamps: year 2025 for the first line, given with --year; 1 year roll-over detected "
            "(time jumping back, e.g. Dec -> Jan); lines span 2025-2026.") in run.stdout
    assert "pandas" not in modules and "duckdb" in modules
    stored = _stored(case, "SELECT line_no, strftime(ts AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') FROM events "
                           "ORDER BY line_no")
    assert stored == [(1, "2025-12-30 08:00:00"), (2, "2025-12-31 23:59:59"), (3, "2026-01-01 00:00:01"),
                      (4, "2026-02-28 12:30:00")]


def test_a_file_above_the_threshold_without_pandas_takes_the_compiled_path(tmp_path):
    """In a process without pandas (`forensics ingest` from the shell) a file of
    `[ingest] compiled_min_lines_without_pandas` (2,000) lines or more is parsed by the
    compiled SELECT, below `compiled_min_lines` (10,000): the Python path would import
    pandas first.  3,000 year-less sshd lines, read as UTC."""
    log = tmp_path / "auth.log"
    log.write_text("".join(f"Jan {1 + i // 86400:>2} {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} web1 "
                           f"sshd[{i}]: Connection closed by 192.0.2.{i % 250 + 1} port {i + 1}\n"
                           for i in range(0, 3000 * 97, 97)), encoding="utf-8")
    case = tmp_path / "case.duckdb"
    modules, run = imported_by(tmp_path, "ingest", case, log, "--format", "syslog", "--tz", "UTC", "--year", "2025")
    assert run.returncode == 0, run.stderr
    assert "format syslog: 3,000 lines read, 3,000 events, 0 rejected, 0 blank" in run.stdout
    assert "pandas" not in modules and "duckdb" in modules
    stored = _stored(case, "SELECT count(*), min(event_id), max(event_id), "
                           "strftime(max(ts) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') FROM events")
    assert stored == [(3000, 1, 3000, "2025-01-04 08:48:23")]   # 2,999 x 97 s after Jan 1 00:00:00
