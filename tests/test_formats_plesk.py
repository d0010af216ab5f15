"""Plesk's Action Log (issue 12): `psa.log_actions` + `log_components`.

The layout is the one Plesk's own extraction script prints (plesk/kb-scripts,
action-log/action_log.php: `{ip} {user} [{date}] '{action}' ('{component}':
'{old}' => '{new}', ...)`), and the tab-separated export of the query given in
the definition's header.  One real line of the panel's own download was
found (quoted on bunny.tech.blog, address redacted, line cut; see the
definition's rules): `DOWNLOADED` below is that line adapted as the
definition's sample says.  The other lines are written in the layout with
made-up names and addresses, as was done for Webmin's actions log.
"""

from __future__ import annotations

import json

from forensics.case import Case
from forensics.ingest.engine import ingest_files

SCRIPT = (
    "203.0.113.45 jnovak [2025-03-22 14:03:11] 'cp_user_login' ('': '' => '')\n"
    "198.51.100.7 admin [2025-03-22 15:12:30] 'client_update' ('contact_name': 'Jan Novak' => 'Jan Novak', "
    "'login_name': 'jnovak' => 'jnovak', 'email': 'jan@novak.example' => 'jn@mailbox.example')\n"
    "198.51.100.7 admin [2025-03-22 15:20:00] 'domain_delete' ('domain_name': 'novak-shop.example' => '', "
    "'system_user': 'novakshop' => '')\n"
)
TSV = (
    "4711\t2025-03-22 14:04:02\t203.0.113.45\tjnovak\tclient_update\t'contact_name': 'Jan Novak' => 'Jan Novak', "
    "'login_name': 'jnovak' => 'jnovak', 'password': '' => ''\n"
    "4713\t2025-03-22 14:30:00\t203.0.113.45\tjnovak\tcp_user_logout\t\n"
    "4714\t2025-03-22 14:31:00\tNULL\tadmin\tlicense_update\tNULL\n"
)

COLUMNS = 'CAST(ts AS VARCHAR), source_kind, event, result, "user", account, actor, ip, target, detail'


def _rows(tmp_path, name, text, tz="Europe/Prague"):
    (tmp_path / name).write_text(text)
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(tmp_path / name)], tz=tz)
        rows = case.con.execute(f"SELECT {COLUMNS} FROM events ORDER BY line_no").fetchall()
    return report, rows


def test_script_output_is_detected_and_read_in_utc(tmp_path):
    report, rows = _rows(tmp_path, "action_log.txt", SCRIPT)
    assert [(r.format, r.events_parsed, r.lines_rejected) for r in report.results] == [
        ("plesk-action-log", 3, 0)]
    login, email, delete = rows
    # 14:03:11 in Prague (CET, +01:00) is 13:03:11 UTC
    assert login[:9] == ("2025-03-22 13:03:11+00", "panel", "login", "success", "jnovak", "jnovak", None,
                         "203.0.113.45", None)
    # the admin acted on the customer's account: user = admin (staff), account = the customer
    assert email[:9] == ("2025-03-22 14:12:30+00", "panel", "email_change", "success", "admin", "jnovak",
                         "staff", "198.51.100.7", None)
    d = json.loads(email[9])
    assert (d["old_email"], d["new_email"], d["action"]) == ("jan@novak.example", "jn@mailbox.example",
                                                             "client_update")
    assert delete[2] == "destroy" and delete[8] == "novak-shop.example" and delete[6] == "staff"


def test_tab_separated_export_is_detected_and_read(tmp_path):
    report, rows = _rows(tmp_path, "action_log.tsv", TSV)
    assert [(r.format, r.events_parsed, r.lines_rejected) for r in report.results] == [
        ("plesk-action-log", 3, 0)]
    password, logout, other = rows
    assert password[:8] == ("2025-03-22 13:04:02+00", "panel", "password_change", "success", "jnovak", "jnovak",
                            None, "203.0.113.45")
    assert json.loads(password[9])["action_log_id"] == "4711"
    assert logout[2:6] == ("logout", "success", "jnovak", "jnovak")
    # an action done without an address (mysql prints NULL) keeps no address and stays plesk_action
    assert other[2] == "plesk_action" and other[7] is None and json.loads(other[9])["action"] == "license_update"


def test_action_log_alone_answers_a_disputed_subscription_delete(tmp_path):
    """The Action Log names the login, the address and the change of every action:
    an e-mail change from a network the account never used, then the delete,
    is the takeover sequence (the rows cited by file:line)."""
    from click.testing import CliRunner

    from forensics.cli import main

    log = tmp_path / "action_log.tsv"
    log.write_text(
        "4701\t2025-03-01 19:00:00\t217.229.22.10\tjnovak\tcp_user_login\t\n"
        "4702\t2025-03-01 19:20:00\t217.229.22.10\tjnovak\tcp_user_logout\t\n"
        "4705\t2025-03-22 14:00:00\t128.199.180.21\tjnovak\tcp_user_login\t\n"
        "4706\t2025-03-22 14:04:02\t128.199.180.21\tjnovak\tclient_update\t'login_name': 'jnovak' => 'jnovak', "
        "'email': 'jan@novak.example' => 'x@mailbox.example'\n"
        "4707\t2025-03-22 14:10:00\t128.199.180.21\tjnovak\tdomain_delete\t'domain_name': 'novak-shop.example' => '', "
        "'system_user': 'novakshop' => ''\n")
    case = tmp_path / "c.duckdb"
    runner = CliRunner()
    res = runner.invoke(main, ["ingest", str(case), str(log), "--tz", "Europe/Prague"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["investigate", str(case), "--account", "jnovak", "--action", "destroy", "--json"])
    assert res.exit_code == 0, res.output
    (finding,) = json.loads(res.output)["findings"]
    assert finding["assessment"] == "compromise_suspected"
    assert (finding["action"]["line_no"], finding["action"]["target"]) == (5, "novak-shop.example")
    assert finding["session"]["login"]["line_no"] == 3 and finding["session"]["ip"] == "128.199.180.21"
    changes = next(i for i in finding["indicators"] if i["name"] == "account_changes")
    assert changes["direction"] == "other" and [e["line_no"] for e in changes["evidence"]] == [4]


# the real downloaded line (bunny.tech.blog, 2020-03-01), adapted: ASCII quotes, a
# documentation address for the redacted one, closed after its last component
DOWNLOADED = ("192.0.2.1 BunnyUser [2020-03-01 01:51:38] 'Update Domain Status' ('Domain Name': 'example.com' => "
              "'example.com', 'Status': '0' => '64', 'Extended status of domain': 'active' => 'suspended')\n")


def test_the_panels_download_with_translated_names_gives_the_suspension(tmp_path):
    report, rows = _rows(tmp_path, "action_log_download.log", DOWNLOADED)
    assert [(r.format, r.events_parsed, r.lines_rejected) for r in report.results] == [("plesk-action-log", 1, 0)]
    # 01:51:38 in Prague (CET, +01:00) is 00:51:38 UTC
    assert rows[0][:9] == ("2020-03-01 00:51:38+00", "panel", "suspend", "success", "BunnyUser", "BunnyUser", None,
                           "192.0.2.1", "example.com")
    assert json.loads(rows[0][9])["action"] == "Update Domain Status"
