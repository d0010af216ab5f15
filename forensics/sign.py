"""Signing and verifying the PDF evidence report (PAdES, with pyHanko).

`sign_report()` adds a PAdES signature to a finished report as an
incremental update: the unsigned report's bytes stay the first bytes of the
signed file, unchanged (so the reproducible report and its SHA-256 remain
valid evidence of their own), the PDF/A-3b identification and the embedded
evidence are untouched, and the signature covers the whole file.  With a
time-stamping authority (`tsa_url`, RFC 3161) the signature carries a
trusted time (PAdES B-T), without one it is PAdES B-B.

`verify_report()` answers the three questions of whoever receives the
file: is the signature cryptographically valid and does it cover the whole
file (nothing added or changed after signing), who signed and when (and is
the signer trusted, when a trust root is given), and do the embedded
attachments match the manifest that the report prints on every page.

pyHanko is an optional dependency (`pip install 'forensics[sign]'`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from forensics.errors import ForensicsError
from forensics.files import read_bytes, write_atomically

FIELD_NAME = "ForensicsReportSignature"


def _pyhanko():
    try:
        import pyhanko  # noqa: F401
    except ImportError:
        raise ForensicsError("signing needs pyHanko: pip install 'forensics[sign]'") from None


@dataclass
class SignResult:
    path: Path
    sha256: str
    unsigned_bytes: int           # the first bytes of the signed file are the unsigned report
    unsigned_sha256: str
    timestamped: bool


@dataclass
class AttachmentCheck:
    name: str
    sha256: str
    expected: str | None          # from manifest.json (None: not listed there)

    @property
    def ok(self) -> bool:
        return self.expected is not None and self.sha256 == self.expected


@dataclass
class VerifyResult:
    """What `verify_report` found; `ok` is the overall answer."""

    path: Path
    signed: bool = False
    intact: bool = False             # the signed bytes hash to the signed digest
    valid: bool = False              # the signature over that digest checks with the signer's key
    whole_file: bool = False         # the signature covers the entire file (nothing appended after it)
    trusted: bool | None = None      # the signer chains to the trust root given (None: none given)
    signer: str = ""
    signed_at: str = ""              # the signing time the signer claims (ISO 8601)
    timestamp: str = ""              # the trusted time from the TSA token, if any (ISO 8601)
    timestamp_valid: bool | None = None
    unsigned_bytes: int | None = None
    unsigned_sha256: str = ""
    attachments: list[AttachmentCheck] = field(default_factory=list)
    manifest_sha256: str = ""
    identifier_matches: bool | None = None   # the PDF's /ID derives from this manifest
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (self.signed and self.intact and self.valid and self.whole_file and self.trusted is not False
                and self.timestamp_valid is not False and bool(self.attachments)
                and all(a.ok for a in self.attachments) and self.identifier_matches is not False
                and not self.problems)


def sign_report(pdf: str | Path, out: str | Path, *, key: str | Path, cert: str | Path,
                chain: list[str | Path] = (), passphrase: bytes | None = None, tsa_url: str | None = None,
                timestamper=None, reason: str = "Evidence report", location: str | None = None) -> SignResult:
    """Sign a report (PAdES B-B, or B-T with a time stamp).

    Args:
        pdf: the unsigned report (left unchanged).
        out: the signed copy to write.
        key, cert: the signer's private key and certificate (PEM or DER).
        chain: intermediate certificates to embed.
        passphrase: the key's passphrase, if it has one.
        tsa_url: an RFC 3161 time-stamping authority (PAdES B-T).
        timestamper: a pyHanko `TimeStamper` instead of `tsa_url` (tests).
        reason, location: shown by PDF readers with the signature.

    Returns:
        SignResult with the signed file's SHA-256 and the length and SHA-256
        of the unsigned report it begins with.

    Raises:
        ForensicsError: unreadable key or certificate, not a PDF, already
            signed, the TSA unreachable, unwritable output.
    """
    _pyhanko()
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.sign import fields, signers, timestamps

    pdf, out = Path(pdf), Path(out)
    if pdf.resolve() == out.resolve():
        raise ForensicsError("the signed copy must be a new file: the unsigned report stays as it is")
    data = read_bytes(pdf)
    try:
        signer = signers.SimpleSigner.load(str(key), str(cert), ca_chain_files=[str(c) for c in chain] or None,
                                           key_passphrase=passphrase)
    except Exception as exc:  # pyHanko raises several types for unreadable keys
        raise ForensicsError(f"cannot load the signing key or certificate: {exc}") from None
    if signer is None:
        raise ForensicsError(f"cannot load the signing key {key} or certificate {cert}")
    if timestamper is None and tsa_url:
        timestamper = timestamps.HTTPTimeStamper(tsa_url)
    meta = signers.PdfSignatureMetadata(field_name=FIELD_NAME, subfilter=fields.SigSeedSubFilter.PADES,
                                        md_algorithm="sha256", reason=reason, location=location,
                                        use_pades_lta=False)
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data))
        if writer.prev.embedded_signatures:
            raise ForensicsError(f"{pdf} is already signed")
        buffer = io.BytesIO()
        signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer, output=buffer)
    except ForensicsError:
        raise
    except PdfReadError as exc:
        raise ForensicsError(f"{pdf} is not a readable PDF: {exc}") from None
    except Exception as exc:  # network errors of the TSA, signing errors
        raise ForensicsError(f"signing failed: {exc}") from None
    signed = buffer.getvalue()
    write_atomically(out, signed)
    return SignResult(path=out, sha256=hashlib.sha256(signed).hexdigest(), unsigned_bytes=len(data),
                      unsigned_sha256=hashlib.sha256(data).hexdigest(), timestamped=timestamper is not None)


def verify_report(pdf: str | Path, *, trust: list[str | Path] = ()) -> VerifyResult:
    """Check a signed report: signature, whole-file coverage, attachments.

    Args:
        pdf: the signed report.
        trust: trust roots (certificates, PEM or DER); without them the
            signer's identity is reported but not judged (`trusted` None).

    Returns:
        VerifyResult; `.ok` is True only when everything checks.
    """
    _pyhanko()
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    pdf = Path(pdf)
    data = read_bytes(pdf)
    result = VerifyResult(path=pdf)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError) as exc:
        result.problems.append(f"not a readable PDF: {exc}")
        return result
    _check_attachments(reader, result)
    if not signatures:
        result.problems.append("the report is not signed")
        return result
    result.signed = True
    if len(signatures) > 1:
        result.problems.append(f"{len(signatures)} signatures; a report carries one")
    sig = signatures[-1]
    roots = [load_cert_from_pemder(str(p)) for p in trust]
    # no trust root given: the chain is not judged (never the operating system's trust list)
    context = ValidationContext(trust_roots=roots, allow_fetching=False)
    try:
        status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=context)
    except Exception as exc:  # a damaged signature structure
        result.problems.append(f"the signature cannot be validated: {exc}")
        return result
    result.intact, result.valid = bool(status.intact), bool(status.valid)
    result.whole_file = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    result.trusted = bool(status.trusted) if roots else None
    result.signer = status.signing_cert.subject.human_friendly if status.signing_cert is not None else ""
    if status.signer_reported_dt is not None:
        result.signed_at = status.signer_reported_dt.astimezone(dt.timezone.utc).isoformat()
    if status.timestamp_validity is not None:
        ts = status.timestamp_validity
        result.timestamp = ts.timestamp.astimezone(dt.timezone.utc).isoformat()
        result.timestamp_valid = bool(ts.intact and ts.valid and (ts.trusted or not roots))
    start, length = sig.byte_range[0], sig.byte_range[1]
    if start == 0:
        # the unsigned report: everything before the signature's incremental update
        prefix = sig.signed_revision
        result.unsigned_bytes = _revision_end(reader, prefix - 1) if prefix else None
        if result.unsigned_bytes:
            result.unsigned_sha256 = hashlib.sha256(data[: result.unsigned_bytes]).hexdigest()
    if not result.intact:
        result.problems.append("the signed bytes were changed after signing")
    elif not result.valid:
        result.problems.append("the signature does not match the signer's key")
    if result.intact and not result.whole_file:
        result.problems.append("the file was extended after it was signed (the signature does not cover it all)")
    if result.trusted is False:
        result.problems.append("the signer's certificate does not chain to the trust root given")
    return result


def _revision_end(reader, revision: int) -> int | None:
    """Where revision `revision` of the file ends (the byte after its %%EOF)."""
    try:
        startxref = reader.xrefs.get_startxref_for_revision(revision)
    except Exception:   # an unusual file structure: the prefix is then not reported
        return None
    return _eof_after(reader, startxref)


def _eof_after(reader, offset: int) -> int | None:
    stream = reader.stream
    stream.seek(0)
    data = stream.read()
    end = data.find(b"%%EOF", offset)
    if end < 0:
        return None
    end += len(b"%%EOF")
    while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return end


def _check_attachments(reader, result: VerifyResult) -> None:
    """Every embedded file against manifest.json, and the document /ID against the manifest."""
    files = _embedded_files(reader)
    manifest = files.get("manifest.json")
    if manifest is None:
        result.problems.append("no manifest.json attached: not a forensics report")
        return
    result.manifest_sha256 = hashlib.sha256(manifest).hexdigest()
    try:
        listed = json.loads(manifest.decode("utf-8"))
    except ValueError:
        result.problems.append("manifest.json is not readable JSON")
        return
    expected = {a["name"]: a["sha256"] for a in listed.get("attachments", [])}
    for name, content in sorted(files.items()):
        if name == "manifest.json":
            continue
        result.attachments.append(AttachmentCheck(name, hashlib.sha256(content).hexdigest(), expected.get(name)))
    for name in sorted(set(expected) - set(files)):
        result.problems.append(f"{name} is listed in the manifest but not attached")
    for check in result.attachments:
        if check.expected is None:
            result.problems.append(f"{check.name} is attached but not listed in the manifest")
        elif not check.ok:
            result.problems.append(f"{check.name} does not match the manifest (SHA-256 {check.sha256})")
    params = listed.get("parameters") or {}
    try:
        ident = reader.trailer["/ID"][0]
        ident = bytes(ident) if not isinstance(ident, str) else ident.encode("latin-1")
    except (KeyError, IndexError, TypeError):
        ident = None
    if ident is not None and "lang" in params:
        wanted = hashlib.md5(f"{result.manifest_sha256}:{params['lang']}:{bool(params.get('redact'))}".encode(),
                             usedforsecurity=False).hexdigest().encode()
        result.identifier_matches = ident == wanted
        if not result.identifier_matches:
            result.problems.append("the document identifier does not belong to the attached manifest")


def _embedded_files(reader) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        tree = reader.root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return out

    def walk(node):
        node = node.get_object() if hasattr(node, "get_object") else node
        if "/Names" in node:
            names = node["/Names"]
            for i in range(0, len(names), 2):
                spec = names[i + 1].get_object()
                stream = spec["/EF"]["/F"].get_object()
                out[str(spec.get("/UF", names[i]))] = stream.data
        for kid in node.get("/Kids", []):
            walk(kid)

    walk(tree)
    return out
