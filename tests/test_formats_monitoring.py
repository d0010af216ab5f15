"""Monitoring formats and server life signs on real samples.

* Nagios 3.2.0 state logs from sni/Monitoring-Availability's test files
  (Perl licence; vendored in tests/data/monitoring/, see SOURCE.md): parsed
  line by line with asserted UTC times, hosts, services, states and state
  types; and the outage of host `mo` measured exactly as that project's own
  test expects (`time_down` = 582 s).
* the native check export (JSON Lines and CSV), written as documented.
* life signs: the kernel's boot line of a real Proxmox VE journal
  (../shared/realdata, skipped without it); the shipped definitions' own
  samples run in test_formats_declarative.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.case import Case
from forensics.ingest.declarative import builtin_definitions
from forensics.investigate.outage import investigate_outage

DATA = Path(__file__).parent / "data" / "monitoring"


def fmt(name):
    return next(d for d in builtin_definitions() if d.name == name)


def parse(name, line):
    row, reason = fmt(name).parse_line(line)
    assert row is not None, reason
    return row


def detail(row):
    d = row.get("detail")
    return json.loads(d) if isinstance(d, str) else (d or {})


def test_nagios_lines_of_monitoring_availability():
    lines = (DATA / "breakdown.nagios.log").read_text().splitlines()
    state, down, up = (parse("nagios", line) for line in lines)
    assert state["_ts"].isoformat() == "2012-04-20T22:00:00+00:00"
    assert (state["event"], state["target"], detail(state)["state"], detail(state)["state_type"]) == (
        "monitor_state", "mo", "UP", "HARD")
    assert down["_ts"].isoformat() == "2012-04-22T03:51:24+00:00"
    assert (down["event"], down["target"], down["result"]) == ("monitor_alert", "mo", "failure")
    assert detail(down).items() >= {"state": "DOWN", "state_type": "HARD", "attempt": "5", "status": "down",
                                 "output": "CRITICAL - 172.16.0.1: Host unreachable @ 172.16.0.3. rta nan, lost 100%"}.items()
    assert up["_ts"].isoformat() == "2012-04-22T04:01:06+00:00"
    assert detail(up)["status"] == "up"


def test_nagios_service_log_every_line_accounted(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        report = case.ingest([DATA / "service.nagios.log"])
        src = case.sources().iloc[0]
        assert (src["format"], src["lines_read"], src["events_parsed"], src["lines_rejected"]) == ("nagios", 57, 57, 0)
        rows = case.sql_df("SELECT line_no, ts, event, target, result, CAST(detail AS VARCHAR) AS detail FROM events "
                           "ORDER BY line_no")
    by_line = {int(r.line_no): r for r in rows.itertuples()}
    soft = by_line[20]   # [1264111946] SERVICE ALERT: n0_test_host_000;n0_test_pending_01;WARNING;SOFT;1;warn
    assert soft.ts.isoformat() == "2010-01-21T22:12:26+00:00"
    assert soft.event == "monitor_alert" and soft.target == "n0_test_host_000"
    assert json.loads(soft.detail).items() >= {"check": "n0_test_pending_01", "state": "WARNING", "state_type": "SOFT",
                                               "status": "degraded"}.items()
    hard = by_line[54]   # ... CRITICAL;HARD;3;critical
    assert hard.ts.isoformat() == "2010-01-21T22:14:20+00:00" and hard.result == "failure"
    assert json.loads(hard.detail)["state_type"] == "HARD"
    assert by_line[17].event == "monitor_downtime_start" and by_line[23].event == "monitor_downtime_end"
    assert by_line[55].event == "monitor_notification"
    assert by_line[1].event == "monitor_log"   # "Nagios 3.2.0 starting..."
    assert report is not None


def test_outage_of_host_mo_matches_monitoring_availability(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([DATA / "breakdown.nagios.log"])
        inv = investigate_outage(case, None, target="mo", since="2012-04-21", until="2012-04-22")
    (w,) = inv.outage.windows
    assert w.duration_s == 582   # Monitoring::Availability t/34: 'time_down' => 582
    assert (w.start_ref.line_no, w.end_ref.line_no) == (2, 3)
    assert w.hard and w.confirmed and w.failed_checks == 5
    assert w.corroboration == "uncorroborated"   # no server or access log in this case


def test_scheduled_downtime_is_provider_maintenance(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([DATA / "service.nagios.log"])
        inv = investigate_outage(case, None, target="n0_test_host_000")
    (w,) = inv.outage.windows
    assert w.checks == ["n0_test_pending_01"] and w.hard
    assert w.start.isoformat() == "2010-01-21T22:14:20+00:00"
    # the host's scheduled downtime began 14 s later, within the cause's lead time; the
    # service's own downtime two minutes before had been cancelled already (line 23)
    assert w.cause == "provider_maintenance"
    assert w.causes[0].evidence[0].raw.startswith("[1264112074] HOST DOWNTIME ALERT: n0_test_host_000;STARTED")
    # no notice to the customer: not excluded
    assert w.announcement == "none" and not w.excluded


def test_native_check_export_jsonl_and_csv(tmp_path):
    jsonl = tmp_path / "checks.jsonl"
    jsonl.write_text('{"ts": "2026-03-02T10:00:00+01:00", "target": "vps-31337", "check": "https://shop.example.de/", '
                     '"state": "down", "latency_ms": null, "probe": "fra1", "detail": "connect timeout"}\n'
                     '{"ts": "2026-03-02T09:01:00Z", "target": "vps-31337", "check": "ping", "state": "up", '
                     '"latency_ms": 0.8, "probe": "ams2"}\n')
    csv = tmp_path / "checks.csv"
    csv.write_text("ts,target,check,state,latency_ms,probe\n2026-03-02T09:02:00Z,vps-31337,ping,degraded,812.5,ams2\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([jsonl])
        case.ingest([csv])
        assert list(case.sources()["format"]) == ["check-jsonl", "check-csv"]
        rows = case.sql_df("SELECT ts, target, result, CAST(detail AS VARCHAR) AS detail FROM events ORDER BY ts")
        assert case.sources().iloc[1]["lines_rejected"] == 1   # the CSV header, recorded as such
    first = rows.iloc[0]
    assert first["ts"].isoformat() == "2026-03-02T09:00:00+00:00" and first["result"] == "failure"
    assert json.loads(first["detail"]).items() >= {"status": "down", "probe": "fra1", "check": "https://shop.example.de/",
                                                   "output": "connect timeout"}.items()
    assert json.loads(rows.iloc[2]["detail"])["status"] == "degraded" and rows.iloc[2]["result"] == "success"


def test_nagios_is_detected_and_not_confused_with_syslog(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([DATA / "host_with_downtime.nagios.log"])
        assert case.sources().iloc[0]["format"] == "nagios"
    assert fmt("nagios").parse_line("Nov 09 03:24:52 pve kernel: Linux version 6.2.16-19-pve")[0] is None


def test_boot_in_a_real_proxmox_journal(realdata, tmp_path):
    path = realdata / "formats/samples/proxmox/journal-short.github-md-12532155214.log"
    if not path.exists():
        pytest.skip("realdata sample not present")
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([path], year=2023)
        rows = case.sql_df("SELECT line_no, ts, host, event, CAST(detail AS VARCHAR) AS detail FROM events "
                           "WHERE event = 'boot'")
        rejects = case.rejects()
    (boot,) = rows.itertuples()
    assert boot.line_no == 9 and boot.host == "pve"
    assert boot.ts.isoformat() == "2023-11-09T03:24:52+00:00"
    assert json.loads(boot.detail)["kernel_version"] == "6.2.16-19-pve"
    assert list(rejects["line_no"]) == [8]   # journalctl's "-- Reboot --" marker is not a log line


def test_icinga2_debug_log_of_the_documentation(tmp_path):
    """Icinga 2's debug log (its documentation's own excerpt): the state change
    is a SOFT alert; one soft failure that recovered is listed, not counted."""
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([DATA / "icinga2-debug.log"])
        src = case.sources().iloc[0]
        assert (src["format"], src["events_parsed"], src["lines_rejected"]) == ("icinga2-log", 6, 0)
        row = case.sql_df("SELECT ts, event, target, result, CAST(detail AS VARCHAR) AS detail FROM events "
                          "WHERE line_no = 3").iloc[0]
        inv = investigate_outage(case, None, target="remote-http-host")
    assert row["ts"].isoformat() == "2014-09-15T16:58:32+00:00"
    assert (row["event"], row["target"], row["result"]) == ("monitor_alert", "remote-http-host", "failure")
    assert json.loads(row["detail"]).items() >= {"check": "http", "state": "CRITICAL", "old_state": "OK",
                                                 "state_type": "SOFT", "status": "down"}.items()
    assert not inv.outage.windows
    (soft,) = inv.outage.unconfirmed
    assert soft.start_ref.line_no == 3 and soft.open_end and not soft.hard
