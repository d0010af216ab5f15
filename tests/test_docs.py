"""The docs and the CLI must agree (the sqlite-utils idea).

* every command and subcommand has help text and answers `--help`;
* every command is mentioned in README.md;
* every column of the case schema is documented in README.md;
* .ci/run runs the README's test command verbatim;
* README and .ci/run name the system packages the PDF check asks for;
* every vendored sample in tests/data is described, with its SHA-256, in
  its directory's SOURCE.md.
"""

import re

import click
import pytest
from click.testing import CliRunner

from conftest import ROOT, TESTDATA
from forensics.cli import main
from forensics.schema import DDL

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _walk(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        path = prefix + (name,)
        yield path, cmd
        if isinstance(cmd, click.Group):
            yield from _walk(cmd, path)


COMMANDS = list(_walk(main))


def test_there_are_commands():
    assert COMMANDS, "the CLI registered no commands"


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_has_help(path, cmd):
    assert (cmd.help or "").strip(), f"`forensics {' '.join(path)}` has no help text"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


@pytest.mark.parametrize("path,cmd", COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_is_in_readme(path, cmd):
    assert f"forensics {' '.join(path)}" in README, f"README.md does not mention `forensics {' '.join(path)}`"


def _schema_columns():
    for statement in DDL:
        found = re.search(r"CREATE TABLE IF NOT EXISTS (\w+)", statement)
        if found is None:  # a view: its columns are the tables' (checked below)
            continue
        table = found.group(1)
        body = statement[statement.index("(") + 1 : statement.rindex(")")]
        for line in body.splitlines():
            line = line.split("--")[0].strip().rstrip(",")
            m = re.match(r'"?([a-z_0-9]+)"?\s+[A-Z]', line)
            if m:
                yield table, m.group(1)


@pytest.mark.parametrize("table,column", list(_schema_columns()))
def test_every_schema_column_is_documented(table, column):
    # A column counts as documented when README has a table row starting with it.
    assert re.search(rf"^\|\s*`{column}`\s*\|", README, re.M), f"column {table}.{column} is not documented in README.md"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_second():
    block = re.search(r"```sh\n(.*?)\n```", README, re.S).group(1).strip().splitlines()
    assert len(block) == 2, "README must start with exactly two set-up commands"
    assert "forensics demo" in block[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert block[1] in ci, ".ci/run must run the README's test command verbatim"


def test_version_and_usage_errors():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).exit_code == 0
    result = runner.invoke(main, ["no-such-command"])
    assert result.exit_code == 2


def test_every_view_is_documented():
    views = [re.search(r"CREATE OR REPLACE VIEW (\w+)", st).group(1) for st in DDL if "CREATE OR REPLACE VIEW" in st]
    assert views, "the schema defines the evidence_events view"
    for view in views:
        assert f"`{view}`" in README, f"view {view} is not documented in README.md"


def test_readme_and_ci_name_the_packages_the_pdf_check_asks_for():
    from forensics.report.render import SYSTEM_LIBRARIES

    assert f"apt-get install {SYSTEM_LIBRARIES}" in README
    assert f"install -y -qq {SYSTEM_LIBRARIES}" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("directory", sorted(d for d in TESTDATA.iterdir() if d.is_dir()), ids=lambda p: p.name)
def test_every_vendored_sample_is_described_in_its_source_md(directory):
    """Origin and licence of each file; where SOURCE.md lists SHA-256s, the bytes match."""
    import hashlib

    source_md = directory / "SOURCE.md"
    assert source_md.is_file(), f"{directory.relative_to(ROOT)} has no SOURCE.md (origin and licence)"
    text = source_md.read_text(encoding="utf-8")
    assert "licen" in text.lower()
    hashes = set(re.findall(r"\b[0-9a-f]{64}\b", text))
    for f in sorted(x for x in directory.rglob("*") if x.is_file() and x.name != "SOURCE.md"):
        assert f.name in text, f"{f.relative_to(TESTDATA)} is not described in {source_md.relative_to(ROOT)}"
        if hashes:
            assert hashlib.sha256(f.read_bytes()).hexdigest() in hashes, f"{f.relative_to(TESTDATA)}: SHA-256 differs"
