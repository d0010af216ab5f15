"""`--dispute outage` on the CLI, and the availability section of the report
in four languages (read back from the PDF)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from forensics.case import Case
from forensics.cli import main
from forensics.demo.story_outage import Outage, OutageScenario, ingest, write_logs
from forensics.report.outage import availability_svg

UTC = dt.timezone.utc
SCHEMA = json.loads((Path(__file__).parents[1] / "forensics/investigate/outage/outage.schema.json").read_text())
S = OutageScenario(outages=[Outage(dt.datetime(2026, 3, 9, 3, 12, tzinfo=UTC), dt.datetime(2026, 3, 10, 2, 41, tzinfo=UTC),
                                   notice="during")], end=dt.datetime(2026, 3, 20, tzinfo=UTC), seed="report")
ARGS = ["--dispute", "outage", "--account", S.account, "--target", f"{S.service},{S.domain}",
        "--since", "2026-03-01", "--until", "2026-03-12", "--claim", "the server was down for three days",
        "--claim", "<script>alert(1)</script> seit Montag nicht erreichbar"]


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    d = tmp_path_factory.mktemp("outage-report")
    logs = write_logs(d, S, panel=True)
    with Case.open(d / "case.duckdb") as c:
        ingest(c, logs, S)
    return d / "case.duckdb"


def test_investigate_json_follows_the_schema(case):
    result = CliRunner().invoke(main, ["investigate", str(case), *ARGS, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    jsonschema.validate(doc, SCHEMA)
    (w,) = doc["outage"]["windows"]
    assert w["start"] == "2026-03-09T03:12:00+00:00" and w["cause"] == "hardware_failure"
    assert w["start_ref"]["path"].endswith("nagios.log") and w["start_ref"]["line_no"] > 0
    assert [c["classification"] for c in doc["outage_claims"]] == ["overstated", "overstated"]


def test_investigate_text(case):
    result = CliRunner().invoke(main, ["investigate", str(case), *ARGS, "--tz", "Europe/Berlin"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "outage 1: 2026-03-09T03:12:00+00:00 (2026-03-09T04:12:00+01:00 Europe/Berlin)" in result.output
    assert "cause: hardware_failure" in result.output and "announcement: during" in result.output
    assert '"the server was down for three days": overstated' in result.output


def test_usage_errors_are_sentences(case):
    runner = CliRunner()
    bad = runner.invoke(main, ["investigate", str(case), *ARGS, "--action", "reinstall"])
    assert bad.exit_code == 2 and "--action belongs to the action dispute" in bad.output
    none = runner.invoke(main, ["investigate", str(case), "--dispute", "outage", "--account", S.account,
                                "--target", "vps-0000"])
    assert none.exit_code == 1 and "no monitoring results for vps-0000" in none.output
    assert "Traceback" not in none.output
    untargeted = runner.invoke(main, ["investigate", str(case), "--dispute", "outage", "--account", S.account])
    assert untargeted.exit_code == 1 and "give --target" in untargeted.output
    unknown = runner.invoke(main, ["investigate", str(case), "--dispute", "refund", "--account", S.account])
    assert unknown.exit_code == 2


@pytest.mark.parametrize("lang,words", [
    ("en", ["Availability per SLA period", "Outage 1", "hardware failure", "customer informed during the outage",
            "overstated", "Gaps in the monitoring"]),
    ("de", ["Verfügbarkeit je SLA-Zeitraum", "Ausfall 1", "Hardwaredefekt", "Kunde während des Ausfalls informiert",
            "übertrieben"]),
    ("cs", ["Dostupnost za období SLA", "Výpadek 1", "porucha hardwaru", "nadsazeno"]),
    ("pl", ["Dostępność w okresach SLA", "Awaria 1", "awaria sprzętu", "zawyżone"]),
])
def test_report_availability_section(case, tmp_path, lang, words):
    out = tmp_path / f"outage-{lang}.pdf"
    result = CliRunner().invoke(main, ["report", str(case), *ARGS, "--lang", lang, "--date", "2026-04-15",
                                       "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    text = "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)
    flat = " ".join(text.split())
    for word in words:
        assert word in flat, word
    # every window's evidence is cited file:line, and quoted in the appendix
    assert "nagios.log:" in flat and "panel-audit.jsonl:" in flat
    # the customer's words are printed, never interpreted; no DD.MM dates appear
    assert "<script>alert(1)</script>" in flat
    assert "2026-03-09T03:12:00+00:00" in flat


def test_figure_escapes_and_marks(case):
    from forensics.investigate.outage import investigate_outage

    with Case.open(case, read_only=True) as c:
        inv = investigate_outage(c, S.account, target=S.service, since="2026-03-01", until="2026-03-12")
    svg = availability_svg(inv, gettext=lambda s: s + " <&>")
    assert "&lt;&amp;&gt;" in svg and "<&>" not in svg
    assert svg.count('fill="#b3261e"') >= 2          # the window and its cause mark
    assert "2026-03-0" in svg                         # ISO date labels


def test_redacted_report_keeps_the_sentences_translated(case, tmp_path):
    out = tmp_path / "outage-de-redacted.pdf"
    result = CliRunner().invoke(main, ["report", str(case), *ARGS, "--lang", "de", "--redact", "--date", "2026-04-15",
                                       "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    flat = " ".join("\n".join(p.extract_text() for p in PdfReader(str(out)).pages).split())
    # the investigation's sentences stay messages through the redaction: rendered in German
    assert "Ausfall 1: 2026-03-09T03:12:00+00:00 bis 2026-03-10T02:41:40+00:00, 23,5 h (Hardwaredefekt)." in flat
    assert "Behauptet 72 h; das Monitoring hat 23,5 h Ausfall gemessen" in flat
