"""The evidence report as a PDF: content, languages, ISO dates, attachments,
PDF/A identification, reproducibility, size.

Renders are slow-ish (about a second each), so each language is rendered
once per module and the tests read the same files.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re

import pytest
from pypdf import PdfReader

import report_fixtures as fx
from forensics.report import render_report

REPORT_DATE = "2025-04-02"
# A date as DD.MM(.YYYY) or MM/DD(/YYYY) that the report itself would have written.
# IP addresses, versions and prefixes (203.0.113.0/24) do not match: the look-behinds
# exclude a preceding digit, dot or slash.
DDMM = re.compile(r"(?<![\d./:])\d{1,2}\.\d{1,2}\.(?:\d{2,4})?(?![\d.])")
MMDD = re.compile(r"(?<![\d./:])\d{1,2}/\d{1,2}(?:/\d{2,4})?(?![\d/.])")
HEADINGS = {"en": "Summary", "de": "Zusammenfassung", "cs": "Shrnutí", "pl": "Podsumowanie"}
ASSESSMENTS = {"en": "The account holder", "de": "Der Kontoinhaber", "cs": "Držitel účtu", "pl": "Właściciel konta"}


@functools.lru_cache(maxsize=None)
def _pdf_text(path: str) -> str:
    reader = PdfReader(path)
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def pdf_text(path) -> str:
    return _pdf_text(str(path))


def flat(text: str) -> str:
    """Whitespace removed: table cells wrap long values over several lines."""
    return re.sub(r"\s+", "", text)


def small_investigation():
    """One disputed action (the reinstall) with the claims: half the pages, for the
    language and reproducibility tests, so that the module stays fast."""
    inv = fx.build_investigation()
    inv.findings = inv.findings[:1]
    return inv


def render(inv, path, lang="en"):
    return render_report(inv, path, lang=lang, tz="Europe/Prague", reference="DISPUTE-4711",
                         report_date=REPORT_DATE, provider="Example Hosting s.r.o.", case="dispute-4711.duckdb",
                         command_line="forensics report dispute-4711.duckdb --account K-10023")


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    """The full English report (three disputed actions) and the small one in every other language."""
    out = tmp_path_factory.mktemp("reports")
    results = {"en": render(fx.build_investigation(), out / "report-en.pdf")}
    for lang in ("de", "cs", "pl"):
        results[lang] = render(small_investigation(), out / f"report-{lang}.pdf", lang)
    return results


def test_english_report_states_the_facts_with_iso_times(reports):
    text = pdf_text(reports["en"].path)
    flat_text = flat(text)
    # cover
    assert "EXAMPLE HOSTING S.R.O." in text.upper()
    assert "DISPUTE-4711" in text and "K-10023" in text and "forensics 0.1.0" in text
    # the disputed reinstall in UTC and in Prague time, with its citation
    assert "2025-03-22T14:03:11+00:00" in text
    assert "2025-03-22T15:03:11+01:00" in text
    reinstall = next(f for f in fx.build_investigation().findings if f.action.event == "reinstall")
    assert flat(reinstall.action.citation) in flat_text
    # assessments and key facts
    assert "Assessment: The account holder" in text
    assert "Compromise suspected: a third party" in text
    assert flat("14 failed logins from 198.51.100.77 in the two minutes before the successful login.") in flat_text
    assert flat("The browser (Firefox 136 on Windows 10) is the holder's usual one.") in flat_text
    # claim reconciliation: the customer's words quoted, the dates they meant in ISO
    assert flat(fx.CLAIMS[0]) in flat_text and "2024-03-19" in text and "different year" in text
    assert "different day" in text
    # provenance: every input with its SHA-256, the GeoIP build, the thresholds
    for source in fx.build_investigation().coverage:
        assert source.sha256 in flat_text
    assert "GeoLite2-ASN" in text and "sessions.idle_timeout_minutes" in text
    # the period at a glance: ISO months, from the holder's own 2024-03 actions to the dispute
    assert "The whole period at a glance" in text and "2024-03" in text and "2025-03" in text
    # appendix quotes the raw line of the disputed action
    assert flat(reinstall.action.raw) in flat_text


@pytest.mark.parametrize("lang", ["en", "de", "cs", "pl"])
def test_every_language_translates_and_keeps_dates_iso(reports, lang):
    text = pdf_text(reports[lang].path)
    assert HEADINGS[lang] in text
    assert ASSESSMENTS[lang] in text
    assert "2025-03-22T14:03:11+00:00" in text
    # No date the report writes is DD.MM or MM/DD; the customer's own words
    # ("19.03.", "20.03.") are quotations and are taken out before checking.
    checked = flat(text)
    for claim in fx.CLAIMS:
        assert flat(claim) in checked
        checked = checked.replace(flat(claim), " ")
    # spaces removed, so a digit group can only match when the report wrote it that way
    assert not DDMM.search(checked), DDMM.search(checked)
    assert not MMDD.search(checked), MMDD.search(checked)


def test_the_date_patterns_do_catch_dates():
    assert DDMM.search("on 19.03. the") and DDMM.search("am 19.03.2025 um") and MMDD.search("on 03/19/2025")
    assert not DDMM.search("203.0.113.45 and Firefox 136.0") and not MMDD.search("203.0.113.0/24")


def test_attachments_are_embedded_and_parse(reports):
    reader = PdfReader(str(reports["en"].path))
    files = {name: data[0] for name, data in reader.attachments.items()}
    assert set(files) == {"findings.json", "cited-events.csv", "manifest.json"}

    findings = json.loads(files["findings.json"])
    assert findings["account"] == "K-10023"
    assert [f["assessment"] for f in findings["findings"]] == ["account_holder", "account_holder", "compromise_suspected"]
    assert findings["findings"][0]["action"]["ts"] == "2025-03-22T14:03:11+00:00"
    assert len(findings["sessions"]) == 42          # the full history the PDF text shortens
    assert findings["report"]["report_date"] == REPORT_DATE

    rows = list(csv.DictReader(io.StringIO(files["cited-events.csv"].decode("utf-8"))))
    by_citation = {r["citation"]: r for r in rows}
    reinstall = fx.build_investigation().findings[0].action
    assert by_citation[reinstall.citation]["raw"] == reinstall.raw
    assert by_citation[reinstall.citation]["ts_utc"] == "2025-03-22T14:03:11+00:00"
    assert len(rows) == len(by_citation)             # each event once

    manifest = json.loads(files["manifest.json"])
    assert [i["path"] for i in manifest["inputs"]] == [fx.PANEL_LOG, fx.ACCESS_LOG, fx.SSH_LOG]
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert manifest["tool_version"] == "0.1.0" and manifest["parameters"]["lang"] == "en"
    import hashlib
    for entry in manifest["attachments"]:
        assert hashlib.sha256(files[entry["name"]]).hexdigest() == entry["sha256"]
    # the footer of every page carries the manifest's SHA-256
    assert reports["en"].manifest_sha256 == hashlib.sha256(files["manifest.json"]).hexdigest()
    first_page = flat(reader.pages[0].extract_text())
    assert reports["en"].manifest_sha256 in first_page


def test_embedded_files_are_deflated_at_the_attachment_level(reports):
    """Each evidence file is stored as one /FlateDecode stream made at
    ATTACHMENT_ZLIB_LEVEL that inflates to the file itself, its /Size and
    /CheckSum (MD5) those of the file."""
    import hashlib
    import zlib

    from forensics.report.render import ATTACHMENT_ZLIB_LEVEL

    reader = PdfReader(str(reports["en"].path))
    names = reader.trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    specs = {names[i]: names[i + 1].get_object() for i in range(0, len(names), 2)}
    assert set(specs) == {"findings.json", "cited-events.csv", "manifest.json"}
    for name, spec in specs.items():
        stream = spec["/EF"]["/F"].get_object()
        data = reader.attachments[name][0]
        assert stream["/Filter"] == "/FlateDecode"
        assert stream["/Params"]["/Size"] == len(data)
        assert stream["/Params"]["/CheckSum"].original_bytes == hashlib.md5(data).digest()
        compressor = zlib.compressobj(level=ATTACHMENT_ZLIB_LEVEL)
        assert stream._data == compressor.compress(data) + compressor.flush()
        assert len(stream._data) < len(data)


def test_pdfa_3b_identification(reports):
    reader = PdfReader(str(reports["de"].path))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
    assert re.search(r'pdfaid:part="3"|<pdfaid:part>3</pdfaid:part>', xmp)
    assert re.search(r'pdfaid:conformance="B"|<pdfaid:conformance>B</pdfaid:conformance>', xmp)
    assert "2025-04-02" in xmp                        # created/modified from --date, not the clock
    associated = [ref.idnum for ref in reader.trailer["/Root"].raw_get("/AF")]   # PDF/A-3 associated files
    assert len(associated) == len(set(associated)) == 3
    assert {ref.get_object()["/AFRelationship"] for ref in reader.trailer["/Root"]["/AF"]} == {"/Data", "/Supplement"}
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_same_inputs_and_date_give_the_same_bytes(reports, tmp_path):
    again = render(small_investigation(), tmp_path / "again.pdf", "de")
    assert again.path.read_bytes() == reports["de"].path.read_bytes()
    assert again.sha256 == reports["de"].sha256


def test_the_bytes_do_not_depend_on_the_renderers_state(reports, tmp_path):
    """`forensics demo` renders in forked processes that warmed up first, and a
    process keeps one font configuration for all its reports: neither changes a
    byte, nor does a fresh font configuration."""
    import gc

    from forensics.report import render as renderer

    renderer.warm_up("de")
    assert render(small_investigation(), tmp_path / "warm.pdf", "de").sha256 == reports["de"].sha256
    renderer._fonts.config = None            # the next render makes a new one
    fresh = render(small_investigation(), tmp_path / "fresh-fonts.pdf", "de")
    assert fresh.path.read_bytes() == reports["de"].path.read_bytes()
    assert gc.isenabled()                    # the collector runs again after a render


def test_the_collector_is_paused_only_while_a_report_renders():
    import gc

    from forensics.report.render import collector_paused

    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()            # a caller that had it off keeps it off
    finally:
        gc.enable()


def test_one_font_configuration_per_thread():
    import threading

    from forensics.report.render import font_configuration

    first = font_configuration()
    assert font_configuration() is first
    other = []
    thread = threading.Thread(target=lambda: other.append(font_configuration()))
    thread.start()
    thread.join()
    assert len(other) == 1 and other[0] is not first


def test_a_typical_report_fits_upload_limits(reports):
    for result in reports.values():
        assert result.pages < 20
        assert result.size < 5 * 1024 * 1024
        assert result.path.stat().st_size == result.size


def test_bad_arguments_are_clear_errors(tmp_path):
    from forensics.errors import ForensicsError

    inv = fx.build_investigation()
    with pytest.raises(ForensicsError, match="language"):
        render_report(inv, tmp_path / "x.pdf", lang="fr")
    with pytest.raises(ForensicsError, match="ISO date"):
        render_report(inv, tmp_path / "x.pdf", report_date="02.04.2025")
    with pytest.raises(ForensicsError, match="time zone"):
        render_report(inv, tmp_path / "x.pdf", tz="Mars/Olympus")
    with pytest.raises(ForensicsError, match="directory does not exist"):
        render_report(inv, tmp_path / "missing" / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_an_investigation_without_findings_or_sources_still_renders(tmp_path):
    inv = fx.build_investigation()
    inv.findings, inv.coverage, inv.sessions = [], [], []
    result = render_report(inv, tmp_path / "empty.pdf", lang="pl", report_date=REPORT_DATE)
    text = pdf_text(result.path)
    assert "W badanym okresie nie znaleziono żadnej spornej czynności." in text
    assert "2024-03-19" in text                          # the claims are still reconciled


def test_local_zone_from_option_investigation_or_the_holders_addresses():
    from forensics.report.render import local_zone

    inv = fx.build_investigation()
    assert local_zone(inv, "Europe/Berlin") == ("Europe/Berlin", "option")
    assert local_zone(inv, None) == ("Europe/Prague", "investigation")
    inv.parameters = dict(inv.parameters, tz=None)
    # the holder's 40 sessions are all in Europe/Prague; the attacker's Amsterdam address does not count
    assert local_zone(inv, None) == ("Europe/Prague", "geoip")
    assert local_zone(inv, "UTC") == (None, None)
    for s in inv.sessions:
        s.ip_facts = None
    assert local_zone(inv, None) == (None, None)


def test_report_from_real_cpanel_logs(shared_realdata, tmp_path):
    """Real cPanel login/session logs (wazuh, App-Spoor, cPanel docs) through ingest and
    investigate: no state-changing action of `root` in them, so the report says so and
    documents the real inputs (their SHA-256, periods and time-zone decisions)."""
    import hashlib

    from forensics.case import Case
    from forensics.investigate import investigate

    samples = shared_realdata / "formats" / "samples" / "cpanel"
    files = [samples / name for name in ("login_log.wazuh.log", "session_log.wazuh.log",
                                         "login_log.cpan-App-Spoor.log", "session_log.docs.log")]
    with Case.open(tmp_path / "cpanel.duckdb") as case:
        for path in files:
            case.ingest([str(path)])
        inv = investigate(case, "root")
    result = render_report(inv, tmp_path / "root.pdf", report_date="2026-04-15", tz="America/New_York")
    text = pdf_text(result.path)
    checked = flat(text)
    for path in files:
        assert hashlib.sha256(path.read_bytes()).hexdigest() in checked
        assert flat(str(path)) in checked
    # the first and last real events (the cPanel docs session line, the App-Spoor failed login), New York in DST
    assert "2015-10-29T14:27:35+00:00" in text and "2015-10-29T10:27:35-04:00" in text
    assert "2018-10-15T15:42:18+00:00" in text
    assert "No disputed action was found in the period examined." in text
    assert not DDMM.search(checked) and not MMDD.search(checked)


def test_conclusion_codes_wrap_only_after_underscores(tmp_path):
    """"foreign_networ/k" no more: a code may break only where <wbr> follows an underscore."""
    from forensics.report.render import underscore_breaks

    assert str(underscore_breaks("address_and_device")) == "address_<wbr>and_<wbr>device"
    assert str(underscore_breaks("<b>x_y")) == "&lt;b&gt;x_<wbr>y"          # still escaped
    from forensics.investigate.action import evidence_model

    inv = small_investigation()
    inv.evidence_model = evidence_model.rows()      # as the investigation sets it
    render_report(inv, tmp_path / "r.html", lang="en", report_date=REPORT_DATE, output_format="html")
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    table = html[html.index('evidence-model">'):]
    table = table[:table.index("</table>")]
    codes = re.findall(r'<td class="code">(.*?)</td>', table)
    assert codes and any("_<wbr>" in c for c in codes)
    assert all(c.count("_") == c.count("_<wbr>") for c in codes)


@pytest.mark.parametrize("kind, shown, left_out", [
    ("action", {"failed_logins", "baseline", "timeline", "coverage", "report"}, {"sla", "notices", "lake"}),
    ("outage", {"sla", "coverage", "report", "ingest"}, {"failed_logins", "baseline", "timeline", "clickstream",
                                                          "assessment", "notices", "lake"}),
    ("notices", {"notices", "coverage", "report"}, {"failed_logins", "sla", "clickstream", "lake"}),
])
def test_threshold_table_lists_the_sections_the_kind_reads(kind, shown, left_out):
    from forensics.config import load_config
    from forensics.report.context import _in_force

    sections = set(_in_force(load_config(), kind))
    assert shown <= sections and not (left_out & sections)
