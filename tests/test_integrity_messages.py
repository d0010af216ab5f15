"""Messages that are true (issue 11, item 8): Ctrl-C says what the case file
holds, a failed commit is reported as itself, DuckDB running out of memory
is no "bug".  (Disk full, broken pipes and config types: tests/test_cli_errors.py
and tests/test_config.py.)"""

from __future__ import annotations

import duckdb
import pytest
from click.testing import CliRunner

import forensics.ingest.engine as engine
from forensics.case import Case
from forensics.cli import main


@pytest.fixture
def logs(realdata, tmp_path):
    """Two different real access logs of 100 lines each."""
    lines = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes().split(b"\n")
    first, second = tmp_path / "access.log.1", tmp_path / "access.log.2"
    first.write_bytes(b"\n".join(lines[:100]) + b"\n")
    second.write_bytes(b"\n".join(lines[100:200]) + b"\n")
    return first, second


def _no_bug(output: str) -> None:
    assert "bug" not in output and "internal error" not in output and "Traceback" not in output


def _interrupt_on(monkeypatch, victim: str):
    real_run = engine._FileLoader.run

    def run(self):
        if self.path == victim:
            self.con.begin()          # half-way through the file's transaction ...
            self.con.execute("INSERT INTO case_meta VALUES ('half', 'written')")
            raise KeyboardInterrupt   # ... Ctrl-C
        return real_run(self)

    monkeypatch.setattr(engine._FileLoader, "run", run)


def test_ctrl_c_during_the_second_file_says_the_first_is_in_the_case(logs, tmp_path, monkeypatch):
    first, second = logs
    case = tmp_path / "case.duckdb"
    _interrupt_on(monkeypatch, str(second))
    result = CliRunner().invoke(main, ["ingest", str(case), str(first), str(second)])
    assert result.exit_code == 130
    assert result.output == (f"Error: interrupted (Ctrl-C): 1 file was committed to {case} before it "
                             f"({first}); the file being read then was rolled back and is not in the case\n")
    with Case.open(case, read_only=True) as c:    # ... and that is what the case file holds
        assert list(c.sources().path) == [str(first)]
        assert "half" not in c.meta()


def test_ctrl_c_during_the_only_file_says_nothing_was_committed(logs, tmp_path, monkeypatch):
    first, _ = logs
    case = tmp_path / "case.duckdb"
    assert CliRunner().invoke(main, ["ingest", str(case), str(logs[1])]).exit_code == 0   # an earlier call
    _interrupt_on(monkeypatch, str(first))
    result = CliRunner().invoke(main, ["ingest", str(case), str(first)])
    assert result.exit_code == 130
    assert result.output == (f"Error: interrupted (Ctrl-C): no file was committed to {case} by this call; "
                             "the file being read was rolled back\n")
    with Case.open(case, read_only=True) as c:
        assert list(c.sources().path) == [str(logs[1])]


class _CommitFails:
    """A connection whose commit fails as DuckDB's does on a full disk: the
    transaction is gone afterwards, so a rollback fails too."""

    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        return getattr(self._con, name)

    def commit(self):
        self._con.rollback()
        raise duckdb.IOException('IO Error: Could not write file "case.duckdb.wal": No space left on device')


def test_a_failed_commit_is_reported_as_itself_not_as_a_failed_rollback(logs, tmp_path, monkeypatch):
    first, _ = logs
    case = tmp_path / "case.duckdb"
    real_open = engine.Case.open

    def open_failing(path, **kwargs):
        opened = real_open(path, **kwargs)
        opened.con = _CommitFails(opened.con)
        return opened

    monkeypatch.setattr(engine.Case, "open", open_failing)
    result = CliRunner().invoke(main, ["ingest", str(case), str(first)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no space left on the device")
    assert "cannot rollback" not in result.output
    _no_bug(result.output)
    monkeypatch.undo()
    with Case.open(case, read_only=True) as c:
        assert len(c.sources()) == 0 and len(c.events()) == 0


def test_duckdb_failing_to_allocate_is_the_out_of_memory_sentence(logs, tmp_path, monkeypatch):
    first, _ = logs

    def no_memory(*args, **kwargs):
        raise duckdb.TransactionException("TransactionContext Error: Failed to commit: Failed to re-allocate "
                                          "block of 2097152 bytes (bad allocation)")

    monkeypatch.setattr("forensics.ingest.engine.ingest_files", no_memory)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "case.duckdb"), str(first)])
    assert result.exit_code == 1
    assert result.output == ("Error: out of memory (DuckDB): the input needs more memory than this machine "
                             "has free\n")
