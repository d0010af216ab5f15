"""Proxmox VE: pvedaemon/pveproxy logins in syslog/journal and the task index
(`/var/log/pve/tasks/index`) as canonical panel events.

Real lines: fail2ban `tests/files/logs/proxmox` (GPL, in ../shared/realdata);
a PVE 8 journal and a PVE 7 syslog quoted in public write-ups
(../shared/realdata/formats/samples/proxmox, see its SOURCES.md); index lines
quoted from public GitHub notes (code-search index ids 67314130313,
60261096681) and pve-common's UPID test vectors (test/upid-test.pl).
"""

from __future__ import annotations

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files

from conftest import REALDATA

INDEX = [
    "UPID:proxmox:00047BB7:0173F2F4:6AA2F284:qmdelsnapshot:100:root@pam: 6AA2F284 OK",
    "UPID:proxmox:00047BC0:0173F33F:6AA2F285:qmdelsnapshot:107:root@pam: 6AA2F285 OK",
    "UPID:blue-server:00095631:00350E24:6A6C9ECD:wipedisk:sda:root@pam: 6A6C9ECF OK",
    "UPID:blue-server:000956A9:00350FE2:6A6C9ED1:diskinit:sda:root@pam: 6A6C9ED3 OK",
    "UPID:example-node:000934AF:0D015579:68BF3A41:vzdump:100:91a1da29-a47d-11f0-84e0-fafbfc944d00@pam!some-token: 68BF3B10 OK",
]


def events(case, where="1=1"):
    return case.con.execute(
        "SELECT line_no, strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, account, actor, \"user\", ip, target, host "
        f"FROM events WHERE {where} ORDER BY line_no").fetchall()


def test_task_index_is_detected_and_read(tmp_path):
    path = tmp_path / "index"
    path.write_text("\n".join(INDEX) + "\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(path)])
        assert report.results[0].format == "proxmox-tasks"
        assert case.con.execute("SELECT events_parsed, lines_rejected, source_kind, tz FROM sources").fetchall() == [
            (5, 0, "panel", None)]  # every time is an epoch: no zone decision
        got = events(case)
    assert got[0] == (1, "2026-09-10T18:10:12", "snapshot_delete", "success", "root@pam", "staff", "root@pam",
                      None, "100", "proxmox")
    assert got[2][1:4] == ("2026-07-31T13:10:37", "pve_task", "success")  # journal: 09:10:37 EDT
    assert got[4][2:7] == ("backup", "success", "91a1da29-a47d-11f0-84e0-fafbfc944d00@pam", "api",
                           "91a1da29-a47d-11f0-84e0-fafbfc944d00@pam!some-token")


def test_upid_vectors_of_pve_common():
    """Every UPID of pve-common's test vectors gives its node, start time, type, id and user."""
    import csv
    import datetime as dt

    from forensics.ingest.declarative import builtin_definitions

    path = REALDATA / "formats/samples/proxmox/upid_vectors.pve-common.tsv"
    if not path.exists():
        pytest.skip("needs ../shared/realdata")
    fmt = {f.name: f for f in builtin_definitions()}["proxmox-tasks"]
    rows = list(csv.DictReader(path.open(), delimiter="\t"))
    batch = fmt.parse([r["upid"] for r in rows], list(range(1, len(rows) + 1)))
    assert not batch.rejects
    for vector, (_, event) in zip(rows, batch.events.iterrows()):
        assert event["host"] == vector["node"]
        assert event["ts"].to_pydatetime() == dt.datetime.fromtimestamp(int(vector["starttime"]), dt.timezone.utc)
        assert event["user"] == vector["user"]
        assert (event["target"] if isinstance(event["target"], str) else "") == vector["id"]


def test_fail2ban_proxmox_logins(tmp_path, realdata):
    """fail2ban's proxmox test file (GPL-2.0+, vendored in tests/data/fail2ban)."""
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(realdata / "fail2ban/logs/proxmox")], year=2005)
        got = events(case, "event = 'login'")
    assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in got] == [
        ("2005-03-08T09:37:44", "login", "failure", "root@pam", "staff", "192.0.2.123"),
        ("2005-03-09T03:32:27", "login", "failure", "jose@pve", "customer", "192.0.2.124"),
    ]


@pytest.mark.skipif(not (REALDATA / "formats/samples/proxmox").exists(), reason="needs ../shared/realdata")
def test_pve_journal_logins_and_tasks(tmp_path):
    path = REALDATA / "formats/samples/proxmox/journal-short.github-md-12532155214.log"
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(path)], year=2023)
        got = events(case, "source_kind = 'panel'")
    assert [(r[1], r[2], r[3], r[6], r[8]) for r in got] == [
        ("2023-11-09T03:05:39", "console_open", None, "root@pam", "103"),
        ("2023-11-09T03:08:23", "login", "success", "root@pam", None),
        ("2023-11-09T03:23:03", "task_end", "success", "root@pam", "103"),
        ("2023-11-09T03:23:23", "login", "success", "root@pam", None),
    ]


@pytest.mark.skipif(not (REALDATA / "formats/samples/proxmox").exists(), reason="needs ../shared/realdata")
def test_pve_syslog_backup_task_time_matches_its_upid(tmp_path):
    """kencx/hubble's syslog was written at UTC+8: the UPID's start (an epoch)
    and the syslog time (local) name the same instant once --tz is given."""
    path = REALDATA / "formats/samples/proxmox/syslog.kencx-hubble.log"
    with Case.open(tmp_path / "c.duckdb") as case:
        ingest_files(case, [str(path)], year=2022, tz="Asia/Singapore")
        got = events(case, "event = 'backup'")
        upid = case.con.execute("SELECT json_extract_string(detail, '$.task_start') FROM events "
                                "WHERE event = 'backup'").fetchall()[0][0]
    assert got[0][1:3] == ("2022-04-30T20:00:03", "backup") and got[0][8] == "101"
    import datetime as dt

    assert dt.datetime.fromtimestamp(int(upid, 16), dt.timezone.utc).isoformat() == "2022-04-30T20:00:03+00:00"
