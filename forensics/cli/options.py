"""Option types shared by the commands.

A malformed date or zone is a usage error (exit code 2, Click's convention),
caught before any case file is opened.  The values stay strings: the library
decides what a bare date means (`--until 2026-03-22` includes that day).
"""

from __future__ import annotations

import datetime as dt

import click

from forensics.errors import ForensicsError
from forensics.timefmt import zone


class IsoWhen(click.ParamType):
    """YYYY-MM-DD or an ISO 8601 date-time (with or without offset)."""

    name = "DATE"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        try:
            if len(text) == 10:
                dt.date.fromisoformat(text)
            else:
                dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            self.fail(f"{value!r} is not an ISO date or date-time (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)", param, ctx)
        return text


class IsoDate(click.ParamType):
    """YYYY-MM-DD only."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        try:
            dt.date.fromisoformat(text)
            if len(text) != 10:
                raise ValueError
        except ValueError:
            self.fail(f"{value!r} is not an ISO date (YYYY-MM-DD)", param, ctx)
        return text


class TimeZone(click.ParamType):
    """An IANA zone name such as Europe/Berlin, or UTC."""

    name = "ZONE"

    def convert(self, value, param, ctx):
        try:
            zone(str(value))
        except ForensicsError as exc:
            self.fail(str(exc), param, ctx)
        return str(value)


# The dispute kinds `investigate` and `report` know: one package each under
# forensics/investigate/ (action: who did it; notices: was the customer told
# and answered; outage: was the service down, and how long).
DISPUTES = ("action", "notices", "outage")
ISO_WHEN = IsoWhen()
ISO_DATE = IsoDate()
TIME_ZONE = TimeZone()


def dispute_options(func):
    """What to investigate: the options `investigate` and `report` share.

    One decorator, so the two commands select disputes the same way and
    cannot drift apart (the sqlite-utils `output_options` idea).
    """
    options = [
        click.argument("case", type=click.Path(dir_okay=False)),
        click.option("--account", required=True, help="The customer account id."),
        click.option("--dispute", type=click.Choice(DISPUTES), default="action", show_default=True,
                     help="What is disputed: action (who did it), notices (was the customer told and "
                          "answered: notices, deliveries, contacts, response times) or outage (was the "
                          "service down; --target: the service, comma-separated names)."),
        click.option("--action", help="One action (e.g. reinstall); default: every state-changing action in the period."),
        click.option("--target", help="Only actions on this object (server id, domain)."),
        click.option("--since", type=ISO_WHEN, help="Start of the period: YYYY-MM-DD or ISO date-time."),
        click.option("--until", type=ISO_WHEN, help="End of the period (a date includes that day)."),
        click.option("--claim", "claims", multiple=True, help="The customer's own sentence (en/de/cs/pl); repeatable."),
        click.option("--claim-date", "claim_date", type=ISO_DATE,
                     help="Date of the customer's letter (YYYY-MM-DD): \"yesterday\" and \"on the 23rd\" count from it."),
        click.option("--config", type=click.Path(dir_okay=False, exists=True), help="TOML file overriding thresholds."),
    ]
    for option in reversed(options):
        func = option(func)
    return func
