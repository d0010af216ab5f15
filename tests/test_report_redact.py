"""`--redact`: the customer-facing version leaves out other people's data."""

import json
import re

from pypdf import PdfReader

import report_fixtures as fx
from forensics.report import render_report
from forensics.report.redact import NOTE_OMITTED, STAFF_ROLE, holder_addresses, redact_investigation, shorten_ip


def test_shorten_ip():
    assert shorten_ip("198.51.100.77") == "198.51.100.0/24"
    assert shorten_ip("2001:db8:abcd:12::1") == "2001:db8:abcd::/48"
    assert shorten_ip("not an address") == "[address]"


def test_holder_addresses_exclude_the_attackers_session():
    inv = fx.build_investigation()
    own = holder_addresses(inv)
    assert fx.HOLDER_IP in own and fx.HOLDER_IP_OTHER in own
    assert fx.ATTACKER_IP not in own and fx.STAFF_IP not in own


def test_redacted_investigation_keeps_the_holder_and_hides_third_parties():
    inv = fx.build_investigation()
    red = redact_investigation(inv)
    dump = json.dumps(red.to_dict(), ensure_ascii=False)
    assert fx.ATTACKER_IP not in dump and "198.51.100.0/24" in dump
    assert fx.STAFF_IP not in dump and "192.0.2.0/24" in dump
    assert fx.STAFF_NAME not in dump and STAFF_ROLE in dump
    assert fx.STAFF_NOTE not in dump and "4711" not in json.dumps(red.findings[0].staff_activity[0].detail)
    assert NOTE_OMITTED in red.findings[0].staff_activity[0].raw
    assert fx.HOLDER_IP in dump                      # the customer recognises his own address
    # the original is untouched
    assert inv.findings[2].session.ip == fx.ATTACKER_IP and inv.findings[0].staff_activity[0].user == fx.STAFF_NAME
    # the holder's 203.0.113.45 must not be clipped by a shorter third-party address
    assert red.findings[0].action.ip == fx.HOLDER_IP


def test_redacted_report_lacks_third_party_data_in_text_and_attachments(tmp_path):
    inv = fx.build_investigation()
    inv.findings = [inv.findings[0], inv.findings[2]]   # staff activity and the attacker
    result = render_report(inv, tmp_path / "customer.pdf", report_date="2025-04-02", redact=True)
    reader = PdfReader(str(result.path))
    text = re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in reader.pages))
    for secret in (fx.ATTACKER_IP, fx.STAFF_IP, fx.STAFF_NAME, fx.STAFF_NOTE):
        assert re.sub(r"\s+", "", secret) not in text, secret
    assert "198.51.100.0/24" in text and fx.HOLDER_IP in text and "redactedversion" in text
    for name, data in reader.attachments.items():
        blob = data[0].decode("utf-8")
        for secret in (fx.ATTACKER_IP, fx.STAFF_IP, fx.STAFF_NAME, fx.STAFF_NOTE):
            assert secret not in blob, (name, secret)
    manifest = json.loads(reader.attachments["manifest.json"][0])
    assert manifest["parameters"]["redact"] is True
