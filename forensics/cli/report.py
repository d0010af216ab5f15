"""`forensics report`: investigate an account and render the PDF evidence report.

A thin layer over `forensics.investigate.investigate()` and
`forensics.report.render_report()`.
"""

from __future__ import annotations

import shlex

import click

from forensics.cli.output import echo

from forensics.cli.options import ISO_DATE, TIME_ZONE, dispute_options

LANGUAGES = ("en", "de", "cs", "pl")


def _command_line(case, out, options: list[tuple[str, object]]) -> str:
    """The command as a person would type it, rebuilt from the parsed options
    (deterministic: the same options give the same text in the manifest)."""
    parts = ["forensics", "report", str(case)]
    for name, value in options:
        if value is None or value is False or value == ():
            continue
        if value is True:
            parts.append(name)
        elif isinstance(value, tuple):
            for item in value:
                parts += [name, str(item)]
        else:
            parts += [name, str(value)]
    parts += ["--out", str(out)]
    return shlex.join(parts)


@click.command("report")
@dispute_options
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
@click.option("--lang", type=click.Choice(LANGUAGES), default="en", show_default=True, help="Report language.")
@click.option("--tz", type=TIME_ZONE, help="IANA zone for local times beside UTC, e.g. Europe/Berlin.")
@click.option("--redact", is_flag=True,
              help="Customer-facing version: others' addresses shortened, staff names replaced, internal notes left out.")
@click.option("--reference", help="Case reference for the running header (default: the account).")
@click.option("--date", "report_date", type=ISO_DATE, help="Report date YYYY-MM-DD (fixes the PDF's dates: same inputs + date = same bytes).")
@click.option("--provider", help="The provider's name for the cover.")
@click.option("--format", "output_format", type=click.Choice(["pdf", "html"]), default="pdf", show_default=True,
              help="pdf: PDF/A-3b with the evidence attached; html: one self-contained HTML file (attachments as downloads).")
def report_cmd(case, account, dispute, action, target, since, until, claims, claim_date, out, lang, tz, redact, reference,
               report_date, provider, output_format, config):
    """Investigate an account and render the ISO-dated PDF/A evidence report.

    Prints the file's SHA-256, its size and page count.  The findings, the
    cited events and a manifest of the inputs are embedded in the PDF (in
    the HTML version: links that download them).

    \b
    Example:
        forensics report dispute.duckdb --account K-10023 --since 2024-03-01
        --claim "19.03. Rescue-System benutzt" --lang de --tz Europe/Berlin
        --date 2025-04-02 --out dispute-4711.pdf
    """
    from forensics.case import Case
    from forensics.cli.investigate import run_dispute
    from forensics.config import load_config
    from forensics.report import render_report
    from forensics.report.render import require_weasyprint

    require_weasyprint()   # before any work: a bare machine learns which packages it lacks

    command_line = _command_line(case, out, [
        ("--account", account), ("--dispute", None if dispute == "action" else dispute), ("--action", action),
        ("--target", target), ("--since", since), ("--until", until), ("--claim", claims),
        ("--claim-date", claim_date), ("--lang", lang), ("--tz", tz), ("--redact", redact),
        ("--reference", reference), ("--date", report_date), ("--provider", provider),
        ("--format", output_format if output_format != "pdf" else None), ("--config", config),
    ])
    settings = load_config(config)
    with Case.open(case, read_only=True) as c:
        result, _ = run_dispute(c, dispute, account, action=action, target=target, since=since, until=until,
                                claims=claims, claim_date=claim_date, tz=tz, config=settings)
        rendered = render_report(result, out, case=case, lang=lang, tz=tz, redact=redact, reference=reference,
                                 report_date=report_date, provider=provider, command_line=command_line,
                                 config=settings, output_format=output_format)
    echo(f"{rendered.sha256}  {rendered.path}")
    pages = f"{rendered.pages} pages, " if rendered.pages else ""
    echo(f"{pages}{rendered.size} bytes, rendered in {rendered.seconds:.1f} s", err=True)
    if rendered.over_budget:
        echo(f"note: {rendered.pages} pages exceed the page budget of {rendered.page_budget} ([report] max_pages) "
             "even with every list cut to an eighth; consider one report per disputed action (--action, --target)",
             err=True)


COMMANDS = [report_cmd]
