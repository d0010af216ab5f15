"""The indicators: one small function per question asked of a disputed action.

Each returns an `Indicator` with the observed value, the baseline it was
compared with, a result (match | partial | mismatch | absent | unknown), the
way it points (holder | other | neutral), one sentence (a `Msg`) and the
evidence model's row it concluded (`evidence_model.py`): what that conclusion
weighs, how hard it is for another party to produce, and which independent
fact it rests on.  The rules in `assess.py` weigh those rows, never the
sentences.  Thresholds: forensics/thresholds.toml.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from forensics.investigate.action.evidence_model import evidence
from forensics.investigate.action.history import identifiers_of, is_api
from forensics.investigate.coverage import Coverage
from forensics.investigate.evidence import Facts, km_between, network_key, network_label, ref
from forensics.investigate.model import Click, EventRef, HistoryRow, Indicator, IpFacts, Session
from forensics.messages import Number, join, msg
from forensics.timefmt import iso


@dataclass
class Context:
    """Everything the indicators of one disputed action look at."""

    action: EventRef
    session: Session | None
    sessions: list[Session]
    baseline: list[Session]
    history: list[HistoryRow]
    prior: list[Session]
    requests: list[dict]                         # rows: the session's access-log requests (joined_by)
    failures: list[dict]                         # rows: failed logins before the session
    panel: list[dict]                            # rows: the account's panel events
    facts: Facts
    coverage: Coverage
    config: dict
    isp_available: bool
    disputed_keys: set = field(default_factory=set)
    shared: dict = field(default_factory=dict)   # per-run cache shared by the findings (filtered rows)
    fleet: list[dict] | None = None              # rows: failed logins against other accounts before the login


def _cached(ctx: Context, key, make):
    if key not in ctx.shared:
        ctx.shared[key] = make()
    return ctx.shared[key]


def _browser_label(ctx: Context, b):
    """A browser's label, made once per User-Agent in the run (the baseline has hundreds of sessions)."""
    return _cached(ctx, ("browser_label", b.user_agent), lambda: b.label)


def _network_label(ctx: Context, facts):
    """`network_label`, made once per address in the run."""
    return _cached(ctx, ("network_label", facts.ip if facts else None), lambda: network_label(facts))


def _ind(name, conclusion, label, observed, baseline, result, explanation, evidence_refs=(), **data) -> Indicator:
    """An indicator concluding the evidence model's row (name, conclusion)."""
    row = evidence(name, conclusion)
    weight = row.weight
    return Indicator(name=name, label=label, observed=observed, baseline=baseline, result=result,
                     direction=row.direction, explanation=explanation,
                     evidence=[e for e in evidence_refs if e is not None],
                     data={**data, "weight": weight if row.direction == "other" else "weak",
                           "identity": row.direction == "holder" and weight in ("hard", "supporting")},
                     conclusion=conclusion, weight=weight, producible=row.producible, fact=row.fact,
                     about=row.about)


def _net(facts) -> str | None:
    """Network identity of an address: its ISP/ASN network, else its prefix."""
    if facts is None:
        return None
    return network_key(facts) or facts.prefix or facts.ip


def _isp(facts: IpFacts | None) -> str | None:
    """The ISP/ASN an address belongs to (network continuity's unit), else its prefix."""
    if facts is None:
        return None
    if facts.asn:
        return f"AS{facts.asn}"
    return network_key(facts) or facts.prefix


def _from_addresses(n: int):
    """"from 1 address" / "from 3 addresses": a count inside a sentence, with its own plural forms."""
    return msg("from {n} address", "from {n} addresses", n=n)


def _against_accounts(n: int):
    return msg("against {n} other account", "against {n} other accounts", n=n)


def _opener(s: Session | None) -> EventRef | None:
    """The event that opened a session: its login, else (API calls) its first event."""
    if s is None:
        return None
    return s.login or (s.actions[0] if s.actions else None)


def _holder_sessions(ctx: Context) -> list[Session]:
    """The holder's own undisputed, logged-in browser sessions (the continuity history)."""
    return _cached(ctx, "holder_sessions", lambda: [
        s for s in ctx.sessions if s.login is not None and s.actor == "customer" and s.auth != "impersonation"
        and s.key not in ctx.disputed_keys and not is_api(s)])


# -- network continuity (also used by account changes and travel) ------------------------
@dataclass
class Continuity:
    conclusion: str            # holder_network | seldom_used | recently_new | never_used | unknown
    isp: str | None
    sessions: int = 0
    days: int = 0
    weight: float = 0.0
    first: dt.datetime | None = None
    last: Session | None = None


def continuity(ctx: Context, facts: IpFacts | None, at: dt.datetime, exclude: str | None = None) -> Continuity:
    """How much the network of `facts` is the holder's at time `at` (see [network_continuity])."""
    rules = ctx.config["network_continuity"]
    isp = _isp(facts)
    earlier = [s for s in _holder_sessions(ctx) if s.start < at and s.key != exclude]
    if isp is None or not earlier:
        return Continuity("unknown", isp)
    # Without ISP/ASN data the unit is the address prefix: a prefix the holder used often and
    # recently is his; a new prefix says nothing (home and mobile lines change prefixes).
    prefix_only = facts.asn is None and network_key(facts) is None
    same = [s for s in earlier if _isp(s.ip_facts) == isp]
    if not same:
        return Continuity("unknown" if prefix_only else "never_used", isp)
    half = float(rules["half_life_days"])
    weight = sum(0.5 ** ((at - s.start).total_seconds() / 86400 / half) for s in same)
    days = len({s.start.date() for s in same})
    first = min(s.start for s in same)
    out = Continuity("seldom_used", isp, len(same), days, weight, first, max(same, key=lambda s: s.start))
    if (len(same) >= int(rules["min_sessions"]) and days >= int(rules["min_days"])
            and weight >= float(rules["min_weight"])):
        out.conclusion = "holder_network"
    elif prefix_only:
        out.conclusion = "unknown"
    elif (at - first) <= dt.timedelta(days=float(rules["recent_first_use_days"])) \
            and min(s.start for s in earlier) < first:
        out.conclusion = "recently_new"
    return out


def _continuity_of(ctx: Context) -> Continuity:
    s = ctx.session
    return _cached(ctx, f"continuity:{s.key}", lambda: continuity(ctx, s.ip_facts, s.start, exclude=s.key))


def network_continuity(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Network continuity with the holder's history")
    rules = ctx.config["network_continuity"]
    if s is None or not s.ip:
        return _ind("network_continuity", "unknown", label, msg("no address"), "-", "unknown",
                    msg("The session carries no address."))
    c = _continuity_of(ctx)
    where = network_label(s.ip_facts)
    base = msg("the holder's sessions on the same ISP/ASN, each weighted by how recent it is (half weight every "
               "{half} days); the holder's network: at least {n} sessions on {d} days, weight {w}",
               half=rules["half_life_days"], n=rules["min_sessions"], d=rules["min_days"], w=rules["min_weight"])
    data = dict(isp=c.isp, sessions=c.sessions, days=c.days, recency_weight=round(c.weight, 2),
                first_use=iso(c.first) if c.first else None)
    if c.conclusion == "unknown":
        return _ind("network_continuity", "unknown", label, where, base, "unknown",
                    msg("No ISP data for this address, or no earlier session of the holder on it, to judge the "
                        "network by."), **data)
    if c.conclusion == "never_used":
        return _ind("network_continuity", "never_used", label, where, base, "mismatch",
                    msg("The holder never used this network ({isp}) in any earlier session.", isp=c.isp),
                    [_opener(s)], **data)
    observed = msg("{where}: {n} earlier session of the holder {on_days}, recency weight {w}, last on {last}",
                   "{where}: {n} earlier sessions of the holder {on_days}, recency weight {w}, last on {last}",
                   where=where, n=c.sessions, on_days=msg("on {n} day", "on {n} days", n=c.days),
                   w=round(c.weight, 2), last=iso(c.last.start))
    if c.conclusion == "holder_network":
        return _ind("network_continuity", "holder_network", label, observed, base, "match",
                    msg("The holder has used this network ({isp}) in {n} sessions on {d} days, last on {last}: "
                        "the address continues the holder's own history.", isp=c.isp, n=c.sessions, d=c.days,
                        last=iso(c.last.start)), [_opener(s), _opener(c.last)], **data)
    if c.conclusion == "recently_new":
        return _ind("network_continuity", "recently_new", label, observed, base, "mismatch",
                    msg("The account first used this network ({isp}) on {first}, days before this session, after "
                        "a long history elsewhere: that earlier session may have been someone else's look around.",
                        isp=c.isp, first=iso(c.first)), [_opener(s), _opener(c.last)], **data)
    return _ind("network_continuity", "seldom_used", label, observed, base, "partial",
                msg("The holder used this network ({isp}) too rarely ({n} session) for it to count as the "
                    "holder's own.",
                    "The holder used this network ({isp}) too rarely ({n} sessions) for it to count as the "
                    "holder's own.", isp=c.isp, n=c.sessions), [_opener(s), _opener(c.last)], **data)


# -- credential -----------------------------------------------------------------
def credential(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Credential used")
    auth = s.auth if s else None
    seen = sorted({b.auth for b in ctx.baseline if b.auth})
    evidence_refs = [s.login] if s and s.login else []
    base = ", ".join(seen) or msg("no earlier sessions")
    if auth is None:
        return _ind("credential", "unknown", label, msg("not logged"), base, "unknown",
                    msg("The panel log does not say how this session was authenticated."), evidence_refs)
    if auth == "impersonation":
        return _ind("credential", "impersonation", label, msg("staff impersonation"), base, "mismatch",
                    msg("The session was opened by provider staff ({user}) impersonating the account, not with "
                        "the account's own credentials.", user=s.user), evidence_refs)
    if auth == "password+mfa":
        return _ind("credential", "mfa", label, msg("password and second factor (MFA)"), base, "match",
                    msg("The login needed the account's password and its second factor, which only the holder "
                        "should have."), evidence_refs)
    result = "match" if auth in seen else ("absent" if not seen else "partial")
    words = {"password": msg("the account's own password"), "api_key": msg("one of the account's API keys"),
             "sso": msg("the account's single sign-on identity")}.get(auth, auth)
    text = (msg("The session was opened with {what}: either the holder or someone who had it (this method was "
                "used in earlier sessions).", what=words) if auth in seen else
            msg("The session was opened with {what}: either the holder or someone who had it (this method was "
                "not used in earlier sessions).", what=words))
    return _ind("credential", "password", label, auth, base, result, text, evidence_refs)


# -- failed logins --------------------------------------------------------------
def repeats(rows) -> list[int]:
    """How many failures each row stands for: sshd's "message repeated N times"
    line carries `detail.repeat_count` = N, every other row counts 1."""

    def one(text):
        if not isinstance(text, str) or "repeat_count" not in text:
            return 1
        try:
            value = json.loads(text).get("repeat_count")
            return max(1, int(value)) if value is not None else 1
        except (ValueError, TypeError, AttributeError):
            return 1

    return [one(r.get("detail")) for r in rows or ()]


def failed_logins(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    s = ctx.session
    rules = ctx.config["failed_logins"]
    windows = [int(h) for h in rules["windows_hours"]]
    label = msg("Failed logins before the session")
    if s is None:
        return _ind("failed_logins", "unknown", label, msg("no session"), "-", "unknown",
                    msg("Without a login there is no 'before the session' to look at.")), []
    start = s.start
    widest = start - dt.timedelta(hours=max(windows))
    f = [r for r in ctx.failures if widest <= r["ts"] < start]
    weight = repeats(f)
    counts = {}
    for h in windows:
        since = start - dt.timedelta(hours=h)
        inside = [(r, w) for r, w in zip(f, weight) if r["ts"] >= since]
        counts[f"{h}h"] = {
            "panel_account": sum(w for r, w in inside if r["source_kind"] == "panel" and r["account"] == s.account),
            "panel_from_address": sum(w for r, w in inside if r["source_kind"] == "panel" and r["ip"] == s.ip),
            "ssh": sum(w for r, w in inside if r["source_kind"] == "ssh"),
        }
    problems = ctx.coverage.problems("panel", widest, start)
    ssh_problems = ctx.coverage.problems("ssh", widest, start)
    evidence_refs = [ref(r) for r in f]
    observed = join([msg("last {window}: {account} panel (account), {address} panel (from {ip}), {ssh} sshd",
                         window=k, account=v["panel_account"], address=v["panel_from_address"], ip=s.ip,
                         ssh=v["ssh"]) for k, v in counts.items()])
    n = sum(weight)
    sources = sorted({r["ip"] for r in f if r["ip"] is not None})
    min_gap = None
    if len(f) >= 2:
        times = sorted(r["ts"] for r in f)
        min_gap = min((b - a).total_seconds() for a, b in zip(times, times[1:]))
    repeated = any(w > 1 for w in weight)
    brute = n >= int(rules["brute_force_min_failures"]) or len(sources) >= int(rules["brute_force_min_sources"]) \
        or (n >= 3 and ((min_gap is not None and min_gap < float(rules["brute_force_min_interval_seconds"]))
                        or repeated))
    data = dict(counts=counts, failures=n, sources=sources, min_interval_s=min_gap, brute_force=brute,
                coverage_problems=problems + [p for p in ssh_problems if "no sshd" not in p])
    caveat = msg(" (sshd: {problems})", problems=join(ssh_problems)) if ssh_problems else ""
    if n == 0:
        if problems:
            return _ind("failed_logins", "unknown", label, msg("none found"), join(problems), "unknown",
                        msg("No failed login was found, but the panel log is not complete for the week before "
                            "the login: {problems}.", problems=join(problems)), [], **data), []
        return _ind("failed_logins", "none", label, msg("none"),
                    msg("the panel log is complete for the {hours} hours before the login{caveat}",
                        hours=max(windows), caveat=caveat), "absent",
                    msg("No failed login for the account or from {ip} in the week before the login: no one was "
                        "guessing the password here (a stolen password does not fail).", ip=s.ip),
                    [], **data), evidence_refs
    recent_since = start - dt.timedelta(minutes=float(rules['success_after_failures_minutes']))
    recent = sum(w for r, w in zip(f, weight) if r["ts"] >= recent_since)
    rule = msg("brute-force rule: at least {n} failures, {a} addresses or pacing under {s} s",
               n=rules["brute_force_min_failures"], a=rules["brute_force_min_sources"],
               s=rules["brute_force_min_interval_seconds"])
    if brute and (s.ip in sources) and recent:
        return _ind("failed_logins", "guessed", label, observed, rule, "mismatch",
                    msg("{n} failed login {from_addresses} preceded this login, and the login succeeded from "
                        "{ip}, one of the attacking addresses: the password was guessed.",
                        "{n} failed logins {from_addresses} preceded this login, and the login succeeded from "
                        "{ip}, one of the attacking addresses: the password was guessed.", n=n,
                        from_addresses=_from_addresses(len(sources)), ip=s.ip), evidence_refs, **data), evidence_refs
    if brute:
        return _ind("failed_logins", "attacked", label, observed, rule, "mismatch",
                    msg("The account was under attack before this login ({n} failure {from_addresses}), "
                        "although not from the login's own address.",
                        "The account was under attack before this login ({n} failures {from_addresses}), "
                        "although not from the login's own address.", n=n,
                        from_addresses=_from_addresses(len(sources))),
                    evidence_refs, **data), evidence_refs
    return _ind("failed_logins", "few", label, observed, rule, "partial",
                msg("{n} failed login before the session, fewer than an attack makes (a mistyped password "
                    "looks like this).",
                    "{n} failed logins before the session, fewer than an attack makes (a mistyped password "
                    "looks like this).", n=n), evidence_refs, **data), evidence_refs


# -- fleet-wide failures (credential stuffing) -----------------------------------------------
def fleet_failures(ctx: Context) -> Indicator:
    s = ctx.session
    rules = ctx.config["fleet_failures"]
    label = msg("Failed logins against other accounts (credential stuffing)")
    hours = float(rules["window_hours"])
    base = msg("failed logins against other accounts in the {h} hours before the login, from the login's "
               "address, network or browser string", h=f"{hours:g}")
    if s is None or s.login is None:
        return _ind("fleet_failures", "none", label, msg("no login"), base, "unknown",
                    msg("Without a login there is no wave to connect it to."))
    lo = s.start - dt.timedelta(hours=hours)
    f = [r for r in ctx.fleet or () if lo <= r["ts"] < s.start]
    if not f:
        return _ind("fleet_failures", "none", label, msg("none"), base, "absent",
                    msg("No failed logins against other accounts from this address, its network or its browser "
                        "string before the login."))
    weight = repeats(f)
    net = network_key(s.ip_facts)
    own_net = _continuity_of(ctx).conclusion == "holder_network"
    browser_ua = bool(s.browser and s.browser.automation_class == "browser")
    by_addr = [r["ip"] == s.ip for r in f]
    by_net = [bool(net) and not own_net and r.get("network", None) == net for r in f]
    # A browser's string is shared by millions (stuffing tools send the current Chrome's too):
    # only a client's own string (a library, a tool) connects a login to a wave by itself.
    by_ua = [bool(s.user_agent) and not browser_ua and r["user_agent"] == s.user_agent for r in f]
    # Once the login's own address is in a wave, the wave is every failure sent with the same
    # client strings as that address's failures (one tool, many addresses).
    tools = {r["user_agent"] for r, a in zip(f, by_addr) if a and r["user_agent"] is not None}
    in_wave = [a or n or u or r["user_agent"] in tools for r, a, n, u in zip(f, by_addr, by_net, by_ua)]
    wave = [r for r, w in zip(f, in_wave) if w]
    if not wave:
        return _ind("fleet_failures", "none", label, msg("none"), base, "absent",
                    msg("No failed logins against other accounts from this address, its network or its browser "
                        "string before the login."))
    size = dict(failures=sum(w for w, x in zip(weight, in_wave) if x),
                addresses=len({r["ip"] for r in wave if r["ip"] is not None}),
                accounts=len({r["account"] for r in wave if r["account"] is not None}),
                first=iso(min(r["ts"] for r in wave)), last=iso(max(r["ts"] for r in wave)),
                from_address=sum(w for w, a in zip(weight, by_addr) if a),
                accounts_from_address=len({r["account"] for r, a in zip(f, by_addr) if a and r["account"] is not None}))
    observed = msg("{n} failed login {against_accounts} {from_addresses}, {first} to {last}",
                   "{n} failed logins {against_accounts} {from_addresses}, {first} to {last}",
                   n=size["failures"], against_accounts=_against_accounts(size["accounts"]),
                   from_addresses=_from_addresses(size["addresses"]), first=size["first"], last=size["last"])
    refs = [ref(r) for r in wave]
    cited = refs[:5] + ([refs[-1]] if len(refs) > 5 else []) + [_opener(s)]
    if size["accounts_from_address"] >= int(rules["min_accounts"]) or size["from_address"] >= int(rules["min_failures"]):
        return _ind("fleet_failures", "same_address", label, observed, base, "mismatch",
                    msg("The login came from {ip}, which had failed {n} time {against_accounts} in the hours "
                        "before: the success of a credential-stuffing wave of {failures} {from_addresses}.",
                        "The login came from {ip}, which had failed {n} times {against_accounts} in the hours "
                        "before: the success of a credential-stuffing wave of {failures} {from_addresses}.",
                        ip=s.ip, n=size["from_address"],
                        against_accounts=_against_accounts(size["accounts_from_address"]),
                        failures=msg("{n} failure", "{n} failures", n=size["failures"]),
                        from_addresses=_from_addresses(size["addresses"])), cited, **size)
    if size["accounts"] >= int(rules["min_accounts"]) and size["failures"] >= int(rules["min_failures"]):
        how = (msg("the same network and with the same client string") if any(by_net) and any(by_ua)
               else msg("the same network") if any(by_net) else msg("the same client string"))
        return _ind("fleet_failures", "wave", label, observed, base, "mismatch",
                    msg("A credential-stuffing wave ({n} failures against {k} other accounts from {a} addresses) "
                        "came from {how} before this login.", n=size["failures"], k=size["accounts"],
                        a=size["addresses"], how=how), cited, **size)
    return _ind("fleet_failures", "none", label, observed, base, "partial",
                msg("A few failed logins against other accounts share the login's address, network or browser "
                    "string: fewer than a stuffing wave makes."), cited, **size)


# -- account changes -------------------------------------------------------------
RECOVERY_EVENTS = ("password_reset", "password_change", "mfa_enable")


def account_changes(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    rules = ctx.config["account_changes"]
    label = msg("Account changes before the action")
    t = ctx.action.ts
    since = t - dt.timedelta(hours=float(rules["lookback_hours"]))
    p = _cached(ctx, "changes", lambda: [r for r in ctx.panel if r["event"] in set(rules["changes"])])
    changes = [ref(r) for r in p if since <= r["ts"] < t and r["event_id"] != ctx.action.event_id]
    base = msg("networks of the account's earlier sessions")
    if not changes:
        return _ind("account_changes", "none", label, msg("none"),
                    msg("{h} hours before the action", h=rules["lookback_hours"]), "absent",
                    msg("No password, e-mail, MFA or API-key change preceded the action.")), []
    foreign, lines, own = [], [], []
    for c in changes:
        facts = ctx.facts.ip_facts(c.ip)
        earlier = [s for s in _holder_sessions(ctx) if s.start < c.ts]
        known_nets = {_net(s.ip_facts) for s in earlier} - {None}
        known_countries = {s.ip_facts.country_iso for s in earlier if s.ip_facts} - {None}
        where = network_label(facts) if c.ip else msg("no address logged")
        if c.ip and earlier and _net(facts) not in known_nets:
            country_new = facts.country_iso and facts.country_iso not in known_countries
            foreign.append(c)
            lines.append(msg("{event} at {when} from {where}: a network never used by this account before and a "
                             "new country", event=c.event, when=iso(c.ts), where=where) if country_new else
                         msg("{event} at {when} from {where}: a network never used by this account before",
                             event=c.event, when=iso(c.ts), where=where))
        else:
            if c.ip and c.event in RECOVERY_EVENTS and continuity(ctx, facts, c.ts).conclusion == "holder_network":
                own.append(c)
            lines.append(msg("{event} at {when} from {where}: a network the holder used before", event=c.event,
                             when=iso(c.ts), where=where) if (c.ip and earlier) else
                         msg("{event} at {when} from {where}", event=c.event, when=iso(c.ts), where=where))
    observed = join(lines)
    if foreign:
        last_foreign = max(c.ts for c in foreign)
        recovery = [c for c in own if c.ts > last_foreign]
        if recovery:
            r = recovery[0]
            return _ind("account_changes", "recovered", label, observed, base, "partial",
                        msg("Credentials were changed from a network the account never used, and afterwards "
                            "({event} at {when}) from the holder's own network: the holder took the account back "
                            "before this action.", event=r.event, when=iso(r.ts)), changes,
                        foreign=[c.event_id for c in foreign]), changes
        return _ind("account_changes", "foreign_network", label, observed, base, "mismatch",
                    msg("Credentials or contact data were changed shortly before the action from a network the "
                        "account had never used: the classic takeover sequence."), changes,
                    foreign=[c.event_id for c in foreign]), changes
    return _ind("account_changes", "known_network", label, observed, base, "partial",
                msg("The account was changed shortly before the action, from where the holder usually works."),
                changes), changes


# -- browser ---------------------------------------------------------------------
def browser_fingerprint(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Browser fingerprint")
    if s is None or not s.user_agent:
        return _ind("browser_fingerprint", "unknown", label, msg("not logged"), "-", "unknown",
                    msg("The login carries no User-Agent to compare."))
    b = s.browser
    observed = msg("{label} ({ua})", label=b.label, ua=s.user_agent)
    if not ctx.baseline:
        return _ind("browser_fingerprint", "unknown", label, observed, msg("no earlier sessions"), "unknown",
                    msg("There are no earlier sessions to compare the browser with."), [_opener(s)])
    exact = [x for x in ctx.baseline if x.user_agent == s.user_agent]
    family = [x for x in ctx.baseline if x.browser and b.fingerprint_family
              and x.browser.fingerprint_family == b.fingerprint_family]
    seen = sorted({_browser_label(ctx, x.browser) for x in ctx.baseline if x.browser})
    base = msg("{n} earlier session: {browsers}", "{n} earlier sessions: {browsers}", n=len(ctx.baseline),
               browsers=join(seen[:5], "; "))
    ev = [_opener(s)]
    if b.automation_class in ("headless", "library") and not exact and not family:
        return _ind("browser_fingerprint", "automation_tool", label, observed, base, "mismatch",
                    msg("The session was driven by {tool} ({cls}), which this account never used before.",
                        tool=b.automation_tool or msg("an automation tool"), cls=b.automation_class), ev,
                    automation_class=b.automation_class)
    if exact:
        return _ind("browser_fingerprint", "exact", label, observed, base, "match",
                    msg("Exactly the browser string of {n} earlier session of the account (a string anyone can "
                        "send).",
                        "Exactly the browser string of {n} earlier sessions of the account (a string anyone can "
                        "send).", n=len(exact)), ev + [_opener(exact[-1])], exact=len(exact), family=len(family))
    if family:
        majors = sorted({x.browser.browser_major for x in family if x.browser.browser_major})
        return _ind("browser_fingerprint", "family", label, observed, base, "partial",
                    msg("The same browser as {n} earlier session ({browser} on {os}), updated: earlier versions "
                        "{earlier}, now {now}.",
                        "The same browser as {n} earlier sessions ({browser} on {os}), updated: earlier versions "
                        "{earlier}, now {now}.", n=len(family), browser=b.browser_family, os=b.os_family,
                        earlier=", ".join(majors), now=b.browser_major),
                    ev + [_opener(family[-1])], exact=0, family=len(family))
    return _ind("browser_fingerprint", "new", label, observed, base, "mismatch",
                msg("A browser never seen in the account's earlier sessions."), ev, exact=0, family=0)


def _major(b) -> int | None:
    try:
        return int(str(b.browser_major).split(".")[0]) if b is not None and b.browser_major else None
    except ValueError:
        return None


def version_timeline(ctx: Context) -> Indicator:
    """The browser's version against the holder's own version history of the same browser."""
    s = ctx.session
    label = msg("Browser version against the holder's updates")
    left = float(ctx.config["version_timeline"]["left_days"])
    v = _major(s.browser) if s is not None else None
    if s is None or v is None or not s.browser.fingerprint_family:
        return _ind("version_timeline", "unknown", label, msg("no browser version"), "-", "unknown",
                    msg("The session's browser sends no version to compare."))
    same = [x for x in ctx.baseline if x.browser and x.browser.fingerprint_family == s.browser.fingerprint_family
            and _major(x.browser) is not None]
    if not same:
        return _ind("version_timeline", "unknown", label, msg("{b} {v}", b=s.browser.browser_family, v=v),
                    msg("no earlier session with this browser"), "unknown",
                    msg("The holder's history has no version of this browser to compare with."))
    newer = [x for x in same if _major(x.browser) > v]
    observed = msg("{b} {v} on {os}", b=s.browser.browser_family, v=v, os=s.browser.os_family or "-")
    latest = max(same, key=lambda x: (_major(x.browser), -x.start.timestamp()))
    base = msg("the holder's {b}: versions {versions}; latest {latest} since {since}",
               b=s.browser.browser_family, versions=", ".join(str(m) for m in sorted({_major(x.browser) for x in same})),
               latest=_major(latest.browser), since=iso(min(x.start for x in same if _major(x.browser) == _major(latest.browser))))
    if newer:
        first_newer = min(newer, key=lambda x: x.start)
        # The holder's own second device may lag behind; a session from a network that is not
        # the holder's (an attacker's earlier look around with the same copied string) is no such device.
        went_back = [x for x in same if x.start > first_newer.start and _major(x.browser) <= v
                     and continuity(ctx, x.ip_facts, x.start, exclude=x.key).conclusion == "holder_network"]
        if (s.start - first_newer.start) >= dt.timedelta(days=left) and not went_back:
            return _ind("version_timeline", "outdated", label, observed, base, "mismatch",
                        msg("The holder's {b} already sent version {newer} on {since}, {days} days before, and never "
                            "went back; this session sent the older {v}: a copied browser string, not the holder's "
                            "browser.", b=s.browser.browser_family, newer=_major(first_newer.browser),
                            since=iso(first_newer.start), days=(s.start - first_newer.start).days, v=v),
                        [_opener(s), _opener(first_newer)], left_days=left)
    return _ind("version_timeline", "fits", label, observed, base, "match",
                msg("The version fits the holder's own updates of this browser."), [_opener(s)])


# -- address -------------------------------------------------------------------------
def network(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Address and network")
    if s is None or not s.ip:
        return _ind("network", "unknown", label, msg("no address"), "-", "unknown", msg("The login carries no address."))
    observed = network_label(s.ip_facts)
    if not ctx.baseline:
        return _ind("network", "unknown", label, observed, msg("no earlier sessions"), "unknown",
                    msg("There are no earlier sessions to compare the address with."))
    rows = ctx.history
    ev = [_opener(s)]
    nets = sorted({_network_label(ctx, x.ip_facts) for x in ctx.baseline})
    base = msg("{n} earlier session from: {networks}", "{n} earlier sessions from: {networks}", n=len(ctx.baseline),
               networks=join(nets[:5], "; "))
    same_ip = [r for r in rows if r.same_ip == "same"]
    same_prefix = [r for r in rows if r.same_ip == "partial"]
    same_net = [r for r in rows if r.same_network == "same"]
    same_country = [r for r in rows if r.same_country == "same"]
    counts = dict(same_ip=len(same_ip), same_prefix=len(same_prefix), same_network=len(same_net),
                  same_country=len(same_country), isp_data=ctx.isp_available)
    if same_ip:
        return _ind("network", "same_address", label, observed, base, "match",
                    msg("The same address as {n} earlier session.", "The same address as {n} earlier sessions.",
                        n=len(same_ip)),
                    ev + [_opener(same_ip[0].session)], **counts)
    if same_prefix:
        return _ind("network", "same_address", label, observed, base, "match",
                    msg("The same address range ({prefix}) as {n} earlier session.",
                        "The same address range ({prefix}) as {n} earlier sessions.", prefix=s.ip_facts.prefix,
                        n=len(same_prefix)), ev + [_opener(same_prefix[0].session)], **counts)
    if same_net:
        return _ind("network", "same_isp", label, observed, base, "partial",
                    msg("The same ISP's range ({network}, {org}) as {n} earlier session.",
                        "The same ISP's range ({network}, {org}) as {n} earlier sessions.",
                        network=network_key(s.ip_facts), org=s.ip_facts.isp or s.ip_facts.as_org or "-",
                        n=len(same_net)), ev + [_opener(same_net[0].session)], **counts)
    if not ctx.isp_available:
        return _ind("network", "unknown", label, observed, base, "unknown",
                    msg("A new address range; no ISP data was available, so only prefixes could be compared."), ev,
                    **counts)
    if all(r.same_network == "unknown" for r in rows):
        return _ind("network", "unknown", label, observed, base, "unknown",
                    msg("A new address range; the GeoIP databases know no network for this address or the earlier "
                        "ones, so only prefixes could be compared."), ev, **counts)
    if same_country:
        return _ind("network", "new_network", label, observed, base, "partial",
                    msg("A network the account never used, in a country it logged in from before."), ev, **counts)
    return _ind("network", "new_country", label, observed, base, "mismatch",
                msg("A network and a country never seen in the account's earlier sessions."), ev, **counts)


def anonymiser(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Anonymiser or hosting address")
    if s is None or not s.ip:
        return _ind("anonymiser", "usual", label, msg("no address"), "-", "unknown", msg("The login carries no address."))
    flags = s.ip_facts.anonymiser if s.ip_facts else []
    usual = sorted({f for x in ctx.baseline if x.ip_facts for f in x.ip_facts.anonymiser})
    if not ctx.isp_available:
        return _ind("anonymiser", "usual", label, msg("no data"), "-", "unknown",
                    msg("No GeoIP data was available to tell VPN, hosting, Tor or proxy addresses."))
    if not flags:
        return _ind("anonymiser", "usual", label, msg("no flag"), ", ".join(usual) or msg("none"), "match",
                    msg("The address is not known as a VPN, hosting, Tor or proxy address."))
    if set(flags) <= set(usual):
        return _ind("anonymiser", "usual", label, ", ".join(flags), ", ".join(usual), "partial",
                    msg("The address is flagged ({flags}), as were earlier sessions of the holder.",
                        flags=", ".join(flags)))
    if is_api(s) and flags == ["hosting"]:
        return _ind("anonymiser", "usual", label, ", ".join(flags), ", ".join(usual) or msg("none"), "partial",
                    msg("An API client running in a data centre: usual for scripts, notable only with other signs."))
    return _ind("anonymiser", "flagged", label, ", ".join(flags), ", ".join(usual) or msg("none"), "mismatch",
                msg("The address is a {flags} address, which hides who is behind it; the holder's earlier sessions "
                    "did not use one.", flags="/".join(flags)), [_opener(s)])


def travel(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Travel speed since the previous login")
    rules = ctx.config["network"]
    if s is None or s.ip_facts is None or s.ip_facts.latitude is None:
        return _ind("travel", "possible", label, msg("no location"), "-", "unknown",
                    msg("No location is known for the login's address."))
    before = [x for x in ctx.sessions if x.start < s.start and x.login is not None and x.ip_facts
              and x.ip_facts.latitude is not None and x.key != s.key]
    if not before:
        return _ind("travel", "possible", label, s.ip_facts.city or s.ip_facts.country_iso or "-",
                    msg("no earlier located login"), "unknown", msg("No earlier session with a known location."))
    prev = before[-1]
    km = km_between(prev.ip_facts, s.ip_facts)
    radii = float(prev.ip_facts.accuracy_radius or 0) + float(s.ip_facts.accuracy_radius or 0)
    apart = max(0.0, km - radii)
    hours = max((s.start - prev.start).total_seconds() / 3600, 1e-6)
    speed = apart / hours
    observed = msg("{km} km in {h} h ({speed} km/h); accuracy radii {r} km together",
                   km=round(km), h=round(hours, 1), speed=round(speed), r=round(radii))
    base = msg("previous login {when} from {where}", when=iso(prev.start), where=network_label(prev.ip_facts))
    ev = [_opener(prev), _opener(s)]
    data = dict(km=km, km_beyond_accuracy=apart, accuracy_radii_km=radii, hours=hours, kmh=speed)
    if apart >= float(rules["min_travel_km"]) and speed > float(rules["max_travel_kmh"]):
        here = _continuity_of(ctx).conclusion
        there = continuity(ctx, prev.ip_facts, prev.start, exclude=prev.key).conclusion
        if here == "holder_network" and there != "holder_network":
            return _ind("travel", "previous_not_holder", label, observed, base, "partial",
                        msg("Nobody travels {km} km in {h} hours, but the previous login came from a network the "
                            "holder never made his own, and this one from the holder's network: the journey speaks "
                            "against that earlier login, not this one.", km=round(apart), h=round(hours, 1)),
                        ev, **data)
        return _ind("travel", "impossible", label, observed, base, "mismatch",
                    msg("Nobody travels {km} km in {h} hours (beyond the locations' accuracy radii): two different "
                        "people, or an anonymiser.", km=round(apart), h=round(hours, 1)), ev, **data)
    return _ind("travel", "possible", label, observed, base, "match",
                msg("The distance from the previous login could be travelled in the time between them (accuracy "
                    "radii of the locations included)."), ev, **data)


# -- prior activity --------------------------------------------------------------------
def prior_activity(ctx: Context) -> Indicator:
    rule = ctx.config["prior_activity"]
    s = ctx.session
    label = msg("Prior undisputed activity (compelling evidence)")
    base = msg("at least {n} undisputed sessions {lo}–{hi} days before, matching on at least {k} identifiers incl. "
               "address or device", n=rule["min_sessions"], lo=rule["min_days"], hi=rule["max_days"],
               k=rule["min_identifiers"])
    if s is None:
        return _ind("prior_activity", "absent", label, msg("no session"), base, "unknown", msg("No session to compare."))
    lines = []
    by_address = False
    for row in ctx.history:
        if row.counts_for_prior_activity:
            lines.append(f"{iso(row.session.start)} ({', '.join(identifiers_of(row, s))})")
            by_address |= row.same_ip in ("same", "partial")
    ev = [_opener(x) for x in ctx.prior]
    n = len(ctx.prior)
    if n >= int(rule["min_sessions"]):
        observed = msg("{n} qualifying sessions: {list}", n=n, list="; ".join(lines[:5]))
        if by_address:
            return _ind("prior_activity", "address_and_device", label, observed, base, "match",
                        msg("{n} earlier undisputed sessions {lo} to {hi} days before match this one on address or "
                            "device and login: the same person (the address is the fact that weighs).", n=n,
                            lo=rule["min_days"], hi=rule["max_days"]), ev, sessions=n)
        return _ind("prior_activity", "device_only", label, observed, base, "match",
                    msg("{n} earlier undisputed sessions {lo} to {hi} days before match this one only on the browser "
                        "string and the login name, both copyable: counted once, with the browser.", n=n,
                        lo=rule["min_days"], hi=rule["max_days"]), ev, sessions=n)
    t = ctx.action.ts
    problems = ctx.coverage.problems("panel", t - dt.timedelta(days=float(rule["max_days"])),
                                     t - dt.timedelta(days=float(rule["min_days"])))
    if problems:
        return _ind("prior_activity", "absent", label, msg("{n} qualifying sessions", n=n), join(problems), "unknown",
                    msg("The panel log does not reach back far enough to apply the rule: {problems}.",
                        problems=join(problems)), ev, sessions=n)
    return _ind("prior_activity", "absent", label, msg("{n} qualifying sessions", n=n), base, "absent",
                msg("Not enough earlier undisputed sessions match this one to apply the rule."), ev, sessions=n)


# -- hour of day --------------------------------------------------------------------------
def _zone(ctx: Context) -> ZoneInfo | None:
    zones = [x.ip_facts.time_zone for x in ctx.baseline if x.ip_facts and x.ip_facts.time_zone]
    name = max(set(zones), key=zones.count) if zones else None
    try:
        return ZoneInfo(name) if name else None
    except (KeyError, ValueError):
        return None


def hour_of_day(ctx: Context) -> Indicator:
    s = ctx.session
    rules = ctx.config["hour_of_day"]
    label = msg("Hour of day against the holder's activity")
    if s is None:
        return _ind("hour_of_day", "unknown", label, msg("no session"), "-", "unknown", msg("No session."))
    need = int(rules["min_sessions"])
    if len(ctx.baseline) < need:
        return _ind("hour_of_day", "unknown", label, iso(s.start), msg("at least {n} earlier sessions", n=need),
                    "unknown", msg("Too few earlier sessions for an activity profile."))
    tz = _zone(ctx)
    zone_name = str(tz) if tz else "UTC"

    def hour(t):
        return (t.astimezone(tz) if tz else t).hour

    h = hour(s.start)
    hours = [hour(x.start) for x in ctx.baseline]
    window = int(rules["window_hours"])
    near = sum(1 for x in hours if min((x - h) % 24, (h - x) % 24) <= window)
    share = near / len(hours)
    observed = msg("{h}:00–{h}:59 ({zone})", h=f"{h:02d}", zone=zone_name)
    base = msg("{near} of the holder's {n} earlier session {within_hours} of it",
               "{near} of the holder's {n} earlier sessions {within_hours} of it", near=near, n=len(hours),
               within_hours=msg("within {n} hour", "within {n} hours", n=window))
    if share < float(rules["min_share"]):
        return _ind("hour_of_day", "unusual", label, observed, base, "mismatch",
                    msg("The holder is rarely active at this hour ({near} of {n} sessions): a hint, not a proof.",
                        near=near, n=len(hours)), [_opener(s)], share=share, zone=zone_name)
    return _ind("hour_of_day", "usual", label, observed, base, "match",
                msg("An hour the holder is usually active at ({near} of {n} sessions).", near=near, n=len(hours)),
                share=share, zone=zone_name)


# -- click-stream -----------------------------------------------------------------------
def _path_only(url):
    if not isinstance(url, str) or not url or url == "-":   # None when the log had none
        return None
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return None


def holder_scripted(ctx: Context) -> bool:
    """Whether the holder's own history is scripted (see [clickstream] scripted_login_to_action_seconds)."""
    rules = ctx.config["clickstream"]
    limit = dt.timedelta(seconds=float(rules["scripted_login_to_action_seconds"]))
    fast = sum(1 for b in ctx.baseline if b.login is not None and b.actions and b.actions[0].ts - b.login.ts < limit)
    return fast >= int(rules["min_scripted_sessions"])


def clickstream(ctx: Context) -> tuple[Indicator, list[Click], str]:
    s = ctx.session
    rules = ctx.config["clickstream"]
    label = msg("Click-stream")
    if s is None:
        return _ind("clickstream", "unknown", label, msg("no session"), "-", "unknown", msg("No session.")), [], "unknown"
    reqs = ctx.requests
    if not reqs:
        problems = ctx.coverage.problems("http", s.start, s.end or s.start)
        why = join(problems) if problems else msg("the access log has no request of this session")
        return _ind("clickstream", "unknown", label, msg("no requests"), "-", "unknown",
                    msg("No click-stream: {why}.", why=why), data_problems=problems), [], "unknown"
    suffixes = tuple(x.lower() for x in rules["asset_suffixes"])
    reqs = sorted(reqs, key=lambda r: (r["ts"], r["source_id"], r["line_no"]))
    is_asset = [str(r["http_path"] if r["http_path"] is not None else "").split("?", 1)[0].lower().endswith(suffixes)
                for r in reqs]
    think_all = [None] + [(b["ts"] - a["ts"]).total_seconds() for a, b in zip(reqs, reqs[1:])]
    pages = [i for i, asset in enumerate(is_asset) if not asset]   # positions in reqs
    think = [(reqs[b]["ts"] - reqs[a]["ts"]).total_seconds() for a, b in zip(pages, pages[1:])]
    n_pages, n_assets = len(pages), sum(is_asset)
    median = float(statistics.median(think)) if len(think) else None
    cv = (float(statistics.pstdev(think) / statistics.mean(think))
          if len(think) >= 2 and statistics.mean(think) > 0 else None)
    # The request that carried out the action: the nearest POST (else any page) to the audit time.
    window = dt.timedelta(seconds=float(rules["action_match_seconds"]))
    near = [i for i in pages if abs(reqs[i]["ts"] - ctx.action.ts) <= window]
    action_idx = None
    if near:
        posts = [i for i in near if (reqs[i]["method"] or "").upper() == "POST"]
        cand = posts or near
        action_idx = min(cand, key=lambda i: abs(reqs[i]["ts"] - ctx.action.ts))   # the first of equals
    chain_ok, confirm_path = None, None
    if action_idx is not None:
        before = [i for i in pages if i < action_idx]
        act = reqs[action_idx]
        if before:
            confirm_path = reqs[before[-1]]["http_path"]
            chain_ok = _path_only(act["referrer"]) == _path_only(confirm_path) and _path_only(act["referrer"]) is not None
    ua = ctx.facts.browser(s.user_agent)
    automation = ua.automation_class if ua else None
    min_pages = int(rules["min_page_requests"])
    data = dict(page_requests=n_pages, asset_requests=n_assets, median_think_s=median, pacing_cv=cv,
                referrer_chain_ok=chain_ok, confirmation_page=confirm_path,
                action_request=int(reqs[action_idx]["event_id"]) if action_idx is not None else None,
                joined_by=sorted({r["joined_by"] for r in reqs}) if "joined_by" in reqs[0] else [])
    chain = msg("yes") if chain_ok else (msg("no") if chain_ok is False else msg("not seen"))
    observed = msg("{pages} pages, {assets} static assets, median think time {median}, referrer chain through the "
                   "confirmation page: {chain}", pages=n_pages, assets=n_assets,
                   median="-" if median is None else Number(median, 1, " s"), chain=chain)
    base = msg("human: assets loaded, median think time at least {s} s, referrer chain intact; automated: automation "
               "client, or faster/more regular than a person", s=rules["min_human_think_seconds"])
    # Excerpt: the requests leading up to the action and a few after it.
    cut = (next(i for i, r in enumerate(reqs) if r["event_id"] == data["action_request"]) + 3) \
        if action_idx is not None else len(reqs)
    first = max(0, cut - int(rules["excerpt_requests"]))
    excerpt = [Click(ref=ref(r), think_time_s=think_all[first + i], is_asset=is_asset[first + i])
               for i, r in enumerate(reqs[first:cut])]
    evidence_refs = [c.ref for c in excerpt if not c.is_asset][-6:]
    automated_history = any(x.browser and x.browser.automation_class == automation for x in ctx.baseline) \
        if automation in ("headless", "library") else False
    if automation in ("headless", "library") or (n_pages >= min_pages and median is not None
                                                 and median < float(rules["min_human_think_seconds"])) \
            or (n_pages > min_pages and cv is not None and cv < float(rules["max_regular_pacing_cv"]) and n_assets == 0):
        why = (msg("the client is {tool}", tool=ua.automation_tool or automation) if automation in ("headless", "library")
               else msg("pages followed each other every {s} s (median)", s=Number(median, 2)) if median is not None
               and median < float(rules["min_human_think_seconds"]) else msg("the pacing is as regular as a timer"))
        scripted = holder_scripted(ctx)
        if automated_history or is_api(s) or scripted:
            conclusion = "automated_as_usual"
            text = msg("A program, not a person, made these requests ({why}), as the account's own automation does.",
                       why=why)
        elif automation not in ("headless", "library"):
            conclusion = "automated_browser"
            text = msg("A program, not a person, made these requests ({why}), behind a browser's User-Agent; the "
                       "holder's own sessions were never scripted.", why=why)
        else:
            conclusion = "automated"
            text = msg("A program, not a person, made these requests: {why}.", why=why)
        return _ind("clickstream", conclusion, label, observed, base, "mismatch", text, evidence_refs,
                    holder_scripted=scripted, **data), excerpt, "automated"
    if n_pages >= min_pages and n_assets > 0 and median is not None \
            and median >= float(rules["min_human_think_seconds"]) and chain_ok:
        # A person, not a program: that rules out a script, not another person.
        return _ind("clickstream", "human", label, observed, base, "match",
                    msg("A person clicked through the panel: pages with their images and styles, pauses of {s} s "
                        "(median) to read, and the action confirmed from the confirmation page ({page}).",
                        s=Number(median, 0), page=confirm_path), evidence_refs, **data), excerpt, "human"
    return _ind("clickstream", "unknown", label, observed, base, "unknown",
                msg("The requests of this session are too few or too mixed for a verdict."), evidence_refs, **data), \
        excerpt, "unknown"


# -- session consistency -------------------------------------------------------------------
def session_consistency(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("Session consistency (stolen session cookie)")
    if s is None or not s.ip:
        return _ind("session_consistency", "unknown", label, msg("no session"), "-", "unknown",
                    msg("No session to check."))
    foreign, benign = [], []
    base_b = s.browser.fingerprint_family if s.browser else None

    def judge(ip, ua, r):
        if ip == s.ip and (ua is None or ua == s.user_agent):
            return
        f = ctx.facts.ip_facts(ip)
        b = ctx.facts.browser(ua) if ua else None
        same_range = (f and s.ip_facts and ((f.prefix and f.prefix == s.ip_facts.prefix)
                                              or (_net(f) and _net(f) == _net(s.ip_facts))))
        same_browser = ua is None or ua == s.user_agent or (b and base_b and b.fingerprint_family == base_b)
        (benign if (same_range and same_browser) else foreign).append(r)

    for a in s.actions:
        if a.ip:
            judge(a.ip, a.user_agent, a)
    reqs = ctx.requests
    carried = [r for r in reqs or () if r["joined_by"] == "session id"]
    if carried:
        for r in carried:
            judge(r.get("ip"), r.get("user_agent"), ref(r))
    observed_ips = sorted({x.ip for x in foreign})
    base = msg("login from {where} with {browser}", where=network_label(s.ip_facts),
               browser=s.browser.label if s.browser else msg("unknown browser"))
    if foreign:
        labels = join([network_label(ctx.facts.ip_facts(i)) for i in observed_ips], "; ")
        return _ind("session_consistency", "foreign_use", label,
                    msg("{n} request from {where}", "{n} requests from {where}", n=len(foreign), where=labels), base, "mismatch",
                    msg("The session that the holder's login opened was used from another network or browser: its "
                        "session cookie was taken over."), ([_opener(s)]) + foreign[:5], foreign_ips=observed_ips)
    if benign:
        return _ind("session_consistency", "consistent", label,
                    msg("{n} request from a neighbouring address", "{n} requests from a neighbouring address",
                        n=len(benign)), base, "partial",
                    msg("The session moved within the same address range and browser (a re-assigned home or mobile "
                        "address)."), benign[:3])
    where = (msg("all panel events and access-log requests carrying the session id from the login's address and "
                 "browser") if carried
             else msg("all panel events from the login's address and browser"))
    return _ind("session_consistency", "consistent", label, where, base, "match",
                msg("Every request of the session came from the address and browser that logged in."))


# -- staff -------------------------------------------------------------------------------
def staff_activity(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    hours = float(ctx.config["staff"]["window_hours"])
    label = msg("Staff activity around the action")
    t = ctx.action.ts
    p = _cached(ctx, "staff", lambda: [r for r in ctx.panel if r["actor"] == "staff" or r["auth"] == "impersonation"
                                       or (r["event"] or "").startswith("impersonate")])
    span = dt.timedelta(hours=hours)
    staff = [ref(r) for r in p if abs(r["ts"] - t) <= span]
    window = msg("±{h} hours", h=f"{hours:g}")
    if not staff:
        return _ind("staff_activity", "none", label, msg("none"), window, "absent",
                    msg("No provider staff worked on the account around the action.")), []
    who = sorted({r.user for r in staff if r.user})
    return _ind("staff_activity", "present", label,
                msg("{n} staff event by {who}", "{n} staff events by {who}", n=len(staff), who=", ".join(who) or msg("unnamed staff")), window,
                "partial", msg("Provider staff worked on the account around the action (listed)."),
                staff[:10], staff=who), staff


# -- baseline size ---------------------------------------------------------------------------
def baseline_size(ctx: Context) -> Indicator:
    n = len(ctx.baseline)
    need = int(ctx.config["baseline"]["min_sessions"])
    label = msg("Size of the history")
    observed = msg("{n} earlier sessions", n=n)
    base = msg("at least {n}", n=need)
    if n >= need:
        return _ind("baseline_size", "enough", label, observed, base, "match",
                    msg("{n} earlier session to compare with: enough for the comparisons above.",
                        "{n} earlier sessions to compare with: enough for the comparisons above.", n=n), sessions=n)
    return _ind("baseline_size", "thin", label, observed, base, "absent" if n == 0 else "partial",
                msg("Only {n} earlier session to compare with: the browser and address comparisons carry little "
                    "weight.",
                    "Only {n} earlier sessions to compare with: the browser and address comparisons carry little "
                    "weight.", n=n), sessions=n)


# -- API keys ------------------------------------------------------------------------------------
def api_key_usage(ctx: Context) -> Indicator:
    s = ctx.session
    label = msg("API key usage")
    key = s.user or "(unnamed key)"
    net = _net(s.ip_facts)
    observed = msg("key {key} from {where}", key=key, where=network_label(s.ip_facts))
    same_key = [x for x in ctx.baseline if x.user == s.user]
    key_nets = {_net(x.ip_facts) for x in same_key}
    api_nets = {_net(x.ip_facts) for x in ctx.baseline}
    holder_nets = {_net(x.ip_facts) for x in ctx.sessions if x.start < s.start and x.actor == "customer"
                   and x.login is not None and x.auth != "impersonation"}
    base = msg("{n} earlier use of this key from {networks}", "{n} earlier uses of this key from {networks}",
               n=len(same_key),
               networks=", ".join(sorted(n for n in key_nets if n)) or msg("nowhere"))
    if net in key_nets:
        n = sum(1 for x in same_key if _net(x.ip_facts) == net)
        return _ind("api_key_usage", "known_network", label, observed, base, "match",
                    msg("The key was used from the same network as {n} earlier use: the holder's own automation.",
                        "The key was used from the same network as {n} earlier uses: the holder's own automation.",
                        n=n), [same_key[-1].actions[0]] if same_key[-1].actions else [], earlier_uses=len(same_key))
    if net in api_nets:
        return _ind("api_key_usage", "account_network", label, observed, base, "partial",
                    msg("Another of the account's API keys was used from this network before."),
                    earlier_uses=len(same_key))
    if net in holder_nets:
        return _ind("api_key_usage", "holder_login_network", label, observed, base, "partial",
                    msg("The key was used from a network the holder logs in from, but never for API calls before."),
                    earlier_uses=len(same_key))
    if not ctx.baseline and not holder_nets:
        return _ind("api_key_usage", "unknown", label, observed, msg("no earlier use"), "unknown",
                    msg("The account has no earlier activity to compare the key's use with."), earlier_uses=0)
    return _ind("api_key_usage", "leaked", label, observed, base, "mismatch",
                msg("The API key was used from a network the account has never used: the key has leaked."),
                earlier_uses=len(same_key))
