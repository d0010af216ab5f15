"""What every investigation shares: the period, the settings, the queries run,
and the account's events loaded once.

Each dispute kind (`action`, and the kinds beside it) is its own package that
starts from these: `account_events()` fetches the account's events once
(logging each named query in the run, for the report's method section),
`clustered()` runs a windowed query for many windows in a few scans.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forensics.config import load_config
from forensics.errors import ForensicsError
from forensics.messages import msg
from forensics.named_queries import run_query
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

    def q(self, name: str, params: dict | None = None) -> pd.DataFrame:
        if name not in self.queries:
            self.queries.append(name)
        return run_query(self.case, name, params or {})


def state_changing(cfg) -> list[str]:
    return list(cfg["sessions"]["state_changing_events"])


def account_events(case, account: str, cfg: dict):
    """The account's events, once: the run that logs the queries used, all its
    events, its panel events (defaults applied) and the notes on them."""
    run = QueryRun(case, account, cfg)
    events = run.q("account_events", {"account": account})
    if events.empty:
        raise ForensicsError(f"the case has no events for account {account!r}")
    panel, notes = panel_events(events)
    return run, events, panel, notes


def panel_events(events: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The account's panel events, with the native format's defaults where a
    format left a field empty (actor: customer, result: success), and notes
    saying so."""
    panel = events[events["source_kind"] == "panel"]
    notes = []
    untimed = int(panel["ts"].isna().sum())
    if untimed:
        notes.append(msg("{n} panel event of the account carries no time and was left out.",
                         "{n} panel events of the account carry no time and were left out.", n=untimed))
        panel = panel[panel["ts"].notna()]
    panel = panel.reset_index(drop=True).copy()
    missing_actor = int(panel["actor"].isna().sum())
    if missing_actor:
        notes.append(msg("{n} panel event names no actor; read as the customer (the native format's default).",
                         "{n} panel events name no actor; read as the customer (the native format's default).",
                         n=missing_actor))
        panel["actor"] = panel["actor"].fillna("customer")
    panel["result"] = panel["result"].fillna("success")
    return panel, notes


def clustered(run: QueryRun, query: str, windows, params_of, max_queries: int = 4) -> pd.DataFrame:
    """Run a windowed query for many time windows in at most `max_queries` queries.

    `windows` are (since, until, item); they are merged into clusters by
    splitting at the widest silences between them (each query then scans
    only its cluster's period, pruned by the zone maps on `ts`).
    `params_of(items)` gives the other parameters for one cluster's items.
    Rows are de-duplicated and sorted.
    """
    if not windows:
        return pd.DataFrame()
    windows = sorted(windows, key=lambda w: w[0])
    silences = []
    reach = windows[0][1]
    for i in range(1, len(windows)):
        silences.append((windows[i][0] - reach, i))
        reach = max(reach, windows[i][1])
    cuts = sorted(i for gap, i in sorted(silences, reverse=True)[: max_queries - 1] if gap > dt.timedelta(0))
    frames = []
    for lo, hi in zip([0, *cuts], [*cuts, len(windows)]):
        group = windows[lo:hi]
        params = params_of([w[2] for w in group])
        params.update(since=min(w[0] for w in group), until=max(w[1] for w in group))
        frames.append(run.q(query, params))
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0]
    out = pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0]
    return out.drop_duplicates("event_id").sort_values(["ts", "source_id", "line_no"]).reset_index(drop=True)
