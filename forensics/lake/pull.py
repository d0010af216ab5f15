"""`forensics lake pull`: one account's slice of the lake as an ordinary case file.

The slice is what the investigation reads (see `forensics.investigate.run`):

1. the account's panel events (`account_events`);
2. the web requests from its addresses, with its user names or sessions
   (`session_requests`);
3. the sshd lines from its addresses, for its user names or on its servers
   (`ssh_events`, the sshd part of `login_failures`);
4. the failed panel logins of any account from its addresses, fleet-wide
   (`login_failures`);
5. the first and last event of every hour of each file it keeps
   (`coverage/`), so that `source_gaps` finds exactly the silences the whole
   file has;
6. the `sources` rows (chain of custody) and the rejects of every file the
   slice comes from and of every other file that reaches into the window
   (whether a log was complete is evidence too: "no failed login from that
   address" needs the fleet's sshd logs to have been complete);

inside the window [since - history, until] (with a day's margin on each side
for the customer's zone), or all of the lake's time without --since/--until.
The case records the lake, the window, the queries and every Parquet file
read (`case_meta`: `lake`, `lake_account`, `lake_window`, `lake_query`,
`lake_parquet_files`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from forensics.english import counted
from forensics.errors import ForensicsError
from forensics.lake.store import Lake, day_of, kind_of, part_of, sha_of

_MARGIN = dt.timedelta(days=1)


@dataclass
class PullResult:
    case: str
    account: str
    sources: int = 0
    events: int = 0
    rejects: int = 0
    files_read: list[str] = field(default_factory=list)
    window: tuple = (None, None)
    seconds: float = 0.0
    enrichment: object | None = None

    def summary(self) -> str:
        lo, hi = (w.isoformat() if w else "-" for w in self.window)
        text = (f"{self.case}: account {self.account}, {self.events:,} events and {self.rejects:,} rejects "
                f"from {counted(self.sources, 'file')} ({counted(len(self.files_read), 'Parquet file')} read, window {lo} .. {hi}) "
                f"in {self.seconds:.1f} s")
        if self.enrichment is not None:
            text += (f"; enriched: {getattr(self.enrichment, 'new_user_agents', 0)} user agents, "
                     f"{getattr(self.enrichment, 'new_ips', 0)} addresses")
        return text


def _history(text: str) -> dt.timedelta:
    found = re.fullmatch(r"\s*(\d+)\s*d\s*", str(text or ""))
    if not found:
        raise ForensicsError(f"--history {text!r} is not a number of days such as 365d")
    return dt.timedelta(days=int(found.group(1)))


def _connect():
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def _list_sql(paths: list[str]) -> str:
    """A DuckDB list literal of file names (ours, from the lake's listing; quotes doubled)."""
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def lake_sources(lake_url: str, storage_options: dict | None = None):
    """Every file in the lake (its custody row), in the order it came in."""
    lake = Lake(str(lake_url), storage_options or {})
    files = lake.files("sources")
    if not files:
        import pandas as pd

        return pd.DataFrame()
    import tempfile

    con = _connect()
    try:
        with tempfile.TemporaryDirectory(prefix="forensics-lake-") as tmp:
            return con.execute(
                f"SELECT * FROM read_parquet({_list_sql(lake.fetch(files, Path(tmp)))}, union_by_name = true) "
                "ORDER BY lake_batch, lake_position, path").df()
    finally:
        con.close()


def pull_case(lake_url: str, case_path: str | Path, account: str, *, since=None, until=None,
              history: str = "365d", targets=(), geoip_paths=None, config: dict | None = None,
              storage_options: dict | None = None) -> PullResult:
    """Build a new case file with an account's slice of the lake.

    Args:
        lake_url: the lake (local directory or URL).
        case_path: the case file to create (must not exist).
        account: the customer account id.
        since, until: the disputed period (ISO date or date-time); None: no bound.
        history: how far before `since` the account's history reaches ("365d").
        targets: more names of the account's services (server/VM id, domain;
            comma-separated allowed) whose monitoring, system and access logs
            the case needs, besides the targets of its panel events (an
            outage dispute's `--target` names).
        geoip_paths: MaxMind DB files to enrich the case with (default as for ingest).
        config: settings (`load_config()` when None).
        storage_options: fsspec options for the lake.

    Returns:
        A `PullResult` (counts, the Parquet files read, the window).
    """
    from forensics.config import load_config
    from forensics.investigate.run import as_instant
    from forensics.timefmt import UTC

    started = time.perf_counter()
    config = config or load_config()
    case_path = Path(case_path)
    if case_path.exists():
        raise ForensicsError(f"{case_path} exists; pull into a new case file")
    if case_path.parent and not case_path.parent.exists():
        raise ForensicsError(f"directory does not exist: {case_path.parent}")
    since_t, until_t = as_instant(since, UTC), as_instant(until, UTC, end=True)
    lo = since_t - _history(history) - _MARGIN if since_t else None
    hi = until_t + _MARGIN if until_t else None
    # The logs keyed by the account's services and notices are read in a
    # wider window: an outage's SLA table covers the whole calendar years the
    # period touches and its corroboration looks 30 days beyond it; a notice's
    # delivery is looked for `[notices] mail_window_hours` after it.
    reach = max(dt.timedelta(days=31), dt.timedelta(hours=float(config["notices"]["mail_window_hours"])))
    wide_lo = min(dt.datetime(lo.year, 1, 1, tzinfo=UTC), lo - reach) - _MARGIN if lo else None
    wide_hi = max(dt.datetime(hi.year + 1, 1, 1, tzinfo=UTC), hi + reach) + _MARGIN if hi else None
    names = [n.strip() for t in targets or () for n in str(t).split(",") if n.strip()]
    lake = Lake(str(lake_url), storage_options or {})
    source_files = lake.files("sources")
    if not source_files:
        raise ForensicsError(f"{lake_url}: no file in the lake (use `forensics lake ingest`)")

    def in_window(path: str) -> bool:
        day = day_of(path)
        if day is None or day == "none":
            return day == "none"
        if kind_of(path) == "monitoring":   # a service's whole monitoring (its span and SLA periods)
            return True
        return (wide_lo is None or day >= wide_lo.date().isoformat()) and \
            (wide_hi is None or day <= wide_hi.date().isoformat())

    event_files = [f for f in lake.files("events") if in_window(f)]
    partial = case_path.with_name(case_path.name + ".partial")
    for leftover in (partial, partial.with_name(partial.name + ".wal")):
        if leftover.exists():
            leftover.unlink()
    result = PullResult(case=str(case_path), account=account, window=(lo, hi))
    queries: list[str] = []

    import tempfile

    from forensics.case import Case

    scratch = tempfile.TemporaryDirectory(prefix="forensics-lake-")
    case = Case.open(partial)
    try:
        def readable(paths: list[str]) -> list[str]:
            """Lake files as paths DuckDB reads (a remote lake's are fetched first, concurrently)."""
            result.files_read += [lake.uri(p) for p in paths]
            return lake.fetch(paths, Path(scratch.name))

        con = case.con
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        window = {"lo": lo, "hi": hi}
        time_filter = "($lo IS NULL OR ts >= $lo) AND ($hi IS NULL OR ts < $hi)"
        wide_filter = "($wide_lo IS NULL OR ts >= $wide_lo) AND ($wide_hi IS NULL OR ts < $wide_hi)"

        def run(sql: str, params: dict | None = None):
            queries.append(sql)
            used = set(re.findall(r"\$(\w+)", sql))
            return con.execute(sql, {k: v for k, v in (params or {}).items() if k in used})

        run(f"CREATE TEMP TABLE lake_sources AS SELECT * FROM read_parquet("
            f"{_list_sql(readable(source_files))}, union_by_name = true)")
        # A file's parts are those of the run its sources row names: an
        # interrupted run's leftovers are never read.
        has_run = "lake_run" in _columns(con, "lake_sources")
        current = {(r[0], r[1] or "") for r in con.execute(
            f"SELECT sha256, {'lake_run' if has_run else 'NULL'} FROM lake_sources").fetchall()}

        def current_parts(paths: list[str]) -> list[str]:
            return [p for p in paths if part_of(p) in current]

        event_files = current_parts(event_files)
        by_kind: dict[str, list[str]] = {}
        for original, copy in zip(event_files, readable(event_files)):
            by_kind.setdefault(kind_of(original), []).append(copy)

        def scan(kind: str) -> str | None:
            files = by_kind.get(kind)
            if not files:
                return None
            return (f"read_parquet({_list_sql(files)}, hive_partitioning = true, union_by_name = true, "
                    f"hive_types = {{'day': VARCHAR}})")

        panel = scan("panel")
        if panel is None:
            raise ForensicsError(f"{lake_url}: no panel events in the window")
        run(f"CREATE TEMP TABLE slice AS SELECT * FROM {panel} WHERE account = $account "
            f"AND (ts IS NULL OR ({time_filter})) AND source_sha256 IN (SELECT sha256 FROM lake_sources)",
            {"account": account, **window})
        if con.execute("SELECT count(*) FROM slice").fetchone()[0] == 0:
            raise ForensicsError(f"the lake has no panel events for account {account!r}"
                                 + (" in the window" if lo or hi else ""))
        keys = con.execute(
            "SELECT list(DISTINCT ip) FILTER (WHERE ip IS NOT NULL), "
            "       list(DISTINCT \"user\") FILTER (WHERE \"user\" IS NOT NULL), "
            "       list(DISTINCT session) FILTER (WHERE session IS NOT NULL), "
            "       list(DISTINCT target) FILTER (WHERE target IS NOT NULL) FROM slice").fetchone()
        params = {"ips": keys[0] or [], "users": keys[1] or [], "sessions": keys[2] or [],
                  "hosts": keys[3] or [], "account": account, **window}
        parts = [
            (panel, "account IS DISTINCT FROM $account AND event = 'login' AND result = 'failure' "
                    "AND list_contains($ips, ip)"),
            (scan("http"), "list_contains($ips, ip) OR list_contains($users, \"user\") "
                           "OR list_contains($sessions, session) "
                           "OR list_contains($sessions, json_extract_string(detail, '$.session'))"),
            (scan("ssh"), "list_contains($ips, ip) OR list_contains($users, \"user\") "
                          "OR list_contains($hosts, host)"),
        ]
        for source, condition in parts:
            if source is not None:
                run(f"INSERT INTO slice BY NAME SELECT * FROM {source} WHERE ({time_filter}) AND ({condition}) "
                    f"AND source_sha256 IN (SELECT sha256 FROM lake_sources)", params)
        params.update(wide_lo=wide_lo, wide_hi=wide_hi, names=sorted(set(params["hosts"]) | set(names)))
        others = sorted(k for k in by_kind if k not in ("panel", "monitoring"))
        # The account's rows in the other logs (a ticket export's messages) and
        # its services' own logs: their monitoring (all of it), the servers'
        # system and sshd logs, the sites' access logs (by host or virtual host).
        for kind in [*others, "monitoring"]:
            if scan(kind) is None:
                continue
            run(f"INSERT INTO slice BY NAME SELECT * FROM {scan(kind)} WHERE "
                + ("" if kind == "monitoring" else f"({wide_filter}) AND ")
                + "(account = $account OR list_contains($names, host) OR list_contains($names, target) "
                  "OR list_contains($names, json_extract_string(detail, '$.vhost'))) "
                  "AND source_sha256 IN (SELECT sha256 FROM lake_sources) "
                  "AND (source_sha256, line_no) NOT IN (SELECT source_sha256, line_no FROM slice)", params)
        if scan("mail") is not None:
            _pull_mail(run, con, scan("mail"), wide_filter, params)
        # The files of the case: where the slice comes from, and every file that
        # reaches into the window: "no failed login from that address" is only
        # evidence where the logs were complete, fleet-wide.
        run("CREATE TEMP TABLE kept AS SELECT sha256 FROM lake_sources WHERE sha256 IN "
            "(SELECT DISTINCT source_sha256 FROM slice) OR (($lo IS NULL OR last_ts >= $lo) "
            "AND ($hi IS NULL OR first_ts < $hi))", params)
        kept = {r[0] for r in con.execute("SELECT sha256 FROM kept").fetchall()}
        coverage = readable([f for f in current_parts(lake.files("coverage")) if sha_of(f) in kept])
        if coverage:
            run(f"INSERT INTO slice BY NAME SELECT * FROM read_parquet({_list_sql(coverage)}, union_by_name = true) "
                f"WHERE {time_filter}", window)
        rejects = readable([f for f in current_parts(lake.files("rejects")) if sha_of(f) in kept])
        _write_case(con, rejects, result)
        meta = {
            "lake": str(lake_url), "lake_account": account,
            "lake_window": json.dumps({"since": since, "until": until, "history": history,
                                       "from": lo.isoformat() if lo else None, "to": hi.isoformat() if hi else None}),
            "lake_query": json.dumps(queries, ensure_ascii=False),
            "lake_parquet_files": json.dumps(result.files_read, ensure_ascii=False),
        }
        for key, value in meta.items():
            con.execute("INSERT OR REPLACE INTO case_meta VALUES ($k, $v)", {"k": key, "v": value})
        result.enrichment = _enrich(case, geoip_paths, config)
    except BaseException:
        case.close()
        scratch.cleanup()
        for leftover in (partial, partial.with_name(partial.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
        raise
    case.close()
    scratch.cleanup()
    os.replace(partial, case_path)
    result.seconds = time.perf_counter() - started
    return result


def _pull_mail(run, con, mail: str, wide_filter: str, params: dict) -> None:
    """The mail log's lines about the account's notices, as the notices
    investigation follows them (`forensics.investigate.notices.deliveries`):
    the lines naming a Message-ID of its notices and messages, the delivery
    attempts to its addresses, then every line of those messages' queue ids,
    their bounces and hand-offs ("queued as X"), until no new queue id turns up."""
    keys = con.execute(
        "SELECT list(DISTINCT trim(json_extract_string(detail, '$.message_id'), '<> ')) FILTER "
        "       (WHERE json_extract_string(detail, '$.message_id') IS NOT NULL), "
        "       list(DISTINCT lower(trim(a))) FILTER (WHERE contains(a, '@')) "
        "FROM (SELECT detail, unnest([json_extract_string(detail, '$.to'), json_extract_string(detail, '$.recipient'), "
        "       json_extract_string(detail, '$.email'), json_extract_string(detail, '$.old'), "
        "       json_extract_string(detail, '$.new'), json_extract_string(detail, '$.from'), target]) AS a "
        "      FROM slice WHERE source_kind <> 'mail')").fetchone()
    params.update(message_ids=keys[0] or [], addresses=keys[1] or [])
    if not (params["message_ids"] or params["addresses"]):
        return
    run(f"CREATE TEMP TABLE mail_lines AS SELECT * FROM {mail} WHERE ({wide_filter}) AND ("
        "(event IN ('mail_message_id', 'mail_received') "
        " AND list_contains($message_ids, trim(json_extract_string(detail, '$.message_id'), '<> '))) "
        "OR (event IN ('mail_delivery', 'mail_expired') AND list_contains($addresses, lower(target)))) "
        "AND source_sha256 IN (SELECT sha256 FROM lake_sources)", params)
    seen: set[str] = set()
    for _ in range(20):
        found = con.execute(
            "SELECT list(DISTINCT q) FILTER (WHERE q IS NOT NULL AND q <> '') FROM (SELECT unnest([session, "
            "json_extract_string(detail, '$.parent_queue_id'), json_extract_string(detail, '$.notice_queue_id'), "
            "regexp_extract(json_extract_string(detail, '$.reply'), 'queued as ([0-9A-Za-z]{5,20})', 1)]) AS q "
            "FROM mail_lines)").fetchone()[0] or []
        new = sorted(set(found) - seen)
        if not new:
            break
        seen |= set(new)
        params["queue_ids"] = new
        run(f"INSERT INTO mail_lines BY NAME SELECT * FROM {mail} WHERE ({wide_filter}) AND ("
            "list_contains($queue_ids, session) "
            "OR list_contains($queue_ids, json_extract_string(detail, '$.parent_queue_id')) "
            "OR list_contains($queue_ids, json_extract_string(detail, '$.notice_queue_id'))) "
            "AND source_sha256 IN (SELECT sha256 FROM lake_sources) "
            "AND (source_sha256, line_no) NOT IN (SELECT source_sha256, line_no FROM mail_lines)", params)
    run("INSERT INTO slice BY NAME SELECT * FROM mail_lines "
        "WHERE (source_sha256, line_no) NOT IN (SELECT source_sha256, line_no FROM slice)")


def _columns(con, table: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]


def _quoted(names) -> str:
    return ", ".join('"' + n.replace('"', '""') + '"' for n in names)


def _write_case(con, rejects: list[str], result: PullResult) -> None:
    """The staged rows into the case's tables: the columns both sides have (the
    lake may be older or newer than this version's schema), case-local ids
    given in the order the files came into the lake."""
    con.execute("CREATE TEMP TABLE ids AS SELECT sha256, row_number() OVER (ORDER BY lake_batch, lake_position, "
                "path) AS source_id, coalesce(sum(lines_read) OVER (ORDER BY lake_batch, lake_position, path "
                "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS event_base "
                "FROM lake_sources WHERE sha256 IN (SELECT sha256 FROM kept)")
    common = [c for c in _columns(con, "sources") if c in set(_columns(con, "lake_sources")) and c != "source_id"]
    con.execute(f"INSERT INTO sources ({_quoted(['source_id', *common])}) SELECT i.source_id, "
                f"{', '.join('s.' + c for c in _quoted(common).split(', '))} "
                f"FROM lake_sources s JOIN ids i USING (sha256) ORDER BY i.source_id")
    lake_cols = set(_columns(con, "slice"))
    common = [c for c in _columns(con, "event_rows") if c in lake_cols and c not in ("source_id", "event_id")]
    result.events = con.execute(
        f"INSERT INTO event_rows ({_quoted(['event_id', 'source_id', *common])}) "
        f"SELECT i.event_base + s.line_no, i.source_id, {', '.join('s.' + c for c in _quoted(common).split(', '))} "
        f"FROM (SELECT * FROM slice QUALIFY row_number() OVER (PARTITION BY source_sha256, line_no) = 1) s "
        f"JOIN ids i ON i.sha256 = s.source_sha256 ORDER BY i.source_id, s.line_no").fetchone()[0]
    if rejects:
        con.execute(f"CREATE TEMP TABLE lake_rejects AS SELECT * FROM read_parquet({_list_sql(rejects)}, "
                    "union_by_name = true)")
        common = [c for c in _columns(con, "rejects") if c in set(_columns(con, "lake_rejects")) and c != "source_id"]
        result.rejects = con.execute(
            f"INSERT INTO rejects ({_quoted(['source_id', *common])}) SELECT i.source_id, "
            f"{', '.join('r.' + c for c in _quoted(common).split(', '))} "
            f"FROM lake_rejects r JOIN ids i ON i.sha256 = r.source_sha256 ORDER BY i.source_id, r.line_no"
        ).fetchone()[0]
    result.sources = con.execute("SELECT count(*) FROM sources").fetchone()[0]
    # each source's hours, as ingest writes them (coverage reads its gaps there)
    from forensics.case import write_source_hours

    write_source_hours(con, [r[0] for r in con.execute("SELECT source_id FROM sources").fetchall()])


def _enrich(case, geoip_paths, config):
    """Enrichment as after `forensics ingest`: when GeoIP databases are configured."""
    if not (geoip_paths or os.environ.get("FORENSICS_GEOIP") or config.get("enrich", {}).get("geoip")):
        return None
    from forensics.enrich import configured_geoip_paths, enrich_case

    databases = configured_geoip_paths(list(geoip_paths or []), config)
    if not databases:
        return None
    return enrich_case(case, geoip_paths=databases, config=config)
