"""sshd in syslog (classic, ISO, RFC 5424) and journald, on the real sample files.

The formats are the shipped definitions `syslog`, `syslog-notime` and
`journald-json` (forensics/ingest/definitions/); the engine applies zones and
years, so parse-level tests look at `ts` (aware) / `ts_local` (naive, year
2000) and the end-to-end tests at the stored UTC instant.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import duckdb
import pytest

from forensics.ingest.base import IngestContext
from forensics.ingest.declarative import builtin_definitions

UTC = dt.timezone.utc


def utc_us(when: dt.datetime) -> int:
    """Microseconds since the epoch: how the tests read TIMESTAMPTZ back (no pytz needed)."""
    return (when - dt.datetime(1970, 1, 1, tzinfo=UTC)) // dt.timedelta(microseconds=1)


def fmt(name):
    return {f.name: f for f in builtin_definitions()}[name]


def parse_file(path, name):
    """Parse a file's non-blank lines like the engine does; rows keyed by line number."""
    raw = path.read_text(encoding="utf-8", errors="replace").splitlines()
    numbered = [(i, line) for i, line in enumerate(raw, start=1) if line.strip()]
    ctx = IngestContext(path=str(path), tz=None, year=None, host=None, mtime_utc=None)
    batch = fmt(name).parse([l for _, l in numbered], [i for i, _ in numbered], ctx)
    rows = {int(r["line_no"]): r for r in batch.events.to_dict("records")}
    assert len(rows) + len(batch.rejects) == len(numbered)  # every non-blank line accounted for
    assert not set(rows) & {no for no, _ in batch.rejects}
    return rows, dict(batch.rejects), batch


def detail(row):
    return json.loads(row["detail"]) if isinstance(row["detail"], str) else {}


def value(row, key):
    v = row.get(key)
    return None if v is None or v != v else v  # NaN/NA -> None


# --- fail2ban's sshd test file: classic, ISO and RFC 5424 lines in one file --


@pytest.fixture(scope="module")
def fail2ban_sshd(realdata):
    return parse_file(realdata / "fail2ban/logs/sshd", "syslog")


def test_fail2ban_sshd_accounting(fail2ban_sshd):
    rows, rejects, batch = fail2ban_sshd
    assert len(rows) == 155
    assert len(rejects) == 193
    # the only rejects are fail2ban's annotations ("# failJSON: ...", "#1", ...)
    assert set(rejects.values()) == {"comment line (starts with '#')"}
    assert batch.yearless
    assert all(r["source_kind"] == "ssh" for r in rows.values())
    assert Counter(r["event"] for r in rows.values()) == {
        "ssh_login": 34, "ssh_other": 32, "ssh_disconnect": 21, "ssh_connection_closed": 19,
        "ssh_auth_failure": 20, "ssh_denied": 14, "ssh_invalid_user": 7, "ssh_connect": 6,
        "ssh_session_open": 2,
    }


def test_fail2ban_failed_password_invalid_user(fail2ban_sshd):
    rows, _, _ = fail2ban_sshd
    row = rows[13]  # Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOT from 194.117.26.69 port 50273 ssh2
    assert row["ts_local"] == dt.datetime(2000, 2, 25, 14, 34, 10)
    assert pd_isnat(row["ts"])
    assert row["ts_raw"] == "Feb 25 14:34:10"
    assert (row["event"], row["result"], row["auth"], row["user"], row["ip"], row["port"], row["host"]) == (
        "ssh_login", "failure", "password", "ROOT", "194.117.26.69", 50273, "belka")
    assert detail(row)["program"] == "sshd" and detail(row)["pid"] == "31602"
    assert detail(row)["invalid_user"] is True


def pd_isnat(value):
    return value is None or value != value


def test_fail2ban_sshd_session_line(fail2ban_sshd):
    row = fail2ban_sshd[0][24]  # OpenSSH 9.8+: sshd-session[1571]
    assert (row["event"], row["result"], row["user"], row["ip"], row["port"]) == (
        "ssh_login", "failure", "root", "192.0.2.1", 56502)
    assert detail(row)["program"] == "sshd-session"
    assert row["ts_local"] == dt.datetime(2000, 7, 3, 14, 59, 17)


def test_fail2ban_user_name_injection_takes_the_real_address(fail2ban_sshd):
    rows, _, _ = fail2ban_sshd
    row = rows[145]  # ... for invalid user test from 10.10.1.2 port 55555 ssh2 from 127.0.0.1 port 58946 ssh2
    assert row["user"] == "test from 10.10.1.2 port 55555 ssh2"
    assert (row["ip"], row["port"]) == ("127.0.0.1", 58946)
    row = rows[151]  # Failed publickey for invalid user graysky ...: RSA SHA256:...
    assert (row["event"], row["result"], row["auth"], row["user"]) == ("ssh_login", "failure", "publickey", "graysky")
    assert detail(row)["key_type"] == "RSA"
    assert detail(row)["fingerprint"] == "SHA256:v3dpapGleDaUKf$4V1vKyR9ZyUgjaJAmoCTcb2PLljI"


def test_fail2ban_iso_and_rfc5424_lines_carry_their_offset(fail2ban_sshd):
    rows, _, _ = fail2ban_sshd
    row = rows[222]  # 2015-04-16T18:02:50.321974+00:00 ... pam_unix(sshd:auth): authentication failure
    assert row["ts"].to_pydatetime() == dt.datetime(2015, 4, 16, 18, 2, 50, 321974, tzinfo=UTC)
    assert pd_isnat(row["ts_local"])
    assert (row["event"], row["result"], row["user"], row["ip"]) == ("ssh_auth_failure", "failure", "root", "192.0.2.112")
    row = rows[415]  # RFC 5424 with structured data containing "]" inside a quoted value
    assert row["ts"].to_pydatetime() == dt.datetime(2019, 7, 8, 21, 40, 17, 954167, tzinfo=UTC)
    assert (row["event"], row["auth"], row["user"], row["ip"], row["port"], row["host"]) == (
        "ssh_login", "unknown", "redmond", "192.0.2.2", 55555, "hostname.example.com")
    assert detail(row)["structured_data"] == '[timeQuality tzKnown="1" isSynced="0"][xxx@123 test="[brackets]"]'
    assert detail(row)["invalid_user"] is True


def test_fail2ban_accepted_and_closed(fail2ban_sshd):
    rows, _, _ = fail2ban_sshd
    row = rows[262]
    assert (row["event"], row["result"], row["auth"], row["user"], row["ip"], row["port"]) == (
        "ssh_login", "success", "password", "known", "192.0.2.116", 52100)
    closed = [r for r in rows.values() if r["event"] == "ssh_connection_closed" and value(r, "user") == "test 127.0.0.1"]
    assert len(closed) == 1 and closed[0]["ip"] == "192.0.2.11" and closed[0]["port"] == 46039
    # "Invalid user  from ..." (empty user name, gh-2749): the empty name is kept
    empty = [r for r in rows.values() if r["event"] == "ssh_invalid_user" and r["ip"] == "192.0.2.68"]
    assert len(empty) == 1 and empty[0]["user"] == ""


def test_fail2ban_ipv4_mapped_address_is_stored_as_ipv4(fail2ban_sshd):
    rows, _, _ = fail2ban_sshd
    # "ROOT LOGIN REFUSED FROM 1.2.3.4", "... port 12345 [preauth]" and "... FROM ::ffff:1.2.3.4"
    for line_no in (28, 30, 32):
        assert (rows[line_no]["event"], rows[line_no]["user"], rows[line_no]["ip"]) == ("ssh_denied", "root", "1.2.3.4")
    assert rows[30]["port"] == 12345


# --- other real syslog files ------------------------------------------------


def test_plaso_ssh_log(realdata):
    rows, rejects, _ = parse_file(realdata / "plaso/syslog/syslog_ssh.log", "syslog")
    assert len(rows) == 9 and not rejects
    assert rows[1]["event"] == "ssh_other"  # Server listening on 0.0.0.0 port 22.
    row = rows[2]
    assert (row["event"], row["result"], row["auth"], row["user"], row["ip"], row["port"], row["host"]) == (
        "ssh_login", "success", "publickey", "plaso", "192.168.0.1", 59229, "osx-machine")
    assert detail(row)["fingerprint"] == "00:aa:bb:cc:dd:ee:ff:11:22:33:44:55:66:77:88:99"
    assert rows[3]["ip"] == "2001:db8:a0b:12f0::1"  # written uncompressed with leading zeros
    assert (rows[6]["event"], rows[6]["result"], rows[6]["user"], rows[6]["ip"]) == (
        "ssh_login", "failure", "root", "188.124.3.41")
    assert rows[5]["event"] == "ssh_connect" and rows[5]["port"] == 32889


@pytest.mark.parametrize("name, events, rejected", [
    ("syslog", 16, 2),                     # "MMM 22" is no date; one continuation line
    ("syslog_chromeos", 8, 1),
    ("syslog_cron.log", 9, 0),
    ("syslog_osx", 2, 0),
    ("syslog_rsyslog", 5, 0),
    ("syslog_rsyslog_SysklogdFileFormat", 9, 1),
    ("syslog_rsyslog_SyslogProtocol23Format", 9, 1),
    ("syslog_rsyslog_traditional", 8, 3),
])
def test_plaso_syslog_files_are_accounted_for(realdata, name, events, rejected):
    rows, rejects, _ = parse_file(realdata / "plaso/syslog" / name, "syslog")
    assert (len(rows), len(rejects)) == (events, rejected)
    assert all(r["event"] == "syslog" and r["source_kind"] == "syslog" for r in rows.values())


def test_plaso_syslog_non_sshd_lines_keep_program_pid_message(realdata):
    rows, rejects, _ = parse_file(realdata / "plaso/syslog/syslog", "syslog")
    row = rows[3]  # Jan 22 07:53:01 myhostname.myhost.com CRON[31051]: (root) CMD (touch /var/run/crond.somecheck)
    assert row["host"] == "myhostname.myhost.com"
    assert detail(row) | {} == {"program": "CRON", "pid": "31051", "variant": "program",
                                "message": "(root) CMD (touch /var/run/crond.somecheck)"}
    assert rows[7]["ts_local"] == dt.datetime(2000, 2, 29, 1, 15, 43)  # leap day survives the placeholder year
    assert rows[11]["ts_local"] == dt.datetime(2000, 3, 23, 23, 1, 18, 123000)  # fractional seconds
    assert rejects[8] == "not a syslog line (no pattern matched)"  # "MMM 22 07:54:32 ..."
    assert rejects[14].startswith("continuation line")


def test_plaso_rfc5424_file(realdata):
    rows, rejects, _ = parse_file(realdata / "plaso/syslog/syslog_rsyslog_SyslogProtocol23Format", "syslog")
    row = rows[9]  # <78>1 2021-03-06T04:07:38.268395+00:00 hostname cron 18898 - -  (CRON) INFO (pidfile fd = 3)
    assert row["ts"].to_pydatetime() == dt.datetime(2021, 3, 6, 4, 7, 38, 268395, tzinfo=UTC)
    assert detail(row)["program"] == "cron" and detail(row)["pid"] == "18898"
    assert detail(row)["message"] == "(CRON) INFO (pidfile fd = 3)"
    assert detail(rows[1])["msgid"] == "123"


@pytest.mark.parametrize("name, events", [("logfile_syslog.0", 4), ("logfile_syslog.1", 4),
                                           ("logfile_syslog.2", 3), ("logfile_syslog.3", 7)])
def test_lnav_syslog_files(realdata, name, events):
    rows, rejects, _ = parse_file(realdata / "lnav/test" / name, "syslog")
    assert len(rows) == events
    assert all(reason.startswith("continuation line") for reason in rejects.values())


def test_lnav_syslog_sudo_line(realdata):
    rows, _, _ = parse_file(realdata / "lnav/test/logfile_syslog.1", "syslog")
    row = rows[4]  # Jan  3 09:47:02 veridian sudo: timstack : TTY=pts/6 ; ...
    assert row["ts_local"] == dt.datetime(2000, 1, 3, 9, 47, 2)
    assert (row["event"], row["source_kind"], row["host"]) == ("syslog", "syslog", "veridian")
    assert detail(row)["program"] == "sudo" and "pid" not in detail(row)


def test_wazuh_iso_samples(realdata):
    rows, rejects, _ = parse_file(realdata / "formats/samples/sshd/rfc3339-and-isolike.wazuh-sshd.ini.log", "syslog")
    assert not rejects
    row = rows[3]
    assert row["ts"].to_pydatetime() == dt.datetime(2013, 10, 30, 13, 51, 24, 140565, tzinfo=UTC)
    assert (row["event"], row["result"], row["auth"], row["user"], row["ip"], row["port"]) == (
        "ssh_login", "failure", "keyboard-interactive", "warez", "192.241.237.101", 54197)
    assert detail(row)["auth_submethod"] == "pam"
    row = rows[4]  # "2020-03-24 08:38:42.344447-0700  localhost sshd[2519]: Failed password for user ..."
    assert row["ts"].to_pydatetime() == dt.datetime(2020, 3, 24, 15, 38, 42, 344447, tzinfo=UTC)
    assert (row["user"], row["ip"]) == ("user", "172.18.1.100")
    assert (rows[5]["event"], rows[5]["user"]) == ("ssh_disconnect", "user")
    assert rows[6]["ts_local"] == dt.datetime(2000, 3, 3, 10, 56, 18)  # classic line in the same file


def test_crowdsec_issue_iso_sample(shared_realdata):
    rows, rejects, _ = parse_file(shared_realdata / "formats/samples/sshd/ubuntu2404-rfc3339.crowdsec-issue-4199.log", "syslog")
    row = rows[1]
    assert row["ts"].to_pydatetime() == dt.datetime(2026, 1, 12, 11, 15, 58, 792703, tzinfo=UTC)
    assert (row["event"], row["user"], row["ip"], row["port"], row["host"]) == (
        "ssh_invalid_user", "user", "1.2.3.4", 5678, "nas1")


# --- journald and the timestamp-less journal test file ----------------------


def test_fail2ban_sshd_journal_lines_parse_without_time(realdata):
    rows, rejects, batch = parse_file(realdata / "fail2ban/logs/sshd-journal", "syslog-notime")
    assert (len(rows), len(rejects)) == (129, 165)
    assert not batch.yearless
    row = rows[161]  # srv sshd[32307]: Accepted publickey for git from 192.0.2.1 port 57904 ssh2: DSA 36:48:xx:...
    assert (row["event"], row["result"], row["auth"], row["user"], row["ip"], row["port"], row["host"]) == (
        "ssh_login", "success", "publickey", "git", "192.0.2.1", 57904, "srv")
    assert pd_isnat(row["ts"]) and pd_isnat(row["ts_local"])


def test_lnav_journald_json(realdata):
    rows, rejects, _ = parse_file(realdata / "lnav/test/logfile_journald.json", "journald-json")
    assert len(rows) == 2 and not rejects
    row = rows[2]
    assert row["ts"].to_pydatetime() == dt.datetime(2018, 8, 21, 14, 4, 21, 221373, tzinfo=UTC)
    assert row["host"] == "imx6ul-medusa"
    assert detail(row)["message"] == "GPS Reference latitude: 46.908706667"
    assert detail(row)["unit"] == "medusa-GpsLocator.service"
    assert detail(row)["priority"] == "6"


def test_systemd_docs_pretty_json_example(realdata):
    """One record over 7 lines: the event on line 1, the other lines rejected naming it."""
    rows, rejects, _ = parse_file(realdata / "formats/samples/journald/systemd-docs-json-example.json", "journald-json")
    assert list(rows) == [1]
    assert detail(rows[1])["message"] == "Hello World"
    assert pd_isnat(rows[1]["ts"])  # the example carries no __REALTIME_TIMESTAMP
    assert rejects == {n: "continuation of the multi-line JSON record that starts at line 1" for n in range(2, 8)}


def test_journald_sshd_entry_with_byte_array_message():
    entry = {"__REALTIME_TIMESTAMP": "1742652191000000", "_HOSTNAME": "web1", "SYSLOG_IDENTIFIER": "sshd",
             "_PID": "4242", "_SYSTEMD_UNIT": "ssh.service",
             "MESSAGE": list(b"Failed password for invalid user \xffroot from ::ffff:192.0.2.9 port 2222 ssh2")}
    batch = fmt("journald-json").parse([json.dumps(entry)], [1], None)
    row = batch.events.to_dict("records")[0]
    assert row["ts"].to_pydatetime() == dt.datetime(2025, 3, 22, 14, 3, 11, tzinfo=UTC)
    assert (row["event"], row["result"], row["user"], row["ip"], row["port"]) == (
        "ssh_login", "failure", "\ufffdroot", "192.0.2.9", 2222)
    assert detail(row)["unit"] == "ssh.service"


# --- end to end through the engine -------------------------------------------


def engine():
    return pytest.importorskip("forensics.ingest.engine")


def cli_ingest(case_path, *args):
    """`forensics ingest CASE ARGS...` through the CLI, as a user runs it."""
    from click.testing import CliRunner

    from forensics.cli import main

    if "ingest" not in main.commands:
        pytest.skip("the ingest command is not part of this build")
    result = CliRunner().invoke(main, ["ingest", str(case_path), *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def test_ingest_plaso_ssh_log_with_zone_and_year(realdata, case_path):
    cli_ingest(case_path, realdata / "plaso/syslog/syslog_ssh.log", "--tz", "Europe/Berlin", "--year", "2016")
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        fmt_name, lines, parsed, rejected, year_decision = con.execute(
            "SELECT format, lines_read, events_parsed, lines_rejected, year_decision FROM sources").fetchone()
        assert (fmt_name, lines, parsed, rejected) == ("syslog", 9, 9, 0)
        assert "2016" in year_decision
        ts, ip, user, fingerprint = con.execute(
            "SELECT epoch_us(ts), ip, \"user\", detail->>'fingerprint' FROM events WHERE line_no = 9").fetchone()
        # Mar 11 22:55:35 in Berlin (CET, +01:00) = 21:55:35 UTC
        assert ts == utc_us(dt.datetime(2016, 3, 11, 21, 55, 35, tzinfo=UTC))
        assert (ip, user, fingerprint) == ("192.0.2.60", "fred", "SHA256:5xyQ+PG1Z3CIiShclJ2iNya5TOdKDgE/HrOXr21IdOo")
    finally:
        con.close()


def test_ingest_fail2ban_sshd_detects_syslog_and_keeps_offsets(realdata, case_path):
    ingest_files = engine().ingest_files

    ingest_files(case_path, [realdata / "fail2ban/logs/sshd"], year=2005)
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, lines_read, events_parsed, lines_rejected, lines_blank FROM sources"
                           ).fetchone() == ("syslog", 417, 155, 193, 69)
        rows = dict(con.execute("SELECT line_no, epoch_us(ts) FROM events WHERE line_no IN (222, 412)").fetchall())
        assert rows[222] == utc_us(dt.datetime(2015, 4, 16, 18, 2, 50, 321974, tzinfo=UTC))
        assert rows[412] == utc_us(dt.datetime(2019, 7, 8, 21, 40, 16, 954167, tzinfo=UTC))
        assert con.execute("SELECT count(*) FROM rejects WHERE reason LIKE 'comment line%'").fetchone() == (193,)
    finally:
        con.close()


def test_ingest_journald_json(realdata, case_path):
    cli_ingest(case_path, realdata / "lnav/test/logfile_journald.json")
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, source_kind, events_parsed, tz_assumed FROM sources").fetchone() == (
            "journald-json", "syslog", 2, False)
        # its entries are a python service's, not sshd's: the source is no sshd
        # log, so coverage must not read its silence as "no SSH logins"
        assert con.execute("SELECT DISTINCT source_kind, event FROM events").fetchall() == [("syslog", "syslog")]
        ts, host = con.execute("SELECT epoch_us(ts), host FROM events WHERE line_no = 1").fetchone()
        assert ts == utc_us(dt.datetime(2018, 8, 21, 14, 4, 21, 221373, tzinfo=UTC))
        assert host == "imx6ul-medusa"
    finally:
        con.close()


def test_ingest_timestampless_journal_file_is_accounted_for(realdata, case_path):
    """Named with --format (never guessed): the sshd lines are events without a time (ts NULL)."""
    cli_ingest(case_path, realdata / "fail2ban/logs/sshd-journal", "--format", "syslog-notime")
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, lines_read, events_parsed, lines_rejected, lines_blank FROM sources"
                           ).fetchone() == ("syslog-notime", 348, 129, 165, 54)
        assert con.execute("SELECT DISTINCT reason FROM rejects").fetchall() == [("comment line (starts with '#')",)]
        assert con.execute("SELECT count(*) FROM events WHERE ts IS NOT NULL OR ts_raw IS NOT NULL").fetchone() == (0,)
        assert con.execute('''SELECT event, result, "user", ip, port, host FROM events WHERE line_no = 161'''
                           ).fetchone() == ("ssh_login", "success", "git", "192.0.2.1", 57904, "srv")
    finally:
        con.close()


def test_timestampless_format_is_never_guessed(realdata):
    notime = fmt("syslog-notime")
    lines = (realdata / "fail2ban/logs/sshd-journal").read_text().splitlines()
    assert not any(notime.sniff([line]) for line in lines)
    detect = pytest.importorskip("forensics.ingest.detect")
    registry = pytest.importorskip("forensics.ingest.registry")
    # a nginx error log with a few journal-style lines is not taken for it
    head = (realdata / "fail2ban/logs/nginx-http-auth").read_text().splitlines()
    try:
        chosen = detect.detect_format("nginx-http-auth", head, registry.all_formats(), 20).name
    except Exception:  # refused: no format matches
        chosen = None
    assert chosen != "syslog-notime"
