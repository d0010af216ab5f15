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


# -- hostile and escaped internal data, from a real ingest -----------------------
# The staff member's name, the internal notes and the ticket, as a PHP panel
# writes them with json_encode's defaults (`\u00fc`, `\/`, `\"`), one note at
# the top level of the record (ingest keeps it as detail.extra.note), and the
# same values URL-encoded in the staff member's web requests.
STAFF = "Jürgen Müller"
SECRETS = [STAFF, "Kunde droht mit Anwalt", "T-2026/0042", "internal: do not refund", 'Kunde sagt "nie wieder"']
HOLDER_IP, STAFF_IP = "203.0.113.45", "10.20.0.15"
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:124.0) Gecko/20100101 Firefox/124.0"
CHROME = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/122.0.0.0 Safari/537.36")


def _php_json(record: dict) -> str:
    """PHP's json_encode() with its default flags: non-ASCII as \\uXXXX, "/" as "\\/"."""
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")).replace("/", "\\/")


def _hostile_logs(directory):
    from urllib.parse import quote

    panel = []
    for day in range(1, 8):     # the holder's own history
        when = f"2026-03-{day:02d}T18:0{day}:00+00:00"
        panel.append({"ts": when, "account": "K-10023", "event": "login", "actor": "customer", "user": "kunde10023",
                      "auth": "password", "session": f"s-{day}", "ip": HOLDER_IP, "user_agent": FIREFOX})
    panel += [
        {"ts": "2026-03-22T09:58:00+00:00", "account": "K-10023", "event": "account_view", "actor": "staff",
         "user": STAFF, "session": "imp-88", "ip": STAFF_IP, "user_agent": CHROME,
         "detail": {"ticket": "T-2026/0042", "note": "Kunde droht mit Anwalt"}},
        {"ts": "2026-03-22T10:02:00+00:00", "account": "K-10023", "event": "impersonate_start", "actor": "staff",
         "user": STAFF, "auth": "impersonation", "session": "imp-88", "ip": STAFF_IP, "user_agent": CHROME,
         "note": "internal: do not refund"},
        {"ts": "2026-03-22T10:05:30+00:00", "account": "K-10023", "event": "reinstall", "actor": "staff",
         "user": STAFF, "auth": "impersonation", "session": "imp-88", "ip": STAFF_IP, "user_agent": CHROME,
         "target": "srv-4711", "detail": {"os": "AlmaLinux 9", "comment": 'Kunde sagt "nie wieder"'}},
        {"ts": "2026-03-22T10:06:00+00:00", "account": "K-10023", "event": "impersonate_end", "actor": "staff",
         "user": STAFF, "auth": "impersonation", "session": "imp-88", "ip": STAFF_IP, "user_agent": CHROME},
    ]
    (directory / "panel-audit.jsonl").write_text("".join(_php_json(r) + "\n" for r in panel), encoding="utf-8")
    query = f"ticket={quote('T-2026/0042', safe='')}&note={quote('Kunde droht mit Anwalt').replace('%20', '+')}"
    access = [
        f'{STAFF_IP} - {quote(STAFF, safe="")} [22/Mar/2026:10:03:10 +0000] "GET /admin/notes?{query} HTTP/1.1" '
        f'200 512 "-" "{CHROME}"',
        f'{STAFF_IP} - {quote(STAFF, safe="")} [22/Mar/2026:10:05:20 +0000] "POST /servers/srv-4711/reinstall '
        f'HTTP/1.1" 302 0 "https://panel.example.net/admin/notes?{query}" "{CHROME}"',
    ]
    (directory / "panel-access.log").write_text("".join(line + "\n" for line in access), encoding="utf-8")
    return [directory / "panel-audit.jsonl", directory / "panel-access.log"]


def _encodings(secret: str) -> dict[str, bytes]:
    """The byte forms a secret can take in a PDF and its attachments."""
    import html
    from urllib.parse import quote, quote_plus

    forms = {
        "utf-8": secret, "json": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json-ascii": json.dumps(secret)[1:-1], "php-json": json.dumps(secret)[1:-1].replace("/", "\\/"),
        "url": quote(secret, safe=""), "url-path": quote(secret), "url-plus": quote_plus(secret),
        "html": html.escape(secret),
    }
    out = {name: text.encode("utf-8") for name, text in forms.items()}
    out["utf-16-be"] = secret.encode("utf-16-be")       # PDF text strings
    out["utf-16-be+bom"] = b"\xfe\xff" + out["utf-16-be"]
    return out


def _every_byte(pdf_path) -> dict[str, bytes]:
    """The file, every stream decoded (content, fonts, XMP, embedded files), the extracted text."""
    from pypdf.generic import StreamObject

    reader = PdfReader(str(pdf_path))
    blobs = {"file": pdf_path.read_bytes()}
    for num, gen in [(n, g) for g, nums in reader.xref.items() for n in nums]:
        obj = reader.get_object(num)
        if isinstance(obj, StreamObject):
            blobs[f"stream {num}"] = obj.get_data()
    text = "".join(page.extract_text() or "" for page in reader.pages)
    blobs["text"] = text.encode("utf-8")
    blobs["text without whitespace"] = re.sub(r"\s+", "", text).encode("utf-8")
    for name, data in reader.attachments.items():
        blobs[f"attachment {name}"] = data[0]
    return blobs


def _found(blobs: dict[str, bytes]) -> list[tuple[str, str, str]]:
    hits = []
    for secret in SECRETS:
        variants = _encodings(secret)
        variants["no-whitespace"] = re.sub(r"\s+", "", secret).encode("utf-8")
        for where, blob in blobs.items():
            for encoding, needle in variants.items():
                if needle in blob:
                    hits.append((secret, encoding, where))
    return hits


def test_redaction_finds_secrets_in_every_encoding(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    logs = _hostile_logs(tmp_path)
    raw = "".join(p.read_text(encoding="utf-8") for p in logs)
    assert "J\\u00fcrgen M\\u00fcller" in raw and "T-2026\\/0042" in raw and '\\"nie wieder\\"' in raw
    assert "J%C3%BCrgen%20M%C3%BCller" in raw and "Kunde+droht+mit+Anwalt" in raw
    case = tmp_path / "case.duckdb"
    runner = CliRunner()
    ingested = runner.invoke(main, ["ingest", str(case), *map(str, logs)])
    assert ingested.exit_code == 0, ingested.output

    def report(name, *extra):
        result = runner.invoke(main, ["report", str(case), "--account", "K-10023", "--action", "reinstall",
                                      "--date", "2026-04-02", "--out", str(tmp_path / name), *extra])
        assert result.exit_code == 0, result.output
        return _every_byte(tmp_path / name)

    internal = report("internal.pdf")
    # The detector works: the internal version holds them, escaped as logged too.
    hits = _found(internal)
    for secret in SECRETS:
        assert any(s == secret for s, _, _ in hits), secret
    assert {e for _, e, w in hits if w == "attachment cited-events.csv"} >= {"utf-8", "php-json"}
    assert any(e.startswith("url") for _, e, _ in hits)

    customer = report("customer.pdf", "--redact")
    assert _found(customer) == []
    text = customer["text without whitespace"].decode()
    assert "[staff]" in text and "[internalnoteomitted]" in text
    findings = json.loads(customer["attachment findings.json"])
    assert "redacted" in json.dumps(findings["parameters"])


def test_redaction_reaches_nested_detail_and_keeps_the_rest():
    from forensics.report.redact import internal_values, without_internal

    detail = {"os": "AlmaLinux 9", "ticket": "T-2026/0042",
              "extra": {"note": "internal: do not refund", "lang": "de", "memo": {"text": "Anwalt", "id": 7}}}
    assert sorted(internal_values(detail)) == ["7", "Anwalt", "T-2026/0042", "internal: do not refund"]
    assert without_internal(detail, lambda text: text.replace("Alma", "[x]")) == {"os": "[x]Linux 9", "extra": {"lang": "de"}}


def test_a_huge_note_is_matched_in_each_encoding_without_a_huge_pattern():
    from urllib.parse import quote_plus

    from forensics.report.redact import secret_matcher

    note = "Kunde droht mit Anwalt / Jürgen " * 40_000          # 1.3 MB of internal note
    matcher = secret_matcher(note)
    for encoded in (note, json.dumps(note)[1:-1].replace("/", "\\/"), quote_plus(note)):
        assert matcher.sub("[x]", "a " + encoded + " b") == "a [x] b"
    short = secret_matcher("Kunde droht")
    assert short.sub("[x]", "Kunde+droht, Kunde%20droht") == "[x], [x]"
