"""`forensics enrich`: browsers and ISP ranges for a case's events."""

from __future__ import annotations

import click

from forensics.cli.output import echo


@click.command()
@click.argument("case_file", metavar="CASE", type=click.Path(dir_okay=False))
@click.option(
    "--geoip",
    "geoip_paths",
    multiple=True,
    type=click.Path(),
    metavar="PATH",
    help="MaxMind DB file (GeoLite2-ASN, GeoIP2-ISP, City/Country/Enterprise, Anonymous-IP); repeatable. "
    "Default: FORENSICS_GEOIP, then [enrich] geoip in the config.",
)
@click.option("--config", "config_file", type=click.Path(dir_okay=False), help="Settings file (TOML) over the defaults.")
def enrich(case_file, geoip_paths, config_file):
    """Classify the case's User-Agents and look up its IP addresses.

    Each distinct User-Agent gets browser, OS, device class, automation
    class (browser, headless, library, crawler) and fingerprints; each
    distinct address gets flags, its prefix and, from the GeoIP databases
    given, ASN/ISP with the matched network, location and anonymiser flags.
    Only values not enriched before are looked up.

    Example:

    \b
        forensics enrich dispute.duckdb --geoip GeoLite2-ASN.mmdb --geoip GeoLite2-City.mmdb
    """
    from forensics.case import Case
    from forensics.config import load_config
    from forensics.enrich import enrich_case

    config = load_config(config_file)
    with Case(case_file, create=False) as case:
        result = enrich_case(case, list(geoip_paths), config=config)
    echo(f"enriched {case_file} (run {result.run_id})")
    echo(f"  user agents: {result.new_user_agents} new")
    echo(
        f"  addresses:   {result.new_ips} new ({result.invalid_ips} not valid IP addresses, left unenriched), "
        f"{result.updated_ips} looked up again in newly added databases"
    )
    if result.databases:
        echo("  GeoIP databases:")
        for db in result.databases:
            echo(f"    [{db.db_id}] {db.label()}  {db.path}  sha256 {db.sha256}")
    else:
        echo("  GeoIP databases: none")
    if result.note:
        echo(f"  note: {result.note}")


COMMANDS = [enrich]
