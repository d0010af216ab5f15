"""The report's notices section: rendered, read back, in the four languages."""

from __future__ import annotations

import json
import re

import pytest
from pypdf import PdfReader

from test_notices import NEW, OLD, run, story

from forensics.report import render_report


@pytest.fixture(scope="module")
def investigation(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("notices-report")
    return run(tmp, story(notices=("bounced", "sent", "sent", "sent"), first_to=OLD, docs_reply_days=9.0),
               claims=["Niemand hat mich informiert", "Seit 8 Tagen keine Reaktion", "I never got an answer"])


def text_of(path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)


@pytest.mark.parametrize("lang,words", [
    ("en", ["Notices, deliveries and contact attempts", "It is not evidence that a person read it",
            "contradicted by the logs", "supported by the logs", "partly supported", "not on record"]),
    ("de", ["Benachrichtigungen, Zustellungen und Kontaktversuche", "von den Protokollen widerlegt",
            "von den Protokollen gestützt", "nicht hinterlegt", "längste Wartezeit"]),
    ("cs", ["Oznámení, doručení a pokusy o kontakt", "záznamy vyvráceno", "neevidovaná"]),
    ("pl", ["Powiadomienia, doręczenia i próby kontaktu", "obalone przez dzienniki", "niezarejestrowany"]),
])
def test_notices_report_in_four_languages(investigation, tmp_path, lang, words):
    out = tmp_path / f"notices-{lang}.pdf"
    result = render_report(investigation, out, lang=lang, report_date="2026-04-15")
    text = " ".join(text_of(out).split())
    for w in words:
        assert w in text, (lang, w)
    # the recipient server's own words and the deciding mail log line, cited file:line
    assert "550 5.1.1" in text and "mail.log:" in text and "panel.jsonl:" in text
    assert OLD in text and NEW in text
    assert result.pages <= 20
    # no DD.MM. or MM/DD date in our text
    assert not re.search(r"\b\d{1,2}\.\d{1,2}\.\d{4}\b|\b\d{1,2}/\d{1,2}/\d{4}\b", text)


def test_notices_report_attachments_and_redaction(investigation, tmp_path):
    out = tmp_path / "notices-redacted.pdf"
    render_report(investigation, out, lang="en", report_date="2026-04-15", redact=True)
    reader = PdfReader(str(out))
    files = {name: data[0] for name, data in reader.attachments.items()}
    findings = json.loads(files["findings.json"])
    assert findings["kind"] == "notices" and findings["contacts"][0]["outcome"] == "bounced"
    assert "mail.log" in files["cited-events.csv"].decode()
    staff_rows = [c for c in findings["contacts"] if c["sender_role"] == "staff"]
    assert staff_rows and {c["staff"] for c in staff_rows} == {"[staff]"}   # the story's staff member "mk"
    assert "[staff]" in text_of(out)


@pytest.mark.parametrize("lang", ["de", "cs", "pl"])
def test_codes_and_numbers_inside_the_sentences_are_in_the_language(investigation, tmp_path, lang):
    """The investigation names the provider's actions by code (`domain_block`)
    and waits as floats: the report states the action's name and the hours in
    the locale's format."""
    from forensics.report.i18n import translations

    name = translations(lang).gettext("domain blocked")
    assert name != "domain blocked"
    out = tmp_path / f"codes-{lang}.pdf"
    render_report(investigation, out, lang=lang, report_date="2026-04-15")
    text = " ".join(text_of(out).split())
    assert "domain_block" not in text.split("Appendix B")[0].split("Anhang B")[0].split("Příloha B")[0].split(
        "Załącznik B")[0]
    assert name in text
    waits = [m for m in investigation.customer_messages if m.first_response_hours is not None]
    assert waits
    hours = f"{waits[-1].first_response_hours:.1f}".replace(".", ",")   # de, cs and pl write a decimal comma
    assert hours in text
