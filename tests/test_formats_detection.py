"""Auto-detection picks every shipped format: from its own samples, from the
real files the tests use, and from rotated copies (`access.log.1`, `.gz`).

A format that needs its header (the native `panel-csv`) is judged on the
sample as a whole, not line by line (issue 10 item 4).
"""

from __future__ import annotations

import gzip
import shutil

import pytest

from forensics.config import load_config
from forensics.ingest.declarative import builtin_definitions
from forensics.ingest.detect import detect_format
from forensics.ingest.reader import head_lines
from forensics.ingest.registry import all_formats

from conftest import REALDATA, TESTDATA

SETTINGS = load_config()["ingest"]


def detect(path) -> str:
    head = head_lines(path, max_lines=int(SETTINGS["detect_head_lines"]))
    return detect_format(str(path), head, all_formats(), int(SETTINGS["detect_sample_lines"]),
                         float(SETTINGS["detect_min_share"])).name


DETECTABLE = [d for d in builtin_definitions() if d.auto_detect]


@pytest.mark.parametrize("definition", DETECTABLE, ids=lambda d: d.name)
def test_every_shipped_definition_is_detected_from_its_own_samples(definition, tmp_path):
    lines = [s.line for s in definition.samples if not s.reject]
    if definition.kind == "csv" and definition.csv_spec.get("header"):
        lines.insert(0, ",".join(definition.csv_spec["columns"]))
    path = tmp_path / f"{definition.name}.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect(path) == definition.name


PANEL_CSV_ROWS = [
    "ts,account,event,result,actor,user,auth,session,ip,user_agent,target,detail",
    *(f"2026-03-{day:02d}T0{day % 10}:15:00+01:00,K-10023,login,success,customer,tzimmermann,password,"
      f"s{day},192.0.2.{day},Mozilla/5.0,," for day in range(1, 25)),
]


def test_panel_csv_is_detected_although_its_rows_need_the_header(tmp_path):
    path = tmp_path / "panel.csv"
    path.write_text("\n".join(PANEL_CSV_ROWS) + "\n", encoding="utf-8")
    assert detect(path) == "panel-csv"


def test_panel_csv_without_header_is_not_panel_csv(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(PANEL_CSV_ROWS[1:]) + "\n", encoding="utf-8")
    with pytest.raises(Exception, match="no known format|look like"):
        detect(path)


def test_panel_csv_ingests_after_detection(tmp_path):
    from forensics.case import Case
    from forensics.ingest.engine import ingest_files

    path = tmp_path / "panel.csv"
    path.write_text("\n".join(PANEL_CSV_ROWS) + "\n", encoding="utf-8")
    with Case.open(tmp_path / "case.duckdb") as case:
        report = ingest_files(case, [str(path)])
        assert report.results[0].format == "panel-csv"
        assert case.con.execute("SELECT events_parsed, lines_rejected FROM sources").fetchall() == [(24, 1)]


# Real files used by the tests, with the format each must be detected as.
REAL_FILES = [
    ("access/elastic-examples/apache_logs", "combined"),
    ("access/plaso/apache_access.log", "combined"),
    ("access/lnav-zanbil/logfile_shop_access_log.0", "combined"),
    ("formats/samples/apache_nginx/vhost-prefixed.lnav-regexp_access_log.log", "combined"),
    ("formats/samples/cpanel/access_log.docs.log", "cpanel-access"),
    ("formats/samples/cpanel/access_log.pastebin-6ESpSk2j.log", "cpanel-access"),
    ("formats/samples/cpanel/access_log.2015-legacy.pastebin-kRuwrYFV.log", "cpanel-access"),
    ("formats/samples/cpanel/login_log.wazuh.log", "cpanel-login-log"),
    ("formats/samples/cpanel/login_log.cpan-App-Spoor.log", "cpanel-login-log"),
    ("formats/samples/cpanel/session_log.wazuh.log", "cpanel-session-log"),
    ("formats/samples/cpanel/session_log.docs.log", "cpanel-session-log"),
    ("formats/samples/cpanel/api_log.docs.log", "cpanel-api-log"),
    ("formats/samples/cpanel/api_tokens_log.docs.log", "cpanel-api-log"),
    ("formats/samples/cpanel/accounting.log.docs.log", "cpanel-accounting"),
    ("fail2ban/logs/proxmox", "syslog"),
    ("formats/samples/proxmox/journal-short.github-md-12532155214.log", "syslog"),
    ("formats/samples/solusvm_like/virtual_server_log.pastebin-n2AGA1ZU.txt", "solusvm-server-log"),
    ("formats/samples/whmcs/tblactivitylog.public-dump.sql", "whmcs-activity-sql"),
    ("fail2ban/logs/webmin-auth", "syslog"),
    ("formats/samples/proxmox/pveproxy_access.github-md-67403928542.log", "proxmox-pveproxy"),
    ("formats/samples/sshd/ubuntu2404-rfc3339.crowdsec-issue-4199.log", "syslog"),
    ("fail2ban/logs/sshd", "syslog"),
    ("plaso/syslog/syslog_ssh.log", "syslog"),
    ("plaso/syslog/syslog", "syslog"),
    ("plaso/syslog.gz", "syslog"),
    ("lnav/test/logfile_syslog.0", "syslog"),
    ("lnav/test/logfile_journald.json", "journald-json"),
    ("formats/samples/journald/systemd-docs-json-example.json", "journald-json"),
]


@pytest.mark.parametrize("relative,expected", REAL_FILES, ids=[r for r, _ in REAL_FILES])
def test_real_files_are_detected(relative, expected):
    path = TESTDATA / relative if (TESTDATA / relative).exists() else REALDATA / relative
    if not path.exists():
        pytest.skip(f"{path} needs ../shared/realdata (not part of a fresh clone)")
    assert detect(path) == expected


@pytest.mark.parametrize("name", ["access.log.1", "access.log.2.gz", "access_log-20260322.bz2"])
def test_rotated_access_logs_are_detected(tmp_path, name):
    source = REALDATA / "access/elastic-examples/apache_logs"
    if not source.exists():
        pytest.skip("needs ../shared/realdata (not part of a fresh clone)")
    target = tmp_path / name
    if name.endswith(".gz"):
        with open(source, "rb") as src, gzip.open(target, "wb") as dst:
            shutil.copyfileobj(src, dst)
    elif name.endswith(".bz2"):
        import bz2

        target.write_bytes(bz2.compress(source.read_bytes()))
    else:
        shutil.copyfile(source, target)
    assert detect(target) == "combined"
