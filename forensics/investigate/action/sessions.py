"""Panel sessions of an account and their click-streams.

A session is what a login opened: its credential, address, browser, start
and end, and the actions done in it.  Rules (thresholds in `[sessions]`):

* events carrying a panel session id belong to that session; a second
  successful login with the same id starts a new one;
* events without a session id (API calls, panels that log none) are grouped
  per (actor, user, address) while they follow each other closer than the
  idle timeout; a login always starts a new group;
* a session ends at its logout, otherwise at its last activity plus the idle
  timeout ("idle_timeout"), or is "open" when that lies past the end of the
  panel log;
* failed logins open nothing; system events (actor `system`) belong to no
  session.

The click-stream of a session is the access log's requests joined to it:
by session id where the access log carries one (the `session` column or
`detail.session`), by user name where it logs one, otherwise by address +
User-Agent inside the session's span (± `http_join_slack_seconds`).

Behind a load balancer the access log's remote address is the balancer's;
for requests from `[network] trusted_proxies` the client is the right-most
X-Forwarded-For address that is not itself a trusted proxy
(`forwarded_clients`): the request is joined and cited with that address, and
its `detail.forwarded_by` names the proxy.  X-Forwarded-For from any other
address is ignored (a client can send any header).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json

import numpy as np
import pandas as pd

from forensics.errors import ForensicsError
from forensics.investigate.evidence import Facts, _clean, ref
from forensics.investigate.model import Session


class _Builder:
    def __init__(self, key: str, session_id):
        self.key = key
        self.session_id = session_id
        self.rows: list = []
        self.login = None
        self.logout = None

    @property
    def last(self):
        return self.rows[-1]["ts"]


def build_sessions(panel: pd.DataFrame, config: dict, panel_end: dt.datetime | None, facts: Facts | None = None):
    """Sessions of an account from its panel events (sorted by time).

    Returns `(sessions, event_to_session_key)`.
    """
    idle = dt.timedelta(minutes=float(config["sessions"]["idle_timeout_minutes"]))
    builders: list[_Builder] = []
    by_id: dict[str, _Builder] = {}
    by_key: dict[tuple, _Builder] = {}
    for row in panel.to_dict("records"):
        row = {k: _clean(v) for k, v in row.items()}
        event, sid = row.get("event"), row.get("session")
        if event == "login" and row.get("result") == "failure":
            continue
        if row.get("actor") == "system" and not sid:
            continue
        if sid:
            b = by_id.get(sid)
            if b is None or (event == "login" and b.login is not None) or b.logout is not None:
                b = _Builder(str(sid), sid)
                by_id[sid] = b
                builders.append(b)
        else:
            group = (row.get("actor"), row.get("user"), row.get("ip"))
            b = by_key.get(group)
            if (b is None or event in ("login", "impersonate_start") or b.logout is not None
                    or row["ts"] - b.last > idle):
                b = _Builder(f"synthetic:{row['event_id']}", None)
                by_key[group] = b
                builders.append(b)
        b.rows.append(row)
        if event in ("login", "impersonate_start") and b.login is None:
            b.login = row
        if event in ("logout", "impersonate_end"):
            b.logout = row
    sessions = []
    mapping: dict[int, str] = {}
    for b in builders:
        opener = b.login or b.rows[0]
        start = opener["ts"] if b.login else b.rows[0]["ts"]
        auth = opener.get("auth") or next((r.get("auth") for r in b.rows if r.get("auth")), None)
        if opener.get("event") == "impersonate_start" and not auth:
            auth = "impersonation"
        if b.logout is not None:
            end, reason = b.logout["ts"], "logout"
        else:
            end = b.last + idle
            reason = "idle_timeout"
            if panel_end is not None and end > panel_end:
                reason = "open"
        actions = [ref(r) for r in b.rows if r.get("event") not in ("login", "logout")]
        s = Session(
            session_id=b.session_id, account=opener.get("account"), user=opener.get("user"),
            actor=opener.get("actor"), auth=auth, ip=opener.get("ip"), user_agent=opener.get("user_agent"),
            start=start, end=end, end_reason=reason, login=ref(b.login) if b.login else None,
            actions=actions, key=b.key)
        if facts is not None:
            s.ip_facts = facts.ip_facts(s.ip)
            s.browser = facts.browser(s.user_agent)
        sessions.append(s)
        for r in b.rows:
            mapping[int(r["event_id"])] = b.key
    sessions.sort(key=lambda s: s.start)
    return sessions, mapping


def _networks(cidrs) -> list:
    out = []
    for c in cidrs:
        try:
            out.append(ipaddress.ip_network(str(c).strip(), strict=False))
        except ValueError:
            raise ForensicsError(f"[network] trusted_proxies: {c!r} is not an address range (CIDR, e.g. "
                                 "10.10.0.0/24)") from None
    return out


def _in(address, networks) -> bool:
    try:
        ip = ipaddress.ip_address(str(address).strip())
    except ValueError:
        return False
    return any(ip.version == n.version and ip in n for n in networks)


def forwarded_clients(http: pd.DataFrame, trusted_proxies) -> pd.DataFrame:
    """Requests from trusted proxies with their client address (see module doc)."""
    networks = _networks(trusted_proxies)
    if http is None or http.empty or not networks or "detail" not in http:
        return http
    http = http.copy()
    for idx, remote, detail in zip(http.index, http["ip"], http["detail"]):
        if not isinstance(detail, str) or "x_forwarded_for" not in detail or not _in(remote, networks):
            continue
        try:
            d = json.loads(detail)
        except ValueError:
            continue
        chain = [x.strip() for x in str(d.get("x_forwarded_for") or "").split(",") if x.strip()]
        client = next((x for x in reversed(chain) if not _in(x, networks)), None)
        if client is None:
            continue
        try:
            client = str(ipaddress.ip_address(client))
        except ValueError:
            continue   # not an address (e.g. "unknown"): keep the proxy's
        d["forwarded_by"] = remote
        http.at[idx, "ip"] = client
        http.at[idx, "detail"] = json.dumps(d)
    return http


def session_requests(session: Session, http: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The access-log requests that belong to a session (see module doc).

    Vectorised on numpy arrays: called once per disputed session on the
    requests fetched for all of them.
    """
    if http is None or http.empty:
        return http.iloc[0:0] if http is not None else pd.DataFrame()
    slack = pd.Timedelta(seconds=float(config["sessions"]["http_join_slack_seconds"]))
    ts = http["ts"]
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    ts = ts.to_numpy().astype("datetime64[us]")

    def naive(value):
        value = pd.Timestamp(value)
        return np.datetime64((value.tz_convert("UTC").tz_localize(None) if value.tzinfo else value), "us")

    start, end = naive(pd.Timestamp(session.start) - slack), naive(pd.Timestamp(session.end or session.start) + slack)
    in_span = (ts >= start) & (ts <= end)
    sess = http["session"].to_numpy(dtype=object)
    by_id = (sess == session.session_id) if session.session_id else np.zeros(len(http), bool)
    by_user = in_span & (http["user"].to_numpy(dtype=object) == session.user) if session.user else np.zeros(len(http), bool)
    by_addr = np.zeros(len(http), bool)
    if session.ip:
        same_ip = http["ip"].to_numpy(dtype=object) == session.ip
        same_ua = (http["user_agent"].to_numpy(dtype=object) == session.user_agent) if session.user_agent \
            else np.ones(len(http), bool)
        # Requests that carry another session's id are not this session's.
        other_id = pd.notna(sess) & ~by_id
        by_addr = in_span & same_ip & same_ua & ~other_id
    keep = by_id | by_user | by_addr
    out = http[keep].copy()
    how = np.where(by_id[keep], "session id", np.where(by_user[keep], "user", "address+browser"))
    out["joined_by"] = how
    return out.sort_values(["ts", "source_id", "line_no"])
