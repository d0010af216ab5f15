"""Declarative format definitions: schema validation, timestamps, rules,
samples, and the `forensics formats` command."""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap

import duckdb
import pytest
from click.testing import CliRunner

from forensics.cli import main
from forensics.ingest.declarative import (
    DefinitionError, TimestampFormat, builtin_definitions, check_definition, load_definition,
    normalise_ip,
)

UTC = dt.timezone.utc
SHIPPED = [f.name for f in builtin_definitions()]


def write(tmp_path, text, name="def.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


MINIMAL = """
    name = "door-log"
    description = "badge reader export"
    source_kind = "physical"

    [[regex]]
    name = "line"
    pattern = '^(?P<ts>\\S+ \\S+) (?P<who>\\w+) (?P<door>\\w+) (?P<outcome>OK|DENIED)$'

    [fields]
    user = "who"

    [timestamp]
    field = "ts"
    formats = ["%Y-%m-%d %H:%M:%S"]

    [defaults]
    event = "door"

    [value_maps.result]
    OK = "success"
    DENIED = "failure"

    [[rules]]
    match = { outcome = '^(?P<result>OK|DENIED)$' }

    [[samples]]
    line = "2025-03-22 14:03:11 jdoe north OK"
    expect = { ts_local = "2025-03-22T14:03:11", user = "jdoe", event = "door", result = "success", "detail.door" = "north" }
"""


# --- the shipped definitions -------------------------------------------------


def test_shipped_definitions_in_detection_order():
    assert SHIPPED[:8] == ["cpanel-login-log", "cpanel-session-log", "cpanel-api-log", "cpanel-accounting",
                           "proxmox-pveproxy", "proxmox-tasks", "whmcs-activity-csv", "whmcs-activity-sql",
                           "whmcs-admin-log-csv", "whmcs-admin-log-sql", "journald-json"][:8]
    assert SHIPPED[-2:] == ["syslog", "syslog-notime"]  # generic readers last


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_definition_passes_its_samples(name):
    fmt = {f.name: f for f in builtin_definitions()}[name]
    results = check_definition(fmt)
    assert len(results) >= 3  # each shipped definition carries real samples and non-matches
    assert [r.problems for r in results if not r.passed] == []


def test_cli_check_shipped_definitions():
    result = CliRunner().invoke(main, ["formats", "check"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    # every sample of the syslog definition passes, however many it has
    assert re.search(r"^syslog \(.*\): (\d+)/\1 samples pass$", result.output, re.M), result.output


def test_cli_list_shows_definitions_and_python_formats():
    result = CliRunner().invoke(main, ["formats", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    listed = {f["name"]: f for f in json.loads(result.output)}
    for name in SHIPPED:
        assert listed[name]["kind"].startswith("definition (")
    assert listed["whmcs-activity-csv"]["kind"] == "definition (csv)"
    assert listed["syslog"]["source_kind"] == "ssh"  # the file counts as an sshd log for coverage
    table = CliRunner().invoke(main, ["formats", "list"]).output
    assert "cpanel-login-log" in table and "panel" in table


# --- a user's definition ----------------------------------------------------------


def test_user_definition_samples_pass_and_fail(tmp_path):
    path = write(tmp_path, MINIMAL)
    assert [r.passed for r in check_definition(path)] == [True]
    broken = write(tmp_path, MINIMAL.replace('result = "success", "detail.door"', 'result = "failure", "detail.door"'),
                   "broken.toml")
    (result,) = check_definition(broken)
    assert not result.passed and result.problems == ["result: got 'success', expected 'failure'"]
    cli = CliRunner().invoke(main, ["formats", "check", str(path), str(broken)])
    assert cli.exit_code == 1
    assert "door-log" in cli.output and "FAIL  sample 1" in cli.output
    assert "result: got 'success', expected 'failure'" in cli.output
    assert "1 of 2 samples failed" in cli.output


def test_user_definition_rejects_and_sniff(tmp_path):
    fmt = load_definition(write(tmp_path, MINIMAL))
    batch = fmt.parse(["2025-03-22 14:03:11 jdoe north OK", "garbage", "2025-02-30 10:00:00 x y OK"], [1, 2, 3])
    assert list(batch.events["line_no"]) == [1]
    assert batch.rejects == [(2, "not a door-log line (no pattern matched)"),
                             (3, "unparseable timestamp '2025-02-30 10:00:00' (formats tried: %Y-%m-%d %H:%M:%S)")]
    assert fmt.sniff(["2025-03-22 14:03:11 jdoe north OK"])
    assert not fmt.sniff(["Mar 22 14:03:11 host sshd[1]: Accepted password for x from 1.2.3.4 port 22 ssh2"])


def test_user_definition_through_ingest(tmp_path, case_path):
    if "ingest" not in main.commands:
        pytest.skip("the ingest command is not part of this build")
    definition = write(tmp_path, MINIMAL)
    log = tmp_path / "doors.log"
    log.write_text("2025-03-22 14:03:11 jdoe north OK\n\n2025-03-30 03:30:00 jdoe south DENIED\nnot a door line\n")
    result = CliRunner().invoke(main, ["ingest", str(case_path), str(log), "--format", str(definition),
                                       "--tz", "Europe/Berlin"])
    assert result.exit_code == 0, result.output
    con = duckdb.connect(str(case_path), read_only=True)
    try:
        assert con.execute("SELECT format, lines_read, events_parsed, lines_rejected, lines_blank FROM sources"
                           ).fetchone() == ("door-log", 4, 2, 1, 1)
        rows = con.execute('SELECT line_no, epoch_us(ts), "user", result, detail->>\'door\' FROM events ORDER BY line_no').fetchall()
        assert rows[0] == (1, (dt.datetime(2025, 3, 22, 13, 3, 11, tzinfo=UTC) - dt.datetime(1970, 1, 1, tzinfo=UTC))
                           // dt.timedelta(microseconds=1), "jdoe", "success", "north")
        # 2025-03-30 03:30 is after the spring-forward change in Berlin: CEST, +02:00
        assert rows[1][:2] == (3, (dt.datetime(2025, 3, 30, 1, 30, tzinfo=UTC) - dt.datetime(1970, 1, 1, tzinfo=UTC))
                               // dt.timedelta(microseconds=1))
        assert rows[1][3] == "failure"
        assert con.execute("SELECT line_no, reason FROM rejects").fetchall() == [
            (4, "not a door-log line (no pattern matched)")]
    finally:
        con.close()


# --- schema validation: clear errors naming file and key, never a traceback ------


@pytest.mark.parametrize("change, message", [
    (("name = \"door-log\"", "name = \"Door Log\""), "name: must be lower-case"),
    (("description = \"badge reader export\"\n", ""), "description: is required"),
    (("pattern = '^(?P<ts>", "pattern = '^((?P<ts>"), "regex[1].pattern: invalid regular expression"),
    (('formats = ["%Y-%m-%d %H:%M:%S"]', 'formats = ["dd.mm.yyyy"]'), "timestamp.formats: 'dd.mm.yyyy' is neither"),
    (('formats = ["%Y-%m-%d %H:%M:%S"]', 'formats = ["syslog", "%Y-%m-%d %H:%M:%S"]'), "cannot mix year-less"),
    (("name = \"door-log\"", "colour = \"red\"\nname = \"door-log\""), "colour: unknown key"),
    (("[[rules]]\nmatch = { outcome", "[[rules]]\nwhen = 1\nmatch = { outcome"), "rules[1]: unknown key(s) when"),
    (("match = { outcome = '^(?P<result>", "match = { outcome = '^(?P<result"), "rules[1].match.outcome: invalid regular expression"),
    (("[[samples]]\nline =", "[[sample]]\nline ="), "samples: at least one"),
    (("source_kind = \"physical\"", "source_kind = \"physical\"\ndefault_tz = \"Europe/Berlin\""), None),
    (("source_kind = \"physical\"", "source_kind = \"physical\"\ndefault_tz = \"Mars/Olympus\""), "default_tz: unknown time zone"),
    (("[[regex]]", "[csv]\ncolumns = [\"a\"]\n[[regex]]"), "exactly one of [[regex]], [csv], [jsonl] or [sql]"),
    (("[fields]\nuser = \"who\"", "[fields]\nuser = 3"), "fields.user: must be a source name"),
])
def test_malformed_definitions_name_file_and_key(tmp_path, change, message):
    old, new = change
    text = textwrap.dedent(MINIMAL)
    assert old in text
    text = text.replace(old, new)
    path = write(tmp_path, text)
    if message is None:
        load_definition(path)
        return
    with pytest.raises(DefinitionError) as info:
        load_definition(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)
    cli = CliRunner().invoke(main, ["formats", "check", str(path)])
    assert cli.exit_code == 2 and message in cli.output and "Traceback" not in cli.output


def test_not_toml_and_missing_file(tmp_path):
    path = write(tmp_path, 'name = "unterminated\n')
    with pytest.raises(DefinitionError, match=r"def\.toml: not valid TOML"):
        load_definition(path)
    with pytest.raises(DefinitionError, match="cannot read format definition"):
        load_definition(tmp_path / "nope.toml")
    cli = CliRunner().invoke(main, ["formats", "check", str(path)])
    assert cli.exit_code != 0 and "not valid TOML" in cli.output and "Traceback" not in cli.output


def test_include_rules_must_exist_and_hold_only_rules(tmp_path):
    (tmp_path / "extra.rules.toml").write_text('name = "x"\n[[rules]]\nmatch = { who = "." }\n')
    path = write(tmp_path, MINIMAL.replace('source_kind = "physical"', 'source_kind = "physical"\ninclude_rules = ["extra.rules.toml"]'))
    with pytest.raises(DefinitionError, match=r"may only hold \[\[rules\]\]"):
        load_definition(path)


# --- timestamps -------------------------------------------------------------------


@pytest.mark.parametrize("spec, text, expected", [
    ("epoch", "1742652191", dt.datetime(2025, 3, 22, 14, 3, 11, tzinfo=UTC)),
    ("epoch", "1742652191.5", dt.datetime(2025, 3, 22, 14, 3, 11, 500000, tzinfo=UTC)),
    ("epoch_ms", "1742652191123", dt.datetime(2025, 3, 22, 14, 3, 11, 123000, tzinfo=UTC)),
    ("epoch_us", "1534860261221373", dt.datetime(2018, 8, 21, 14, 4, 21, 221373, tzinfo=UTC)),
    ("iso8601", "2025-03-22T14:03:11Z", dt.datetime(2025, 3, 22, 14, 3, 11, tzinfo=UTC)),
    ("iso8601", "2013-10-30T14:51:24.140565+01:00", dt.datetime(2013, 10, 30, 13, 51, 24, 140565, tzinfo=UTC)),
    ("iso8601", "2025-03-22 14:03:11", dt.datetime(2025, 3, 22, 14, 3, 11)),  # naive: the engine applies the zone
    ("%d/%m/%Y:%H:%M:%S %z", "10/09/2026:11:13:43 -0700", dt.datetime(2026, 9, 10, 18, 13, 43, tzinfo=UTC)),
    ("%m/%d/%Y:%H:%M:%S %z", "07/15/2013:16:21:50 -0000", dt.datetime(2013, 7, 15, 16, 21, 50, tzinfo=UTC)),
    ("syslog", "Feb 29 01:15:43", dt.datetime(2000, 2, 29, 1, 15, 43)),
    ("syslog", "Mar  3 10:56:18", dt.datetime(2000, 3, 3, 10, 56, 18)),
    ("syslog", "Mar 23 23:01:18.123", dt.datetime(2000, 3, 23, 23, 1, 18, 123000)),
    ("%b %d %H:%M:%S", "Feb 29 01:15:43", dt.datetime(2000, 2, 29, 1, 15, 43)),  # year-less pattern
    ("syslog", "MMM 22 07:54:32", None),
    ("epoch_ms", "soon", None),
    ("%Y-%m-%d %H:%M:%S", "2025-02-30 10:00:00", None),
])
def test_timestamp_formats(spec, text, expected):
    assert TimestampFormat(spec).parse(text) == expected


def test_yearless_formats():
    assert TimestampFormat("syslog").yearless and TimestampFormat("%b %d %H:%M:%S").yearless
    assert not TimestampFormat("%Y-%m-%d").yearless and not TimestampFormat("epoch_us").yearless


@pytest.mark.parametrize("text, expected", [
    ("::ffff:192.168.1.164", "192.168.1.164"),
    ("2001:0db8:0a0b:12f0:0000:0000:0000:0001", "2001:db8:a0b:12f0::1"),
    ("AAAA:BBBB:CCCC:1234::1:1", "aaaa:bbbb:cccc:1234::1:1"),
    ("[2001:db8::1]", "2001:db8::1"),
    ("203.0.113.7", "203.0.113.7"),
    ("example.com", "example.com"),      # UseDNS host names are kept as written
    ("192.030.0.6", "192.030.0.6"),      # not a valid address: kept, enrichment marks it invalid
])
def test_normalise_ip(text, expected):
    assert normalise_ip(text) == expected


# --- CSV, JSON lines, split ------------------------------------------------------


def test_csv_and_jsonl_definitions(tmp_path):
    csv_def = write(tmp_path, """
        name = "tickets"
        description = "ticket export"
        source_kind = "panel"
        [csv]
        columns = ["when", "who", "what", "addr"]
        delimiter = ";"
        header = true
        [fields]
        user = "who"
        ip = "addr"
        [timestamp]
        field = "when"
        formats = ["epoch_ms"]
        [[rules]]
        match = { what = '(?i)^reinstall (?P<target>srv-\\d+)$' }
        set = { event = "reinstall", actor = "customer" }
        [[samples]]
        line = '1742652191000;jdoe;"Reinstall srv-42";::ffff:203.0.113.7'
        expect = { ts = "2025-03-22T14:03:11+00:00", event = "reinstall", target = "srv-42", user = "jdoe", ip = "203.0.113.7" }
        [[samples]]
        line = "when;who;what;addr"
        reject = true
        expect = { reason = "header" }
    """, "tickets.toml")
    assert all(r.passed for r in check_definition(csv_def))
    fmt = load_definition(csv_def)
    batch = fmt.parse(["1;2"], [7])
    assert batch.rejects == [(7, "expected 4 CSV columns (when, who, what, addr), found 2")]

    json_def = write(tmp_path, """
        name = "api-audit"
        description = "API audit JSON lines"
        source_kind = "panel"
        [jsonl]
        sniff_keys = ["request_id"]
        [fields]
        user = ["actor.login", "actor.key_id"]
        ip = "client.ip"
        event = "action"
        kv = "meta"
        [split.kv]
        pairs = "&"
        assign = "="
        [timestamp]
        field = "at"
        formats = ["iso8601"]
        [[samples]]
        line = '{"request_id": "r1", "at": "2025-03-22T14:03:11+01:00", "actor": {"key_id": "k-7"}, "client": {"ip": "2001:DB8::1"}, "action": "reboot", "meta": "server=42&path=/x"}'
        expect = { ts = "2025-03-22T13:03:11+00:00", user = "k-7", ip = "2001:db8::1", event = "reboot", "detail.server" = "42", "detail.kv_path" = "/x" }
    """, "api.toml")
    assert [r.problems for r in check_definition(json_def)] == [[]]
    fmt = load_definition(json_def)
    assert fmt.sniff(['{"request_id": "r2", "at": "2025-03-22T14:03:11Z"}'])
    assert not fmt.sniff(['{"ts": "2025-03-22T14:03:11Z", "account": "c-1"}'])
    batch = fmt.parse(['{"request_id": "r3"}', "[1, 2]", "{broken"], [1, 2, 3])
    assert [no for no, _ in batch.rejects] == [1, 2, 3]
    assert batch.rejects[0][1] == "no timestamp (field 'at' is empty)"
    assert batch.rejects[1][1] == "JSON value is not an object"
    assert batch.rejects[2][1].startswith("not a JSON object")


def test_log_content_never_fills_a_canonical_column_through_split(tmp_path):
    """`method=` in a k=v list is not the HTTP method."""
    fmt = {f.name: f for f in builtin_definitions()}["cpanel-session-log"]
    batch = fmt.parse(["[2015-10-29 09:27:35 -0500] info [cpsrvd] 12.3.14.75 NEW root:abc "
                       "method=handle_form_login,ip=6.6.6.6,user=mallory"], [1])
    row = batch.events.to_dict("records")[0]
    assert (row["user"], row["ip"], row["method"]) == ("root", "12.3.14.75", None)
    detail = json.loads(row["detail"])
    assert (detail["cpanel_method"], detail["cpanel_ip"], detail["cpanel_user"]) == ("handle_form_login", "6.6.6.6", "mallory")


def test_readme_example_definition_passes(tmp_path):
    """The complete example in README "Log format definitions" is a working definition."""
    import re

    from conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Log format definitions"):]
    section = section[:section.index("\n## ", 5)]
    example = re.search(r"```toml\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "door.toml"
    path.write_text(example, encoding="utf-8")
    results = check_definition(path)
    assert len(results) == 2 and all(r.passed for r in results)
    assert load_definition(path).default_tz == "Europe/Berlin"


def test_cli_check_a_directory_of_definitions(tmp_path):
    (tmp_path / "defs").mkdir()
    write(tmp_path / "defs", MINIMAL, "door.toml")
    (tmp_path / "defs" / "shared.rules.toml").write_text("[[rules]]\nmatch = { who = '.' }\n")  # a rule set, not a format
    result = CliRunner().invoke(main, ["formats", "check", str(tmp_path / "defs")])
    assert result.exit_code == 0, result.output
    assert result.output.count("samples pass") == 1 and "door-log" in result.output
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["formats", "check", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "no format definition" in result.output


def test_csv_escape_character(tmp_path):
    text = textwrap.dedent(MINIMAL).replace(
        "[[regex]]\nname = \"line\"\npattern = '^(?P<ts>\\S+ \\S+) (?P<who>\\w+) (?P<door>\\w+) (?P<outcome>OK|DENIED)$'",
        '[csv]\ncolumns = ["ts", "who", "door", "outcome"]\nescape = "\\\\"')
    text = text.replace('line = "2025-03-22 14:03:11 jdoe north OK"',
                        'line = \'2025-03-22 14:03:11,jdoe,"north \\"A\\", east",OK\'')
    text = text.replace('"detail.door" = "north"', '"detail.door" = \'north "A", east\'')
    path = write(tmp_path, text)
    assert load_definition(path).kind == "csv"
    assert [r.problems for r in check_definition(path)] == [[]]
