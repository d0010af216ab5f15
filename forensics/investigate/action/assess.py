"""From indicators to an assessment: explicit rules, tried in this order.

What each indicator's conclusion weighs is the evidence model
(`evidence_model.py`, explained in docs/evidence-model.md); these rules only
count its rows.  Indicators that rest on the same fact count once per side.

1. **system**: the action's actor is `system` (a scheduled or provisioning job).
2. **staff**: the actor is `staff`, or the action lies in an impersonation
   session; the finding names who, from where, and the ticket/reason logged.
3. **compromise_suspected**: the account's credentials or session were used,
   and at least one *strong* conclusion points to another party (a brute
   force or credential-stuffing wave that succeeded, a stolen session cookie,
   an account change from a network never seen, a script behind a browser's
   User-Agent, an API key used from a network never seen), or *weak* ones on
   at least `[assessment] weak_other_for_compromise` independent facts (new
   browser, outdated browser version, a network the holder never used,
   anonymiser, impossible travel...).  Hints (an unusual hour) never count.
   A session that matches the holder on a hard indicator is not blamed for
   what happened to the account *before* it (conclusions marked `about:
   before`, e.g. the attacker's password reset before the holder's recovery).
   This rule comes before the "not enough evidence" rules on purpose: when
   the logs point to someone else, we say so.
4. **inconclusive** when the session's login is not in the logs, or the
   action falls in a coverage gap (the gap is named).
5. **account_holder_automation**: an API-key session whose key usage matches
   the holder's earlier use.
6. **account_holder**: a session opened with the account's own credentials,
   at least one *hard* holder conclusion (the holder's own network
   continuity, MFA), holder conclusions on at least
   `min_holder_identity_indicators` independent facts, nothing strong and at
   most one weak fact pointing elsewhere, and a history of at least
   `[baseline] min_sessions` sessions.  The finding names the hard
   indicator(s) that carried it (`holder_evidence`).
7. otherwise **inconclusive**, listing exactly what is missing (in particular:
   "only facts another party can copy point to the holder").
"""

from __future__ import annotations

from dataclasses import dataclass

from forensics.investigate.action.history import is_api
from forensics.investigate.model import EventRef, Indicator, Session
from forensics.messages import Msg, join, msg
from forensics.timefmt import iso

OWN_CREDENTIALS = ("password", "password+mfa", "sso")


@dataclass
class Assessment:
    assessment: str
    reason: Msg
    key_facts: list
    missing: list
    holder_evidence: list

    def __iter__(self):   # (assessment, reason, key_facts, missing) for older callers
        return iter((self.assessment, self.reason, self.key_facts, self.missing))


def _facts(indicators) -> list[str]:
    """Independent facts of a list of indicators, in order, each once."""
    out = []
    for i in indicators:
        key = i.fact or i.name
        if key not in out:
            out.append(key)
    return out


def _one_per_fact(indicators) -> list[Indicator]:
    seen, out = set(), []
    for i in indicators:
        key = i.fact or i.name
        if key not in seen:
            seen.add(key)
            out.append(i)
    return out


def _ticket(*events):
    for e in events:
        if e is not None and isinstance(e.detail, dict):
            bits = [f"{k} {e.detail[k]}" for k in ("ticket", "reason", "job", "note") if e.detail.get(k)]
            if bits:
                return ", ".join(bits)
    return None


def assess(action: EventRef, session: Session | None, indicators: list[Indicator], config: dict,
           coverage_problems: list, staff_events: list[EventRef]) -> Assessment:
    """The assessment of one disputed action (see the module doc for the rules)."""
    by = {i.name: i for i in indicators}
    # 1. system
    if action.actor == "system":
        what = _ticket(action)
        who = action.user or msg("system")
        return Assessment("system", msg("Done by the provider's automation ({who}), not by a person.", who=who),
                          [msg("actor 'system' ({who}) at {when}", who=action.user or msg("no user named"),
                               when=iso(action.ts)),
                           *([msg("logged reason: {what}", what=what)] if what else []),
                           msg("evidence: {citation}", citation=f"{action.path}:{action.line_no}")], [], [])
    # 2. staff
    if action.actor == "staff" or (session is not None and session.auth == "impersonation"):
        opener = session.login if session is not None else None
        who = action.user if action.actor == "staff" else (session.user if session else None)
        where = action.ip or (session.ip if session else None)
        ticket = _ticket(action, opener, *staff_events)
        facts = [msg("done by staff member {who} from {where}", who=who or msg("(name not logged)"),
                     where=where or msg("an address not logged"))]
        if session is not None and session.auth == "impersonation":
            facts.append(msg("inside an impersonation session opened at {when}", when=iso(session.start)))
        facts.append(msg("ticket/reason logged: {ticket}", ticket=ticket) if ticket
                     else msg("no ticket or reason was logged"))
        return Assessment("staff", msg("Done by provider staff ({who}), not by the account holder.",
                                       who=who or msg("name not logged")), facts, [], [])

    hard = [i for i in indicators if i.direction == "holder" and i.weight == "hard"]
    holder = [i for i in indicators if i.direction == "holder" and i.weight in ("hard", "supporting")]
    other = [i for i in indicators if i.direction == "other" and i.weight in ("strong", "weak")]
    # A later session that matches the holder on a hard indicator is not blamed for what
    # happened to the account before it (the holder's recovery after a takeover).
    before = [i for i in other if i.about == "before"] if hard else []
    counted = [i for i in other if i not in before]
    strong = [i for i in counted if i.weight == "strong"]
    weak = _one_per_fact([i for i in counted if i.weight == "weak" and (i.fact or i.name) not in
                          {s.fact for s in strong}])
    need_weak = int(config["assessment"]["weak_other_for_compromise"])
    # 3. compromise
    if strong or len(weak) >= need_weak:
        carried = strong + weak
        return Assessment("compromise_suspected",
                          msg("The account's credentials or session were used, but the evidence points to someone "
                              "else: {indicators}.", indicators=join([i.label for i in carried])),
                          [i.explanation for i in carried][:4], [], [])
    # 4. missing login / coverage
    missing = []
    if session is None:
        missing.append(msg("no session or login for this action in the panel log"))
    elif session.login is None and action.event in ("password_reset", "password_reset_request"):
        missing.append(msg("a password reset is done through an e-mailed link, without a login: the logs show from "
                           "where ({ip}), not who held the mailbox", ip=action.ip or msg("no address logged")))
    elif session.login is None and not is_api(session):
        missing.append(msg("the login that opened session {session} is not in the panel log",
                           session=session.session_id or session.key))
    missing.extend(coverage_problems)
    if missing:
        missing.extend(_before_note(before))
        return Assessment("inconclusive", msg("The logs do not allow an answer: {missing}.", missing=join(missing)),
                          (missing + [i.explanation for i in hard])[:4], missing, [])
    # 5. API automation
    if is_api(session):
        usage = by.get("api_key_usage")
        if usage is not None and usage.direction == "holder":
            return Assessment("account_holder_automation",
                              msg("Done through the account's API key {key} the way the holder has used it before.",
                                  key=session.user or ""),
                              [usage.explanation, usage.observed, *[i.explanation for i in weak]][:4], [],
                              ["api_key_usage"] if usage.weight == "hard" else [])
        return Assessment("inconclusive", msg("An API key was used, but there is no earlier use of it to compare with."),
                          [usage.explanation if usage else msg("no API key usage to compare")],
                          [msg("earlier uses of this API key from a known network")], [])
    # 6. holder
    baseline = by.get("baseline_size")
    enough_history = baseline is not None and baseline.result == "match"
    facts = _facts(holder)
    # A successful login whose method the panel does not log (cPanel's login_log, ...) was still
    # made with the account's own credentials; the credential indicator says the method is unknown.
    own = session.auth in OWN_CREDENTIALS or (session.auth is None and session.login is not None
                                              and session.actor in ("customer", None))
    need_id = int(config["assessment"]["min_holder_identity_indicators"])
    if own and enough_history and hard and len(facts) >= need_id and len(weak) <= 1 and not before:
        carried_by = [i.name for i in hard]
        key = [msg("session opened with the account's own credentials ({auth}) at {when}",
                   auth=session.auth or msg("method not logged"), when=iso(session.start))]
        key.extend(i.explanation for i in _one_per_fact(hard + holder))
        cs = by.get("clickstream")
        if cs is not None and cs.conclusion == "human":
            key.append(msg("a human click-stream"))
        if weak:
            key.append(msg("but: {what} ({observed})", what=weak[0].label, observed=weak[0].observed))
        return Assessment("account_holder",
                          msg("Done in a session opened with the account's own credentials that continues the "
                              "holder's own history on something another party could not simply copy ({hard}), "
                              "without sign of compromise.", hard=join([i.label for i in hard], ", ")),
                          key[:5], [], carried_by)
    # 7. inconclusive: say what is missing
    if not own:
        missing.append(msg("the session was not opened with the account's own credentials (auth: {auth})",
                           auth=session.auth or msg("not logged")))
    if not enough_history:
        n = baseline.data.get("sessions", 0) if baseline else 0
        missing.append(msg("only {n} earlier session to compare with (the rules need {need})",
                           "only {n} earlier sessions to compare with (the rules need {need})", n=n,
                           need=config["baseline"]["min_sessions"]))
    if not hard:
        copyable = [i.label for i in _one_per_fact(holder)]
        if copyable:
            missing.append(msg("only facts another party can copy point to the holder ({facts}); nothing that is "
                               "hard to copy does (the holder's own network, a second factor)",
                               facts=join(copyable, ", ")))
        else:
            missing.append(msg("nothing that is hard to copy points to the holder (the holder's own network, a "
                               "second factor)"))
    if len(facts) < need_id:
        missing.append(msg("{n} of {need} independent facts (address, browser, second factor) point to the holder",
                           n=len(facts), need=need_id))
    if weak:
        missing.append(msg("one indicator points elsewhere: {what} ({observed})", what=weak[0].label,
                           observed=weak[0].observed))
    missing.extend(_before_note(before))
    return Assessment("inconclusive", msg("The logs do not allow an answer: {missing}.", missing=join(missing)),
                      missing[:4], missing, [])


def _before_note(before: list[Indicator]) -> list:
    """What happened to the account before a session that matches the holder."""
    return [msg("before this session, which comes from the holder's own network, the logs point to someone else "
                "({what})", what=i.label) for i in _one_per_fact(before)]
