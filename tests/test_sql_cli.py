"""`forensics sql` (read-only ad-hoc SQL) and the shared output options of every row-printing command."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from click.testing import CliRunner

from forensics.cli import main
from lake_fixtures import build_direct


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_direct(tmp_path_factory.mktemp("sql"))


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_sql_prints_rows_in_every_format(sample):
    manifest, case = sample
    query = "SELECT source_kind, count(*) AS n, min(ts) AS first FROM events GROUP BY ALL ORDER BY source_kind"
    rows = json.loads(_run("sql", case, query, "--json").output)
    assert [r["source_kind"] for r in rows] == ["http", "panel", "ssh"]
    ingested = (manifest.panel_log, manifest.access_log, manifest.auth_log)   # the fixture's three logs
    assert sum(r["n"] for r in rows) == sum(manifest.counts[p.name] for p in ingested)
    assert all(r["first"].startswith("2025-01-15T") and r["first"].endswith("+00:00") for r in rows)
    lines = _run("sql", case, query, "--nl").output.splitlines()
    assert [json.loads(line) for line in lines] == rows
    table = list(csv.reader(io.StringIO(_run("sql", case, query, "--csv").output)))
    assert table[0] == ["source_kind", "n", "first"] and table[1][0] == "http"
    assert table[1][2] == rows[0]["first"]
    tsv = _run("sql", case, query, "--tsv").output.splitlines()
    assert tsv[0] == "source_kind\tn\tfirst" and tsv[1].split("\t")[1] == str(rows[0]["n"])
    text = _run("sql", case, query).output
    assert "source_kind" in text and "panel" in text
    berlin = json.loads(_run("sql", case, query, "--json", "--tz", "Europe/Berlin").output)
    assert berlin[0]["first"].endswith("+01:00")


def test_tsv_escapes_tabs_and_newlines_and_table_shows_controls(sample):
    _, case = sample
    query = "SELECT 'a' || chr(9) || 'b' || chr(10) || 'c\\d' AS v, 'x' || chr(27) || '[2J' AS esc"
    tsv = _run("sql", case, query, "--tsv").output
    assert tsv == "v\tesc\na\\tb\\nc\\\\d\tx\x1b[2J\n"
    table = _run("sql", case, query).output
    assert "\x1b" not in table and "\\x1b[2J" in table


@pytest.mark.parametrize("statement, word", [
    ("INSERT INTO case_meta VALUES ('k', 'v')", "INSERT"),
    ("DROP TABLE events", "DROP"),
    ("COPY (SELECT * FROM events) TO 'out.csv'", "COPY"),
    ("ATTACH 'other.duckdb' AS other", "ATTACH"),
    ("INSTALL httpfs", "INSTALL"),
    ("LOAD httpfs", "LOAD"),
    ("UPDATE events SET ip = NULL", "UPDATE"),
    ("SET enable_external_access = true", "SET"),
    ("DELETE FROM events", "DELETE"),
    ("CREATE TABLE notes AS SELECT * FROM events", "CREATE"),
    ("CREATE OR REPLACE VIEW events2 AS SELECT 1", "CREATE"),
    ("PRAGMA enable_checkpoint_on_shutdown", "PRAGMA"),
    ("CHECKPOINT", "CHECKPOINT"),
    ("CALL pragma_version()", "CALL"),
    # Multi-statement tricks: a harmless query first, a ';' inside a string, a comment.
    ("SELECT 1; DELETE FROM events", "DELETE"),
    ("SELECT ';' AS x; DROP TABLE events", "DROP"),
    ("SELECT 1 -- harmless\n; INSERT INTO case_meta VALUES ('k', 'v')", "INSERT"),
    ("select 1;update events set ip = null;", "UPDATE"),
    # EXPLAIN ANALYZE runs its statement: judged by the statement it explains.
    ("EXPLAIN ANALYZE DELETE FROM events", "DELETE"),
    ("EXPLAIN INSERT INTO case_meta VALUES ('k', 'v')", "INSERT"),
])
def test_sql_refuses_writes_in_one_sentence(sample, statement, word):
    _, case = sample
    before = hashlib.sha256(case.read_bytes()).hexdigest()
    counts = "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM case_meta) AS meta"
    rows_before = json.loads(_run("sql", case, counts, "--json").output)
    result = _run("sql", case, statement)
    assert result.exit_code == 1
    assert f"forensics sql only reads: the {word} statement is refused" in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    # Refused before anything ran: the case file is byte for byte the same.
    assert hashlib.sha256(case.read_bytes()).hexdigest() == before
    assert json.loads(_run("sql", case, counts, "--json").output) == rows_before
    assert rows_before[0]["events"] > 0 and rows_before[0]["meta"] > 0


def test_sql_cannot_reach_other_files(sample, tmp_path):
    _, case = sample
    (tmp_path / "secret.csv").write_text("a\n1\n")
    result = _run("sql", case, f"SELECT * FROM read_csv('{tmp_path / 'secret.csv'}')")
    assert result.exit_code == 1 and "file system operations are disabled" in result.output
    result = _run("sql", case, "SELEC 1")
    assert result.exit_code == 1 and "the SQL does not parse" in result.output
    assert _run("sql", tmp_path / "none.duckdb", "SELECT 1").exit_code == 1


@pytest.mark.parametrize("command", [
    ["sources", "{case}"],
    ["timeline", "{case}", "--account", "{account}", "--since", "2026-03-22", "--until", "2026-03-22"],
    ["query", "{case}", "account_logins", "--param", "account={account}", "--param", "since=",
     "--param", "until="],
    ["sql", "{case}", "SELECT event, count(*) AS n FROM events GROUP BY ALL ORDER BY event"],
    ["formats", "list"],
])
def test_every_row_printing_command_takes_the_same_flags(sample, command):
    manifest, case = sample
    args = [a.format(case=case, account=manifest.disputes[0].account) for a in command]
    outputs = {}
    for flag in ("--table", "--csv", "--tsv", "--json", "--nl"):
        result = _run(*args, flag)
        assert result.exit_code == 0, (flag, result.output)
        outputs[flag] = result.output
    rows = json.loads(outputs["--json"])
    assert rows, "no rows to compare"
    assert [json.loads(line) for line in outputs["--nl"].splitlines()] == rows
    assert len(list(csv.reader(io.StringIO(outputs["--csv"])))) == len(rows) + 1
    assert outputs["--tsv"].splitlines()[0].split("\t") == list(rows[0])
