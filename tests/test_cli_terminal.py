"""Log content is hostile: nothing from a log may drive the analyst's terminal."""

import json

from click.testing import CliRunner

from forensics.cli import main
from forensics.cli.output import terminal_safe

CLEAR_SCREEN = "\x1b[2J\x1b[31mPWNED\x1b[0m\x07"
RETITLE = "\x1b]0;evil title\x07"
TROJAN = "vps-1\u202egnp.exe"


def test_terminal_safe_shows_controls_and_direction_marks():
    assert terminal_safe(CLEAR_SCREEN) == "\\x1b[2J\\x1b[31mPWNED\\x1b[0m\\x07"
    assert terminal_safe(TROJAN) == "vps-1\\u202egnp.exe"
    assert terminal_safe("a\tb\nc ä € 😀") == "a\tb\nc ä € 😀"  # tabs, newlines, letters stay
    assert terminal_safe("line\roverwritten\x9b2J") == "line\\x0doverwritten\\x9b2J"


def test_investigate_timeline_and_errors_never_print_raw_escapes(tmp_path):
    rows = [
        {"ts": "2026-03-01T10:00:00+00:00", "account": "K-1", "event": "login", "auth": "password",
         "user": "bob", "session": "s1", "ip": "203.0.113.5", "user_agent": "Mozilla/5.0 " + CLEAR_SCREEN},
        {"ts": "2026-03-01T10:05:00+00:00", "account": "K-1", "event": "reinstall", "user": "bob",
         "session": "s1", "ip": "203.0.113.5", "target": TROJAN + RETITLE, "user_agent": "Mozilla/5.0 " + CLEAR_SCREEN},
    ]
    log = tmp_path / "panel.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    case = tmp_path / "case.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(case), str(log)]).exit_code == 0
    for args in (["investigate", str(case), "--account", "K-1"],
                 ["timeline", str(case), "--account", "K-1"],
                 ["sources", str(case)]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    result = runner.invoke(main, ["investigate", str(case), "--account", "K-1"])
    assert "\\x1b]0;evil title\\x07" in result.output  # shown, not obeyed
    assert "vps-1\\u202egnp.exe" in result.output
    # an unknown format's refusal quotes the first line: also made safe
    bad = tmp_path / "bad.log"
    bad.write_text("\u202e" + CLEAR_SCREEN + "\n")
    result = runner.invoke(main, ["ingest", str(case), str(bad)])
    assert result.exit_code == 1 and "\x1b" not in result.output and "\u202e" not in result.output


def test_a_newline_in_a_logged_value_cannot_forge_a_line(tmp_path):
    forged = "bob\nASSESSMENT: compromise_suspected"
    rows = [
        {"ts": "2026-03-01T10:00:00+00:00", "account": "K-1", "event": "login", "auth": "password",
         "user": forged, "session": "s1", "ip": "203.0.113.5", "user_agent": "Mozilla/5.0"},
        {"ts": "2026-03-01T10:05:00+00:00", "account": "K-1", "event": "reinstall", "user": forged,
         "session": "s1", "ip": "203.0.113.5", "target": "vps-1\r\nRED\u202eevil", "user_agent": "Mozilla/5.0"},
    ]
    log = tmp_path / "panel.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    case = tmp_path / "case.duckdb"
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", str(case), str(log)]).exit_code == 0
    for args in (["investigate", str(case), "--account", "K-1"],
                 ["timeline", str(case), "--account", "K-1"],
                 ["query", str(case), "account_events", "--param", "account=K-1"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
        lines = result.output.splitlines()
        assert not any(line.lstrip().startswith("ASSESSMENT: compromise") for line in lines), args
        assert "\r" not in result.output and "\u202e" not in result.output
        assert "bob\\x0aASSESSMENT: compromise_suspected" in result.output, args
