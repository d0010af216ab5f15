"""The indicators: one small function per question asked of a disputed action.

Each returns an `Indicator` with the observed value, the baseline it was
compared with, a result (match | partial | mismatch | absent | unknown), the
way it points (holder | other | neutral) and one plain-English sentence.
`data["weight"]` is "strong" for the few facts that on their own point to
another party (see assess.py), "weak" otherwise; `data["identity"]` marks the
indicators that identify the holder (browser, address, prior activity, API
key usage), which `account_holder` needs.  Thresholds: forensics/thresholds.toml.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd

from forensics.investigate.coverage import Coverage
from forensics.investigate.evidence import Facts, km_between, network_key, network_label, ref
from forensics.investigate.history import identifiers_of, is_api
from forensics.investigate.model import Click, EventRef, HistoryRow, Indicator, Session
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
    requests: pd.DataFrame
    failures: pd.DataFrame
    panel: pd.DataFrame
    facts: Facts
    coverage: Coverage
    config: dict
    isp_available: bool
    disputed_keys: set = field(default_factory=set)
    shared: dict = field(default_factory=dict)   # per-run cache shared by the findings (filtered frames)


def _cached(ctx: Context, key: str, make):
    if key not in ctx.shared:
        ctx.shared[key] = make()
    return ctx.shared[key]


def _ind(name, label, observed, baseline, result, direction, explanation, evidence=(), *,
         weight="weak", identity=False, **data) -> Indicator:
    return Indicator(name=name, label=label, observed=observed, baseline=baseline, result=result,
                     direction=direction, explanation=explanation, evidence=[e for e in evidence if e is not None],
                     data={"weight": weight, "identity": identity, **data})


def _net(facts) -> str | None:
    """Network identity of an address: its ISP/ASN network, else its prefix."""
    if facts is None:
        return None
    return network_key(facts) or facts.prefix or facts.ip


def _opener(s: Session | None) -> EventRef | None:
    """The event that opened a session: its login, else (API calls) its first event."""
    if s is None:
        return None
    return s.login or (s.actions[0] if s.actions else None)


def _plural(n, word):
    if n == 1:
        return f"{n} {word}"
    return f"{n} {word}" + ("es" if word.endswith("s") else "s")


# -- credential -----------------------------------------------------------------
def credential(ctx: Context) -> Indicator:
    s = ctx.session
    auth = s.auth if s else None
    seen = sorted({b.auth for b in ctx.baseline if b.auth})
    evidence = [s.login] if s and s.login else []
    base = ", ".join(seen) or "no earlier sessions"
    if auth is None:
        return _ind("credential", "Credential used", "not logged", base, "unknown", "neutral",
                    "The panel log does not say how this session was authenticated.", evidence)
    if auth == "impersonation":
        return _ind("credential", "Credential used", "staff impersonation", base, "mismatch", "other",
                    f"The session was opened by provider staff ({s.user}) impersonating the account, "
                    "not with the account's own credentials.", evidence, weight="staff")
    if auth == "password+mfa":
        return _ind("credential", "Credential used", "password and second factor (MFA)", base, "match", "holder",
                    "The login needed the account's password and its second factor, which only the holder "
                    "should have.", evidence, identity=True)
    result = "match" if auth in seen else ("absent" if not seen else "partial")
    words = {"password": "the account's own password", "api_key": "one of the account's API keys",
             "sso": "the account's single sign-on identity"}.get(auth, auth)
    return _ind("credential", "Credential used", auth, base, result, "neutral",
                f"The session was opened with {words}: either the holder or someone who had it "
                f"(this method {'was' if auth in seen else 'was not'} used in earlier sessions).", evidence)


# -- failed logins --------------------------------------------------------------
def failed_logins(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    s = ctx.session
    rules = ctx.config["failed_logins"]
    windows = [int(h) for h in rules["windows_hours"]]
    if s is None:
        return _ind("failed_logins", "Failed logins before the session", "no session", "-", "unknown",
                    "neutral", "Without a login there is no 'before the session' to look at."), []
    start = s.start
    widest = start - dt.timedelta(hours=max(windows))
    f = ctx.failures
    f = f[(f["ts"] >= pd.Timestamp(widest)) & (f["ts"] < pd.Timestamp(start))] if not f.empty else f
    counts = {}
    for h in windows:
        w = f[f["ts"] >= pd.Timestamp(start - dt.timedelta(hours=h))] if not f.empty else f
        counts[f"{h}h"] = {
            "panel_account": int(((w["source_kind"] == "panel") & (w["account"] == s.account)).sum()) if not w.empty else 0,
            "panel_from_address": int(((w["source_kind"] == "panel") & (w["ip"] == s.ip)).sum()) if not w.empty else 0,
            "ssh": int((w["source_kind"] == "ssh").sum()) if not w.empty else 0,
        }
    problems = ctx.coverage.problems("panel", widest, start)
    ssh_problems = ctx.coverage.problems("ssh", widest, start)
    evidence = [ref(r) for r in f.to_dict("records")]
    observed = "; ".join(f"last {k}: {v['panel_account']} panel (account), {v['panel_from_address']} panel "
                         f"(from {s.ip}), {v['ssh']} sshd" for k, v in counts.items())
    n = len(f)
    sources = sorted({i for i in f["ip"].dropna()}) if n else []
    min_gap = None
    if n >= 2:
        diffs = f["ts"].sort_values().diff().dt.total_seconds().dropna()
        min_gap = float(diffs.min())
    brute = n >= int(rules["brute_force_min_failures"]) or len(sources) >= int(rules["brute_force_min_sources"]) \
        or (n >= 3 and min_gap is not None and min_gap < float(rules["brute_force_min_interval_seconds"]))
    data = dict(counts=counts, failures=n, sources=sources, min_interval_s=min_gap, brute_force=brute,
                coverage_problems=problems + [p for p in ssh_problems if "no sshd" not in p])
    caveat = ""
    if ssh_problems:
        caveat = " (sshd: " + "; ".join(ssh_problems) + ")"
    if n == 0:
        if problems:
            return _ind("failed_logins", "Failed logins before the session", "none found", "; ".join(problems),
                        "unknown", "neutral", "No failed login was found, but the panel log is not complete for "
                        "the week before the login: " + "; ".join(problems) + ".", [], **data), []
        return _ind("failed_logins", "Failed logins before the session", "none",
                    f"the panel log is complete for the {max(windows)} hours before the login{caveat}", "absent",
                    "holder", f"No failed login for the account or from {s.ip} in the week before the login: "
                    "no one was guessing the credentials.", [], **data), evidence
    recent = int((f["ts"] >= pd.Timestamp(start - dt.timedelta(minutes=float(rules['success_after_failures_minutes'])))).sum())
    if brute and (s.ip in sources) and recent:
        return _ind("failed_logins", "Failed logins before the session", observed,
                    f"brute-force rule: ≥{rules['brute_force_min_failures']} failures, ≥{rules['brute_force_min_sources']} "
                    f"addresses or pacing under {rules['brute_force_min_interval_seconds']} s",
                    "mismatch", "other", f"{_plural(n, 'failed login')} from {_plural(len(sources), 'address')} "
                    f"preceded this login, and the login succeeded from {s.ip}, one of the attacking addresses: "
                    "the password was guessed.", evidence, weight="strong", **data), evidence
    if brute:
        return _ind("failed_logins", "Failed logins before the session", observed, "brute-force rule", "mismatch",
                    "other", f"The account was under attack before this login ({_plural(n, 'failure')} from "
                    f"{_plural(len(sources), 'address')}), although not from the login's own address.",
                    evidence, **data), evidence
    return _ind("failed_logins", "Failed logins before the session", observed, "brute-force rule", "partial",
                "neutral", f"{_plural(n, 'failed login')} before the session, fewer than an attack makes "
                "(a mistyped password looks like this).", evidence, **data), evidence


# -- account changes -------------------------------------------------------------
def account_changes(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    rules = ctx.config["account_changes"]
    t = ctx.action.ts
    since = t - dt.timedelta(hours=float(rules["lookback_hours"]))
    p = _cached(ctx, "changes", lambda: ctx.panel[ctx.panel["event"].isin(rules["changes"])])
    rows = p[(p["ts"] >= pd.Timestamp(since)) & (p["ts"] < pd.Timestamp(t)) & (p["event_id"] != ctx.action.event_id)]
    changes = [ref(r) for r in rows.to_dict("records")]
    if not changes:
        return _ind("account_changes", "Account changes before the action", "none",
                    f"{rules['lookback_hours']} hours before the action", "absent", "neutral",
                    "No password, e-mail, MFA or API-key change preceded the action."), []
    strong, lines = [], []
    for c in changes:
        facts = ctx.facts.ip_facts(c.ip)
        earlier = [s for s in ctx.sessions if s.start < c.ts and s.login is not None and s.actor == "customer"
                   and s.auth != "impersonation" and s.key not in ctx.disputed_keys]
        known_nets = {_net(s.ip_facts) for s in earlier} - {None}
        known_countries = {s.ip_facts.country_iso for s in earlier if s.ip_facts} - {None}
        where = network_label(facts) if c.ip else "no address logged"
        if c.ip and earlier and _net(facts) not in known_nets:
            country_new = facts.country_iso and facts.country_iso not in known_countries
            strong.append(c)
            lines.append(f"{c.event} at {iso(c.ts)} from {where}: a network never used by this account before"
                         + (" and a new country" if country_new else ""))
        else:
            lines.append(f"{c.event} at {iso(c.ts)} from {where}"
                         + (": a network the holder used before" if c.ip and earlier else ""))
    if strong:
        return _ind("account_changes", "Account changes before the action", "; ".join(lines),
                    "networks of the account's earlier sessions", "mismatch", "other",
                    "Credentials or contact data were changed shortly before the action from a network the "
                    "account had never used: the classic takeover sequence.", changes, weight="strong"), changes
    return _ind("account_changes", "Account changes before the action", "; ".join(lines),
                "networks of the account's earlier sessions", "partial", "neutral",
                "The account was changed shortly before the action, from where the holder usually works.",
                changes), changes


# -- browser ---------------------------------------------------------------------
def browser_fingerprint(ctx: Context) -> Indicator:
    s = ctx.session
    label = "Browser fingerprint"
    if s is None or not s.user_agent:
        return _ind("browser_fingerprint", label, "not logged", "-", "unknown", "neutral",
                    "The login carries no User-Agent to compare.")
    b = s.browser
    observed = f"{b.label} ({s.user_agent})"
    if not ctx.baseline:
        return _ind("browser_fingerprint", label, observed, "no earlier sessions", "unknown", "neutral",
                    "There are no earlier sessions to compare the browser with.", [_opener(s)])
    exact = [x for x in ctx.baseline if x.user_agent == s.user_agent]
    family = [x for x in ctx.baseline if x.browser and b.fingerprint_family
              and x.browser.fingerprint_family == b.fingerprint_family]
    seen = sorted({x.browser.label for x in ctx.baseline if x.browser})
    base = f"{_plural(len(ctx.baseline), 'earlier session')}: " + "; ".join(seen[:5])
    ev = [_opener(s)]
    if b.automation_class in ("headless", "library") and not exact and not family:
        return _ind("browser_fingerprint", label, observed, base, "mismatch", "other",
                    f"The session was driven by {b.automation_tool or 'an automation tool'} "
                    f"({b.automation_class}), which this account never used before.", ev,
                    automation_class=b.automation_class)
    if exact:
        return _ind("browser_fingerprint", label, observed, base, "match", "holder",
                    f"Exactly the browser of {_plural(len(exact), 'earlier session')} of the account.",
                    ev + [_opener(exact[-1])], identity=True, exact=len(exact), family=len(family))
    if family:
        majors = sorted({x.browser.browser_major for x in family if x.browser.browser_major})
        return _ind("browser_fingerprint", label, observed, base, "partial", "holder",
                    f"The same browser as {_plural(len(family), 'earlier session')} ({b.browser_family} on "
                    f"{b.os_family}), updated: earlier versions {', '.join(majors)}, now {b.browser_major}.",
                    ev + [_opener(family[-1])], identity=True, exact=0, family=len(family))
    return _ind("browser_fingerprint", label, observed, base, "mismatch", "other",
                "A browser never seen in the account's earlier sessions.", ev, exact=0, family=0)


# -- address -------------------------------------------------------------------------
def network(ctx: Context) -> Indicator:
    s = ctx.session
    label = "Address and network"
    if s is None or not s.ip:
        return _ind("network", label, "no address", "-", "unknown", "neutral", "The login carries no address.")
    observed = network_label(s.ip_facts)
    if not ctx.baseline:
        return _ind("network", label, observed, "no earlier sessions", "unknown", "neutral",
                    "There are no earlier sessions to compare the address with.")
    rows = ctx.history
    ev = [_opener(s)]
    nets = sorted({network_label(x.ip_facts) for x in ctx.baseline})
    base = f"{_plural(len(ctx.baseline), 'earlier session')} from: " + "; ".join(nets[:5])
    same_ip = [r for r in rows if r.same_ip == "same"]
    same_prefix = [r for r in rows if r.same_ip == "partial"]
    same_net = [r for r in rows if r.same_network == "same"]
    same_country = [r for r in rows if r.same_country == "same"]
    counts = dict(same_ip=len(same_ip), same_prefix=len(same_prefix), same_network=len(same_net),
                  same_country=len(same_country), isp_data=ctx.isp_available)
    if same_ip:
        return _ind("network", label, observed, base, "match", "holder",
                    f"The same address as {_plural(len(same_ip), 'earlier session')}.",
                    ev + [_opener(same_ip[0].session)], identity=True, **counts)
    if same_prefix:
        return _ind("network", label, observed, base, "match", "holder",
                    f"The same address range ({s.ip_facts.prefix}) as {_plural(len(same_prefix), 'earlier session')}.",
                    ev + [_opener(same_prefix[0].session)], identity=True, **counts)
    if same_net:
        return _ind("network", label, observed, base, "partial", "holder",
                    f"The same ISP's range ({network_key(s.ip_facts)}, {s.ip_facts.isp or s.ip_facts.as_org}) as "
                    f"{_plural(len(same_net), 'earlier session')}.", ev + [_opener(same_net[0].session)],
                    identity=True, **counts)
    if not ctx.isp_available:
        return _ind("network", label, observed, base, "unknown", "neutral",
                    "A new address range; no ISP data was available, so only prefixes could be compared.", ev,
                    **counts)
    if all(r.same_network == "unknown" for r in rows):
        return _ind("network", label, observed, base, "unknown", "neutral",
                    "A new address range; the GeoIP databases know no network for this address or the earlier "
                    "ones, so only prefixes could be compared.", ev, **counts)
    if same_country:
        return _ind("network", label, observed, base, "partial", "neutral",
                    "A network the account never used, in a country it logged in from before.", ev, **counts)
    return _ind("network", label, observed, base, "mismatch", "other",
                "A network and a country never seen in the account's earlier sessions.", ev, **counts)


def anonymiser(ctx: Context) -> Indicator:
    s = ctx.session
    label = "Anonymiser or hosting address"
    if s is None or not s.ip:
        return _ind("anonymiser", label, "no address", "-", "unknown", "neutral", "The login carries no address.")
    flags = s.ip_facts.anonymiser if s.ip_facts else []
    usual = sorted({f for x in ctx.baseline if x.ip_facts for f in x.ip_facts.anonymiser})
    if not ctx.isp_available:
        return _ind("anonymiser", label, "no data", "-", "unknown", "neutral",
                    "No GeoIP data was available to tell VPN, hosting, Tor or proxy addresses.")
    if not flags:
        return _ind("anonymiser", label, "no flag", ", ".join(usual) or "none", "match", "neutral",
                    "The address is not known as a VPN, hosting, Tor or proxy address.")
    if set(flags) <= set(usual):
        return _ind("anonymiser", label, ", ".join(flags), ", ".join(usual), "partial", "neutral",
                    f"The address is flagged ({', '.join(flags)}), as were earlier sessions of the holder.")
    api_hosting = is_api(s) and flags == ["hosting"]
    if api_hosting:
        return _ind("anonymiser", label, ", ".join(flags), ", ".join(usual) or "none", "partial", "neutral",
                    "An API client running in a data centre: usual for scripts, notable only with other signs.")
    return _ind("anonymiser", label, ", ".join(flags), ", ".join(usual) or "none", "mismatch", "other",
                f"The address is a {'/'.join(flags)} address, which hides who is behind it; the holder's "
                "earlier sessions did not use one.", [_opener(s)])


def travel(ctx: Context) -> Indicator:
    s = ctx.session
    label = "Travel speed since the previous login"
    rules = ctx.config["network"]
    if s is None or s.ip_facts is None or s.ip_facts.latitude is None:
        return _ind("travel", label, "no location", "-", "unknown", "neutral",
                    "No location is known for the login's address.")
    before = [x for x in ctx.sessions if x.start < s.start and x.login is not None and x.ip_facts
              and x.ip_facts.latitude is not None and x.key != s.key]
    if not before:
        return _ind("travel", label, s.ip_facts.city or s.ip_facts.country_iso or "-", "no earlier located login",
                    "unknown", "neutral", "No earlier session with a known location.")
    prev = before[-1]
    km = km_between(prev.ip_facts, s.ip_facts)
    hours = max((s.start - prev.start).total_seconds() / 3600, 1e-6)
    speed = km / hours
    observed = f"{km:.0f} km in {hours:.1f} h ({speed:.0f} km/h)"
    base = f"previous login {iso(prev.start)} from {network_label(prev.ip_facts)}"
    ev = [_opener(prev), _opener(s)]
    if km >= float(rules["min_travel_km"]) and speed > float(rules["max_travel_kmh"]):
        return _ind("travel", label, observed, base, "mismatch", "other",
                    f"Nobody travels {km:.0f} km in {hours:.1f} hours: two different people, or an anonymiser.",
                    ev, km=km, hours=hours, kmh=speed)
    return _ind("travel", label, observed, base, "match", "neutral",
                "The distance from the previous login could be travelled in the time between them.", ev,
                km=km, hours=hours, kmh=speed)


# -- prior activity --------------------------------------------------------------------
def prior_activity(ctx: Context) -> Indicator:
    rule = ctx.config["prior_activity"]
    s = ctx.session
    label = "Prior undisputed activity (compelling evidence)"
    base = (f"≥{rule['min_sessions']} undisputed sessions {rule['min_days']}–{rule['max_days']} days before, "
            f"matching on ≥{rule['min_identifiers']} identifiers incl. address or device")
    if s is None:
        return _ind("prior_activity", label, "no session", base, "unknown", "neutral", "No session to compare.")
    lines = []
    for row in ctx.history:
        if row.counts_for_prior_activity:
            lines.append(f"{iso(row.session.start)} ({', '.join(identifiers_of(row, s))})")
    ev = [_opener(x) for x in ctx.prior]
    n = len(ctx.prior)
    if n >= int(rule["min_sessions"]):
        return _ind("prior_activity", label, f"{n} qualifying sessions: " + "; ".join(lines[:5]), base, "match",
                    "holder", f"{_plural(n, 'earlier undisputed session')} {rule['min_days']} to {rule['max_days']} "
                    "days before match this one on address or device and login: the same person.", ev,
                    identity=True, sessions=n)
    t = ctx.action.ts
    problems = ctx.coverage.problems("panel", t - dt.timedelta(days=float(rule["max_days"])),
                                     t - dt.timedelta(days=float(rule["min_days"])))
    if problems:
        return _ind("prior_activity", label, f"{n} qualifying sessions", "; ".join(problems), "unknown", "neutral",
                    "The panel log does not reach back far enough to apply the rule: " + "; ".join(problems) + ".",
                    ev, sessions=n)
    return _ind("prior_activity", label, f"{n} qualifying sessions", base, "absent", "neutral",
                "Not enough earlier undisputed sessions match this one to apply the rule.", ev, sessions=n)


# -- click-stream -----------------------------------------------------------------------
def _path_only(url):
    if not isinstance(url, str) or not url or url == "-":   # NaN from pandas when the log had none
        return None
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return None


def clickstream(ctx: Context) -> tuple[Indicator, list[Click], str]:
    s = ctx.session
    rules = ctx.config["clickstream"]
    label = "Click-stream"
    if s is None:
        return _ind("clickstream", label, "no session", "-", "unknown", "neutral", "No session."), [], "unknown"
    reqs = ctx.requests
    if reqs is None or reqs.empty:
        problems = ctx.coverage.problems("http", s.start, s.end or s.start)
        why = "; ".join(problems) if problems else "the access log has no request of this session"
        return _ind("clickstream", label, "no requests", "-", "unknown", "neutral",
                    f"No click-stream: {why}.", data_problems=problems), [], "unknown"
    suffixes = tuple(x.lower() for x in rules["asset_suffixes"])
    reqs = reqs.sort_values(["ts", "source_id", "line_no"]).reset_index(drop=True)
    paths = reqs["http_path"].fillna("").astype(str)
    is_asset = paths.map(lambda p: p.split("?", 1)[0].lower().endswith(suffixes))
    ts = reqs["ts"]
    think_all = ts.diff().dt.total_seconds()
    pages = reqs[~is_asset]
    think = pages["ts"].diff().dt.total_seconds().dropna()
    n_pages, n_assets = len(pages), int(is_asset.sum())
    median = float(statistics.median(think)) if len(think) else None
    cv = (float(statistics.pstdev(think) / statistics.mean(think))
          if len(think) >= 2 and statistics.mean(think) > 0 else None)
    # The request that carried out the action: the nearest POST (else any page) to the audit time.
    window = pd.Timedelta(seconds=float(rules["action_match_seconds"]))
    near = pages[(pages["ts"] - pd.Timestamp(ctx.action.ts)).abs() <= window]
    action_idx = None
    if not near.empty:
        posts = near[near["method"].fillna("").str.upper() == "POST"]
        cand = posts if not posts.empty else near
        action_idx = (cand["ts"] - pd.Timestamp(ctx.action.ts)).abs().idxmin()
    chain_ok, confirm_path = None, None
    if action_idx is not None:
        before = pages.loc[:action_idx].iloc[:-1]
        act = pages.loc[action_idx]
        if not before.empty:
            confirm_path = before.iloc[-1]["http_path"]
            chain_ok = _path_only(act["referrer"]) == _path_only(confirm_path) and _path_only(act["referrer"]) is not None
    ua = ctx.facts.browser(s.user_agent)
    automation = ua.automation_class if ua else None
    min_pages = int(rules["min_page_requests"])
    data = dict(page_requests=n_pages, asset_requests=n_assets, median_think_s=median, pacing_cv=cv,
                referrer_chain_ok=chain_ok, confirmation_page=confirm_path,
                action_request=int(reqs.loc[action_idx, "event_id"]) if action_idx is not None else None,
                joined_by=sorted(set(reqs["joined_by"])) if "joined_by" in reqs else [])
    observed = (f"{n_pages} pages, {n_assets} static assets, median think time "
                f"{'-' if median is None else f'{median:.1f} s'}, referrer chain through the confirmation page: "
                f"{'yes' if chain_ok else ('no' if chain_ok is False else 'not seen')}")
    base = (f"human: assets loaded, median think time ≥ {rules['min_human_think_seconds']} s, referrer chain intact; "
            f"automated: automation client, or faster/more regular than a person")
    # Excerpt: the requests leading up to the action and a few after it.
    cut = (reqs.index[reqs["event_id"] == data["action_request"]][0] + 3) if action_idx is not None else len(reqs)
    first = max(0, cut - int(rules["excerpt_requests"]))
    rows = reqs.iloc[first:cut].to_dict("records")
    excerpt = [Click(ref=ref(r), think_time_s=(None if pd.isna(think_all[first + i]) else float(think_all[first + i])),
                     is_asset=bool(is_asset[first + i])) for i, r in enumerate(rows)]
    evidence = [c.ref for c in excerpt if not c.is_asset][-6:]
    automated_history = any(x.browser and x.browser.automation_class == automation for x in ctx.baseline) \
        if automation in ("headless", "library") else False
    if automation in ("headless", "library") or (n_pages >= min_pages and median is not None
                                                 and median < float(rules["min_human_think_seconds"])) \
            or (n_pages > min_pages and cv is not None and cv < float(rules["max_regular_pacing_cv"]) and n_assets == 0):
        direction = "neutral" if automated_history or is_api(s) else "other"
        why = (f"the client is {ua.automation_tool or automation}" if automation in ("headless", "library")
               else f"pages followed each other every {median:.2f} s (median)" if median is not None
               and median < float(rules["min_human_think_seconds"]) else "the pacing is as regular as a timer")
        return _ind("clickstream", label, observed, base, "mismatch", direction,
                    f"A program, not a person, made these requests: {why}.", evidence, **data), excerpt, "automated"
    if n_pages >= min_pages and n_assets > 0 and median is not None \
            and median >= float(rules["min_human_think_seconds"]) and chain_ok:
        # A person, not a program: that rules out a script, not another person (the identity
        # indicators decide who), so the direction stays neutral.
        return _ind("clickstream", label, observed, base, "match", "neutral",
                    f"A person clicked through the panel: pages with their images and styles, pauses of "
                    f"{median:.0f} s (median) to read, and the action confirmed from the confirmation page "
                    f"({confirm_path}).", evidence, **data), excerpt, "human"
    return _ind("clickstream", label, observed, base, "unknown", "neutral",
                "The requests of this session are too few or too mixed for a verdict.", evidence, **data), \
        excerpt, "unknown"


# -- session consistency -------------------------------------------------------------------
def session_consistency(ctx: Context) -> Indicator:
    s = ctx.session
    label = "Session consistency (stolen session cookie)"
    if s is None or not s.ip:
        return _ind("session_consistency", label, "no session", "-", "unknown", "neutral", "No session to check.")
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
    carried = reqs[reqs["joined_by"] == "session id"] if reqs is not None and not reqs.empty else reqs
    if carried is not None and not carried.empty:
        for r in carried.to_dict("records"):
            judge(r.get("ip"), r.get("user_agent"), ref(r))
    observed_ips = sorted({x.ip for x in foreign})
    where = "panel events" + (" and access-log requests carrying the session id" if carried is not None
                              and not carried.empty else "")
    base = f"login from {network_label(s.ip_facts)} with {s.browser.label if s.browser else 'unknown browser'}"
    if foreign:
        labels = "; ".join(network_label(ctx.facts.ip_facts(i)) for i in observed_ips)
        return _ind("session_consistency", label, f"{_plural(len(foreign), 'request')} from {labels}", base,
                    "mismatch", "other", "The session that the holder's login opened was used from another "
                    "network or browser: its session cookie was taken over.", ([_opener(s)]) + foreign[:5],
                    weight="strong", foreign_ips=observed_ips)
    if benign:
        return _ind("session_consistency", label, f"{_plural(len(benign), 'request')} from a neighbouring address",
                    base, "partial", "neutral", "The session moved within the same address range and browser "
                    "(a re-assigned home or mobile address).", benign[:3])
    return _ind("session_consistency", label, f"all {where} from the login's address and browser", base, "match",
                "holder", "Every request of the session came from the address and browser that logged in.")


# -- staff -------------------------------------------------------------------------------
def staff_activity(ctx: Context) -> tuple[Indicator, list[EventRef]]:
    hours = float(ctx.config["staff"]["window_hours"])
    t = pd.Timestamp(ctx.action.ts)
    p = _cached(ctx, "staff", lambda: ctx.panel[(ctx.panel["actor"] == "staff") | (ctx.panel["auth"] == "impersonation")
                                                | ctx.panel["event"].fillna("").str.startswith("impersonate")])
    rows = p[(p["ts"] - t).abs() <= pd.Timedelta(hours=hours)] if not p.empty else p
    staff = [ref(r) for r in rows.to_dict("records")]
    if not staff:
        return _ind("staff_activity", "Staff activity around the action", "none", f"±{hours:g} hours", "absent",
                    "neutral", "No provider staff worked on the account around the action."), []
    who = sorted({r.user for r in staff if r.user})
    return _ind("staff_activity", "Staff activity around the action",
                f"{_plural(len(staff), 'staff event')} by {', '.join(who) or 'unnamed staff'}", f"±{hours:g} hours",
                "partial", "neutral", "Provider staff worked on the account around the action (listed).",
                staff[:10], staff=who), staff


# -- baseline size ---------------------------------------------------------------------------
def baseline_size(ctx: Context) -> Indicator:
    n = len(ctx.baseline)
    need = int(ctx.config["baseline"]["min_sessions"])
    if n >= need:
        return _ind("baseline_size", "Size of the history", f"{n} earlier sessions", f"at least {need}", "match",
                    "neutral", f"{_plural(n, 'earlier session')} to compare with: enough for the comparisons above.",
                    sessions=n)
    return _ind("baseline_size", "Size of the history", f"{n} earlier sessions", f"at least {need}",
                "absent" if n == 0 else "partial", "neutral",
                f"Only {_plural(n, 'earlier session')} to compare with: the browser and address comparisons "
                "carry little weight.", sessions=n)


# -- API keys ------------------------------------------------------------------------------------
def api_key_usage(ctx: Context) -> Indicator:
    s = ctx.session
    label = "API key usage"
    key = s.user or "(unnamed key)"
    net = _net(s.ip_facts)
    observed = f"key {key} from {network_label(s.ip_facts)}"
    same_key = [x for x in ctx.baseline if x.user == s.user]
    key_nets = {_net(x.ip_facts) for x in same_key}
    api_nets = {_net(x.ip_facts) for x in ctx.baseline}
    holder_nets = {_net(x.ip_facts) for x in ctx.sessions if x.start < s.start and x.actor == "customer"
                   and x.login is not None and x.auth != "impersonation"}
    base = (f"{_plural(len(same_key), 'earlier use')} of this key from "
            + (", ".join(sorted(n for n in key_nets if n)) or "nowhere"))
    if net in key_nets:
        n = sum(1 for x in same_key if _net(x.ip_facts) == net)
        return _ind("api_key_usage", label, observed, base, "match", "holder",
                    f"The key was used from the same network as {_plural(n, 'earlier use')}: the holder's "
                    "own automation.", [same_key[-1].actions[0]] if same_key[-1].actions else [],
                    identity=True, earlier_uses=len(same_key))
    if net in api_nets:
        return _ind("api_key_usage", label, observed, base, "partial", "holder",
                    "Another of the account's API keys was used from this network before.", identity=True,
                    earlier_uses=len(same_key))
    if net in holder_nets:
        return _ind("api_key_usage", label, observed, base, "partial", "neutral",
                    "The key was used from a network the holder logs in from, but never for API calls before.",
                    earlier_uses=len(same_key))
    if not ctx.baseline and not holder_nets:
        return _ind("api_key_usage", label, observed, "no earlier use", "unknown", "neutral",
                    "The account has no earlier activity to compare the key's use with.", earlier_uses=0)
    return _ind("api_key_usage", label, observed, base, "mismatch", "other",
                "The API key was used from a network the account has never used: the key has leaked.",
                weight="strong", earlier_uses=len(same_key))
