"""Authentication failures outside sshd: nginx/Apache error logs, Webmin,
HestiaCP, Plesk.

Real lines: fail2ban's test files `nginx-http-auth`, `apache-auth`,
`webmin-auth` (GPL-2.0+, vendored in tests/data/fail2ban/logs, see SOURCE.md there).
HestiaCP and Plesk lines follow the layouts their code writes (see the
definitions' comments); they are checked by `forensics formats check`.
"""

from __future__ import annotations

import pytest

from forensics.case import Case
from forensics.ingest.declarative import builtin_definitions
from forensics.ingest.engine import ingest_files

from conftest import TESTDATA

LOGS = TESTDATA / "fail2ban/logs"


def parse(name, path):
    fmt = {f.name: f for f in builtin_definitions()}[name]
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    numbered = [(i, l) for i, l in enumerate(lines, start=1) if l.strip()]
    batch = fmt.parse([l for _, l in numbered], [i for i, _ in numbered])
    assert len(batch.events) + len(batch.rejects) == len(numbered)
    return {int(r["line_no"]): r for r in batch.events.to_dict("records")}, dict(batch.rejects)


def test_nginx_http_auth_failures_carry_user_and_address():
    rows, rejects = parse("http-error-log", LOGS / "nginx-http-auth")
    failures = [r for r in rows.values() if r["event"] == "http_auth_failure"]
    assert {(r["user"], r["ip"]) for r in failures} >= {
        ("xyz", "192.0.43.10"), ("scribendio", "10.0.2.2"), ("scriben dio", "192.0.2.1"),
        ("username", "192.0.2.120")}
    # fail2ban's injection line: the user name the client sent contains a fake
    # ", client: 127.0.0.1"; the address is the real one at the end
    injected = [r for r in failures if r["user"].startswith('test": password mismatch, client: 127.0.0.1')]
    assert [r["ip"] for r in injected] == ["192.0.2.2"]
    # the journal copies (no timestamp of their own) and fail2ban's comments are the rejects
    assert all("no pattern matched" in reason for reason in rejects.values())


def test_apache_auth_failures():
    rows, _ = parse("http-error-log", LOGS / "apache-auth")
    got = {(r["event"], r["user"], r["ip"]) for r in rows.values()}
    assert ("http_auth_failure", "dsfasdf", "194.228.20.113") in got
    assert ("http_auth_failure", "test-ipv6", "2001:db8::80da:af6b:8b2c") in got
    assert ("http_access_denied", None, "127.0.0.1") in {(e, u if u == u else None, i) for e, u, i in got}


def test_webmin_logins_in_syslog(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(LOGS / "webmin-auth")], year=2004)
        got = case.con.execute("SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, \"user\", ip FROM events "
                               "WHERE source_kind = 'panel' ORDER BY line_no").fetchall()
    assert got == [("2004-12-13T08:15:18", "login", "failure", "root", "89.2.49.230"),
                   ("2004-12-12T23:14:19", "login", "failure", "robert", "188.40.105.142"),
                   # Dec -> Sep is a year roll-over for year-less syslog (fail2ban's fixture says 2004)
                   ("2005-09-25T10:38:11", "login", "failure", "admin@goodeyedeer.com.au", "14.200.251.155")]
