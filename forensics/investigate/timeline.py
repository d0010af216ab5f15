"""`timeline()`: every source's events for one account, merged, oldest first."""

from __future__ import annotations

import pandas as pd

from forensics.investigate.action.sessions import build_sessions, join_addresses, session_requests
from forensics.investigate.run import account_events, as_instant, config_of


TIMELINE_COLUMNS = ["ts", "source_kind", "event", "result", "actor", "user", "auth", "session", "ip", "user_agent",
                    "method", "http_path", "status", "referrer", "target", "host", "path", "line_no", "integrity", "raw",
                    "attributed_by"]


def timeline(case, account: str, *, since=None, until=None, config=None) -> pd.DataFrame:
    """The merged timeline of all sources for one account, oldest first.

    Panel events of the account; the access-log requests joined to its
    sessions (by session id, user name, or address + browser within the
    session's span); sshd events from its addresses, for its user names or on
    its servers (see the module docstring).  `attributed_by` says why each row
    is there; `integrity` flags a line of a damaged archive ("unverified",
    "cut"; None for a line as read).  Times are UTC instants (`ts`); print them with
    `forensics.timefmt.iso`.
    """
    cfg = config_of(config)
    since_t, until_t = as_instant(since, None), as_instant(until, None, end=True)
    run, events, panel, _ = account_events(case, account, cfg)
    lo = pd.Timestamp(since_t) if since_t else events["ts"].min() - pd.Timedelta(hours=1)
    hi = pd.Timestamp(until_t) if until_t else events["ts"].max() + pd.Timedelta(hours=1)
    sessions, _ = build_sessions(panel, cfg, None, joins=join_addresses(run.q, panel, cfg))
    sessions = [s for s in sessions if (s.end or s.start) >= lo and s.start <= hi]
    users = sorted(set(panel["user"].dropna()) - set(panel.loc[panel["actor"] == "staff", "user"].dropna()))
    own = events[(events["ts"] >= lo) & (events["ts"] < hi)].copy()
    own["attributed_by"] = "account"
    parts = [own]
    if sessions:
        http = run.q("session_requests", {
            "sessions": sorted({s.session_id for s in sessions if s.session_id}), "users": users,
            "ips": sorted({s.ip for s in sessions if s.ip}), "since": lo.to_pydatetime(), "until": hi.to_pydatetime()})
        for s in sessions:
            joined = session_requests(s, http, cfg)
            if not joined.empty:
                joined = joined.copy()
                joined["attributed_by"] = "session " + (s.session_id or s.key) + " by " + joined["joined_by"]
                parts.append(joined.drop(columns=["joined_by"]))
    ssh = run.q("ssh_events", {"ips": sorted(set(panel["ip"].dropna())), "users": users,
                               "hosts": sorted(set(panel["target"].dropna())), "since": lo.to_pydatetime(),
                               "until": hi.to_pydatetime()})
    if not ssh.empty:
        ssh = ssh.copy()
        ip_set, host_set = set(panel["ip"].dropna()), set(panel["target"].dropna())
        ssh["attributed_by"] = ssh.apply(
            lambda r: "sshd from the account's address" if r["ip"] in ip_set
            else ("sshd on the account's server" if r["host"] in host_set else "sshd for the account's user name"),
            axis=1)
        parts.append(ssh)
    merged = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    merged = merged.drop_duplicates("event_id").sort_values(["ts", "source_id", "line_no"]).reset_index(drop=True)
    return merged[[c for c in TIMELINE_COLUMNS if c in merged.columns]]
