"""The compiled SQL path of the declarative definitions against the Python path (the oracle).

Every shipped definition that compiles must give, on every one of its sample
lines, on the benchmark's files, on the real sample files of tests/data and on
hostile lines, exactly what the Python path gives: every canonical column,
`detail` as text, `ts`, `ts_local`, `ts_raw`, which lines are rejects and
their reasons.  End to end (`forensics ingest` into a case) both paths must
write the same events, rejects and time decisions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from test_formats_declarative import write  # the definition-file writer of the declarative tests

from forensics.config import load_config
from forensics.ingest.declarative import builtin_definitions, load_definition
from forensics.ingest.declarative_sql import differences

DEFINITIONS = {d.name: d for d in builtin_definitions()}
TESTDATA = Path(__file__).resolve().parent / "data"

# What compiles, and why the others stay on the Python path.
COMPILED = {
    "cpanel-login-log", "cpanel-api-log", "cpanel-accounting", "proxmox-pveproxy", "proxmox-tasks",
    "hestia-auth-log", "webmin-actions-log", "plesk-panel-log", "plesk-action-log", "http-error-log", "postfix", "exim",
    "nagios", "icinga2-log", "syslog", "syslog-notime",
    # CSV lines cut in SQL (forensics.ingest.declarative_sql_records; tests/test_declarative_sql_records.py)
    "whmcs-activity-csv", "whmcs-admin-log-csv", "whmcs-tickets-csv", "whmcs-ticketreplies-csv", "contacts-csv",
    "check-csv", "check-jsonl",
    # JSON lines with keep_unmapped: the other keys kept in detail (declarative_sql_records)
    "contacts-jsonl", "virtualizor-logs-jsonl",
    # MySQL dumps, one INSERT row per line (declarative_sql_records.CompiledSqlDumpDefinition)
    "whmcs-activity-sql", "whmcs-admin-log-sql",
    # `%I`/`%p` times in their strict layout (CompiledDefinition.ts_sql; the others through Python)
    "solusvm-server-log",
    # `[split]` lists cut in SQL where every name is plain and new (CompiledDefinition._split)
    "cpanel-session-log",
    # jsonl multiline: line by line in SQL; a file with a line that could start a pretty-printed
    # record is parsed again in Python (records_span_lines, the engine)
    "journald-json",
}
FALLBACK_REASONS: dict[str, str] = {}


def test_what_compiles_and_why_the_rest_does_not():
    assert set(DEFINITIONS) == COMPILED | set(FALLBACK_REASONS)
    for name, fmt in DEFINITIONS.items():
        if name in COMPILED:
            assert fmt.sql_plan is not None, (name, fmt.sql_fallback_reason)
            assert fmt.sql_fallback_reason is None
            assert hasattr(fmt, "select_sql")          # the engine's vectorised path
        else:
            assert fmt.sql_plan is None
            assert FALLBACK_REASONS[name] in fmt.sql_fallback_reason
            assert not hasattr(fmt, "select_sql")      # the engine parses it in Python


def test_the_switch_turns_the_sql_path_off(monkeypatch):
    fmt = DEFINITIONS["syslog"]
    assert hasattr(fmt, "select_sql")
    monkeypatch.setenv("FORENSICS_DECLARATIVE_SQL", "0")
    assert not hasattr(fmt, "select_sql")


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_samples_agree(name):
    fmt = DEFINITIONS[name]
    lines = [s.line for s in fmt.samples]
    assert differences(fmt, lines) == []


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_benchmark_files_agree(tmp_path, name):
    from benchmarks.formats import BASELINE, _sample_file

    fmt = DEFINITIONS[name]
    for label in ([BASELINE, name] if name == "syslog" else [name]):
        path = _sample_file(fmt, tmp_path, 300, label)
        lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert differences(fmt, lines) == []


# Lines that probe where RE2/DuckDB and Python could part: non-ASCII text
# (Unicode \d \w \s in Python), tabs, quotes and backslashes in detail JSON,
# control characters, impossible and unusual timestamps, groups that take
# part with an empty text, continuation and comment lines.
HOSTILE = [
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user ROOTé from 194.117.26.69 port 50273 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for invalid user r\u00a0t from 194.117.26.69 port 5027\u0663 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for us\"er\\x from 194.117.26.69 port 50273 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for us\ter from 194.117.26.69 port 50273 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for us\x1ber from 194.117.26.69 port 50273 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Failed password for root from 194.117.26.69 port 50273 ssh2: ",
    "Feb 25 14:34:10 belka sshd[31602]: Accepted publickey for root from 10.0.0.1 port 22 ssh2: RSA SHA256:abc,extra",
    "Feb 25 14:34:10 belka sshd[31602]: Accepted password for root from ::ffff:10.0.0.1 port 22 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Accepted password for root from 010.0.0.1 port 22 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Accepted password for root from [2001:DB8::1] port 22 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Accepted password for root from host.example.org port 99999999999999999999 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: Connection closed by  192.0.2.1 port 1 [preauth]",
    "Feb 25 14:34:10 belka sshd[31602]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=  user=",
    "Feb 25 14:34:10 belka sshd[31602]: message repeated 3 times: [ Failed password for root from 192.0.2.7 port 22 ssh2]",
    "Feb 25 14:34:10 belka sshd[31602]: message repeated 3 times: [ ]",
    "Feb 25 14:34:10 belka sshd[31602]:",
    "Feb 25 14:34:10 belka sshd[31602]: ",
    "Feb 25 14:34:10 belka kernel: [ 0.000000] Linux version 6.2.16-19-pve (build@proxmox)",
    "Feb 25 14:34:10 belka pvedaemon[1]: <root@pam> end task UPID:pve1:0000A1B2:0001C3D4:65F0A1B2:qmstart:101:alice@pve: unexpected status",
    "Feb 25 14:34:10 belka pvedaemon[1]: <root@pam> end task UPID:pve1:0000A1B2:0001C3D4:65F0A1B2:qmstart:101:alice@pve!tok: OK",
    "Feb 25 14:34:10 belka webmin[1]: Non-existent login as  from 192.0.2.9",
    "Feb 30 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 29 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 24:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:60 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb  5 14:34:10.12 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Foo 25 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "2026-01-12T11:15:58.792703+00:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58,792703+01:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.7927031-05:30 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12 11:15:58Z nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58+0100 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-02-30T11:15:58+00:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T24:15:58+00:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [a b=\"]\\\"\"][c@1 d=\"[x]\"] Failed password for root from 192.0.2.2 port 1 ssh2",
    "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - -",
    "   continuation of the line above",
    "\tcontinuation with a tab",
    "# a comment line",
    "not a log line at all",
    "Feb 25 14:34:10 " + "x" * 5000,
    "2024-03-22 14:03:11 +0000 [info] x",
    "2024-03-22 14:03:11 +2399 [info] x",
    "[1700000000] SERVICE ALERT: web;HTTP;CRITICAL;HARD;3;timeout",
    "[-1700000000] SERVICE ALERT: web;HTTP;CRITICAL;HARD;3;timeout",
    "[17000000001234] SERVICE ALERT: web;HTTP;CRITICAL;HARD;3;timeout",
    "UPID:pve1:0000A1B2:0001C3D4:65F0A1B2:qmstart:101:root@pam: 65F0A1C0 OK",
    "UPID:pve1:0000A1B2:0001C3D4:FFFFFFFFF:qmstart:101:root@pam: 65F0A1C0 OK",
    "UPID:pve1:0000A1B2:0001C3D4:65F0A1B2:qmstart:101:root@pam: 65F0A1C0 ",
    # a line pattern applied without its tail `(?P<message>.*)$`: where that match stops short of the
    # end without the message (the whole pattern decides: another host/program split, another variant)
    "Feb 25 14:34:10 belka sshd[1]:x",
    "Feb 25 14:34:10 belka sshd[1]:x y",
    "Feb 25 14:34:10 host prog:xyz",
    "Feb 25 14:34:10 a b:c d: e",
    "Feb 25 14:34:10 a b c:",
    "Feb 25 14:34:10 a [b]:c",
    "Feb 25 14:34:10: ",
    "Feb 25 14:34:10:x",
    "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - [a b=\"c\"]x",
    "<38>1 2019-07-08T17:40:17.954167-04:00 h sshd 55555 - -  ",
    "[1700000000] SERVICE ALERT: web;HTTP;CRITICAL;HARD;3;",
    # the timestamps' fixed layouts (GLOB and cast in SQL) beside the near misses the pattern reads
    "2024-02-30 14:03:11 admin 192.0.2.1 failed to login",
    "2024-02-29 14:03:11 admin 192.0.2.1 failed to login",
    "0000-01-01 00:00:00 admin 192.0.2.1 failed to login",
    "2024-13-01 00:00:00 admin 192.0.2.1 failed to login",
    "2024-01-01 24:00:00 admin 192.0.2.1 failed to login",
    "2024-01-01 23:59:60 admin 192.0.2.1 failed to login",
    "2024-1-01 00:00:00 admin 192.0.2.1 failed to login",
    "2024-01-01  00:00:00 admin 192.0.2.1 failed to login",
    "2024-01-01 23:59:59 +0060 [info] x",
    "2024-01-01 23:59:59 -2359 [info] x",
    "2024-01-01 23:59:59 +02:00 [info] x",
    "2024-01-01 23:59:59 +2400 [info] x",
    "[2024-01-01 23:59:59 +7200] info [cpsrvd] 192.0.2.1 - root \"GET / HTTP/1.1\" FAILED LOGIN cpsrvd: bad",
    "[2024-01-01 23:59:59 -2400] info [cpsrvd] 192.0.2.1 - root \"GET / HTTP/1.1\" FAILED LOGIN cpsrvd: bad",
    "[2024-01-01 23:59:59 -0130] info [cpsrvd] 192.0.2.1 - root \"GET / HTTP/1.1\" FAILED LOGIN cpsrvd: bad",
    "Feb  0 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 05 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 5 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "feb 25 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "FEB 25 14:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25  4:34:10 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Dec 31 23:59:59 belka sshd[1]: Invalid user a from 192.0.2.1 port 0050273",
    "2026-01-12T11:15:58z nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.123Z nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.123 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.1234+01:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.123+24:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:15:58.123-23:59 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T19:15:58+29:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2024-02-29T23:59:59.999999+05:30 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T11:60:58+00:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "2026-01-12T29:15:58 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "0000-01-01T00:00:00Z nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    "0999-01-01T00:00:00+01:00 nas1 sshd[1]: Invalid user user from 1.2.3.4 port 5678",
    # the classic header cut by position (declarative_sql._classic_cut) beside its near misses
    "Feb 25 14:34:10 belka sshd[31602]:   Accepted password for root from 10.0.0.1 port 22 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: [ID 800047 auth.info] Failed password for root from 10.0.0.1 port 1 ssh2",
    "Feb 25 14:34:10 belka sshd[31602]: [x] Failed password for root from 10.0.0.1 port 1 ssh2",
    "Feb 25 14:34:10 belka <x>[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka sshd[1][2]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka sshd[]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka sshd[1] : Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10  belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka  sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka sshd[1]:\tInvalid user a from 192.0.2.1",
    "Feb 25 14:34:10 bel:ka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka sshd[1]: Invalid user a] from 192.0.2.1 port 22",
    "Feb 25 14:34:10 belka sshd[1]: x",
    "Feb 25 14:34:10.5 belka sshd[1]: Invalid user a from 192.0.2.1",
    "Feb 25 14:34:10 belka systemd-logind[612]: New session 3 of user root.",
]


def test_the_classic_syslog_header_is_cut_by_position():
    from forensics.ingest import declarative_sql

    sql, _ = DEFINITIONS["syslog"].sql_plan.select_sql("t")
    assert "_hk2" in sql and [c.pattern for _, c in DEFINITIONS["syslog"].variants][1] == declarative_sql._CLASSIC_PROGRAM


@pytest.mark.parametrize("name", sorted(COMPILED))
def test_hostile_lines_agree(name):
    fmt = DEFINITIONS[name]
    # the format's own samples, altered: tabs for blanks, non-ASCII, quotes
    own = [s.line for s in fmt.samples]
    altered = [line.replace(" ", "\t", 2) for line in own] + [line + " é" for line in own] \
        + [line.replace("a", "\"\\") for line in own] + [line.replace("1", "\u0661") for line in own]
    assert differences(fmt, HOSTILE + own + altered) == []


def _ingested(case_path, path, monkeypatch, sql: bool, fmt_name: str):
    from forensics.case import Case
    from forensics.ingest.engine import ingest_files

    monkeypatch.setenv("FORENSICS_DECLARATIVE_SQL", "1" if sql else "0")
    config = load_config()
    config["ingest"]["compiled_min_lines"] = 0   # the compiled path even for these small files
    with Case.open(case_path) as case:
        result = ingest_files(case, [str(path)], format_name=fmt_name, tz="Europe/Berlin",
                              chunk_bytes=64 << 10, config=config).results[0]
        events = case.con.execute(
            "SELECT * EXCLUDE (event_id, source_id) FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute(
            "SELECT * EXCLUDE (source_id) FROM rejects ORDER BY line_no").fetchall()
        source = case.con.execute(
            "SELECT * EXCLUDE (source_id, ingested_at) FROM sources").fetchall()
    return result, events, rejects, source


def _real_files():
    """Files of tests/data that a compiled definition reads (auto-detected as it would be)."""
    from forensics.ingest.detect import detect_format
    from forensics.ingest.reader import head_lines
    from forensics.ingest.registry import all_formats

    found = []
    candidates = all_formats()
    for path in sorted(TESTDATA.rglob("*")):
        if not path.is_file() or path.suffix in (".md", ".mmdb", ".yaml", ".toml", ".json", ".csv"):
            continue
        try:
            head = head_lines(str(path), max_lines=50, skip_blank=True)
            fmt = detect_format(str(path), head, candidates, 50, 0.5)
        except Exception:  # noqa: BLE001 - not a log any format reads
            continue
        if fmt.name in COMPILED:
            found.append((path, fmt.name))
    return found


REAL = _real_files()


def test_real_files_cover_the_compiled_syslog_and_mail_formats():
    assert {"syslog", "postfix", "exim"} <= {name for _, name in REAL}


@pytest.mark.parametrize("path,name", REAL, ids=[f"{p.parent.name}/{p.name}" for p, _ in REAL])
def test_real_files_agree_end_to_end(tmp_path, monkeypatch, path, name):
    """`forensics ingest` writes the same events, rejects and decisions on either path."""
    py = _ingested(tmp_path / "python.duckdb", path, monkeypatch, sql=False, fmt_name=name)
    sq = _ingested(tmp_path / "sql.duckdb", path, monkeypatch, sql=True, fmt_name=name)
    assert sq[0].lines_read == py[0].lines_read
    assert sq[0].assumptions == py[0].assumptions
    assert sq[1] == py[1]            # events: every column, raw text, ts, detail
    assert sq[2] == py[2]            # rejects: line numbers, reasons, raw text
    assert sq[3] == py[3]            # the sources row: counts, time decisions, first/last ts
    lines = [line for line in path.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()]
    assert differences(DEFINITIONS[name], lines) == []


def test_yearless_and_zoned_times_end_to_end(tmp_path, monkeypatch):
    """Year inference and DST on the SQL path (ts_local rows reach `ingest_local`)."""
    path = tmp_path / "auth.log"
    path.write_text("\n".join([
        "Dec 31 23:59:59 h sshd[1]: Invalid user a from 192.0.2.1 port 1",
        "Jan  1 00:00:01 h sshd[1]: Invalid user b from 192.0.2.2 port 2",
        "Mar 31 02:30:00 h sshd[1]: Invalid user c from 192.0.2.3 port 3",
        "2026-03-29T02:30:00 h sshd[1]: Invalid user d from 192.0.2.4 port 4",
        "Feb 29 10:00:00 h sshd[1]: Invalid user e from 192.0.2.5 port 5",
        "", "  ",
        "2026-01-12T11:15:58.5+02:00 h sshd[1]: Accepted password for root from 192.0.2.6 port 6 ssh2",
    ]) + "\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", path, monkeypatch, sql=False, fmt_name="syslog")
    sq = _ingested(tmp_path / "s.duckdb", path, monkeypatch, sql=True, fmt_name="syslog")
    assert sq[1:] == py[1:] and sq[0].assumptions == py[0].assumptions
    assert sq[0].events_parsed + sq[0].lines_rejected + sq[0].lines_blank == sq[0].lines_read == 8


def test_a_file_of_many_batches_agrees_end_to_end(tmp_path, monkeypatch):
    """A file of some 30 chunks through the one INSERT (its batches scanned on every core):
    seeded syslog samples (rejects among them), mutations and blank lines, classic times
    going forwards; both paths write the same events, rejects and decisions."""
    import random

    fmt = DEFINITIONS["syslog"]
    seeds = [s.line for s in fmt.samples] + HOSTILE
    rng = random.Random(1203)
    lines = []
    for i in range(20_000):
        s = rng.choice(seeds)
        if rng.random() < 0.1:
            k = rng.randrange(len(s) + 1)
            s = s[:k] + rng.choice(" []:<>.\t0123456789aZ-_/()@=\"") + s[k:]
        if s[:3] in ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec") \
                and s[3:4] == " " and s[6:7] == " " and s[9:10] == ":":
            day, sec = divmod(i * 80, 86400)   # a year's days, forwards (year-less syslog)
            s = f"{('Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun')[day // 28 % 6]} {day % 28 + 1:>2} " \
                f"{sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}" + s[15:]
        lines.append("" if rng.random() < 0.01 else s)
    path = tmp_path / "auth.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", path, monkeypatch, sql=False, fmt_name="syslog")
    sq = _ingested(tmp_path / "s.duckdb", path, monkeypatch, sql=True, fmt_name="syslog")
    assert sq[0].lines_read == py[0].lines_read == 20_000
    assert sq[0].assumptions == py[0].assumptions
    assert sq[1] == py[1] and sq[2] == py[2] and sq[3] == py[3]
    assert sq[0].events_parsed > 10_000 and sq[0].lines_rejected > 0 and sq[0].lines_blank > 0


USER_DEF = """
    name = "door-log"
    description = "badge reader export"
    source_kind = "physical"

    [[regex]]
    name = "line"
    pattern = '{pattern}'

    [fields]
    user = "who"

    [timestamp]
    field = "ts"
    formats = ["%Y-%m-%d %H:%M:%S"]

    [defaults]
    event = "door"

    [[rules]]
    match = {{ outcome = '{rule}' }}
    set = {{ result = "success" }}

    [[rules]]
    match = {{ outcome = '.' }}
    set = {{ result = "failure" }}

    [[samples]]
    line = "2025-03-22 14:03:11 jdoe north OK"
    expect = {{ user = "jdoe", result = "success" }}

    [[samples]]
    line = "2025-03-22 14:03:11 jdoe north DENIED"
    expect = {{ user = "jdoe", result = "failure" }}
"""
PLAIN_LINE = r"^(?P<ts>\S+ \S+) (?P<who>\w+) (?P<door>\w+) (?P<outcome>OK|DENIED)$"


def test_user_definition_with_a_lookahead_in_a_rule_compiles(tmp_path):
    """A rule pattern RE2 cannot run is answered by Python `re` for the rows that reach it."""
    fmt = load_definition(write(tmp_path, USER_DEF.format(pattern=PLAIN_LINE, rule="^(?!DENIED$)")))
    assert fmt.sql_plan is not None and fmt.sql_plan.py_patterns
    assert differences(fmt, [s.line for s in fmt.samples] + ["2025-03-22 14:03:11 jdoe north OKAY"]) == []


def test_user_definition_with_a_lookahead_in_its_line_pattern_falls_back(tmp_path):
    line = r"^(?P<ts>\S+ \S+) (?P<who>\w+)(?= ) (?P<door>\w+) (?P<outcome>OK|DENIED)$"
    fmt = load_definition(write(tmp_path, USER_DEF.format(pattern=line, rule="^OK$")))
    assert fmt.sql_plan is None and "lookaround" in fmt.sql_fallback_reason
    assert not hasattr(fmt, "select_sql")


def test_user_definition_possessive_quantifier_falls_back(tmp_path):
    """Only shipped patterns (checked by this oracle) have `*+` read as `*`."""
    line = r"^(?P<ts>\S+ \S+) (?P<who>\w++) (?P<door>\w+) (?P<outcome>OK|DENIED)$"
    fmt = load_definition(write(tmp_path, USER_DEF.format(pattern=line, rule="^OK$")))
    assert fmt.sql_plan is None and "possessive" in fmt.sql_fallback_reason


def _immediate_plan(fmt, monkeypatch):
    """The SELECT, params and Python patterns of `fmt` compiled with each RE2 check asked as its pattern
    is made (no check remembered), as before the checks were asked together at the end."""
    from forensics.ingest import declarative_sql

    monkeypatch.setattr(declarative_sql, "_RE2_OK", set())
    plan = declarative_sql.CompiledDefinition(fmt, "k")
    sql, params = plan.select_sql("t")
    return sql, params, [p.pattern for p in plan.py_patterns]


def _plan_of(plan):
    sql, params = plan.select_sql("t")
    return sql, {k: ("k" if v == plan.key else v) for k, v in params.items()}, [p.pattern for p in plan.py_patterns]


@pytest.mark.parametrize("name", sorted(n for n in COMPILED if DEFINITIONS[n].kind == "regex"))
def test_checks_at_the_end_give_the_same_select(name, monkeypatch):
    """`compile_definition` asks the RE2 checks in one query at the end: the same SELECT, byte for byte."""
    fmt = DEFINITIONS[name]
    assert _plan_of(fmt.sql_plan) == _immediate_plan(fmt, monkeypatch)


def test_a_pattern_re2_refuses_is_found_when_the_checks_come_at_the_end(tmp_path, monkeypatch):
    """A rule pattern RE2 refuses (a loop of 30 inside one of 40: RE2's 1,000) goes to Python `re`
    as before; a line pattern it refuses leaves the definition to the Python path, with RE2's reason."""
    from forensics.ingest import declarative_sql

    rule = r"^O(?:K{30}){40}$"
    (tmp_path / "a").mkdir()
    fmt = load_definition(write(tmp_path / "a", USER_DEF.format(pattern=PLAIN_LINE, rule=rule)))
    assert fmt.sql_plan is not None and [p.pattern for p in fmt.sql_plan.py_patterns] == [rule]
    assert _plan_of(fmt.sql_plan) == _immediate_plan(fmt, monkeypatch)
    assert differences(fmt, [s.line for s in fmt.samples] + ["2025-03-22 14:03:11 jdoe north O" + "K" * 1200]) == []
    line = r"^(?P<ts>\S+ \S+) (?P<who>\w+) (?P<door>(?:\w{30}){40}|\w+) (?P<outcome>OK|DENIED)$"
    (tmp_path / "b").mkdir()
    fmt = load_definition(write(tmp_path / "b", USER_DEF.format(pattern=line, rule="^OK$")))
    assert fmt.sql_plan is None
    assert fmt.sql_fallback_reason == "RE2 refuses the pattern: Invalid Input Error: invalid repetition size: {40}"
    with pytest.raises(declarative_sql.NotCompilable, match="invalid repetition size"):
        monkeypatch.setattr(declarative_sql, "_RE2_OK", set())
        declarative_sql.CompiledDefinition(fmt, "k")


def test_user_definition_through_the_sql_path_agrees(tmp_path, monkeypatch):
    fmt_path = write(tmp_path, USER_DEF.format(pattern=PLAIN_LINE, rule="^OK$"))
    log = tmp_path / "doors.log"
    log.write_text("2025-03-22 14:03:11 jdoe north OK\n2025-03-22 14:03:12 jdoe north DENIED\nnot a line\n"
                   "2025-02-30 14:03:11 jdoe north OK\n2025-03-22 14:03:11 jdoé north OK\n", encoding="utf-8")
    py = _ingested(tmp_path / "p.duckdb", log, monkeypatch, sql=False, fmt_name=str(fmt_path))
    sq = _ingested(tmp_path / "s.duckdb", log, monkeypatch, sql=True, fmt_name=str(fmt_path))
    assert sq[1:] == py[1:]
    assert [row[0] for row in sq[2]] == [3, 4]     # line numbers of the rejects


def test_formats_check_compares_both_paths(monkeypatch):
    """`forensics formats check` fails a sample on which the compiled SELECT differs from Python."""
    from forensics.ingest.declarative import check_definition

    fmt = DEFINITIONS["nagios"]
    assert all(r.passed for r in check_definition(fmt))
    plan = fmt.sql_plan
    monkeypatch.setattr(plan, "final_select", plan.final_select.replace(' AS "event"', ' AS "event_x"', 1)
                        .replace("AS \"event_x\"", "AS \"event_x\", 'x' AS \"event\"", 1))
    results = check_definition(fmt)
    parsed = [r for r, sample in zip(results, fmt.samples) if not sample.reject]
    assert parsed and not any(r.passed for r in parsed)
    assert all("the compiled SQL path differs from the Python path: event: Python" in r.problems[-1] for r in parsed)


def test_small_files_take_the_python_path(tmp_path, monkeypatch):
    """Below `[ingest] compiled_min_lines` the SELECT's planning costs more than it saves."""
    from forensics.case import Case
    from forensics.ingest import engine

    calls = []
    original = engine._FileLoader._load_chunk_sql
    monkeypatch.setattr(engine._FileLoader, "_load_chunk_sql",
                        lambda self, chunk: calls.append(chunk.count) or original(self, chunk))
    path = TESTDATA / "fail2ban" / "logs" / "sshd"   # 417 lines of real sshd syslog
    for threshold, expected in ((10_000, []), (0, [417])):
        config = load_config()
        config["ingest"]["compiled_min_lines"] = threshold
        calls.clear()
        with Case.open(tmp_path / f"case-{threshold}.duckdb") as case:
            engine.ingest_files(case, [str(path)], format_name="syslog", tz="UTC", year=2024, config=config)
        assert calls == expected


# Times a later strptime pattern is not asked about once an earlier one's fixed layout holds
# (`CompiledDefinition.ts_sql`): days and hours that do not exist in that layout go to Python.
TIME_TEXTS = [
    "2024-02-30 10:00:00 +0000", "2024-02-29 10:00:00 +0000", "2023-02-29 10:00:00 +0100",
    "2024-13-01 10:00:00 +0000", "2024-01-01 24:00:00 +0000", "2024-01-01 10:60:00 -0500",
    "2024-01-01 10:00:60 +0000", "2024-01-01 10:00:00.123 +0000", "2024-01-01 10:00:00",
    "2024-02-30 10:00:00", "2024-01-01 10:00:00.5", "2024-1-1 10:00:00 +0000", "2024-01-01  10:00:00 +0000",
    "0000-01-01 10:00:00 +0000", "2024-01-01 10:00:00 +2400", "2024-01-01 10:00:00 Z",
    "2012/02/30 11:53:36", "2012/13/09 11:53:36", "2012/04/09 25:53:36", "2012/4/9 11:53:36",
]


@pytest.mark.parametrize("name", ["exim", "http-error-log"])
def test_times_past_an_earlier_fixed_layout_agree(name):
    """Each sample's time replaced by odd texts, then seeded mutations of those lines."""
    import random
    import re

    fmt = DEFINITIONS[name]
    stamp = re.compile(r"\d{4}[-/]\d\d[-/]\d\d \d\d:\d\d:\d\d(?:\.\d+)?(?: [+-]\d{4})?")
    lines = []
    for sample in fmt.samples:
        if stamp.search(sample.line):
            lines += [stamp.sub(text, sample.line, count=1) for text in TIME_TEXTS]
    assert len(lines) >= 4 * len(TIME_TEXTS)
    rng = random.Random(14)
    mutated = []
    for _ in range(400):
        s = list(rng.choice(lines))
        for _ in range(rng.randrange(1, 3)):
            k = rng.randrange(min(len(s), 28))   # in or near the time
            s[k] = rng.choice("0123456789 -:/.+Z")
        mutated.append("".join(s))
    assert differences(fmt, lines + mutated) == []


def test_syslog_lines_stopped_by_sshd_and_others_agree():
    """Seeded mutations of syslog's samples and hostile lines: the lines sshd's rules stop take
    the short detail, the others (systemd, Proxmox, panels) the whole one."""
    import random

    fmt = DEFINITIONS["syslog"]
    seeds = [s.line for s in fmt.samples] + HOSTILE
    rng = random.Random(14)
    alphabet = " []:<>.\t0123456789aZ-_/()@=\""
    lines = []
    for _ in range(1500):
        s = list(rng.choice(seeds))
        for _ in range(rng.randrange(0, 3)):
            k = rng.randrange(len(s) + 1)
            if rng.random() < 0.5 and s:
                s[min(k, len(s) - 1)] = rng.choice(alphabet)
            else:
                s.insert(k, rng.choice(alphabet))
        lines.append("".join(s) or "x")
    assert differences(fmt, lines) == []


def test_leading_negative_lookaheads_are_answered_in_sql(tmp_path):
    """`^(?!A)(?!B)R` without groups: RE2 tests, no Python call a line; the same answers."""
    fmt = load_definition(write(tmp_path, USER_DEF.format(pattern=PLAIN_LINE, rule=r"^(?!DENIED$)(?!OK\d+$).+")))
    assert fmt.sql_plan is not None and not fmt.sql_plan.py_patterns
    lines = [s.line for s in fmt.samples] + [f"2025-03-22 14:03:11 jdoe north {x}" for x in
                                             ("OKAY", "OK", "DENIED", "DENIEDX", "OK1", "OK12x", "X", "é")]
    assert differences(fmt, lines) == []
    assert not DEFINITIONS["proxmox-tasks"].sql_plan.py_patterns   # proxmox.rules' task_status


def test_proxmox_task_statuses_agree():
    import random

    fmt = DEFINITIONS["proxmox-tasks"]
    own = [s.line for s in fmt.samples]
    statuses = ["OK", "OK ", " OK", "WARNINGS: 3", "WARNINGS: ", "WARNINGS: 3x", "WARNINGS:  3", "job errors", "",
                "OKAY", "ok", "\tOK"]
    rng = random.Random(14)
    lines = [line.rsplit(" ", 1)[0] + " " + rng.choice(statuses) for line in own for _ in range(12)]
    assert differences(fmt, own + lines) == []


@pytest.mark.parametrize("name", ["proxmox-tasks", "syslog", "exim"])
def test_digit_and_hex_texts_agree(name):
    """Ports, counts and hex epochs around their limits (the digit and hex tests are RE2 passes)."""
    import random
    import re

    fmt = DEFINITIONS[name]
    texts = ["0", "7", "65535", "99999999999999999", "999999999999999999", "9999999999999999999", "", " 22", "22 ",
             "\t22", "2a", "-1", "+1", "00", "FFFFFFFF", "ffffffff", "100000000", "0123456789abcdef",
             "0123456789abcdef0", " 5F3A1B2C", "5F3A1B2C ", "5f3a1b2g", "G", "0x1F"]
    rng = random.Random(14)
    lines = []
    for sample in fmt.samples:
        for m in list(re.finditer(r"\b(?:[0-9A-F]{8}|\d{2,})\b", sample.line))[:4]:
            for _ in range(6):
                lines.append(sample.line[:m.start()] + rng.choice(texts) + sample.line[m.end():])
    assert len(lines) > 50
    assert differences(fmt, lines) == []


# `%I`/`%p` strptime patterns: the strict layout in SQL, every other text by Python
AMPM_TEXTS = ["22/04/2011 06:39 PM", "22/04/2011 12:39 AM", "22/04/2011 12:39 PM", "22/04/2011 12:39 pm",
              "22/04/2011  6:39 PM", "22/04/2011 00:39 PM", "22/04/2011 13:39 PM", "29/02/2012 12:00 PM",
              "29/02/2011 12:00 PM", "31/04/2011 01:00 AM", "22/04/2011 06:60 PM", "22/04/2011 06:39 XM",
              "22/04/2011 06:39\tPM", "2/4/2011 6:39 AM", "01/01/0000 01:00 AM", "01/01/0001 12:00 AM",
              "31/12/9999 11:59 PM", "22/4/2011 06:39 AM", "22/04/2011 6:39 AM", "22/04/2011 06:39 Pm"]


def test_ampm_times_agree():
    """solusvm-server-log's `%d/%m/%Y %I:%M %p`: odd texts in each sample, then seeded mutations."""
    import random

    fmt = DEFINITIONS["solusvm-server-log"]
    lines = [text + s.line[19:] for s in fmt.samples for text in AMPM_TEXTS]
    rng = random.Random(14)
    mutated = []
    for _ in range(600):
        s = list(rng.choice(lines))
        for _ in range(rng.randrange(1, 3)):
            s[rng.randrange(21)] = rng.choice("0123456789 /:APMapm\t")
        mutated.append("".join(s))
    assert differences(fmt, lines + mutated) == []


AMPM_DEF = """
    name = "ampm-doors"
    description = "door log with 12-hour times"
    source_kind = "physical"
    [[regex]]
    name = "line"
    pattern = '^(?P<ts>.+?) \\| (?P<who>\\w+) (?P<outcome>OK|DENIED)$'
    [fields]
    user = "who"
    [timestamp]
    field = "ts"
    formats = {formats}
    [[rules]]
    match = {{ outcome = '^OK$' }}
    set = {{ result = "success" }}
    [[samples]]
    line = "{sample} | jdoe OK"
    expect = {{ user = "jdoe", result = "success" }}
"""


@pytest.mark.parametrize("formats, sample", [
    ('["%b %d %I:%M:%S %p", "%d.%m %I%p"]', "Mar 22 02:03:11 PM"),
    ('["%d.%m.%y %I%p"]', "22.03.25 02PM"),
    ('["%Y-%m-%d %I:%M %p", "%Y-%m-%d %H:%M %p"]', "2025-03-22 02:03 AM"),
    ('["%m/%d/%Y %I:%M"]', "03/22/2025 12:03"),
])
def test_user_ampm_patterns_agree(tmp_path, formats, sample):
    """Several `%I`/`%p` patterns in order, year-less (the placeholder year), two-digit years, `%p`
    beside `%H`, `%I` without `%p` (12 is 0): each text in SQL or through Python, as strptime reads it."""
    import random

    fmt = load_definition(write(tmp_path, AMPM_DEF.format(formats=formats, sample=sample)))
    assert fmt.sql_plan is not None, fmt.sql_fallback_reason
    rng = random.Random(14)
    texts = [sample, "Feb 29 12:00:00 AM", "Feb 30 01:00:00 PM", "22.03.25 02PM", "29.02.24 12AM", "29.02.23 12AM",
             "22.03.25 2PM", "29.02 12AM", "30.02 01PM", "22.03 02PM", "2025-03-22 12:03 PM", "2025-03-22 14:03 PM", "2025-03-22 00:03 AM", "03/22/2025 00:03",
             "03/22/2025 13:03", "02/29/2024 12:59"]
    for _ in range(300):
        s = list(rng.choice(texts))
        s[rng.randrange(len(s))] = rng.choice("0123456789 .:/-APMapm")
        texts.append("".join(s))
    assert differences(fmt, [f"{t} | jdoe OK" for t in texts]) == []


def test_ampm_beside_another_kind_of_pattern_falls_back(tmp_path):
    fmt = load_definition(write(tmp_path, AMPM_DEF.format(formats='["%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p"]',
                                                          sample="2025-03-22 14:03")))
    assert fmt.sql_plan is None and "beside patterns of another kind" in fmt.sql_fallback_reason


# `[split]` pieces (cpanel-session-log's `a=1,b=2` list): names a canonical column has, names the
# record holds, names twice, names Python strips or refuses, separators in odd places
SPLIT_LISTS = [
    "logout", "", " ", "address=1.2.3.4", "app=cpaneld,creator=root,method=create_user_session,path=form,possessed=1",
    "possessed=1,possessed=0", "possessed=01", "possessed=1 ", "possessed=", "=1", "a==b", "a=b=c", ",", ",,x=1,",
    "method=x,cpanel_method=y", "cpanel_method=y,method=x", "user=x", "ip=1.2.3.4", "detail=x", "event=x",
    "level=debug", "session=x", "cpanel=x", "ts=x", "account=x", "daemon=x", "variant=x", "port_text=x",
    "json_status=x", " app=x", "app =x", "a b=c", "1a=b", "a.b=c", "detail.x=1", "_=1", "A=1,a=2,Z=3,_z=4",
    "x=\"quoted\"", "x=back\\slash", "x=tab\there", "x=é", "logout,possessed=1", "purge reason=expired,possessed=0",
    "possessed=1,logout", "app=whostmgrd,app=cpaneld", "x=1,,y=2",
]


def test_split_pairs_agree():
    """cpanel-session-log's `[split.cpanel]` over odd lists in each sample, then seeded mutations."""
    import random

    fmt = DEFINITIONS["cpanel-session-log"]
    heads = []
    for sample in fmt.samples:
        parts = sample.line.split(" ")
        if len(parts) >= 6:
            heads.append(" ".join(parts[:6]))
    assert len(heads) >= 3
    lines = [s.line for s in fmt.samples] + [f"{h} {x}" for h in heads for x in SPLIT_LISTS] + heads
    rng = random.Random(14)
    mutated = []
    for _ in range(800):
        s = list(rng.choice(lines))
        for _ in range(rng.randrange(1, 4)):
            k = rng.randrange(max(len(s) - 60, 0), len(s) + 1)    # in or near the list
            c = rng.choice(",=. _aZ1\"\\")
            if rng.random() < 0.5 and k < len(s):
                s[k] = c
            else:
                s.insert(k, c)
        mutated.append("".join(s))
    assert differences(fmt, lines + mutated) == []


JOURNAL_LINES = [
    '{ "__REALTIME_TIMESTAMP" : "1742652191000000", "_HOSTNAME" : "web1", "SYSLOG_IDENTIFIER" : "sshd", "_PID" : "42", '
    '"MESSAGE" : "Failed password for root from 192.0.2.7 port 22 ssh2" }',
    '{ "__REALTIME_TIMESTAMP" : "1742652192000000", "_HOSTNAME" : "web1", "SYSLOG_IDENTIFIER" : "systemd", '
    '"MESSAGE" : "Started Session 4 of user root." }',
    '{ "__REALTIME_TIMESTAMP" : "99999999999999999", "MESSAGE" : "17 digits" }',
    '{ "__REALTIME_TIMESTAMP" : "100000000000000000", "MESSAGE" : "18 digits" }',
    '{ "__REALTIME_TIMESTAMP" : "-1", "MESSAGE" : "negative" }',
    '{ "__REALTIME_TIMESTAMP" : " 1742652191000000", "MESSAGE" : "blank" }',
    '{ "__REALTIME_TIMESTAMP" : "1742652191000000.5", "MESSAGE" : "fraction" }',
    '{ "MESSAGE" : "no time" }',
    'not JSON at all',
    '[1, 2]',
]
PRETTY_RECORD = ['{', '  "__REALTIME_TIMESTAMP" : "1742652193000000",', '  "SYSLOG_IDENTIFIER" : "sshd",',
                 '  "MESSAGE" : "Accepted password for alice from 192.0.2.8 port 22 ssh2"', '}']


@pytest.mark.parametrize("layout", ["lines", "pretty", "broken"])
def test_journal_files_agree_end_to_end(tmp_path, monkeypatch, layout):
    """journald-json: a file of one-line records takes the compiled path; a file where a line that
    does not parse alone holds `{` (a pretty-printed record, or a broken one) is parsed again in
    Python: the same events, rejects (continuation lines named) and decisions either way."""
    from forensics.ingest import engine

    lines = JOURNAL_LINES * 3
    if layout == "pretty":
        lines = lines[:4] + PRETTY_RECORD + lines[4:] + PRETTY_RECORD
    elif layout == "broken":
        lines = lines + ['{ "MESSAGE" : "cut short"']
    path = tmp_path / "journal.json"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    passes = []
    original = engine._FileLoader._decide_path
    monkeypatch.setattr(engine._FileLoader, "_decide_path",
                        lambda self, chunk: original(self, chunk) or passes.append(self.vectorised))
    py = _ingested(tmp_path / "p.duckdb", path, monkeypatch, sql=False, fmt_name="journald-json")
    assert set(passes) == {False}
    passes.clear()
    sq = _ingested(tmp_path / "s.duckdb", path, monkeypatch, sql=True, fmt_name="journald-json")
    assert passes[0] is True and set(passes[1:]) == ({True} if layout == "lines" else {True, False})
    assert sq[0].lines_read == py[0].lines_read == len(lines)
    assert sq[1:] == py[1:]
    if layout == "pretty":
        assert any("continuation of the multi-line JSON record that starts at line 5" in r[1] for r in sq[2])
        assert sum(1 for e in sq[1] if e[0] in (5, len(lines) - 4)) == 2    # each record one event on its first line
    fmt = DEFINITIONS["journald-json"]
    numbers = list(range(1, len(lines) + 1))
    via_sql, via_python = fmt.parse_sql(lines, numbers), fmt.parse(lines, numbers)
    assert sorted(map(tuple, via_sql.rejects)) == sorted(map(tuple, via_python.rejects))
    assert via_sql.events.astype(str).values.tolist() == via_python.events.astype(str).values.tolist()


def test_journal_lines_and_times_agree():
    """journald-json line by line: its samples, odd records and `epoch_us` texts around 17 digits,
    then seeded mutations of the time."""
    import random

    fmt = DEFINITIONS["journald-json"]
    own = [s.line for s in fmt.samples] + JOURNAL_LINES
    times = ["0", "1", "99999999999999999", "100000000000000000", "09999999999999999", "-1", "+1", " 1", "1 ",
             "1.5", "1e6", "1_000", "", "253402300799999999", "253402300800000000", "ff"]
    stamp = '"__REALTIME_TIMESTAMP" : "1742652191000000"'
    lines = [JOURNAL_LINES[0].replace(stamp, f'"__REALTIME_TIMESTAMP" : "{t}"') for t in times]
    rng = random.Random(14)
    for _ in range(300):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 20)))
        lines.append(JOURNAL_LINES[1].replace("1742652192000000", digits))
    assert differences(fmt, own + lines) == []
