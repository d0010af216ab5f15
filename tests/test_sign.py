"""`forensics sign` / `forensics verify`: PAdES signatures on the report, offline.

The certificates (a test CA, a signer, a time-stamping authority) are made
here with `cryptography`; the time stamp comes from pyHanko's in-process
test timestamper, so nothing touches the network.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path

import pytest

pytest.importorskip("pyhanko")

from click.testing import CliRunner  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID  # noqa: E402

import report_fixtures as fx  # noqa: E402
from forensics.cli import main as cli  # noqa: E402
from forensics.errors import ForensicsError  # noqa: E402
from forensics.report import render_report  # noqa: E402
from forensics.sign import sign_report, verify_report  # noqa: E402

NOW = dt.datetime(2026, 4, 15, 9, 0, tzinfo=dt.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Hosting GmbH (test)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer, issuer_key, *, ca=False, eku=None):
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - dt.timedelta(days=30)).not_valid_after(NOW + dt.timedelta(days=3650))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=not ca, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=ca,
                                            crl_sign=ca, encipher_only=False, decipher_only=False), critical=True))
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(eku), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA, a signer and a TSA: PEM files and pyHanko's test timestamper."""
    from asn1crypto import keys as asn1_keys, x509 as asn1_x509
    from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

    d = tmp_path_factory.mktemp("pki")
    ca_key, signer_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)   # pyHanko's test TSA signs with RSA
    ca = _cert("Test Evidence CA", ca_key, "Test Evidence CA", ca_key, ca=True)
    signer = _cert("Support Lead (test)", signer_key, "Test Evidence CA", ca_key)
    tsa = _cert("Test TSA", tsa_key, "Test Evidence CA", ca_key, eku=[ExtendedKeyUsageOID.TIME_STAMPING])
    pem = serialization.Encoding.PEM
    (d / "ca.pem").write_bytes(ca.public_bytes(pem))
    (d / "signer.pem").write_bytes(signer.public_bytes(pem))
    (d / "signer.key").write_bytes(signer_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                            serialization.NoEncryption()))
    der = serialization.Encoding.DER
    timestamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(tsa_key.private_bytes(der, serialization.PrivateFormat.PKCS8,
                                                                     serialization.NoEncryption())),
        fixed_dt=NOW)
    return {"dir": d, "ca": d / "ca.pem", "cert": d / "signer.pem", "key": d / "signer.key",
            "timestamper": timestamper}


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    inv = fx.build_investigation()
    inv.findings = inv.findings[:1]
    path = tmp_path_factory.mktemp("report") / "report.pdf"
    render_report(inv, path, lang="de", tz="Europe/Prague", report_date="2025-04-02", reference="DISPUTE-4711")
    return path


def test_signed_with_a_time_stamp_verifies_and_keeps_the_unsigned_report(pki, report, tmp_path):
    unsigned = report.read_bytes()
    signed = sign_report(report, tmp_path / "signed.pdf", key=pki["key"], cert=pki["cert"],
                         timestamper=pki["timestamper"])
    data = signed.path.read_bytes()
    # an incremental update: the reproducible unsigned report is the signed file's beginning, byte for byte
    assert report.read_bytes() == unsigned and data.startswith(unsigned) and len(data) > len(unsigned)
    assert (signed.unsigned_bytes, signed.unsigned_sha256) == (len(unsigned), hashlib.sha256(unsigned).hexdigest())
    # the PDF/A-3b identification is still there (the XMP packet of the unsigned report is unchanged)
    from pypdf import PdfReader

    xmp = PdfReader(signed.path).trailer["/Root"]["/Metadata"].get_object().get_data()
    assert b'pdfaid:part="3"' in xmp and b'pdfaid:conformance="B"' in xmp
    result = verify_report(signed.path, trust=[pki["ca"]])
    assert result.ok, result.problems
    assert result.intact and result.valid and result.whole_file and result.trusted
    assert "Support Lead (test)" in result.signer
    assert result.timestamp == NOW.isoformat() and result.timestamp_valid
    assert result.unsigned_sha256 == hashlib.sha256(unsigned).hexdigest()
    assert {a.name for a in result.attachments} == {"findings.json", "cited-events.csv"}
    assert all(a.ok for a in result.attachments) and result.identifier_matches


def test_without_a_tsa_it_is_pades_b_b_and_trust_is_not_judged(pki, report, tmp_path):
    signed = sign_report(report, tmp_path / "signed.pdf", key=pki["key"], cert=pki["cert"])
    assert not signed.timestamped
    result = verify_report(signed.path)
    assert result.ok and result.trusted is None and result.timestamp == ""


def test_a_changed_byte_fails_verification(pki, report, tmp_path):
    signed = sign_report(report, tmp_path / "signed.pdf", key=pki["key"], cert=pki["cert"],
                         timestamper=pki["timestamper"])
    data = bytearray(signed.path.read_bytes())
    # change one byte of the signed content, inside the unsigned report's page content
    at = signed.unsigned_bytes // 2
    data[at] = (data[at] + 1) % 256
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    result = verify_report(tampered, trust=[pki["ca"]])
    assert not result.ok and not result.intact
    assert "changed after signing" in " ".join(result.problems)


def test_content_appended_after_signing_is_reported(pki, report, tmp_path):
    signed = sign_report(report, tmp_path / "signed.pdf", key=pki["key"], cert=pki["cert"])
    extended = tmp_path / "extended.pdf"
    extended.write_bytes(signed.path.read_bytes() + b"\n% a later revision\n")
    result = verify_report(extended)
    assert not result.ok and not result.whole_file


def test_another_trust_root_is_not_trusted(pki, report, tmp_path):
    other_key = ec.generate_private_key(ec.SECP256R1())
    other = _cert("Other CA", other_key, "Other CA", other_key, ca=True)
    root = tmp_path / "other.pem"
    root.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    signed = sign_report(report, tmp_path / "signed.pdf", key=pki["key"], cert=pki["cert"])
    result = verify_report(signed.path, trust=[root])
    assert result.trusted is False and not result.ok


def test_an_unsigned_report_is_not_ok_and_errors_are_sentences(pki, report, tmp_path):
    result = verify_report(report)
    assert not result.ok and result.problems == ["the report is not signed"]
    assert all(a.ok for a in result.attachments)
    with pytest.raises(ForensicsError, match="new file"):
        sign_report(report, report, key=pki["key"], cert=pki["cert"])
    with pytest.raises(ForensicsError, match="signing key"):
        sign_report(report, tmp_path / "x.pdf", key=pki["cert"], cert=pki["cert"])


def test_cli_sign_and_verify(pki, report, tmp_path):
    out = tmp_path / "signed.pdf"
    runner = CliRunner()
    result = runner.invoke(cli, ["sign", str(report), "--key", str(pki["key"]), "--cert", str(pki["cert"]),
                                 "--out", str(out)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert hashlib.sha256(out.read_bytes()).hexdigest() in result.output
    result = runner.invoke(cli, ["verify", str(out), "--trust", str(pki["ca"])], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(r"signature: +ok +valid", result.output)
    assert re.search(r"findings.json: +ok +matches the manifest", result.output) and "VERIFIED" in result.output
    data = bytearray(out.read_bytes())
    data[len(data) // 3] = (data[len(data) // 3] + 1) % 256
    out.write_bytes(bytes(data))
    result = runner.invoke(cli, ["verify", str(out)])
    assert result.exit_code == 1 and "NOT VERIFIED" in result.output


def test_a_certificate_made_with_openssl_signs_and_verifies_offline(report, tmp_path):
    """What a support lead does without a PKI: `openssl req -x509` makes a
    self-signed key pair; the report is signed and verified with it (no TSA,
    no network), the certificate as its own trust root; a changed byte fails."""
    import shutil
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    key, cert = tmp_path / "lead.key", tmp_path / "lead.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650", "-sha256",
                    "-subj", "/O=Example Hosting GmbH (test)/CN=Lead (openssl test)",
                    "-addext", "keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True)
    out = tmp_path / "signed.pdf"
    runner = CliRunner()
    result = runner.invoke(cli, ["sign", str(report), "--key", str(key), "--cert", str(cert), "--out", str(out)],
                           catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(report.read_bytes())
    verified = verify_report(out, trust=[cert])
    assert verified.ok, verified.problems
    assert "Lead (openssl test)" in verified.signer and verified.trusted and verified.intact
    result = runner.invoke(cli, ["verify", str(out), "--trust", str(cert)], catch_exceptions=False)
    assert result.exit_code == 0 and "VERIFIED" in result.output, result.output
    data = bytearray(out.read_bytes())
    at = len(report.read_bytes()) // 2     # inside the signed report's own bytes
    data[at] = (data[at] + 1) % 256
    tampered = tmp_path / "tampered.pdf"
    tampered.write_bytes(bytes(data))
    result = runner.invoke(cli, ["verify", str(tampered), "--trust", str(cert)])
    assert result.exit_code == 1 and "NOT VERIFIED" in result.output
    assert not verify_report(tampered, trust=[cert]).intact
