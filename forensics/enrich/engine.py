"""Enrich a case: classify its distinct User-Agents and addresses, once each.

Reads the distinct values of ``events.user_agent`` and ``events.ip`` that
the case has not enriched yet, computes their rows (ua-parser +
user-agents, ipaddress, geoip2) in memory, and writes them, the database
provenance and one ``enrich_runs`` row in a single transaction.  Anything
that fails before the commit (a damaged database found mid-lookup) leaves
the case as it was.  Then it rebuilds ``account_rows`` (`forensics.account_rows`)
when the case has changed since it was last built.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from forensics import account_rows
from forensics.errors import ForensicsError
from forensics.enrich.addresses import ip_facts, parse_address
from forensics.enrich.geoip import (
    FAMILIES,
    FAMILY_COLUMNS,
    FAMILY_DB_COLUMN,
    GeoIPDatabase,
    configured_geoip_paths,
    family_sources,
    families_of_type,
    open_databases,
)
from forensics.enrich.useragents import USER_AGENT_COLUMNS, classify_user_agent

NO_DATABASE_NOTE = "no GeoIP database given: ISP/ASN and location data unavailable; addresses have prefixes and flags only"

# pandas dtypes of the ip_info columns this stage fills (nullable, so DuckDB
# gets typed columns instead of guessing from Python objects).
_IP_DTYPES = {
    "ip": object,
    "address": object,
    "ip_version": "Int32",
    "is_valid": "boolean",
    "is_private": "boolean",
    "is_reserved": "boolean",
    "is_loopback": "boolean",
    "prefix": object,
    "asn": "Int64",
    "as_org": object,
    "asn_network": object,
    "isp": object,
    "organization": object,
    "isp_network": object,
    "country_iso": object,
    "country_name": object,
    "city": object,
    "latitude": "Float64",
    "longitude": "Float64",
    "accuracy_radius": "Int32",
    "time_zone": object,
    "geo_network": object,
    "is_anonymous": "boolean",
    "is_anonymous_vpn": "boolean",
    "is_hosting_provider": "boolean",
    "is_tor_exit_node": "boolean",
    "is_public_proxy": "boolean",
    "is_residential_proxy": "boolean",
    "anon_network": object,
    "asn_db_id": "Int32",
    "isp_db_id": "Int32",
    "geo_db_id": "Int32",
    "anon_db_id": "Int32",
}
_UA_DTYPES = {column: object for column in USER_AGENT_COLUMNS} | {"is_bot": "boolean"}


@dataclass
class DatabaseUsed:
    """A GeoIP database as recorded in ``geoip_databases``."""

    db_id: int
    path: str
    database_type: str
    build_date: dt.datetime | None
    sha256: str
    newly_recorded: bool

    def label(self) -> str:
        built = self.build_date.date().isoformat() if self.build_date else "build date unknown"
        return f"{self.database_type} built {built}"


@dataclass
class EnrichResult:
    """What one enrichment run did.

    Attributes:
        run_id: the ``enrich_runs`` row.
        new_user_agents: distinct User-Agent strings classified in this run.
        new_ips: distinct addresses seen for the first time (valid or not).
        updated_ips: known addresses looked up again because a database was
            added since they were enriched.
        invalid_ips: of the new addresses, how many were not IP addresses
            (stored with ``is_valid = false``, otherwise unenriched).
        databases: the GeoIP databases used, with provenance.
        note: what was not available (e.g. no ISP data), or None.
    """

    run_id: int
    new_user_agents: int = 0
    new_ips: int = 0
    updated_ips: int = 0
    invalid_ips: int = 0
    databases: list[DatabaseUsed] = field(default_factory=list)
    note: str | None = None


def enrich_case(case, geoip_paths=None, *, config: dict | None = None) -> EnrichResult:
    """Enrich the case's new User-Agents and addresses.

    Works on distinct values only and incrementally: values already in
    ``user_agents`` / ``ip_info`` are not looked up again, except addresses
    that a database given now has not answered before (a database added
    later fills the addresses enriched without it).  Call it outside any
    open transaction on the case.

    Args:
        case: an open, writable `forensics.case.Case`.
        geoip_paths: MaxMind DB files to use; None or empty means
            `configured_geoip_paths()` (FORENSICS_GEOIP, then the config).
        config: settings from `forensics.config.load_config()`.

    Returns:
        An `EnrichResult` with the counts, databases and note.

    Raises:
        ForensicsError: a database is missing, unreadable, damaged or of an
            unsupported type (nothing is written then).
    """
    if config is None:
        from forensics.config import load_config

        config = load_config()
    settings = config.get("enrich", {})
    ipv4_prefix = int(settings.get("ipv4_prefix", 24))
    ipv6_prefix = int(settings.get("ipv6_prefix", 48))
    if not 0 <= ipv4_prefix <= 32 or not 0 <= ipv6_prefix <= 128:
        raise ForensicsError(
            f"[enrich] ipv4_prefix must be 0..32 and ipv6_prefix 0..128 (got {ipv4_prefix}, {ipv6_prefix})"
        )
    paths = configured_geoip_paths(geoip_paths, config)
    started_at = dt.datetime.now(dt.timezone.utc)
    databases = open_databases(paths)
    con = case.cursor()
    try:
        result = _run(con, databases, ipv4_prefix, ipv6_prefix, started_at)
        # the per-account copy the investigations read (skipped when the case has not changed)
        if not account_rows.is_current(con):
            account_rows.rebuild(con, settings.get("account_rows_memory_limit"))
        return result
    except duckdb.Error as exc:  # reading the case failed (e.g. an old case without the enrich tables' columns)
        raise ForensicsError(f"cannot enrich {case.path}: {exc}") from None
    finally:
        for db in databases:
            db.close()
        con.close()


def _run(con, databases: list[GeoIPDatabase], ipv4_prefix: int, ipv6_prefix: int, started_at) -> EnrichResult:
    used = _assign_db_ids(con, databases)
    db_ids = [db.db_id for db in databases]
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM enrich_runs").fetchone()[0]

    new_uas = [row[0] for row in con.execute(
        "SELECT DISTINCT user_agent FROM events WHERE user_agent IS NOT NULL "
        "AND user_agent NOT IN (SELECT user_agent FROM user_agents)"
    ).fetchall()]
    new_ips = [row[0] for row in con.execute(
        "SELECT DISTINCT ip FROM events WHERE ip IS NOT NULL AND ip NOT IN (SELECT ip FROM ip_info)"
    ).fetchall()]
    stale_ips = []
    if db_ids:
        stale_ips = [row[0] for row in con.execute(
            "SELECT ip FROM ip_info WHERE is_valid AND NOT list_has_all(coalesce(looked_up_db_ids, []), $ids)",
            {"ids": db_ids},
        ).fetchall()]

    ua_frame = _user_agent_frame(new_uas)
    new_frame, invalid = _ip_frame(new_ips, databases, ipv4_prefix, ipv6_prefix)
    stale_frame, _ = _ip_frame(stale_ips, databases, ipv4_prefix, ipv6_prefix)

    finished_at = dt.datetime.now(dt.timezone.utc)
    try:
        con.execute("BEGIN TRANSACTION")
        for db in databases:
            if used[db.db_id].newly_recorded:
                con.execute(
                    "INSERT INTO geoip_databases (db_id, path, database_type, build_epoch, build_date, sha256, "
                    "ip_version, description, added_at) VALUES ($id, $path, $type, $epoch, $built, $sha, $ipv, $desc, $now)",
                    {
                        "id": db.db_id,
                        "path": str(db.path),
                        "type": db.database_type,
                        "epoch": db.build_epoch,
                        "built": db.build_date,
                        "sha": db.sha256,
                        "ipv": db.ip_version,
                        "desc": db.description,
                        "now": started_at,
                    },
                )
        if len(ua_frame):
            con.register("new_user_agents_frame", ua_frame)
            con.execute("INSERT INTO user_agents BY NAME SELECT * FROM new_user_agents_frame")
            con.unregister("new_user_agents_frame")
        params = {"ids": db_ids, "run": run_id, "now": finished_at}
        if len(new_frame):
            con.register("new_ip_frame", new_frame)
            con.execute(
                "INSERT INTO ip_info BY NAME SELECT *, "
                "CASE WHEN is_valid THEN $ids::INTEGER[] ELSE []::INTEGER[] END AS looked_up_db_ids, "
                "$run AS run_id, $now AS enriched_at FROM new_ip_frame",
                params,
            )
            con.unregister("new_ip_frame")
        if len(stale_frame):
            _update_stale(con, stale_frame, databases, params)
        note = _coverage_note(con)
        con.execute(
            "INSERT INTO enrich_runs (run_id, started_at, finished_at, new_user_agents, new_ips, updated_ips, "
            "invalid_ips, geoip_db_ids, note) VALUES ($run, $started, $finished, $uas, $ips, $updated, $invalid, $dbs, $note)",
            {
                "run": run_id,
                "started": started_at,
                "finished": finished_at,
                "uas": len(ua_frame),
                "ips": len(new_frame),
                "updated": len(stale_frame),
                "invalid": invalid,
                "dbs": ",".join(str(i) for i in db_ids) or None,
                "note": note,
            },
        )
        con.execute("COMMIT")
    except duckdb.Error as exc:
        _rollback(con)
        raise ForensicsError(f"enrichment could not be written to the case (nothing was changed): {exc}") from None
    except BaseException:
        _rollback(con)
        raise
    return EnrichResult(
        run_id=run_id,
        new_user_agents=len(ua_frame),
        new_ips=len(new_frame),
        updated_ips=len(stale_frame),
        invalid_ips=invalid,
        databases=[used[i] for i in db_ids],
        note=note,
    )


def _rollback(con) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass  # the transaction never started (or is already gone): nothing to undo


def _assign_db_ids(con, databases: list[GeoIPDatabase]) -> dict[int, DatabaseUsed]:
    """Reuse the db_id of a file recorded before (same path and SHA-256), else a new one."""
    used: dict[int, DatabaseUsed] = {}
    next_id = con.execute("SELECT coalesce(max(db_id), 0) + 1 FROM geoip_databases").fetchone()[0]
    for db in databases:
        row = con.execute(
            "SELECT db_id FROM geoip_databases WHERE sha256 = $sha AND path = $path ORDER BY db_id LIMIT 1",
            {"sha": db.sha256, "path": str(db.path)},
        ).fetchone()
        newly = row is None
        db.db_id = next_id if newly else row[0]
        if newly:
            next_id += 1
        used[db.db_id] = DatabaseUsed(db.db_id, str(db.path), db.database_type, db.build_date, db.sha256, newly)
    return used


def _user_agent_frame(strings: list[str]) -> pd.DataFrame:
    rows = [classify_user_agent(ua) for ua in strings]
    return _frame(rows, _UA_DTYPES)


def _ip_frame(ips: list[str], databases, ipv4_prefix: int, ipv6_prefix: int) -> tuple[pd.DataFrame, int]:
    """Rows for ``ips``; returns the frame and the number of invalid strings."""
    sources = family_sources(databases)
    valid = []
    invalid_rows = []
    for text in ips:
        address = parse_address(text)
        if address is None:
            invalid_rows.append({"ip": text, "is_valid": False})
        else:
            valid.append((address, text))
    # Sorted, so that neighbours in one database network reuse its answer.
    valid.sort(key=lambda item: (item[0].version, int(item[0])))
    flags_memo: dict = {}
    rows = []
    for address, text in valid:
        row = ip_facts(text, ipv4_prefix, ipv6_prefix, memo=flags_memo, address=address)
        for family, ranked in sources.items():
            for db in ranked:
                values = db.facts(address, family)
                if values is not None:
                    row.update(values)
                    row[FAMILY_DB_COLUMN[family]] = db.db_id
                    break
        rows.append(row)
    rows.extend(invalid_rows)
    return _frame(rows, _IP_DTYPES), len(invalid_rows)


def _frame(rows: list[dict], dtypes: dict) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=list(dtypes))
    return frame.astype(dtypes)


def _update_stale(con, frame: pd.DataFrame, databases: list[GeoIPDatabase], params: dict) -> None:
    """Overwrite only the families a database given now answers; keep the others."""
    families = sorted({family for db in databases for family in db.families})
    assignments = [
        f"{column} = u.{column}"
        for family in families
        for column in (*FAMILY_COLUMNS[family], FAMILY_DB_COLUMN[family])
    ]
    # Column names come from this module's constants, never from input.
    con.register("stale_ip_frame", frame)
    con.execute(
        f"UPDATE ip_info SET {', '.join(assignments)}, "
        "looked_up_db_ids = list_distinct(list_concat(coalesce(ip_info.looked_up_db_ids, []), $ids::INTEGER[])), "
        "run_id = $run, enriched_at = $now "
        "FROM stale_ip_frame u WHERE ip_info.ip = u.ip",
        params,
    )
    con.unregister("stale_ip_frame")


def _coverage_note(con) -> str | None:
    """What the case's addresses lack after this run, or None.

    Cumulative, not per run: an address enriched without an ASN database
    and looked up in one later is covered.  So the latest run's note
    describes the whole case.
    """
    kinds = con.execute("SELECT db_id, database_type FROM geoip_databases").fetchall()
    if not kinds:
        return NO_DATABASE_NOTE
    serving = {family: [db_id for db_id, db_type in kinds if family in families_of_type(db_type)] for family in FAMILIES}
    isp_ids = sorted(set(serving["asn"]) | set(serving["isp"]))
    valid, without_isp, without_geo = con.execute(
        "SELECT count(*), "
        "count(*) FILTER (WHERE NOT list_has_any(coalesce(looked_up_db_ids, []), $isp::INTEGER[])), "
        "count(*) FILTER (WHERE NOT list_has_any(coalesce(looked_up_db_ids, []), $geo::INTEGER[])) "
        "FROM ip_info WHERE is_valid",
        {"isp": isp_ids, "geo": serving["geo"]},
    ).fetchone()
    missing = []
    if without_isp:
        missing.append(
            f"ISP/ASN data unavailable for {without_isp} of {valid} addresses (looked up in no ASN/ISP database): "
            "compare their prefixes only"
        )
    if without_geo:
        missing.append(f"locations unavailable for {without_geo} of {valid} addresses (looked up in no City/Country database)")
    return "; ".join(missing) or None
