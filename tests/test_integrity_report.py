"""Lines of a damaged archive are flagged wherever they are cited (issue 11).

The real access log of tests/data (elastic-examples/apache_logs) is written as
a gzip file of two members: lines 1-8000 intact, lines 8001-10000 with a
flipped CRC.  The ingest keeps the second member's lines as `unverified`.  A
panel log (written here, as in test_investigate_e2e) says that the visitor
2.241.35.167, whose real requests are lines 8300-8330, was our customer and
reinstalled a server; the investigation cites his requests (unverified) and
the panel lines (plain file, verified).  Text output, JSON, the attachment
and the report must flag the first and not the second.
"""

from __future__ import annotations

import csv
import gzip
import io
import re

import pytest

from forensics.case import Case
from forensics.investigate import investigate, timeline
from forensics.investigate.textout import render_text
from test_investigate_e2e import ACCOUNT, SSHD, _panel_lines

SPLIT = 8000


def _two_members(data: bytes) -> bytes:
    """gzip of lines 1..SPLIT (intact) + the rest (its CRC-32 flipped)."""
    lines = data.split(b"\n")
    first = b"\n".join(lines[:SPLIT]) + b"\n"
    rest = b"\n".join(lines[SPLIT:])
    second = bytearray(gzip.compress(rest, mtime=0))
    second[-8] ^= 0xFF                     # the trailer's CRC-32
    return gzip.compress(first, mtime=0) + bytes(second)


@pytest.fixture(scope="module")
def damaged_case(tmp_path_factory, realdata):
    from forensics.enrich.engine import enrich_case
    from forensics.ingest.engine import ingest_files

    d = tmp_path_factory.mktemp("integrity")
    (d / "panel-audit.jsonl").write_text(_panel_lines(), encoding="utf-8")
    (d / "auth.log").write_text(SSHD, encoding="utf-8")
    original = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes()
    (d / "access.log.gz").write_bytes(_two_members(original))
    with Case.open(d / "case.duckdb") as case:
        ingest_files(case, [d / "panel-audit.jsonl", d / "access.log.gz", d / "auth.log"])
        enrich_case(case, [realdata / "maxmind" / "test-data" / "GeoLite2-ASN-Test.mmdb"])
    return d


@pytest.fixture(scope="module")
def inv(damaged_case):
    with Case.open(damaged_case / "case.duckdb", read_only=True) as case:
        flags = case.sql_df("SELECT min(line_no) AS first, count(*) AS n FROM evidence_events "
                            "WHERE path LIKE '%access.log.gz' AND integrity = 'unverified'")
        assert int(flags["first"][0]) == SPLIT + 1, "the ingest flags the member that failed its CRC"
        return investigate(case, ACCOUNT, since="2015-05-01")


def test_findings_carry_the_flag_of_each_cited_line(inv):
    [f] = inv.findings
    assert f.action.path.endswith("panel-audit.jsonl") and f.action.integrity is None
    assert f.session.login.integrity is None
    page = next(c.ref for c in f.clickstream if c.ref.http_path == "/files/xdotool/docs/html/xdo_8h.html")
    assert (page.line_no, page.integrity) == (8311, "unverified")
    assert all(c.ref.integrity == "unverified" for c in f.clickstream)    # all beyond line 8000
    # the JSON (findings.json, --json) carries it, for verified lines as null
    data = inv.to_dict()
    [fd] = data["findings"]
    assert fd["action"]["integrity"] is None
    assert {c["ref"]["integrity"] for c in fd["clickstream"]} == {"unverified"}


def test_text_output_flags_unverified_lines_only(inv):
    text = render_text(inv)
    assert re.search(r"\[\S*access\.log\.gz:8311 \(unverified\)\]", text)
    assert re.search(r"\[\S*panel-audit\.jsonl:\d+\]", text)
    assert not re.search(r"panel-audit\.jsonl:\d+ \(unverified\)", text)
    assert "note: (unverified) marks a line read from a damaged archive after its last passed integrity check" in text


def test_timeline_has_the_integrity_column(damaged_case):
    with Case.open(damaged_case / "case.duckdb", read_only=True) as case:
        frame = timeline(case, ACCOUNT, since="2015-05-20", until="2015-05-20")
    access = frame[frame["path"].str.endswith("access.log.gz")]
    panel = frame[frame["path"].str.endswith("panel-audit.jsonl")]
    assert len(access) > 10 and set(access["integrity"]) == {"unverified"}
    assert len(panel) and panel["integrity"].isna().all()


def test_cli_timeline_text_marks_the_line(damaged_case):
    from click.testing import CliRunner

    from forensics.cli import main as cli

    out = CliRunner().invoke(cli, ["timeline", str(damaged_case / "case.duckdb"), "--account", ACCOUNT,
                                   "--since", "2015-05-20", "--until", "2015-05-20"], catch_exceptions=False).output
    assert re.search(r"access\.log\.gz:8311 \(unverified\)\]", out)
    assert re.search(r"panel-audit\.jsonl:\d+\]", out)


@pytest.mark.parametrize("lang, label, explanation", [
    ("en", "unverified", "read from a damaged archive after its last passed integrity check"),
    ("de", "ungeprüft", "aus einem beschädigten Archiv nach dessen letzter bestandener Integritätsprüfung gelesen"),
    ("cs", "neověřeno", "přečteno z poškozeného archivu za jeho poslední úspěšnou kontrolou integrity"),
    ("pl", "niezweryfikowane", "odczytane z uszkodzonego archiwum po jego ostatniej pomyślnej kontroli integralności"),
])
def test_report_marks_the_cited_unverified_line_and_explains_it(inv, tmp_path, lang, label, explanation):
    from forensics.report import render_report

    out = tmp_path / f"report.{lang}.html"
    render_report(inv, out, lang=lang, report_date="2026-01-05", output_format="html")
    html = out.read_text(encoding="utf-8")
    mark = f'<a class="integrity" href="#integrity-unverified">{label}</a>'
    # the click-stream row of line 8311 carries the mark right after its citation
    assert re.search(r'access\.log\.gz:8311</span> ' + re.escape(mark), html)
    # a verified line (the disputed action in the panel log) is cited without it
    action = inv.findings[0].action
    cited = re.findall(re.escape(action.citation) + r"</span>( <a class=\"integrity\")?", html)
    assert cited and not any(cited)
    assert html.count(mark) >= len(inv.findings[0].clickstream[:1])
    # the explanation in appendix B, in the report's language
    assert f'<p id="integrity-unverified"><span class="integrity">{label}</span>: {explanation}' in html
    assert 'id="integrity-cut"' not in html


def test_cited_events_csv_has_the_flag(inv):
    from forensics.report.attachments import cited_events_csv

    rows = list(csv.DictReader(io.StringIO(cited_events_csv(inv).data.decode("utf-8"))))
    by = {r["citation"]: r["integrity"] for r in rows}
    assert by[inv.findings[0].action.citation] == ""
    assert any(c.endswith("access.log.gz:8311") and v == "unverified" for c, v in by.items())


def test_pdf_shows_the_mark(inv, tmp_path):
    import shutil
    import subprocess

    from forensics.report import render_report

    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    out = tmp_path / "report.pdf"
    render_report(inv, out, lang="en", report_date="2026-01-05")
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
    text = " ".join(text.split())          # a long path wraps in its narrow column
    assert re.search(r"access\.log\.gz: ?8311 \u26a0 unverified", text)
    assert "\u26a0 unverified: read from a damaged archive after its last passed integrity check" in text
    action = inv.findings[0].action
    assert re.search(r"panel-audit\.jsonl: ?%d (?!\u26a0)" % action.line_no, text)
    assert not re.search(r"panel-audit\.jsonl: ?\d+ \u26a0", text)
