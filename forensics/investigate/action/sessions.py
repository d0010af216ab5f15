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

Some panels' session events name no address, and the access log fills it in
(`join_addresses`, thresholds in `[sessions]`); the lines used are cited in
`Session.joined`:

* a session named only by a token (cPanel's api_log: the `cpsess` token, no
  address) takes the address and User-Agent of the first access-log request
  carrying that token, and its login is the panel's successful login without
  a session id at that address at most `token_login_max_seconds` before that
  request (cPanel's login_log: the address, no token).  A login opens one
  token's session at most;
* a successful login whose line names no address (Proxmox's pvedaemon:
  "successful auth for user ...") takes the address (and User-Agent, where
  logged) of the web server's login request (`login_request_paths`, a POST
  answered 200) on the same host, at most `login_request_join_seconds` from
  it.  Only when that is unambiguous: all such requests from one address,
  and no other successful login (of any account) in those seconds.

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
from dataclasses import dataclass, field

from forensics.errors import ForensicsError
from forensics.investigate.evidence import Facts, as_rows, ref
from forensics.investigate.model import EventRef, Session


@dataclass
class Join:
    """What the access log adds to a panel event or session (see module doc)."""

    session: str | None = None       # the token session a login opened
    ip: str | None = None
    user_agent: str | None = None
    refs: list[EventRef] = field(default_factory=list)   # the lines used


@dataclass
class Joins:
    by_event: dict[int, Join] = field(default_factory=dict)     # logins: event_id -> Join
    by_session: dict[str, Join] = field(default_factory=dict)   # token sessions: token -> Join


def join_addresses(query, panel: list[dict], config: dict) -> Joins:
    """Address, browser and login of panel sessions whose own lines name no address (see module doc).

    `query(name, params)` runs a named query and returns its rows (`QueryRun.rows`).
    `panel` is the account's panel rows (a DataFrame is taken too).
    """
    joins = Joins()
    panel = as_rows(panel)
    if not panel:
        return joins
    rules = config["sessions"]
    logins = [r for r in panel if r["event"] == "login" and r["result"] != "failure"]
    # Sessions named by a token whose events carry no address.
    named = [r for r in panel if r["session"] is not None]
    addressless: dict[str, bool] = {}
    for r in named:
        addressless[r["session"]] = addressless.get(r["session"], True) and r["ip"] is None
    has_login = {r["session"] for r in named if r["event"] == "login"}
    tokens = sorted(t for t, none in addressless.items() if none and t not in has_login)
    if tokens:
        wanted = set(tokens)
        times = [r["ts"] for r in named if r["session"] in wanted]
        window = dt.timedelta(seconds=float(rules["token_login_max_seconds"]))
        first = query("token_requests", {"sessions": tokens, "since": min(times) - dt.timedelta(days=1),
                                         "until": max(times) + dt.timedelta(days=1)})
        candidates = [r for r in logins if r["session"] is None and r["ip"] is not None]
        slack = dt.timedelta(seconds=float(rules["http_join_slack_seconds"]))
        claimed: set[int] = set()
        for r in as_rows(first):
            j = Join(ip=r.get("ip"), user_agent=r.get("user_agent"), refs=[ref(r)])
            joins.by_session[r["token"]] = j
            ts = r["ts"]
            c = [x for x in candidates if x["ip"] == r.get("ip") and ts - window <= x["ts"] <= ts + slack
                 and int(x["event_id"]) not in claimed]
            if c:
                login = c[-1]   # the latest login before the token's first request
                claimed.add(int(login["event_id"]))
                joins.by_event[int(login["event_id"])] = Join(session=r["token"])
    # Logins whose own line names no address: the web server's login request.
    bare = [r for r in logins if r["ip"] is None and r["session"] is None]
    if bare and rules["login_request_paths"]:
        found = query("login_requests", {"logins": [int(r["event_id"]) for r in bare],
                                         "paths": list(rules["login_request_paths"]),
                                         "seconds": float(rules["login_request_join_seconds"])})
        groups: dict[int, list[dict]] = {}
        for r in as_rows(found):
            groups.setdefault(r["login_id"], []).append(r)
        for login_id in sorted(groups):
            group = groups[login_id]
            if len({r["ip"] for r in group if r["ip"] is not None}) != 1 \
                    or max(int(r["logins_nearby"]) for r in group) != 1:
                continue   # two addresses, or two logins in the same seconds: no telling which is which
            agents = list(dict.fromkeys(r["user_agent"] for r in group if r["user_agent"] is not None))
            joins.by_event[int(login_id)] = Join(
                ip=group[0]["ip"], user_agent=agents[0] if len(agents) == 1 else None,
                refs=[ref(r) for r in group])
    return joins


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


def build_sessions(panel: list[dict], config: dict, panel_end: dt.datetime | None, facts: Facts | None = None,
                   joins: Joins | None = None):
    """Sessions of an account from its panel events (sorted by time).

    `joins` (from `join_addresses`) adds what the access log knows.  `panel`
    is rows (`query_rows`; a DataFrame is taken too).
    Returns `(sessions, event_to_session_key)`.
    """
    panel = as_rows(panel)
    joins = joins or Joins()
    idle = dt.timedelta(minutes=float(config["sessions"]["idle_timeout_minutes"]))
    builders: list[_Builder] = []
    by_id: dict[str, _Builder] = {}
    by_key: dict[tuple, _Builder] = {}
    for row in panel:
        event, sid = row.get("event"), row.get("session")
        sid = sid or getattr(joins.by_event.get(int(row["event_id"])), "session", None)
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
        # What the access log adds (join_addresses): to the opening login, else to the token session.
        joined = [j for j in (joins.by_event.get(int(opener["event_id"])), joins.by_session.get(b.session_id))
                  if j is not None and (j.ip or j.user_agent)]
        ip = opener.get("ip") or next((j.ip for j in joined if j.ip), None)
        agent = opener.get("user_agent") or next((j.user_agent for j in joined if j.user_agent), None)
        s = Session(
            session_id=b.session_id, account=opener.get("account"), user=opener.get("user"),
            actor=opener.get("actor"), auth=auth, ip=ip, user_agent=agent,
            start=start, end=end, end_reason=reason, login=ref(b.login) if b.login else None,
            actions=actions, key=b.key, joined=[x for j in joined for x in j.refs])
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


def forwarded_clients(http: list[dict], trusted_proxies) -> list[dict]:
    """Requests from trusted proxies with their client address (see module doc).

    Rows in, rows out; a DataFrame in (a notebook), a DataFrame out."""
    networks = _networks(trusted_proxies)
    if http is not None and not isinstance(http, list):
        if http.empty or not networks or "detail" not in http:
            return http
        rows = forwarded_clients(as_rows(http), trusted_proxies)
        out = http.copy()
        out["ip"], out["detail"] = [r["ip"] for r in rows], [r["detail"] for r in rows]
        return out
    if not http or not networks or "detail" not in http[0]:
        return http
    out = []
    for row in http:
        remote, detail = row["ip"], row["detail"]
        if not isinstance(detail, str) or "x_forwarded_for" not in detail or not _in(remote, networks):
            out.append(row)
            continue
        try:
            d = json.loads(detail)
        except ValueError:
            out.append(row)
            continue
        chain = [x.strip() for x in str(d.get("x_forwarded_for") or "").split(",") if x.strip()]
        client = next((x for x in reversed(chain) if not _in(x, networks)), None)
        try:
            client = str(ipaddress.ip_address(client)) if client is not None else None
        except ValueError:
            client = None   # not an address (e.g. "unknown"): keep the proxy's
        if client is None:
            out.append(row)
            continue
        d["forwarded_by"] = remote
        out.append({**row, "ip": client, "detail": json.dumps(d)})
    return out


def session_requests(session: Session, http: list[dict], config: dict) -> list[dict]:
    """The access-log requests that belong to a session (see module doc), in the
    case's order, each a copy with `joined_by` (session id, user, address+browser).

    Called once per disputed session on the requests fetched for all of them.
    A DataFrame in (a notebook), a DataFrame out.
    """
    if http is not None and not isinstance(http, list):
        rows = session_requests(session, [{**r, "_pos": i} for i, r in enumerate(as_rows(http))], config)
        out = http.iloc[[r["_pos"] for r in rows]].copy()
        out["joined_by"] = [r["joined_by"] for r in rows]
        return out
    if not http:
        return []
    slack = dt.timedelta(seconds=float(config["sessions"]["http_join_slack_seconds"]))
    start, end = session.start - slack, (session.end or session.start) + slack
    sid, user, ip, agent = session.session_id, session.user, session.ip, session.user_agent
    out = []
    for r in http:
        if sid and r["session"] == sid:
            how = "session id"
        elif not (start <= r["ts"] <= end):
            continue
        elif user and r["user"] == user:
            how = "user"
        # Requests that carry another session's id are not this session's.
        elif ip and r["ip"] == ip and (not agent or r["user_agent"] == agent) and r["session"] is None:
            how = "address+browser"
        else:
            continue
        out.append({**r, "joined_by": how})
    return sorted(out, key=lambda r: (r["ts"], r["source_id"], r["line_no"]))
