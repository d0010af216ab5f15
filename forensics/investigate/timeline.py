"""`timeline()`: every source's events for one account, merged, oldest first."""

from __future__ import annotations

import datetime as dt

from forensics.investigate.action.sessions import build_sessions, join_addresses, session_requests
from forensics.investigate.evidence import _clean
from forensics.investigate.run import account_events, as_instant, config_of


TIMELINE_COLUMNS = ["ts", "source_kind", "event", "result", "actor", "user", "auth", "session", "ip", "user_agent",
                    "method", "http_path", "status", "referrer", "target", "host", "path", "line_no", "integrity", "raw",
                    "attributed_by"]
# What `session_requests` reads of a request.
_JOIN_COLUMNS = ["ts", "source_id", "line_no", "session", "user", "ip", "user_agent"]


def timeline(case, account: str, *, since=None, until=None, config=None):
    """The merged timeline of all sources for one account, oldest first (a pandas DataFrame).

    Panel events of the account; the access-log requests joined to its
    sessions (by session id, user name, or address + browser within the
    session's span); sshd events from its addresses, for its user names or on
    its servers (see the module docstring).  `attributed_by` says why each row
    is there; `integrity` flags a line of a damaged archive ("unverified",
    "cut"; None for a line as read).  Times are UTC instants (`ts`); print them with
    `forensics.timefmt.iso`.
    """
    import pandas as pd   # the result is a DataFrame for analysts; the investigations need no pandas

    cfg = config_of(config)
    since_t, until_t = as_instant(since, None), as_instant(until, None, end=True)
    run, events, panel, _ = account_events(case, account, cfg)
    times = [r["ts"] for r in events if r["ts"] is not None]
    lo = since_t if since_t else (min(times) - dt.timedelta(hours=1) if times else None)
    hi = until_t if until_t else (max(times) + dt.timedelta(hours=1) if times else None)
    sessions, _ = build_sessions(panel, cfg, None, joins=join_addresses(run.rows, panel, cfg))
    sessions = [s for s in sessions if lo is not None and (s.end or s.start) >= lo and s.start <= hi]
    staff = {r["user"] for r in panel if r["actor"] == "staff"}
    users = sorted({r["user"] for r in panel if r["user"] is not None} - staff)
    frame = run.q("account_events", {"account": account})
    own = frame[(frame["ts"] >= pd.Timestamp(lo)) & (frame["ts"] < pd.Timestamp(hi))].copy() if lo is not None \
        else frame.iloc[0:0].copy()
    own["attributed_by"] = "account"
    parts = [own]
    if sessions:
        http = run.q("session_requests", {
            "sessions": sorted({s.session_id for s in sessions if s.session_id}), "users": users,
            "ips": sorted({s.ip for s in sessions if s.ip}), "since": lo, "until": hi})
        columns = {c: [_clean(v) for v in http[c].tolist()] for c in _JOIN_COLUMNS}
        rows = [{**{c: columns[c][i] for c in _JOIN_COLUMNS}, "_pos": i} for i in range(len(http))]
        for s in sessions:
            joined = session_requests(s, rows, cfg)
            if joined:
                part = http.iloc[[r["_pos"] for r in joined]].copy()
                part["attributed_by"] = ["session " + (s.session_id or s.key) + " by " + r["joined_by"] for r in joined]
                parts.append(part)
    ip_set = {r["ip"] for r in panel if r["ip"] is not None}
    host_set = {r["target"] for r in panel if r["target"] is not None}
    ssh = run.q("ssh_events", {"ips": sorted(ip_set), "users": users, "hosts": sorted(host_set), "since": lo,
                               "until": hi})
    if not ssh.empty:
        ssh = ssh.copy()
        ssh["attributed_by"] = ssh.apply(
            lambda r: "sshd from the account's address" if r["ip"] in ip_set
            else ("sshd on the account's server" if r["host"] in host_set else "sshd for the account's user name"),
            axis=1)
        parts.append(ssh)
    merged = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    merged = merged.drop_duplicates("event_id").sort_values(["ts", "source_id", "line_no"]).reset_index(drop=True)
    return merged[[c for c in TIMELINE_COLUMNS if c in merged.columns]]
