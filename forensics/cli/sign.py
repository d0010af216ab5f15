"""`forensics sign` and `forensics verify`: thin layers over `forensics.sign`."""

from __future__ import annotations

import click

from forensics.cli.output import echo


@click.command("sign")
@click.argument("report", type=click.Path(dir_okay=False, exists=True))
@click.option("--key", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The signer's private key (PEM or DER).")
@click.option("--cert", required=True, type=click.Path(dir_okay=False, exists=True),
              help="The signer's certificate (PEM or DER).")
@click.option("--chain", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="An intermediate certificate to embed; repeatable.")
@click.option("--tsa", "tsa_url", help="URL of an RFC 3161 time-stamping authority (PAdES B-T); without it B-B.")
@click.option("--out", type=click.Path(dir_okay=False), help="The signed copy (default: REPORT.signed.pdf).")
@click.option("--passphrase-env", metavar="VAR", help="Read the key's passphrase from this environment variable.")
def sign_cmd(report, key, cert, chain, tsa_url, out, passphrase_env):
    """Sign a PDF evidence report (PAdES) and keep the unsigned report as it is.

    The signature is an incremental update: the signed copy begins with the
    unsigned report's bytes unchanged, the PDF/A-3b identification and the
    embedded evidence stay, and the signature covers the whole file.

    \b
    Example:
        forensics sign dispute-4711.pdf --key lead.key --cert lead.pem
        --tsa http://timestamp.example/tsa
    """
    import os
    from pathlib import Path

    from forensics.sign import sign_report

    passphrase = None
    if passphrase_env:
        if passphrase_env not in os.environ:
            raise click.UsageError(f"the environment variable {passphrase_env} is not set")
        passphrase = os.environ[passphrase_env].encode()
    out = out or str(Path(report).with_suffix(".signed.pdf"))
    result = sign_report(report, out, key=key, cert=cert, chain=list(chain), passphrase=passphrase, tsa_url=tsa_url)
    echo(f"{result.sha256}  {result.path}")
    echo(f"PAdES {'B-T (time-stamped)' if result.timestamped else 'B-B'}; the first {result.unsigned_bytes} bytes are "
         f"the unsigned report (SHA-256 {result.unsigned_sha256})", err=True)


@click.command("verify")
@click.argument("report", type=click.Path(dir_okay=False, exists=True))
@click.option("--trust", multiple=True, type=click.Path(dir_okay=False, exists=True),
              help="A trust root (CA certificate) the signer must chain to; repeatable.")
def verify_cmd(report, trust):
    """Check a signed report: signature, integrity, attachments against the manifest.

    Exit code 0 when everything checks, 1 otherwise (each problem is named).

    \b
    Example:
        forensics verify dispute-4711.signed.pdf --trust company-ca.pem
    """
    from forensics.sign import verify_report

    r = verify_report(report, trust=list(trust))

    def line(label, ok, text):
        echo(f"{label:<12} {'ok  ' if ok else 'FAIL'} {text}")

    if r.signed:
        line("signature:", r.intact and r.valid, "valid" if r.intact and r.valid else "INVALID")
        line("integrity:", r.whole_file, "the signature covers the whole file" if r.whole_file
             else "the file was changed or extended after signing")
        trusted = {None: "not judged (no --trust given)", True: "chains to the trust root",
                   False: "does NOT chain to the trust root"}[r.trusted]
        line("signer:", r.trusted is not False, f"{r.signer} ({trusted})")
        if r.signed_at:
            echo(f"{'signed at:':<12}      {r.signed_at} (the signer's clock)")
        if r.timestamp:
            line("time stamp:", bool(r.timestamp_valid), r.timestamp)
        if r.unsigned_sha256:
            echo(f"{'unsigned:':<12}      first {r.unsigned_bytes} bytes, SHA-256 {r.unsigned_sha256}")
    if r.manifest_sha256:
        echo(f"{'manifest:':<12}      SHA-256 {r.manifest_sha256}")
    for a in r.attachments:
        line(f"{a.name}:", a.ok, "matches the manifest" if a.ok else "does NOT match the manifest")
    for problem in r.problems:
        echo(f"problem: {problem}")
    echo("VERIFIED" if r.ok else "NOT VERIFIED")
    if not r.ok:
        raise SystemExit(1)


COMMANDS = [sign_cmd, verify_cmd]
