"""The benchmark harness's own parts, on real data (no timings asserted).

Speed targets are checked by `python -m benchmarks` itself, never by tests;
these tests only check that the harness measures what it says it measures.
"""

from __future__ import annotations

import os
import sys

import pytest

from benchmarks import inputs, machine, measure, peers, results

APACHE_LOGS = ("access", "elastic-examples", "apache_logs")


def test_run_process_reports_the_childs_own_peak_rss():
    # The child holds ~200 MiB; the parent (pytest) does not.
    argv = [sys.executable, "-c", "b = bytearray(200 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"]
    run = measure.run_process(argv, timeout_s=60)
    assert run.ok
    assert 200 * 2**20 <= run.peak_rss_bytes < 400 * 2**20
    assert run.wall_s > 0


def test_run_process_kills_on_timeout():
    run = measure.run_process([sys.executable, "-c", "import time; time.sleep(30)"], timeout_s=0.5)
    assert run.timed_out and not run.ok and run.wall_s < 10


def test_duckdb_bare_parses_every_line_of_the_elastic_apache_log(realdata, tmp_path):
    log = str(realdata.joinpath(*APACHE_LOGS))
    for mode in ("parse", "store"):
        result = peers.run_duckdb_bare(log, mode, repeat=1, timeout_s=120, workdir=str(tmp_path))
        assert result.error is None
        # 10,000 lines, every one a combined-log line.
        assert result.lines_counted == 10_000
        assert result.runs[0].stdout.split() == ["10000", "10000"]


def test_peers_not_installed_are_skipped_with_the_reason(realdata, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    log = str(realdata.joinpath(*APACHE_LOGS))
    goaccess = peers.run_goaccess(log, repeat=1, timeout_s=10)
    lnav = peers.run_lnav(log, repeat=1, timeout_s=10)
    assert goaccess.skipped == "goaccess not installed (Debian package goaccess)" and not goaccess.runs
    assert lnav.skipped == "lnav not installed (Debian package lnav)" and not lnav.runs


@pytest.mark.skipif(not os.path.exists("/usr/bin/goaccess"), reason="goaccess not installed")
def test_goaccess_counts_the_elastic_apache_log(realdata):
    result = peers.run_goaccess(str(realdata.joinpath(*APACHE_LOGS)), repeat=1, timeout_s=60)
    assert result.error is None and result.lines_counted == 10_000


def test_enrichment_input_uses_real_user_agents_and_geoip_networks(shared_realdata, tmp_path):
    real = inputs.real_user_agents(shared_realdata)
    # uap-core's corpus, quotes/backslashes left out: ~17,800 distinct strings.
    assert len(real) > 17_000
    assert "atc/1.0 watchOS/5.1.3 model/Watch3,4 hwp/t8004 build/16S535 (6; dt:156)" in real
    uas = inputs.top_up_user_agents(real, ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"], 20_000)
    assert len(uas) == len(set(uas)) == 20_000
    networks = inputs.geoip_networks(str(shared_realdata / "maxmind" / "test-data" / "GeoLite2-ASN-Test.mmdb"))
    ips = inputs.distinct_ips(networks, 5_000)
    assert len(set(ips)) == 5_000
    assert "1.128.0.1" in ips          # AS1221 Telstra in GeoLite2-ASN-Test
    log = tmp_path / "enrich.log"
    assert inputs.write_enrichment_log(log, uas[:100], ips[:300]) == 300
    first = log.read_text().splitlines()[0]
    assert first.startswith(f"{ips[0]} - - [01/Jan/2026:00:00:00 +0000] \"GET /login HTTP/1.1\" 200 512")
    assert first.endswith(f'"{uas[0]}"')


def test_table_shows_targets_as_pass_or_fail():
    data = {
        "scale": "large",
        "machine": machine.describe(),
        "parameters": {"repeat": 3, "peer_repeat": 2, "scale": {"targets_apply": True}},
        "sample": {"total_lines": 20_000_000},
        "missing": [{"figure": "peer lnav", "why": "lnav not installed (Debian package lnav)"}],
        "errors": [],
        "ingest": {"access_combined": {"bytes": 3 * 10**9, "lines_read": 14_000_000, "lines_per_s": 610_000.0,
                                       "peak_rss_bytes": 700 * 2**20, "error": None}},
        "enrich_target": {"user_agents": 20_000, "ips": 100_000, "seconds": 12.5, "peak_rss_bytes": 2**28},
        "investigate": {"median": 0.15, "worst": 1.2, "case_events": 20_000_000,
                        "accounts": [{"account_events": 1500}, {"account_events": 2500}]},
        "report": {"missing": "ImportError: no module named forensics.report.render"},
    }
    by_figure = {r.figure.split(" (")[0]: r for r in results.rows(data)}
    assert by_figure["ingest combined access log"].status == "pass"
    data["ingest"]["access_combined"]["lines_per_s"] = 120_000.0
    slow = {r.figure.split(" (")[0]: r for r in results.rows(data)}["ingest combined access log"]
    assert slow.status == "FAIL: speed (memory pass)"
    assert by_figure["enrich 20,000 UAs + 100,000 IPs"].status == "FAIL"
    assert by_figure["investigate one account"].status == "pass"
    assert by_figure["report render"].status == "missing"
    # Issue 14: the access log at twice lnav's lines/s in the same run; the case at most 0.3x its input.
    data["ingest"]["access_combined"]["lines_per_s"] = 610_000.0
    data["peers"] = {"lnav": {"description": "lnav headless", "lines_per_s": 320_000.0, "wall_s": 40.0,
                              "peak_rss_bytes": 2**30}}
    access = {r.figure.split(" (")[0]: r for r in results.rows(data)}["ingest combined access log"]
    assert access.target.startswith("≥ 640,000 lines/s") and access.status == "FAIL: speed (memory pass)"
    data["case_size"] = {"case_bytes": 31 * 2**20, "input_bytes": 100 * 2**20, "ratio": 0.31}
    case = {r.figure: r for r in results.rows(data)}["case file vs input"]
    assert (case.target, case.status) == ("≤ 0.3×", "FAIL")
    data["investigate"]["median"] = 0.4
    assert {r.figure.split(" (")[0]: r for r in results.rows(data)}["investigate one account"].status == "FAIL"
    del data["peers"], data["case_size"]
    text = results.text_table(data)
    assert "missing: peer lnav: lnav not installed" in text
    assert "| ingest combined access log" in results.markdown_table(data)


def test_merge_keeps_earlier_figures_not_measured_again(tmp_path):
    from benchmarks.runner import Runner
    from benchmarks.scales import SCALES

    earlier = {
        "ingest": {"access_combined": {"lines_per_s": 116_809.0}},
        "peers": {"goaccess": {"lines_per_s": 93_142.0}},
        "investigate": {"median": 9.9},
        "missing": [{"figure": "peer lnav", "why": "lnav not installed (Debian package lnav)"},
                    {"figure": "investigate", "why": "not built"}],
        "invocations": [{"date_utc": "2026-11-22T03:27:00+00:00", "figures": ["enrich", "ingest", "peers"]}],
        "machine": {"load_average_1_5_15": [0.2, 2.2, 3.8]},
    }
    runner = Runner(SCALES["small"], tmp_path, only={"investigate", "report"}, merge_from=earlier)
    merged = runner.results
    # Ingest and peers come from the earlier invocation; investigate is measured anew.
    assert merged["ingest"] == earlier["ingest"] and merged["peers"] == earlier["peers"]
    assert "investigate" not in merged
    assert merged["missing"] == [earlier["missing"][0]]
    assert [inv["figures"] for inv in merged["invocations"]] == [["enrich", "ingest", "peers"], ["investigate", "report"]]
    assert merged["invocations"][0]["load_average_at_start"] == [0.2, 2.2, 3.8]


def test_long_user_agent_input_replaces_the_session_browser_everywhere():
    import dataclasses

    import report_fixtures as fx

    inv = fx.build_investigation()
    old = next(f.session for f in inv.findings if f.session is not None and f.session.user_agent).user_agent
    long_inv, ua = inputs.with_long_user_agent(inv, 1024 * 1024)
    assert len(ua) == 1024 * 1024 and ua.startswith(old + " Ext0/1.0 Ext1/1.1")
    texts = []

    def walk(obj):
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            texts.extend(v for v in (getattr(obj, "user_agent", None), getattr(obj, "raw", None)) if v)
            for f in dataclasses.fields(obj):
                walk(getattr(obj, f.name))
        elif isinstance(obj, (list, tuple)):
            for item in obj:
                walk(item)

    walk(long_inv)
    assert any(ua in t for t in texts)
    assert not any(old in t and ua not in t for t in texts)     # no place kept the short one
    assert inv.findings[0].session.user_agent == old or inv.findings[0].session is None   # the original untouched


def test_table_checks_the_long_user_agent_report_against_the_typical_pages():
    typical = {"median": 2.0, "pages": 15, "pdf_bytes": 120_000, "findings": 1}
    long_ua = {"median": 6.0, "pages": 16, "pdf_bytes": 540_000, "findings": 1, "user_agent_chars": 1024 * 1024}
    row = next(r for r in results.rows({"report": typical, "report_long_user_agent": long_ua})
               if "User-Agent" in r.figure)
    assert (row.figure, row.status) == ("report render, 1 MiB User-Agent", "pass")
    row = next(r for r in results.rows({"report": typical, "report_long_user_agent": {**long_ua, "pages": 60}})
               if "User-Agent" in r.figure)
    assert row.status == "FAIL"


def test_table_shows_investigate_from_the_shell_and_start_up_with_their_load():
    shell = {"accounts": 5, "case_events": 19_921_420, "median": 0.46, "worst": 0.7, "median_cpu_s": 0.44,
             "median_over_in_process_s": 0.3, "load_1min": [0.4, 1.2], "runs": []}
    startup = {"median": 0.09, "median_cpu_s": 0.08, "load_1min": [0.5, 0.5], "runs": []}
    by_figure = {r.figure.split(" (")[0]: r for r in results.rows({"investigate_shell": shell, "startup": startup})}
    row = by_figure["forensics investigate from the shell"]
    assert row.status == "pass" and row.target == "median < 0.5 s on 20 M events"
    assert row.measured == "median 0.460 s wall, 0.440 s CPU, 0.300 s over the call; load 0.4–1.2"
    assert by_figure["start-up: forensics --help"].measured == "median 0.090 s wall, 0.080 s CPU; load 0.5–0.5"
    slow = results.rows({"investigate_shell": {**shell, "median": 0.9}})
    assert next(r for r in slow if r.figure.startswith("forensics investigate")).status == "FAIL"
    # Below provider scale the target is shown but not judged.
    small = results.rows({"investigate_shell": {**shell, "case_events": 65_084}})
    assert next(r for r in small if r.figure.startswith("forensics investigate")).status == ""


def test_declarative_formats_are_a_figure_group_of_the_suite():
    """`python -m benchmarks --only formats` measures every shipped definition on its own samples."""
    from benchmarks import formats
    from benchmarks.runner import FIGURE_KEYS, FIGURES
    from forensics.ingest.declarative import builtin_definitions

    assert "formats" in FIGURES and FIGURE_KEYS["formats"] == "formats"
    rows = formats.measure(lines=40, repeat=1)
    names = [r["format"] for r in rows]
    assert names[0] == formats.BASELINE
    assert set(names[1:]) == {d.name for d in builtin_definitions() if any(not s.reject for s in d.samples)}
    for r in rows:
        # every definition reads the file made of its own sample lines (a CSV header is the one reject)
        assert r["lines"] == 40 and r["events"] + r["rejected"] == 40 and r["rejected"] <= 1, r
        assert r["lines_per_s"] > 0 and r["parse_lines_per_cpu_s"] > 0
    base = rows[0]
    assert base["vs_sshd"] == 1.0
    table = results._format_rows({"formats": {"rows": rows}})
    assert [row.figure.split()[1] for row in table] == ["syslog"] + names[1:]
    assert {row.status for row in table[1:]} <= {"pass", "FAIL"}


def test_startup_worker_splits_the_shell_investigate_into_its_steps(tmp_path):
    """`python -m benchmarks._worker startup` times each step of a shell
    `forensics investigate` in a fresh interpreter and answers like the command."""
    import json
    import subprocess

    import casebuilder as cb

    case = tmp_path / "case.duckdb"
    cb.founding_story(case).close()
    run = subprocess.run([sys.executable, "-m", "benchmarks._worker", "startup", str(case), "--account", cb.HOLDER,
                          "--since", "2026-03-01"], capture_output=True, text=True, timeout=300,
                         cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert [s["step"] for s in out["steps"]] == [
        "import forensics.cli", "import duckdb", "import forensics.investigate", "open the case",
        "investigate (first call)", "text output", "investigate (warm call)"]
    assert out["account"] == cb.HOLDER and out["since"] == "2026-03-01"
    assert all(s["wall_s"] >= 0 and s["cpu_s"] >= 0 for s in out["steps"])
    # the overhead is everything but the warm call, the warm call taken off once
    steps = {s["step"]: s for s in out["steps"]}
    expected = sum(s["cpu_s"] for name, s in steps.items() if name != "investigate (warm call)") \
        - steps["investigate (warm call)"]["cpu_s"]
    assert out["over_warm_call_cpu_s"] == pytest.approx(expected)
