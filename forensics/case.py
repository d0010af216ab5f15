"""The case: one DuckDB file that every stage reads and writes.

`Case` is the library API the CLI and the notebooks share.  It owns the
connection, creates the schema, runs the named queries of `queries/`, and
hands out DataFrames.  Stage logic lives in the stage packages
(`forensics.ingest`, `forensics.enrich`, `forensics.investigate`,
`forensics.report`); the convenience methods here only delegate to them.
"""

from __future__ import annotations

import datetime as _dt
import re
from pathlib import Path
from typing import Any

import duckdb

from forensics import __version__
from forensics.errors import ForensicsError
from forensics.named_queries import get_query
from forensics.schema import DDL, SCHEMA_VERSION, migrate


# Names that are log files, never case files: `forensics ingest auth.log panel.jsonl`
# (the log given first) must not turn a log into a "case".
_LOG_NAME = re.compile(r"\.(log|gz|bz2|xz|zst|jsonl|ndjson|json|csv|tsv|txt|out|err)(\.\d+)?$"
                       r"|\.log\.\d+(\.(gz|bz2|xz))?$|^(auth|secure|messages|syslog|maillog|access_log|error_log)"
                       r"(\.\d+)?$", re.IGNORECASE)
# A DuckDB database file holds "DUCK" at byte 8.
_DUCKDB_MAGIC = b"DUCK"


def refuse_log_as_case(path: Path) -> None:
    """Raise when `path` is a log file (by its name, or existing and not a DuckDB database).

    DuckDB opens a file that is not a database as an empty in-memory one
    without complaint: an ingest would then report its counts and store nothing.
    """
    sentence = (f"{path} looks like a log file; the case file comes first: "
                f"forensics ingest CASE.duckdb {path} ...")
    if path.is_dir():
        raise ForensicsError(f"{path} is a directory, not a case file")
    if path.exists():
        try:
            with open(path, "rb") as fh:
                head = fh.read(12)
        except OSError as exc:
            raise ForensicsError(f"cannot read case file {path}: {exc.strerror}") from None
        if head and head[8:12] != _DUCKDB_MAGIC:
            raise ForensicsError(f"{sentence} (it exists and is not a DuckDB database)")
        return
    if _LOG_NAME.search(path.name):
        raise ForensicsError(sentence)


JOIN_FILTER_KEYS = 5000   # see Case.__init__


class Case:
    """An open case file.

    Args:
        path: the DuckDB file; created (with the schema) when missing and
            `create` is true.
        read_only: open without write access (notebooks exploring a case).
        create: allow creating a new file.

    Example:
        >>> case = Case.open("dispute-4711.duckdb")
        >>> case.sources()            # DataFrame of ingested files
        >>> case.timeline("K-10023")  # merged timeline of one account
    """

    def __init__(self, path: str | Path, *, read_only: bool = False, create: bool = True):
        self.path = Path(path)
        self.read_only = read_only
        refuse_log_as_case(self.path)
        if not self.path.exists():
            if read_only or not create:
                raise ForensicsError(f"case file not found: {self.path}")
            if self.path.parent and not self.path.parent.exists():
                raise ForensicsError(f"directory does not exist: {self.path.parent}")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            raise ForensicsError(f"cannot open case file {self.path}: {exc}") from None
        # Times are stored as UTC instants; make the session agree so that
        # casts and displays in SQL never silently use the machine's zone.
        self.con.execute("SET TimeZone = 'UTC'")
        # A join whose small side has up to this many distinct keys hands them
        # to the other side's scan as a filter (DuckDB's default is 50): the
        # enrichment lookup for a few hundred addresses then reads the matching
        # rows of `ip_info` instead of probing all of its (a million at provider
        # scale: 54 -> 13 ms for 158 addresses).  The answers are the same.
        try:
            self.con.execute(f"SET dynamic_or_filter_threshold = {JOIN_FILTER_KEYS}")
        except duckdb.Error:   # a DuckDB without the setting: slower, same answers
            pass
        if not read_only:
            self._create_schema()

    # -- construction -------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> "Case":
        """Open an existing case file (or create it when writable)."""
        return cls(path, read_only=read_only)

    def _create_schema(self) -> None:
        migrate(self.con)
        for statement in DDL:
            self.con.execute(statement)
        # Case files made before `source_hours` existed (or filled without it,
        # as `lake pull` does) get it for their sources now.
        write_source_hours(self.con, sources_without_hours(self.con))
        now = _dt.datetime.now(_dt.timezone.utc).isoformat()
        self.con.execute(
            "INSERT INTO case_meta VALUES ('schema_version', $v), ('created_at', $now), "
            "('created_by', $tool) ON CONFLICT DO NOTHING",
            {"v": str(SCHEMA_VERSION), "now": now, "tool": f"forensics {__version__}"},
        )

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> "Case":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- SQL ---------------------------------------------------------------
    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own for each caller (DuckDB idiom)."""
        return self.con.cursor()

    def sql_df(self, sql: str, params: dict[str, Any] | None = None):
        """Run parameterised SQL and return a pandas DataFrame.

        Values always go through `params` (DuckDB `$name` binding); never
        paste log content or user input into `sql`.
        """
        try:
            return self.con.execute(sql, params or {}).df()
        except duckdb.Error as exc:
            raise ForensicsError(f"query failed: {exc}") from None

    def query(self, name: str, **params):
        """Run a named query from `queries/` and return a DataFrame."""
        from forensics.named_queries import run_query

        return run_query(self, name, params)

    # -- convenience accessors for notebooks --------------------------------
    def sources(self):
        """The chain of custody: one row per ingested file."""
        return self.sql_df("SELECT * FROM sources ORDER BY source_id")

    def events(self, account: str | None = None, since=None, until=None, limit: int | None = None):
        """Events as a DataFrame, optionally for one account and period."""
        sql = (
            "SELECT * FROM events WHERE ($account IS NULL OR account = $account) "
            "AND ($since IS NULL OR ts >= $since) AND ($until IS NULL OR ts < $until) "
            "ORDER BY ts, source_id, line_no"
        )
        if limit is not None:
            sql += " LIMIT $limit"
        params = {"account": account, "since": since, "until": until}
        if limit is not None:
            params["limit"] = int(limit)
        return self.sql_df(sql, params)

    def rejects(self):
        return self.sql_df("SELECT * FROM rejects ORDER BY source_id, line_no")

    def meta(self) -> dict[str, str]:
        return dict(self.con.execute("SELECT key, value FROM case_meta").fetchall())

    # -- the pipeline, one method per stage (each delegates to its package) --
    def ingest(self, paths, *, format_name: str | None = None, tz: str | None = None, year: int | None = None,
               host: str | None = None, **options):
        """Load log files into the case (`forensics.ingest.engine.ingest_files`).

        Args:
            paths: a path or a list of paths (a rotated set may be given at once).
            format_name: format name or definition file; auto-detected when None.
            tz: zone of timestamps written without one (IANA name).
            year: year of year-less syslog lines (inferred from mtime when None).
            host: host name to record for the events.
            **options: passed on to `ingest_files`.

        Returns:
            The `IngestReport` of `ingest_files` (one result per file).
        """
        from forensics.ingest.engine import ingest_files

        if isinstance(paths, (str, Path)):
            paths = [paths]
        return ingest_files(self, [str(p) for p in paths], format_name=format_name, tz=tz, year=year, host=host,
                            **options)

    def enrich(self, geoip_paths=None, **options):
        """Classify user agents and look up addresses (`forensics.enrich.enrich_case`)."""
        from forensics.enrich import enrich_case

        if isinstance(geoip_paths, (str, Path)):
            geoip_paths = [geoip_paths]
        paths = [str(p) for p in geoip_paths] if geoip_paths is not None else None
        return enrich_case(self, paths, **options)

    def investigate(self, account: str, *, action: str | None = None, target: str | None = None,
                    since=None, until=None, claims=(), tz: str | None = None, **options):
        """Attribute an account's disputed actions (`forensics.investigate.investigate`).

        Returns:
            An `Investigation` (forensics/investigate/model.py): findings with
            assessments and indicators, claim reconciliation, coverage.
        """
        from forensics.investigate import investigate

        return investigate(self, account, action=action, target=target, since=since, until=until,
                           claims=tuple(claims or ()), tz=tz, **options)

    def investigate_notices(self, account: str, *, since=None, until=None, claims=(), tz: str | None = None,
                            **options):
        """Was the customer told, and answered? (`forensics.investigate.notices.investigate_notices`).

        Returns:
            A `NoticesInvestigation`: contact attempts with their delivery,
            provider actions, the customer's waits, claims, coverage.
        """
        from forensics.investigate.notices import investigate_notices

        return investigate_notices(self, account, since=since, until=until, claims=tuple(claims or ()), tz=tz,
                                   **options)

    def investigate_outage(self, account: str | None, *, target: str, since=None, until=None, claims=(),
                           tz: str | None = None, **options):
        """Investigate a claimed outage of a service (`forensics.investigate.outage.investigate_outage`).

        Returns:
            An `OutageInvestigation` (forensics/investigate/outage/model.py):
            down windows with corroboration, causes and announcements,
            availability per SLA period, claim reconciliation, coverage.
        """
        from forensics.investigate.outage import investigate_outage

        return investigate_outage(self, account, target=target, since=since, until=until,
                                  claims=tuple(claims or ()), tz=tz, **options)

    def report(self, investigation, out_path: str | Path, **options):
        """Render an investigation as the PDF evidence report (`forensics.report.render_report`).

        Options are those of `render_report` (lang, tz, redact, reference,
        report_date, provider, command_line).  Returns its `ReportResult`.
        """
        from forensics.report import render_report

        return render_report(investigation, out_path, case=self, **options)

    # -- an account as DataFrames (notebooks) --------------------------------
    def logins(self, account: str, since=None, until=None):
        """Panel logins (successful and failed) with network and browser facts."""
        return self.query("account_logins", account=account, since=since, until=until)

    def sessions(self, account: str, since=None, until=None):
        """The account's panel sessions, one row each, with network and browser facts.

        Built by the investigation's own session rules
        (`forensics.investigate.action.sessions.build_sessions`, thresholds in
        `[sessions]`), without assessing any action.  `since`/`until` keep the
        sessions that overlap the period.
        """
        from forensics.config import load_config
        from forensics.investigate.coverage import Coverage
        from forensics.investigate.evidence import Facts
        from forensics.investigate.action.sessions import build_sessions, join_addresses
        from forensics.timefmt import as_utc

        from forensics.named_queries import query_rows

        config = load_config()
        events = query_rows(self, "account_events", {"account": account})
        panel = [r for r in events if r["source_kind"] == "panel"]
        span = Coverage(self, config).period("panel")
        joins = join_addresses(lambda name, params: query_rows(self, name, params), panel, config)
        sessions, _ = build_sessions(panel, config, span[1] if span else None, joins=joins)
        facts = Facts(self, {r["ip"] for r in panel if r["ip"]} | {s.ip for s in sessions if s.ip},
                      {r["user_agent"] for r in panel if r["user_agent"]} | {s.user_agent for s in sessions if s.user_agent})
        for s in sessions:
            s.ip_facts, s.browser = facts.ip_facts(s.ip), facts.browser(s.user_agent)
        lo = as_utc(_instant(since)) if since is not None else None
        hi = as_utc(_instant(until)) if until is not None else None
        return sessions_frame([s for s in sessions if (lo is None or (s.end or s.start) >= lo)
                               and (hi is None or s.start < hi)])

    def timeline(self, account: str, since=None, until=None):
        """The merged timeline of every source for an account (`forensics timeline`)."""
        from forensics.investigate import timeline

        return timeline(self, account, since=since, until=until)


def sources_without_hours(con) -> list[int]:
    """Sources with timed events but no `source_hours` rows (written before the table existed).

    A source without a timed event (`first_ts` NULL) has no hours: it is not
    looked up again on every open."""
    return [int(r[0]) for r in con.execute(
        "SELECT source_id FROM sources WHERE coalesce(events_parsed, 0) > 0 AND first_ts IS NOT NULL "
        "AND source_id NOT IN (SELECT DISTINCT source_id FROM source_hours) ORDER BY source_id").fetchall()]


def write_source_hours(con, source_ids: list[int]) -> None:
    """Store the given sources' events per UTC hour (queries/source_hours.sql).

    Ingest calls it once a file's times are decided, in that file's
    transaction; coverage finds each source's silences in this small table
    (queries/source_gaps.sql) instead of a pass over every event.
    """
    if source_ids:
        con.execute("INSERT INTO source_hours " + get_query("source_hours").sql,
                    {"source_ids": [int(x) for x in source_ids]})


def _instant(value):
    """A datetime from an ISO string (date or date-time) or a datetime/Timestamp."""
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value)
    elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    return value


def sessions_frame(sessions):
    """Investigation `Session` objects as a DataFrame, one row per session."""
    import pandas as pd

    rows = []
    for s in sessions:
        ip, browser = s.ip_facts, s.browser
        rows.append({
            "session_id": s.session_id, "start": s.start, "end": s.end, "end_reason": s.end_reason,
            "actor": s.actor, "user": s.user, "auth": s.auth, "ip": s.ip,
            "network": ip.network if ip else None, "as_org": ip.as_org if ip else None,
            "country": ip.country_iso if ip else None, "city": ip.city if ip else None,
            "browser": browser.label if browser else None,
            "fingerprint_family": browser.fingerprint_family if browser else None,
            "user_agent": s.user_agent,
            "actions": ", ".join(a.event or "" for a in s.actions),
            "login_citation": s.login.citation if s.login else None,
        })
    return pd.DataFrame(rows, columns=[
        "session_id", "start", "end", "end_reason", "actor", "user", "auth", "ip", "network", "as_org",
        "country", "city", "browser", "fingerprint_family", "user_agent", "actions", "login_citation"])
