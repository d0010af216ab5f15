"""Failures a person meets are one true sentence with an exit code, never "a bug":
a full disk, Ctrl-C, a closed output pipe, missing system libraries."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from forensics.cli import main


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A case of 3,000 panel events of one account: more output than a pipe buffer holds."""
    tmp = tmp_path_factory.mktemp("errors")
    log = tmp / "panel.jsonl"
    with open(log, "w") as fh:
        for n in range(3000):
            fh.write(json.dumps({"ts": f"2026-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}+00:00",
                                 "account": "K-1", "event": "account_view", "user": "bob", "ip": "203.0.113.5"}) + "\n")
    path = tmp / "case.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(path), str(log)])
    assert result.exit_code == 0, result.output
    return path


def _no_bug(output: str) -> None:
    assert "bug" not in output and "internal error" not in output and "Traceback" not in output


def test_broken_pipe_is_one_sentence(case):
    shell = f"{sys.executable} -m forensics timeline {case} --account K-1 | head -n 1; echo \"status=${{PIPESTATUS[0]}}\""
    run = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=120)
    lines = run.stdout.splitlines()
    assert lines[0].startswith("2026-03-01T00:00:00+00:00") and lines[-1] == "status=141"
    assert run.stderr.strip() == "Error: stopped: the program reading the output closed it (as `| head` does)"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
def test_disk_full_is_one_sentence(case):
    with open("/dev/full", "w") as full:
        run = subprocess.run([sys.executable, "-m", "forensics", "timeline", str(case), "--account", "K-1"],
                             stdout=full, stderr=subprocess.PIPE, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.startswith("Error: no space left on the device") and len(run.stderr.splitlines()) == 1
    _no_bug(run.stderr)


@pytest.mark.parametrize("failure", [
    OSError(errno.ENOSPC, "No space left on device", "/cases/dispute.duckdb"),
    type("IOException", (Exception,), {})('IO Error: Could not write file "dispute.duckdb.wal": No space left on device'),
], ids=["OSError", "duckdb.IOException"])
def test_disk_full_inside_a_command_is_one_sentence(case, monkeypatch, failure):
    import forensics.investigate

    def full(*args, **kwargs):
        raise failure

    monkeypatch.setattr(forensics.investigate, "timeline", full)
    result = CliRunner().invoke(main, ["timeline", str(case), "--account", "K-1"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: no space left on the device")
    assert "what earlier steps committed to the case file is kept" in result.output
    _no_bug(result.output)


def test_ctrl_c_is_one_true_sentence_with_exit_130(case, monkeypatch):
    import forensics.investigate

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(forensics.investigate, "timeline", interrupted)
    result = CliRunner().invoke(main, ["timeline", str(case), "--account", "K-1"])
    assert result.exit_code == 130
    assert result.output == ("Error: interrupted (Ctrl-C): what earlier steps committed to the case file is kept, "
                             "the interrupted step wrote nothing to it\n")


@pytest.mark.parametrize("command", ["report", "demo"])
def test_missing_pdf_libraries_are_named_before_any_work(tmp_path, monkeypatch, case, command):
    import forensics.report.render as render

    def no_pango(name):
        raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file")

    monkeypatch.setattr(render, "import_module", no_pango)
    args = {"report": ["report", str(case), "--account", "K-1", "--out", str(tmp_path / "r.pdf")],
            "demo": ["demo", str(tmp_path / "demo")]}[command]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" in result.output
    assert "cannot load library 'libpango-1.0-0'" in result.output
    _no_bug(result.output)
    assert not (tmp_path / "demo").exists() and not (tmp_path / "r.pdf").exists()
