"""The account's earlier sessions: the baseline a disputed session is compared with.

The baseline of a session is every earlier session of the same account that
was opened by the account itself (actor customer or api, not an impersonation)
and contains none of the actions under investigation ("undisputed").
Browser sessions are compared with browser sessions, API sessions with API
sessions (an API key used from a server is not a browser).
"""

from __future__ import annotations

import datetime as dt

from forensics.investigate.evidence import network_key
from forensics.investigate.model import HistoryRow, Session

HOLDER_ACTORS = ("customer", "api")


def is_api(session: Session) -> bool:
    return session.auth == "api_key" or session.actor == "api"


def baseline(session: Session, sessions: list[Session], disputed_keys: set[str]) -> list[Session]:
    """Earlier undisputed sessions of the holder, of the same kind (browser/API)."""
    out = []
    for s in sessions:
        if s.start >= session.start or s.key == session.key or s.key in disputed_keys:
            continue
        if s.actor not in HOLDER_ACTORS or s.auth == "impersonation":
            continue
        if is_api(s) != is_api(session):
            continue
        if not is_api(s) and s.login is None:
            continue  # a browser session whose login we never saw proves nothing about credentials
        out.append(s)
    return out


def same_ip(a: Session, b: Session) -> str:
    if not a.ip or not b.ip:
        return "unknown"
    if a.ip == b.ip:
        return "same"
    pa, pb = (a.ip_facts.prefix if a.ip_facts else None), (b.ip_facts.prefix if b.ip_facts else None)
    if pa and pa == pb:
        return "partial"
    return "new"


def same_network(a: Session, b: Session) -> str:
    na, nb = network_key(a.ip_facts), network_key(b.ip_facts)
    if na is None or nb is None:
        return "unknown"
    if na == nb or (a.ip_facts.asn and a.ip_facts.asn == b.ip_facts.asn):
        return "same"
    return "new"


def same_country(a: Session, b: Session) -> str:
    ca = a.ip_facts.country_iso if a.ip_facts else None
    cb = b.ip_facts.country_iso if b.ip_facts else None
    if not ca or not cb:
        return "unknown"
    return "same" if ca == cb else "new"


def same_browser(a: Session, b: Session) -> str:
    if not a.user_agent or not b.user_agent:
        return "unknown"
    if a.user_agent == b.user_agent:
        return "same"
    fa = a.browser.fingerprint_family if a.browser else None
    fb = b.browser.fingerprint_family if b.browser else None
    if fa and fa == fb:
        return "partial"
    return "new"


def compare(disputed: Session, earlier: Session) -> HistoryRow:
    return HistoryRow(session=earlier, same_ip=same_ip(disputed, earlier),
                      same_network=same_network(disputed, earlier),
                      same_browser=same_browser(disputed, earlier),
                      same_country=same_country(disputed, earlier))


def prior_activity(disputed: Session, action_ts: dt.datetime, rows: list[HistoryRow], config: dict):
    """The "compelling evidence" rule (see `[prior_activity]`).

    Returns the qualifying sessions; marks their rows `counts_for_prior_activity`.
    """
    rule = config["prior_activity"]
    lo = action_ts - dt.timedelta(days=float(rule["max_days"]))
    hi = action_ts - dt.timedelta(days=float(rule["min_days"]))
    device_ok = ("same",) if rule["device_match"] == "exact" else ("same", "partial")
    qualifying = []
    for row in rows:
        s = row.session
        if not (lo <= s.start <= hi):
            continue
        address = row.same_ip in ("same", "partial")
        device = row.same_browser in device_ok
        login_name = bool(disputed.user) and s.user == disputed.user
        identifiers = sum((address, device, login_name))
        if identifiers >= int(rule["min_identifiers"]) and (address or device):
            row.counts_for_prior_activity = True
            qualifying.append(s)
    return qualifying


def identifiers_of(row: HistoryRow, disputed: Session) -> list[str]:
    names = []
    if row.same_ip == "same":
        names.append("same IP")
    elif row.same_ip == "partial":
        names.append("same prefix")
    if row.same_browser == "same":
        names.append("same browser string")
    elif row.same_browser == "partial":
        names.append("same browser family")
    if disputed.user and row.session.user == disputed.user:
        names.append("same login name")
    return names
