"""`forensics report` end to end: a real case, a real investigation, a PDF."""

import hashlib
import re

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

import casebuilder as cb
from forensics.cli import main


@pytest.fixture(scope="module")
def story(tmp_path_factory):
    path = tmp_path_factory.mktemp("report-cli") / "case.duckdb"
    cb.founding_story(path).close()
    return path


def test_report_command_renders_the_founding_story(story, tmp_path):
    out = tmp_path / "dispute.pdf"
    result = CliRunner().invoke(main, [
        "report", str(story), "--account", cb.HOLDER, "--since", "2026-03-01", "--tz", "Europe/Berlin",
        "--claim", "23.03. CentOS installiert", "--lang", "de", "--date", "2026-04-15",
        "--reference", "AZ-2026-0042", "--provider", "Beispiel Hosting GmbH", "--out", str(out)])
    assert result.exit_code == 0, result.output
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.stdout.split()[0] == digest           # the PDF's SHA-256 is printed

    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    assert "Der Kontoinhaber" in text                   # account_holder, in German
    assert "2026-03-22T08:15:32+00:00" in text and "2026-03-22T09:15:32+01:00" in text
    assert "AZ-2026-0042" in text
    flat = re.sub(r"\s+", "", text)
    assert "panel-audit.jsonl:490" in flat              # the action's citation, as the investigation gives it
    assert "forensicsreport" in flat and "--date2026-04-15" in flat   # the command line, for provenance
    assert set(reader.attachments) == {"findings.json", "cited-events.csv", "manifest.json"}


def test_unknown_language_is_a_usage_error(story, tmp_path):
    result = CliRunner().invoke(main, ["report", str(story), "--account", cb.HOLDER, "--lang", "fr",
                                       "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2


def test_unknown_account_is_a_clear_error(story, tmp_path):
    result = CliRunner().invoke(main, ["report", str(story), "--account", "NOPE", "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 1
    assert "NOPE" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x.pdf").exists()
