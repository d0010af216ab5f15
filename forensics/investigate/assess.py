"""From indicators to an assessment: explicit rules, tried in this order.

1. **system**: the action's actor is `system` (a scheduled or provisioning job).
2. **staff**: the actor is `staff`, or the action lies in an impersonation
   session; the finding names who, from where, and the ticket/reason logged.
3. **compromise_suspected**: the account's credentials or session were used,
   and at least one *strong* indicator points to another party (a brute force
   that succeeded, a stolen session cookie, an account change from a network
   never seen, an API key used from a network never seen), or at least
   `[assessment] weak_other_for_compromise` weaker ones do (new browser, new
   country, anonymiser, impossible travel, automated click-stream...).  This
   rule comes before the "not enough evidence" rules on purpose: when the logs
   point to someone else, we say so.
4. **inconclusive** when the session's login is not in the logs, or the
   action falls in a coverage gap (the gap is named).
5. **account_holder_automation**: an API-key session whose key usage matches
   the holder's earlier use.
6. **account_holder**: a session opened with the account's own credentials
   (password, password+MFA, SSO), at most one weak indicator pointing
   elsewhere, at least `min_holder_identity_indicators` identity indicators
   (browser, address, prior activity, MFA) pointing to the holder, and a
   history of at least `[baseline] min_sessions` sessions.
7. otherwise **inconclusive**, listing exactly what is missing.
"""

from __future__ import annotations

from forensics.investigate.history import is_api
from forensics.investigate.model import EventRef, Indicator, Session
from forensics.timefmt import iso

OWN_CREDENTIALS = ("password", "password+mfa", "sso")


def _others(indicators):
    strong = [i for i in indicators if i.direction == "other" and i.data.get("weight") == "strong"]
    weak = [i for i in indicators if i.direction == "other" and i.data.get("weight") == "weak"]
    return strong, weak


def _ticket(*events):
    for e in events:
        if e is not None and isinstance(e.detail, dict):
            bits = [f"{k} {e.detail[k]}" for k in ("ticket", "reason", "job", "note") if e.detail.get(k)]
            if bits:
                return ", ".join(bits)
    return None


def assess(action: EventRef, session: Session | None, indicators: list[Indicator], config: dict,
           coverage_problems: list[str], staff_events: list[EventRef]):
    """Returns (assessment, reason, key_facts, missing)."""
    by = {i.name: i for i in indicators}
    # 1. system
    if action.actor == "system":
        what = _ticket(action)
        return ("system", f"Done by the provider's automation ({action.user or 'system'}), not by a person.",
                [f"actor 'system' ({action.user or 'no user named'}) at {iso(action.ts)}",
                 *([f"logged reason: {what}"] if what else []), f"evidence: {action.path}:{action.line_no}"], [])
    # 2. staff
    if action.actor == "staff" or (session is not None and session.auth == "impersonation"):
        opener = session.login if session is not None else None
        who = action.user if action.actor == "staff" else (session.user if session else None)
        where = action.ip or (session.ip if session else None)
        ticket = _ticket(action, opener, *staff_events)
        facts = [f"done by staff member {who or '(name not logged)'} from {where or 'an address not logged'}"]
        if session is not None and session.auth == "impersonation":
            facts.append(f"inside an impersonation session opened at {iso(session.start)}")
        facts.append(f"ticket/reason logged: {ticket}" if ticket else "no ticket or reason was logged")
        return ("staff", f"Done by provider staff ({who or 'name not logged'}), not by the account holder.", facts, [])
    strong, weak = _others(indicators)
    need_weak = int(config["assessment"]["weak_other_for_compromise"])
    # 3. compromise
    if strong or len(weak) >= need_weak:
        carried = strong + weak
        return ("compromise_suspected",
                "The account's credentials or session were used, but the evidence points to someone else: "
                + "; ".join(i.label.lower() for i in carried) + ".",
                [i.explanation for i in carried][:4], [])
    # 4. missing login / coverage
    missing = []
    if session is None:
        missing.append("no session or login for this action in the panel log")
    elif session.login is None and action.event in ("password_reset", "password_reset_request"):
        missing.append("a password reset is done through an e-mailed link, without a login: the logs show from "
                       f"where ({action.ip or 'no address logged'}), not who held the mailbox")
    elif session.login is None and not is_api(session):
        missing.append(f"the login that opened session {session.session_id or session.key} is not in the panel log")
    missing.extend(coverage_problems)
    if missing:
        return ("inconclusive", "The logs do not allow an answer: " + "; ".join(missing) + ".", missing[:4], missing)
    # 5. API automation
    if is_api(session):
        usage = by.get("api_key_usage")
        if usage is not None and usage.direction == "holder":
            return ("account_holder_automation",
                    f"Done through the account's API key {session.user or ''} the way the holder has used it before.",
                    [usage.explanation, usage.observed, *[i.explanation for i in weak]][:4], [])
        return ("inconclusive", "An API key was used, but there is no earlier use of it to compare with.",
                [usage.explanation if usage else "no API key usage to compare"],
                ["earlier uses of this API key from a known network"])
    # 6. holder
    baseline = by.get("baseline_size")
    enough_history = baseline is not None and baseline.result == "match"
    identity = [i for i in indicators if i.data.get("identity") and i.direction == "holder"]
    # A successful login whose method the panel does not log (cPanel's login_log, ...) was still
    # made with the account's own credentials; the credential indicator says the method is unknown.
    own = session.auth in OWN_CREDENTIALS or (session.auth is None and session.login is not None
                                              and session.actor in ("customer", None))
    need_id = int(config["assessment"]["min_holder_identity_indicators"])
    if own and enough_history and len(identity) >= need_id and len(weak) <= 1:
        facts = [f"session opened with the account's own credentials ({session.auth or 'method not logged'}) "
                 f"at {iso(session.start)}"]
        fl = by.get("failed_logins")
        if fl is not None and fl.result == "absent":
            facts.append("no failed login before it")
        cs = by.get("clickstream")
        if cs is not None and cs.result == "match":
            facts.append("a human click-stream")
        facts.extend(i.explanation for i in identity)
        if weak:
            facts.append("but: " + weak[0].explanation)
        return ("account_holder", "Done in a session opened with the account's own credentials, consistent with "
                "the holder's history, without sign of compromise.", facts[:5], [])
    # 7. inconclusive: say what is missing
    if not own:
        missing.append(f"the session was not opened with the account's own credentials (auth: {session.auth or 'not logged'})")
    if not enough_history:
        n = baseline.data.get("sessions", 0) if baseline else 0
        missing.append(f"only {n} earlier session(s) to compare with (the rules need "
                       f"{config['baseline']['min_sessions']})")
    if len(identity) < need_id:
        missing.append(f"{len(identity)} of {need_id} identity comparisons (browser, address, prior activity) "
                       "point to the holder")
    if weak:
        missing.append("one indicator points elsewhere: " + weak[0].explanation)
    return ("inconclusive", "The logs do not allow an answer: " + "; ".join(missing) + ".", missing[:4], missing)
