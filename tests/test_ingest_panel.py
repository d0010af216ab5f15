"""The native panel audit log: JSON Lines and CSV, naive times, DST."""

from __future__ import annotations

import json

from forensics.case import Case
from forensics.ingest.engine import ingest_files

PANEL_LINES = [
    {"ts": "2024-03-19T09:12:03+01:00", "account": "K-10023", "event": "login", "user": "mueller",
     "auth": "password", "session": "s-1", "ip": "::ffff:203.0.113.9",
     "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:124.0) Gecko/20100101 Firefox/124.0"},
    {"ts": "2024-03-19T09:14:40+01:00", "account": "K-10023", "event": "rescue_enable",
     "session": "s-1", "target": "srv-4711", "ip": "203.0.113.9"},
    {"ts": "2024-03-22T14:03:11+01:00", "account": "K-10023", "event": "reinstall",
     "target": "srv-4711", "detail": {"os": "CentOS 5.2"}, "ip": "203.0.113.9"},
    {"ts": "2024-03-22T14:05:00+01:00", "account": "K-10023", "event": "login", "result": "failure",
     "ip": "198.51.100.1", "detail": "wrong password"},
    {"ts": "2024-03-23T08:00:00Z", "account": "K-10023", "event": "impersonate_start", "actor": "staff",
     "user": "support.anna", "auth": "impersonation", "ticket": "T-99"},
    {"ts": "2024-03-23T08:30:00+00:00", "account": "K-10023", "event": "provider_custom_thing",
     "actor": "system"},
]


def _write_jsonl(path, records, extra_lines=()):
    lines = [json.dumps(r) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_panel_jsonl_values(tmp_path, case_path):
    log = _write_jsonl(tmp_path / "panel.jsonl", PANEL_LINES, [
        "",
        '{"ts": "2024-03-24T08:00:00+00:00", "event": "login"}',
        '{"ts": "2024-03-24T08:00:00+00:00", "account": "K-1", "event": "login", "actor": "robot"}',
        "not json at all",
    ])
    result = ingest_files(case_path, [log]).results[0]
    assert result.format == "panel-jsonl"
    assert (result.lines_read, result.events_parsed, result.lines_rejected, result.lines_blank) == (10, 6, 3, 1)
    with Case.open(case_path) as case:
        ev = case.sql_df('SELECT line_no, ts::VARCHAR AS ts, event, result, actor, "user", auth, session, '
                         "ip, target, detail, source_kind, account FROM events ORDER BY line_no")
        rejects = case.rejects()
        src = case.sources().iloc[0]
    assert list(ev.event) == ["login", "rescue_enable", "reinstall", "login", "impersonate_start",
                              "provider_custom_thing"]
    assert ev.ts[0] == "2024-03-19 08:12:03+00"
    assert ev.ip[0] == "203.0.113.9"                 # IPv4-mapped IPv6 normalised
    assert ev.result[0] == "success" and ev.actor[0] == "customer"
    assert ev.result[3] == "failure"
    assert json.loads(ev.detail[2]) == {"os": "CentOS 5.2"}
    assert json.loads(ev.detail[3]) == "wrong password"
    assert json.loads(ev.detail[4]) == {"extra": {"ticket": "T-99"}}
    assert ev.actor[4] == "staff" and ev.user[4] == "support.anna" and ev.auth[4] == "impersonation"
    assert set(ev.source_kind) == {"panel"} and set(ev.account) == {"K-10023"}
    assert list(rejects.line_no) == [8, 9, 10]
    assert "missing required field(s): account" in rejects.reason[0]
    assert "actor must be one of" in rejects.reason[1]
    assert rejects.reason[2].startswith("not valid JSON")
    # Every timestamp had an offset: no zone applied, nothing assumed.
    assert not src.tz_assumed
    assert src.events_parsed + src.lines_rejected + src.lines_blank == src.lines_read


def test_panel_csv_with_header(tmp_path, case_path):
    log = tmp_path / "panel.csv"
    log.write_text(
        "ts,account,event,result,actor,user,ip,target,detail\n"
        '2024-03-22T14:03:11+01:00,K-10023,reinstall,,,mueller,203.0.113.9,srv-4711,"{""os"": ""CentOS 5.2""}"\n'
        "2024-03-22T14:10:00+01:00,K-10023,reboot,success,customer,mueller,203.0.113.9,srv-4711,\n"
        "2024-03-22T14:10:00+01:00,K-10023,reboot\n",
        encoding="utf-8",
    )
    result = ingest_files(case_path, [log]).results[0]
    assert result.format == "panel-csv"
    assert (result.events_parsed, result.lines_rejected) == (2, 2)
    with Case.open(case_path) as case:
        ev = case.sql_df("SELECT ts::VARCHAR ts, event, detail, target FROM events ORDER BY line_no")
        rejects = case.rejects()
    assert list(ev.event) == ["reinstall", "reboot"]
    assert ev.ts[0] == "2024-03-22 13:03:11+00"
    assert json.loads(ev.detail[0]) == {"os": "CentOS 5.2"}
    assert list(rejects.line_no) == [1, 4]
    assert rejects.reason[0].startswith("CSV header")
    assert "3 fields, the header has 9" in rejects.reason[1]


def test_naive_times_assume_utc_and_say_so(tmp_path, case_path):
    log = _write_jsonl(tmp_path / "naive.jsonl", [
        {"ts": "2024-03-22T14:03:11", "account": "K-1", "event": "reinstall"},
    ])
    result = ingest_files(case_path, [log]).results[0]
    with Case.open(case_path) as case:
        src = case.sources().iloc[0]
        ts = case.sql_df("SELECT ts::VARCHAR AS ts, ts_raw FROM events").iloc[0]
    assert ts.ts == "2024-03-22 14:03:11+00" and ts.ts_raw == "2024-03-22T14:03:11"
    assert bool(src.tz_assumed) is True
    assert src.tz == "UTC"
    assert "ASSUMED" in src.tz_decision
    assert any("read as UTC" in a for a in json.loads(src.assumptions))
    assert any("read as UTC" in a for a in result.assumptions)


def test_dst_europe_berlin_march_and_october(tmp_path, case_path):
    local = [
        "2024-03-31T01:59:59",  # CET (+01:00)
        "2024-03-31T02:30:00",  # does not exist: clocks jump 02:00 -> 03:00
        "2024-03-31T03:00:00",  # CEST (+02:00)
        "2024-10-27T01:30:00",  # CEST
        "2024-10-27T02:30:00",  # first pass, still CEST
        "2024-10-27T02:45:00",
        "2024-10-27T02:15:00",  # time went back: second pass, CET
        "2024-10-27T03:30:00",  # CET
    ]
    log = _write_jsonl(tmp_path / "berlin.jsonl",
                       [{"ts": t, "account": "K-1", "event": "login"} for t in local])
    result = ingest_files(case_path, [log], tz="Europe/Berlin").results[0]
    with Case.open(case_path) as case:
        ts = list(case.sql_df("SELECT ts::VARCHAR AS ts FROM events ORDER BY line_no").ts)
        src = case.sources().iloc[0]
    assert ts == [
        "2024-03-31 00:59:59+00",
        "2024-03-31 01:00:00+00",   # 02:30 moved forward to 03:00 CEST
        "2024-03-31 01:00:00+00",
        "2024-10-26 23:30:00+00",
        "2024-10-27 00:30:00+00",
        "2024-10-27 00:45:00+00",
        "2024-10-27 01:15:00+00",
        "2024-10-27 02:30:00+00",
    ]
    assert src.tz == "Europe/Berlin" and not src.tz_assumed
    notes = " ".join(result.assumptions)
    assert "occurs twice" in notes and "does not exist" in notes
