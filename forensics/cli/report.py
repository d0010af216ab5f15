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
def report_cmd(case, account, action, target, since, until, claims, out, lang, tz, redact, reference, report_date,
               provider, config):
    """Investigate an account and render the ISO-dated PDF/A evidence report.

    Prints the PDF's SHA-256, its size and page count.  The findings, the
    cited events and a manifest of the inputs are embedded in the PDF.

    \b
    Example:
        forensics report dispute.duckdb --account K-10023 --since 2024-03-01
        --claim "19.03. Rescue-System benutzt" --lang de --tz Europe/Berlin
        --date 2025-04-02 --out dispute-4711.pdf
    """
    from forensics.case import Case
    from forensics.config import load_config
    from forensics.investigate import investigate
    from forensics.report import render_report

    command_line = _command_line(case, out, [
        ("--account", account), ("--action", action), ("--target", target), ("--since", since),
        ("--until", until), ("--claim", claims), ("--lang", lang), ("--tz", tz), ("--redact", redact),
        ("--reference", reference), ("--date", report_date), ("--provider", provider), ("--config", config),
    ])
    settings = load_config(config)
    with Case.open(case, read_only=True) as c:
        result = investigate(c, account, action=action, target=target, since=since, until=until,
                             claims=claims, tz=tz, config=settings)
        rendered = render_report(result, out, case=case, lang=lang, tz=tz, redact=redact, reference=reference,
                                 report_date=report_date, provider=provider, command_line=command_line,
                                 config=settings)
    echo(f"{rendered.sha256}  {rendered.path}")
    echo(f"{rendered.pages} pages, {rendered.size} bytes, rendered in {rendered.seconds:.1f} s", err=True)


COMMANDS = [report_cmd]
