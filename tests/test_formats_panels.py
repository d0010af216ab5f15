"""The shipped panel definitions on real lines: cPanel login_log and
session_log, the WHMCS activity log (real tblactivitylog rows from a public
SQL dump, exported to CSV here) and Proxmox's pveproxy access log."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re

import duckdb
import pytest

from forensics.ingest.declarative import builtin_definitions

UTC = dt.timezone.utc
SAMPLES = "formats/samples"


def fmt(name):
    return {f.name: f for f in builtin_definitions()}[name]


def parse_file(path, name):
    lines = [l for l in path.read_text(encoding="utf-8").splitlines()]
    numbered = [(i, l) for i, l in enumerate(lines, start=1) if l.strip()]
    batch = fmt(name).parse([l for _, l in numbered], [i for i, _ in numbered], None)
    rows = {int(r["line_no"]): r for r in batch.events.to_dict("records")}
    assert len(rows) + len(batch.rejects) == len(numbered)
    return rows, dict(batch.rejects)


def detail(row):
    return json.loads(row["detail"]) if isinstance(row["detail"], str) else {}


def aware(row):
    return row["ts"].to_pydatetime()


def na(value):
    return value is None or value != value


def utc_us(when: dt.datetime) -> int:
    return (when - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


# --- cPanel login_log ----------------------------------------------------------


def test_cpanel_login_log_wazuh(realdata):
    rows, rejects = parse_file(realdata / SAMPLES / "cpanel/login_log.wazuh.log", "cpanel-login-log")
    assert len(rows) == 5 and not rejects
    row = rows[2]  # [2016-04-18 13:07:15 -0400] info [cpsrvd] 10.1.5.19 - reseller (possessor: root) - SUCCESS LOGIN cpaneld
    assert aware(row) == dt.datetime(2016, 4, 18, 17, 7, 15, tzinfo=UTC)
    assert (row["event"], row["result"], row["user"], row["account"], row["ip"], row["actor"], row["auth"]) == (
        "login", "success", "reseller", "reseller", "10.1.5.19", "staff", "impersonation")
    assert detail(row)["possessor"] == "root"
    row = rows[3]
    assert (row["user"], detail(row)["possessor"], detail(row)["service"]) == ("emailaccount@reseller.com", "reseller", "webmaild")
    row = rows[4]  # FAILED LOGIN cpaneld: invalid cpanel user test (loadcpdata failed)
    assert aware(row) == dt.datetime(2017, 1, 25, 11, 1, 10, tzinfo=UTC)
    assert (row["result"], row["user"], row["actor"]) == ("failure", "test", "customer")
    assert detail(row)["reason"] == "invalid cpanel user test (loadcpdata failed)"
    assert detail(row)["request"] == "POST /login/?login_only=1 HTTP/1.1"
    assert na(rows[1]["actor"])  # WHM root: provider staff or a dedicated-server customer; not guessed


def test_cpanel_login_log_app_spoor(shared_realdata):
    rows, rejects = parse_file(shared_realdata / SAMPLES / "cpanel/login_log.cpan-App-Spoor.log", "cpanel-login-log")
    assert len(rows) == 5 and not rejects
    row = rows[4]  # DEFERRED LOGIN whostmgrd: security token missing
    assert (row["result"], detail(row)["login_result"], detail(row)["reason"]) == (
        "failure", "DEFERRED", "security token missing")
    assert aware(rows[5]) == dt.datetime(2018, 10, 15, 15, 42, 18, tzinfo=UTC)
    assert rows[5]["user"] == "cpresellercapefo"


def test_cpanel_login_log_legacy_layout_is_month_first(shared_realdata):
    rows, rejects = parse_file(shared_realdata / SAMPLES / "cpanel/login_log.docs-legacy.log", "cpanel-login-log")
    assert len(rows) == 3 and not rejects
    row = rows[3]  # 192.168.0.22 - user [07/15/2013:16:21:50 -0000] ... FAILED LOGIN whostmgrd: user password incorrect
    assert aware(row) == dt.datetime(2013, 7, 15, 16, 21, 50, tzinfo=UTC)
    assert (row["ip"], row["user"], row["result"], detail(row)["variant"]) == ("192.168.0.22", "user", "failure", "legacy")
    assert aware(rows[1]) == dt.datetime(2013, 7, 10, 18, 43, tzinfo=UTC)  # 07/10 is July 10th, not October 7th


# --- cPanel session_log --------------------------------------------------------


def test_cpanel_session_log(shared_realdata):
    rows, rejects = parse_file(shared_realdata / SAMPLES / "cpanel/session_log.docs.log", "cpanel-session-log")
    assert len(rows) == 2 and not rejects
    row = rows[2]
    assert aware(row) == dt.datetime(2015, 10, 30, 17, 24, 6, tzinfo=UTC)
    assert (row["event"], row["user"], row["account"], row["ip"], row["actor"]) == (
        "session_start", "user", "user", "14.2.19.78", "customer")
    assert row["session"] == "TIg1FiIdR6eTnKtYr7VmYGKpYB9srb0yvjHkkA1PeYOB6Y2naymPktSsjAob3pX0"
    d = detail(row)
    assert (d["app"], d["creator"], d["cpanel_method"], d["cpanel_path"], d["possessed"], d["address"]) == (
        "cpaneld", "user", "handle_form_login", "form", "0", "14.2.19.78")
    assert na(row["method"]) and na(row["path"])  # not HTTP fields
    rows, _ = parse_file(shared_realdata / SAMPLES / "cpanel/session_log.wazuh.log", "cpanel-session-log")
    row = rows[1]
    assert (row["event"], row["user"], row["session"]) == ("logout", "root", "Nmm4xzhSpA2Sddv3")
    assert aware(row) == dt.datetime(2017, 1, 25, 11, 15, 38, tzinfo=UTC)


# --- WHMCS activity log ----------------------------------------------------------


_SQL_VALUE = re.compile(r"'((?:[^'\\]|\\.|'')*)'|(-?\d+(?:\.\d+)?)|(NULL)")


def tblactivitylog_rows(sql: str) -> list[list[str]]:
    """The rows of the dump's INSERT statement (MySQL quoting: \\' and '')."""
    values = sql[sql.index("VALUES") + len("VALUES"):]
    rows = []
    for group in re.finditer(r"\(((?:[^()']|'(?:[^'\\]|\\.|'')*')*)\)", values):
        cells = []
        for m in _SQL_VALUE.finditer(group.group(1)):
            if m.group(1) is not None:
                cells.append(re.sub(r"\\(.)", r"\1", m.group(1)).replace("''", "'"))
            else:
                cells.append(m.group(2) or "")
        rows.append(cells)
    return rows


@pytest.fixture
def whmcs_csv(shared_realdata, tmp_path):
    sql = (shared_realdata / SAMPLES / "whmcs/tblactivitylog.public-dump.sql").read_text(encoding="utf-8")
    rows = tblactivitylog_rows(sql)
    path = tmp_path / "tblactivitylog.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "date", "description", "user", "userid", "ipaddr"])
        writer.writerows(rows)
    return path


def test_whmcs_dump_rows_converted(whmcs_csv):
    lines = whmcs_csv.read_text().splitlines()
    assert len(lines) == 30  # header + the dump's 29 rows
    assert lines[1] == "1,2016-12-09 09:35:01,Cron Job: Starting,System,0,"


def test_whmcs_activity_csv(whmcs_csv):
    rows, rejects = parse_file(whmcs_csv, "whmcs-activity-csv")
    assert rejects == {1: "CSV header line"}
    assert len(rows) == 29
    row = rows[2]  # id 1
    assert row["ts_local"] == dt.datetime(2016, 12, 9, 9, 35, 1) and na(row["ts"])
    assert (row["event"], row["actor"], row["user"], row["source_kind"]) == ("cron", "system", "System", "panel")
    assert na(row["account"]) and na(row["ip"])  # userid 0 and an empty ipaddr: nobody, nowhere
    assert detail(row) == {"description": "Cron Job: Starting", "record_id": "1"}
    row = rows[30]  # id 29: Admin Email Notification Sending Failed - PHPMailer Exception ...
    assert (row["event"], row["result"], row["actor"]) == ("notification_sent", "failure", "system")
    assert row["ts_local"] == dt.datetime(2016, 12, 9, 9, 35, 6)
    assert sum(r["event"] == "cron" for r in rows.values()) == 28


def test_whmcs_quoted_export(shared_realdata):
    """phpMyAdmin quotes every field: the same rows parse."""
    rows = tblactivitylog_rows((shared_realdata / SAMPLES / "whmcs/tblactivitylog.public-dump.sql").read_text(encoding="utf-8"))
    lines = ['"id","date","description","user","userid","ipaddr"']
    lines += [",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows]
    whmcs = fmt("whmcs-activity-csv")
    assert whmcs.sniff(lines[:1])
    batch = whmcs.parse(lines, list(range(1, len(lines) + 1)))
    assert batch.rejects == [(1, "CSV header line")] and len(batch.events) == 29
    assert batch.events["event"].iloc[-1] == "notification_sent"


def test_whmcs_sniff_takes_the_header_and_not_the_panel_csv(whmcs_csv):
    whmcs = fmt("whmcs-activity-csv")
    assert whmcs.sniff(whmcs_csv.read_text().splitlines()[:1])
    assert whmcs.sniff(whmcs_csv.read_text().splitlines()[1:2])
    assert not whmcs.sniff(["ts,account,event,result,actor,user,auth,session,ip,user_agent,target,detail"])
    assert not whmcs.sniff(["2025-03-22T14:03:11+01:00,c-1001,login,success,customer,jdoe,password,s1,203.0.113.7,curl/8,,"])


def test_ingest_whmcs_with_zone(whmcs_csv, case_path):
    engine = pytest.importorskip("forensics.ingest.engine")
    engine.ingest_files(case_path, [whmcs_csv], tz="Europe/Berlin")
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, lines_read, events_parsed, lines_rejected, tz FROM sources").fetchone() == (
            "whmcs-activity-csv", 30, 29, 1, "Europe/Berlin")
        # 2016-12-09 09:35:01 in Berlin (CET, +01:00)
        assert con.execute("SELECT epoch_us(ts) FROM events WHERE line_no = 2").fetchone()[0] == utc_us(
            dt.datetime(2016, 12, 9, 8, 35, 1, tzinfo=UTC))
    finally:
        con.close()


# --- Proxmox pveproxy ------------------------------------------------------------


def test_pveproxy_access_log(shared_realdata):
    rows, rejects = parse_file(shared_realdata / SAMPLES / "proxmox/pveproxy_access.github-md-67403928542.log", "proxmox-pveproxy")
    assert len(rows) == 3 and not rejects
    row = rows[2]  # ::ffff:192.168.1.164 - root@pam [10/09/2026:11:13:43 -0700] "GET /api2/json/nodes/proxmox/status HTTP/1.1" 200 1144
    assert aware(row) == dt.datetime(2026, 9, 10, 18, 13, 43, tzinfo=UTC)  # 10/09 = 10 September (day first)
    assert (row["ip"], row["user"], row["method"], row["path"], row["status"], row["bytes"]) == (
        "192.168.1.164", "root@pam", "GET", "/api2/json/nodes/proxmox/status", 200, 1144)
    assert (row["event"], row["source_kind"], detail(row)["realm"]) == ("http_request", "http", "pam")


def test_ingest_cpanel_login_log(realdata, case_path):
    from click.testing import CliRunner

    from forensics.cli import main

    if "ingest" not in main.commands:
        pytest.skip("the ingest command is not part of this build")
    result = CliRunner().invoke(main, ["ingest", str(case_path), str(realdata / SAMPLES / "cpanel/login_log.wazuh.log")])
    assert result.exit_code == 0, result.output
    assert "cpanel-login-log" in result.output
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, events_parsed, lines_rejected, tz_assumed FROM sources").fetchone() == (
            "cpanel-login-log", 5, 0, False)
        ts, actor, account = con.execute(
            "SELECT epoch_us(ts), actor, account FROM events WHERE line_no = 2").fetchone()
        assert ts == utc_us(dt.datetime(2016, 4, 18, 17, 7, 15, tzinfo=UTC))
        assert (actor, account) == ("staff", "reseller")
    finally:
        con.close()


# --- detection: each definition refuses the others' lines (plaso style) -----------


def test_panel_definitions_do_not_claim_other_logs(shared_realdata):
    access = (shared_realdata / "access/elastic-examples/apache_logs").read_text().splitlines()[:20]
    cpanel_access = (shared_realdata / SAMPLES / "cpanel/access_log.docs.log").read_text().splitlines()
    syslog = (shared_realdata / "plaso/syslog/syslog_ssh.log").read_text().splitlines()
    login = (shared_realdata / SAMPLES / "cpanel/login_log.wazuh.log").read_text().splitlines()
    session = (shared_realdata / SAMPLES / "cpanel/session_log.docs.log").read_text().splitlines()
    pve = (shared_realdata / SAMPLES / "proxmox/pveproxy_access.github-md-67403928542.log").read_text().splitlines()
    journal = (shared_realdata / "lnav/test/logfile_journald.json").read_text().splitlines()
    own = {"cpanel-login-log": login, "cpanel-session-log": session, "proxmox-pveproxy": pve,
           "syslog": syslog, "journald-json": journal}
    for name, own_lines in own.items():
        assert fmt(name).sniff(own_lines), name
        for other, lines in {"access": access, "cpanel-access": cpanel_access, **own}.items():
            if other != name:
                assert not any(fmt(name).sniff([line]) for line in lines), (name, other)
    # the timestamp-less reader claims none of them either
    for other, lines in {"access": access, "cpanel-access": cpanel_access, **own}.items():
        assert not any(fmt("syslog-notime").sniff([line]) for line in lines), other
    # nor does the journal reader take the native panel log's JSON lines
    panel_line = '{"ts": "2025-03-22T14:03:11+01:00", "account": "c-1001", "event": "reinstall", "actor": "customer"}'
    assert not fmt("journald-json").sniff([panel_line])
