"""What every investigation shares: the period, the settings, the queries run,
and the account's events loaded once.

Each dispute kind (`action`, and the kinds beside it) is its own package that
starts from these: `account_events()` fetches the account's events once
(logging each named query in the run, for the report's method section; read
from the copy `account_rows` when it is current: the same rows),
`clustered()` runs a windowed query for many windows in a few scans.

Rows are dicts of Python values (`QueryRun.rows`, `named_queries.query_rows`):
the investigations import no pandas, whose import alone costs more than a
warm investigation (`forensics investigate` from the shell, issue 14).
"""

from __future__ import annotations

import datetime as dt

from forensics import account_rows
from forensics.config import load_config
from forensics.errors import ForensicsError
from forensics.messages import msg
from forensics.named_queries import query_rows, run_query
from forensics.timefmt import UTC


def as_instant(value, tzinfo, *, end: bool = False) -> dt.datetime | None:
    """--since/--until: a date (the day's start; for `until` the next day's
    start, so the day is included) or an ISO date-time, in `tzinfo` when naive."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        out = value
    elif isinstance(value, dt.date):
        out = dt.datetime.combine(value + dt.timedelta(days=1 if end else 0), dt.time())
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                out = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
            else:
                out = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ForensicsError(f"not an ISO date or date-time: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if out.tzinfo is None:
        out = out.replace(tzinfo=tzinfo or UTC)
    return out.astimezone(UTC)


def config_of(config) -> dict:
    if isinstance(config, dict):
        return config
    return load_config(config)


class QueryRun:
    """One investigation's state: the queries run, the facts fetched."""

    def __init__(self, case, account: str, cfg: dict):
        self.case, self.account, self.cfg = case, account, cfg
        self.queries: list[str] = []

    def rows(self, name: str, params: dict | None = None, exclude=()) -> list[dict]:
        """Run a named query (logged for the report's method section): its rows as dicts
        (without the `exclude` columns)."""
        self._used(name)
        return query_rows(self.case, name, params or {}, exclude=exclude)

    def q(self, name: str, params: dict | None = None):
        """The same as a pandas DataFrame (for callers that want one; pandas is loaded then)."""
        self._used(name)
        return run_query(self.case, name, params or {})

    def _used(self, name: str) -> None:
        if name not in self.queries:
            self.queries.append(name)


def state_changing(cfg) -> list[str]:
    return list(cfg["sessions"]["state_changing_events"])


def account_events(case, account: str, cfg: dict):
    """The account's events, once: the run that logs the queries used, all its
    events, its panel events (defaults applied) and the notes on them (rows)."""
    run = QueryRun(case, account, cfg)
    # ts_raw (the time as written) is the timeline's, never cited: a ZSTD column not read;
    # raw is read for the cited lines only, at the end (evidence.fill_raw)
    if account_rows.is_current(case.con):
        # account_events' rows, from the copy sorted by account (forensics/account_rows.py)
        # while it holds exactly the case's account-bearing events: the method names
        # account_events, the query an analyst runs for these rows (account_events_copy.sql)
        run._used("account_events")
        events = query_rows(case, "account_events_copy", {"account": account})
    else:
        events = run.rows("account_events", {"account": account}, exclude=("ts_raw", "raw"))
    if not events:
        raise ForensicsError(f"the case has no events for account {account!r}")
    panel, notes = panel_events(events)
    return run, events, panel, notes


def panel_events(events: list[dict]) -> tuple[list[dict], list[str]]:
    """The account's panel events, with the native format's defaults where a
    format left a field empty (actor: customer, result: success), and notes
    saying so.  The rows are copies: `events` keeps what the log said."""
    panel = [r for r in events if r["source_kind"] == "panel"]
    notes = []
    untimed = sum(1 for r in panel if r["ts"] is None)
    if untimed:
        notes.append(msg("{n} panel event of the account carries no time and was left out.",
                         "{n} panel events of the account carry no time and were left out.", n=untimed))
        panel = [r for r in panel if r["ts"] is not None]
    panel = [dict(r) for r in panel]
    missing_actor = sum(1 for r in panel if r["actor"] is None)
    if missing_actor:
        notes.append(msg("{n} panel event names no actor; read as the customer (the native format's default).",
                         "{n} panel events name no actor; read as the customer (the native format's default).",
                         n=missing_actor))
        for r in panel:
            if r["actor"] is None:
                r["actor"] = "customer"
    for r in panel:
        if r["result"] is None:
            r["result"] = "success"
    return panel, notes


def by_time(rows) -> list[dict]:
    """Rows in the case's order: time, file, line (a stable sort, as the queries' ORDER BY)."""
    return sorted(rows, key=lambda r: (r["ts"], r["source_id"], r["line_no"]))


def unique_events(rows) -> list[dict]:
    """The first row of each event_id, in order."""
    seen: set = set()
    out = []
    for r in rows:
        if r["event_id"] not in seen:
            seen.add(r["event_id"])
            out.append(r)
    return out


def clustered(run: QueryRun, query: str, windows, params_of, max_queries: int = 4, exclude=()) -> list[dict]:
    """Run a windowed query for many time windows in at most `max_queries` queries.

    `windows` are (since, until, item); they are merged into clusters by
    splitting at the widest silences between them (each query then scans
    only its cluster's period, pruned by the zone maps on `ts`).
    `params_of(items)` gives the other parameters for one cluster's items;
    `exclude`: columns not read (as `QueryRun.rows`).  Rows are de-duplicated and sorted.
    """
    if not windows:
        return []
    windows = sorted(windows, key=lambda w: w[0])
    silences = []
    reach = windows[0][1]
    for i in range(1, len(windows)):
        silences.append((windows[i][0] - reach, i))
        reach = max(reach, windows[i][1])
    cuts = sorted(i for gap, i in sorted(silences, reverse=True)[: max_queries - 1] if gap > dt.timedelta(0))
    rows: list[dict] = []
    for lo, hi in zip([0, *cuts], [*cuts, len(windows)]):
        group = windows[lo:hi]
        params = params_of([w[2] for w in group])
        params.update(since=min(w[0] for w in group), until=max(w[1] for w in group))
        rows += run.rows(query, params, exclude=exclude)
    return by_time(unique_events(rows))
