"""Every command that prints rows takes the shared output flags, and means the same by them.

The test walks the whole `forensics` command tree: a command either prints
rows (and then offers all of `--table`, `--csv`, `--tsv`, `--json`, `--nl`
and is run here with each of them on a small real case) or is named below as
one that does not (it prints a document, a report or progress).  A new
command has to be put in one of the two lists.
"""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main

FLAGS = ("--table", "--csv", "--tsv", "--json", "--nl")
# Commands that print something other than rows: progress, one JSON
# document (investigate --json), a PDF, a signature, check results.
NOT_ROWS = {"ingest", "formats check", "enrich", "investigate", "report", "sign", "verify", "demo", "export",
            "lake ingest", "lake pull"}


def _commands(group=main, path=()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield " ".join((*path, name)), command


@pytest.fixture(scope="module")
def case_and_lake(tmp_path_factory):
    directory = tmp_path_factory.mktemp("flags")
    log = directory / "panel-audit.jsonl"
    log.write_text("".join(json.dumps({"ts": f"2026-03-22T10:0{i}:00Z", "account": "K-1", "event": "login",
                                       "user": "anna", "ip": "192.0.2.7"}) + "\n" for i in range(3)))
    case_path = directory / "case.duckdb"
    with Case.open(case_path) as case:
        case.ingest([log])
    lake = None
    try:
        from forensics.lake.ingest import ingest_to_lake

        lake = directory / "lake"
        ingest_to_lake(str(lake), [str(log)])
    except Exception as exc:   # the lake extra is optional: its commands are then checked for the flags only
        if "lake extra" not in str(exc) and not isinstance(exc, ImportError):
            raise
        lake = None
    return case_path, lake


def _invocations(case_path, lake):
    case = str(case_path)
    calls = {
        "sources": [case],
        "formats list": [],
        "query": [case, "account_events", "--param", "account=K-1"],
        "query --list": ["--list"],
        "timeline": [case, "--account", "K-1"],
        "sql": [case, "SELECT account, count(*) AS n FROM events GROUP BY ALL"],
    }
    if lake is not None:
        calls["lake sources"] = [str(lake)]
        calls["lake sql"] = [str(lake), "SELECT account, count(*) AS n FROM events GROUP BY ALL"]
    return calls


def test_every_command_prints_rows_with_the_shared_flags_or_is_named_as_not_printing_rows():
    row_commands = set()
    for name, command in _commands():
        options = {o for p in command.params for o in getattr(p, "opts", [])}
        if name in NOT_ROWS:
            assert not set(FLAGS) - {"--json"} & options, f"{name} has output flags: list it as printing rows"
            continue
        assert set(FLAGS) <= options, f"{name}: missing {sorted(set(FLAGS) - options)} (or add it to NOT_ROWS)"
        row_commands.add(name)
    assert row_commands == {"sources", "formats list", "query", "timeline", "sql", "lake sources", "lake sql"}


def test_each_row_printing_command_accepts_each_flag(case_and_lake):
    case_path, lake = case_and_lake
    runner = CliRunner()
    for name, args in _invocations(case_path, lake).items():
        command = name.split(" --")[0].split()
        outputs = {}
        for flag in FLAGS:
            r = runner.invoke(main, [*command, *args, flag], catch_exceptions=False)
            assert r.exit_code == 0, f"{name} {flag}: {r.output}"
            outputs[flag] = r.output
        rows = json.loads(outputs["--json"])
        assert isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows), name
        assert [json.loads(line) for line in outputs["--nl"].splitlines()] == rows, name
        header = next(csv.reader(io.StringIO(outputs["--csv"])))
        assert header == list(rows[0]), name
        assert outputs["--tsv"].splitlines()[0].split("\t") == header, name
        assert len(list(csv.reader(io.StringIO(outputs["--csv"])))) == len(rows) + 1, name
        assert outputs["--table"] and not outputs["--table"].lstrip().startswith(("[", "{")), name
    if lake is not None:
        assert json.loads(runner.invoke(main, ["lake", "sql", str(lake), "SELECT count(*) AS n FROM events",
                                               "--json"]).output) == [{"n": 3}]
    listed = json.loads(runner.invoke(main, ["query", "--list", "--json"]).output)
    by_name = {q["name"]: q for q in listed}
    assert by_name["account_events"]["params"] == {"account": "the customer account id"}
