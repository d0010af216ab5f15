"""`investigate()`: who did a disputed action (the `action` dispute kind).

Cost grows with the account's own events, not with the case: the account's
events are fetched once (`account_events`), the access-log requests only for
the disputed sessions' time span and addresses (`session_requests`), failed
logins only for the session's address before its login (`login_failures`),
failed logins against other accounts only in the window before each login
(`fleet_failures`, one pruned scan per cluster of windows), enrichment only
for the addresses and browsers seen (`ip_facts`, `browser_facts`).
Everything else is computed in Python on the queries' rows (no pandas: its
import alone would cost more than the call, `forensics investigate` from the shell).

Requests from `[network] trusted_proxies` (load balancers) are joined and
cited by their client address from X-Forwarded-For (`sessions.py`).

Attribution of sshd events to an account (they carry no account): an sshd
event belongs to the account when it comes from an address the account used
in the panel, is for a user name the account logged in with, or happened on
one of the account's servers (sshd host name equal to a panel `target` of
the account).
"""

from __future__ import annotations

import datetime as dt

from forensics import __version__
from forensics.errors import ForensicsError
from forensics.investigate.action import indicators as ind
from forensics.investigate.action.assess import assess
from forensics.investigate.action.history import baseline, compare, is_api, prior_activity
from forensics.investigate.action import evidence_model
from forensics.investigate.action.sessions import (build_sessions, forwarded_clients, join_addresses,
                                                   session_requests)
from forensics.investigate.claims import match_claims
from forensics.investigate.coverage import QUERIES as COVERAGE_QUERIES, Coverage
from forensics.investigate.evidence import Facts, fill_raw, ref
from forensics.investigate.evidence import network_key
from forensics.investigate.model import ActionFinding, EventRef, Investigation, Session
from forensics.messages import msg
from forensics.investigate.run import (QueryRun, account_events, as_instant, by_time, clustered, config_of,
                                       panel_events, state_changing, unique_events)
from forensics.named_queries import query_rows
from forensics.timefmt import UTC, as_utc, iso, zone


# The ZSTD-stored text columns, not read by the windowed queries: the time as
# written is never cited, and the lines' text is read for the cited lines only,
# at the end (`fill_raw`): a line read in a query decompresses its whole block.
UNREAD = ("ts_raw", "raw")


def _disputed(panel: list[dict], cfg, action, target, since, until) -> list[dict]:
    events = set([action] if action else state_changing(cfg))
    return [r for r in panel if r["event"] in events and r["result"] != "failure"
            and (not target or r["target"] == target)
            and (since is None or r["ts"] >= since) and (until is None or r["ts"] < until)]


class UnknownAction(ForensicsError):
    """`--action` names neither a state-changing action nor an event the account has (a typo, most likely)."""

    def __init__(self, action: str, known: list[str]):
        self.action, self.known = action, known
        super().__init__(f"the account has no {action!r} event; its actions are: {', '.join(known) or 'none'}")


def investigate(case, account: str, *, action: str | None = None, target: str | None = None, since=None,
                until=None, claims=(), tz: str | None = None, config=None,
                claim_date=None, raw: bool = True) -> Investigation:
    """Investigate an account's disputed actions and reconcile the customer's claims.

    Args:
        case: an open `forensics.case.Case`.
        account: the customer account id.
        action: one event name (e.g. "reinstall"); without it every
            state-changing action of the account in the period is examined.
        target: only actions on this object (server id, domain).
        since, until: the period (ISO date or date-time; a date `until` includes that day).
        claims: the customer's own sentences (en/de/cs/pl).
        tz: IANA zone for local times and for reading the customer's dates.
        config: a settings dict or the path of a TOML file (see thresholds.toml).
        claim_date: the date of the customer's letter (ISO date): "yesterday"
            and a day without a month count from it, and a date without a year
            is read on or before it.
        raw: read the text of every cited line (`EventRef.raw`). False leaves
            it None, for a caller that shows only some lines: it reads theirs
            with `evidence.fill_raw` (the CLI's text output shows a finding's
            login and joined lines, `textout.shown_raw`).

    Returns:
        An `Investigation` (see model.py); `.to_dict()` is the `--json` document.

    Raises:
        UnknownAction: `action` is no event of the account's panel log (the
            message lists the ones it has).
    """
    cfg = config_of(config)
    tzinfo = zone(tz)
    since_t, until_t = as_instant(since, tzinfo), as_instant(until, tzinfo, end=True)
    run, events, panel, panel_notes = account_events(case, account, cfg)
    if action and action not in state_changing(cfg) and not any(r["event"] == action for r in panel):
        raise UnknownAction(action, sorted({r["event"] for r in panel if r["event"] is not None}
                                           - {"login", "logout", "http_request"}))
    claim_day = _claim_date(claim_date)
    coverage = Coverage(case, cfg)
    run.queries.extend(q for q in COVERAGE_QUERIES if q not in run.queries)
    panel_span = coverage.period("panel")
    sessions, mapping = build_sessions(panel, cfg, panel_span[1] if panel_span else None,
                                       joins=join_addresses(run.rows, panel, cfg))
    by_key = {s.key: s for s in sessions}
    disputed = _disputed(panel, cfg, action, target, since_t, until_t)
    disputed_keys = {mapping.get(int(r["event_id"])) for r in disputed} - {None}
    disputed_sessions = [by_key[k] for k in disputed_keys]

    # Access-log requests and failed logins: only for the disputed sessions, one
    # query per cluster of nearby time windows (zone maps on `ts` prune the rest).
    slack = dt.timedelta(seconds=float(cfg["sessions"]["http_join_slack_seconds"]))
    http = clustered(run, "session_requests", [(s.start - slack, (s.end or s.start) + slack, s)
                                                for s in disputed_sessions], lambda group: {
        "sessions": sorted({s.session_id for s in group if s.session_id}),
        "users": sorted({s.user for s in group if s.user}),
        "ips": sorted({s.ip for s in group if s.ip})}, exclude=UNREAD)
    http = forwarded_clients(http, cfg["network"].get("trusted_proxies") or [])
    staff_users = {r["user"] for r in panel if r["actor"] == "staff"}
    users = sorted({r["user"] for r in panel if r["user"] is not None} - staff_users)
    widest = dt.timedelta(hours=max(float(h) for h in cfg["failed_logins"]["windows_hours"]))
    all_failures = clustered(run, "login_failures", [(s.start - widest, s.start, s) for s in disputed_sessions],
                              lambda group: {"account": account, "ips": sorted({s.ip for s in group if s.ip}),
                                             "users": users}, exclude=UNREAD)
    user_set = set(users)
    failures_by_key: dict[str, list[dict]] = {}
    for s in disputed_sessions:
        failures_by_key[s.key] = [
            f for f in all_failures if s.start - widest <= f["ts"] < s.start and (
                (f["source_kind"] == "panel" and (f["account"] == account or f["ip"] == s.ip))
                or (f["source_kind"] == "ssh" and (f["ip"] == s.ip or f["user"] in user_set)))]

    ips = {r["ip"] for r in panel if r["ip"] is not None}
    uas = {r["user_agent"] for r in panel if r["user_agent"] is not None}
    ips |= {s.ip for s in sessions if s.ip}   # addresses the access log gave (join_addresses)
    uas |= {s.user_agent for s in sessions if s.user_agent}
    for rows in (http, all_failures):
        ips |= {r["ip"] for r in rows if r["ip"] is not None}
        uas |= {r["user_agent"] for r in rows if r["user_agent"] is not None}
    facts = Facts(case, ips, uas)
    run.queries.extend(q for q in facts.queries if q not in run.queries)
    for s in sessions:
        s.ip_facts, s.browser = facts.ip_facts(s.ip), facts.browser(s.user_agent)
    # Credential stuffing: failed logins against other accounts before each login.
    fleet_window = dt.timedelta(hours=float(cfg["fleet_failures"]["window_hours"]))
    logged_in = [s for s in disputed_sessions if s.login is not None]
    fleet = clustered(run, "fleet_failures", [(s.start - fleet_window, s.start, s) for s in logged_in],
                      lambda group: {"account": account, "ips": sorted({s.ip for s in group if s.ip}),
                                     "networks": sorted({n for s in group if (n := network_key(facts.ip_facts(s.ip)))}),
                                     "user_agents": sorted({s.user_agent for s in group if s.user_agent})},
                      exclude=UNREAD)
    provenance = run.rows("geoip_provenance")
    dbs = [r for r in provenance if r["kind"] == "database"]
    isp_available = any(k in (r["database_type"] or "").lower() for r in dbs for k in ("asn", "isp", "enterprise"))
    geoip = [{"type": r["database_type"], "path": r["path"],
              "build_date": iso(r["build_date"]) if r["build_date"] is not None else None,
              "sha256": r["sha256"]} for r in dbs]
    notes = panel_notes + list(dict.fromkeys(r["note"] for r in provenance if r["kind"] == "run"
                                             and r["note"] is not None))
    if not isp_available:
        notes.append(msg("No ISP database was used: addresses are compared by their address range only."))

    around = dt.timedelta(hours=float(cfg["timeline"]["hours_around_action"]))
    ssh_around = clustered(run, "ssh_events", [(t - around, t + around, None) for t in
                                               (as_utc(r["ts"]) for r in disputed)], lambda _group: {
        "ips": sorted({r["ip"] for r in panel if r["ip"] is not None}), "users": users,
        "hosts": sorted({r["target"] for r in panel if r["target"] is not None})}, exclude=UNREAD)
    findings = []
    shared: dict = {}
    for row in disputed:
        action_ref = ref(row)
        session = by_key.get(mapping.get(int(row["event_id"])))
        finding = _finding(run, action_ref, session, sessions, disputed_keys, http,
                           failures_by_key.get(session.key) if session else None, panel, facts, coverage,
                           isp_available, ssh_around, shared, fleet)
        finding.after_action = _after_action(action_ref, panel, cfg, until_t)
        findings.append(finding)

    claim_results = _claims(panel, claims, cfg, coverage, until_t, tzinfo, claim_day)
    in_scope = [s for s in sessions if (since_t is None or (s.end or s.start) >= since_t)
                and (until_t is None or s.start < until_t)]
    if not findings:
        notes.append(msg("No state-changing action of the account in the period examined.") if not action
                     else msg("No “{action}” action of the account in the period examined.", action=action))
    result = Investigation(
        account=account,
        parameters={"action": action, "target": target, "since": iso(since_t) if since_t else None,
                    "until": iso(until_t) if until_t else None, "tz": tz, "claims": list(claims),
                    "claim_date": claim_day.isoformat() if claim_day else None},
        generated_at=dt.datetime.now(UTC).replace(microsecond=0), tool_version=__version__,
        findings=findings, claims=claim_results, coverage=coverage.sources, geoip_databases=geoip,
        isp_data_available=isp_available, thresholds=cfg, queries_used=list(run.queries),
        sessions=in_scope, notes=notes, evidence_model=evidence_model.rows())
    return fill_raw(case, result) if raw else result


def _claim_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ForensicsError(f"the claim date {value!r} is not an ISO date (YYYY-MM-DD)") from None


def _claims(panel, claims, cfg, coverage: Coverage, until_t, tzinfo, claim_date=None):
    if not claims:
        return []
    span = coverage.period("panel")
    # --until is the start of the day after the period: its last instant is the reference
    reference = (until_t - dt.timedelta(microseconds=1)) if until_t else (span[1] if span else coverage.end())
    source = "until" if until_t else "log_end"
    events = [ref(r) for r in panel]
    out = []
    for text in claims:
        out += match_claims(text, events, state_changing=state_changing(cfg), coverage=coverage,
                            reference=reference, tzinfo=tzinfo, max_days_off=int(cfg["claims"]["max_days_off"]),
                            claim_date=claim_date, reference_source=source)
    return out


def reconcile_claims(case, account: str, claims, *, until=None, tz: str | None = None, config=None,
                     claim_date=None):
    """Only the claim reconciliation of `investigate()` (same rules), as a list of `ClaimResult`."""
    cfg = config_of(config)
    tzinfo = zone(tz)
    events = query_rows(case, "account_events", {"account": account})
    if not events:
        raise ForensicsError(f"the case has no events for account {account!r}")
    panel, _ = panel_events(events)
    return _claims(panel, list(claims), cfg, Coverage(case, cfg), as_instant(until, tzinfo, end=True), tzinfo,
                   _claim_date(claim_date))


LOG_NAMES = {"panel": msg("panel audit log"), "http": msg("web access log"), "ssh": msg("sshd log")}


def _coverage_problems(action: EventRef, session: Session | None, coverage: Coverage) -> list[str]:
    """Gaps the action falls in, and missing log before a session whose login we never saw."""
    out = []
    for kind in ("panel", "http", "ssh"):
        gap = coverage.gap_at(kind, action.ts)
        if gap is not None:
            out.append(msg("the action falls in a gap of the {log}: {start} to {end} ({path})",
                           log=LOG_NAMES[kind], start=iso(gap.start), end=iso(gap.end), path=gap.path))
    if session is not None and session.login is None and not is_api(session):
        span = coverage.period("panel")
        if span and session.start - span[0] < dt.timedelta(hours=24):
            out.append(msg("the panel log begins at {start}, shortly before the session: its login may lie before it",
                           start=iso(span[0])))
        gap = next((g for g in coverage.gaps("panel") if g.end <= session.start
                    and session.start - g.end < dt.timedelta(hours=24)), None)
        if gap is not None:
            out.append(msg("the panel log has a gap just before the session ({start} to {end})",
                           start=iso(gap.start), end=iso(gap.end)))
    return out


def _finding(run: QueryRun, action: EventRef, session: Session | None, sessions, disputed_keys, http, failures, panel,
             facts, coverage, isp_available, ssh_around, shared, fleet=None) -> ActionFinding:
    cfg = run.cfg
    base = baseline(session, sessions, disputed_keys) if session else []
    history = [compare(session, b) for b in reversed(base)] if session else []
    prior = prior_activity(session, action.ts, history, cfg) if session else []
    requests = session_requests(session, http, cfg) if session is not None else []
    ctx = ind.Context(action=action, session=session, sessions=sessions, baseline=base, history=history,
                      prior=prior, requests=requests, failures=failures if failures is not None else [],
                      panel=panel, facts=facts, coverage=coverage, config=cfg, isp_available=isp_available,
                      disputed_keys=disputed_keys, shared=shared, fleet=fleet)
    indicators = [ind.credential(ctx)]
    failed_ind, failed = ind.failed_logins(ctx)
    changes_ind, changes = ind.account_changes(ctx)
    indicators += [failed_ind, ind.fleet_failures(ctx), changes_ind]
    if session is not None and is_api(session):
        indicators.append(ind.api_key_usage(ctx))
    indicators += [ind.browser_fingerprint(ctx), ind.version_timeline(ctx), ind.network(ctx),
                   ind.network_continuity(ctx), ind.anonymiser(ctx), ind.travel(ctx), ind.prior_activity(ctx),
                   ind.hour_of_day(ctx)]
    click_ind, clicks, verdict = ind.clickstream(ctx)
    staff_ind, staff = ind.staff_activity(ctx)
    indicators += [click_ind, ind.session_consistency(ctx), staff_ind, ind.baseline_size(ctx)]
    problems = _coverage_problems(action, session, coverage)
    result = assess(action, session, indicators, cfg, problems, staff)
    assessment, reason, key_facts, missing = result
    return ActionFinding(
        action=action, assessment=assessment, reason=reason, key_facts=key_facts, session=session,
        indicators=indicators, history=history[: int(cfg["baseline"]["history_rows"])], prior_activity=prior,
        failed_logins=failed, account_changes=changes, staff_activity=staff, clickstream=clicks,
        clickstream_verdict=verdict, timeline=_around(action, panel, requests, ssh_around, cfg),
        missing=missing, holder_evidence=result.holder_evidence)


def _after_action(action: EventRef, panel, cfg, until_t) -> list[EventRef]:
    """The account's logins (failed ones too) and credential/contact changes
    after the action, up to the end of the period examined (`until`, else the
    end of the log): the earliest `timeline.max_events` of them."""
    events = {"login", *cfg["account_changes"]["changes"]}
    later = [r for r in panel if r["ts"] > action.ts and r["event"] in events and r["event_id"] != action.event_id
             and (until_t is None or r["ts"] < until_t)]
    return [ref(r) for r in by_time(later)[: int(cfg["timeline"]["max_events"])]]


def _around(action: EventRef, panel, requests, ssh, cfg) -> list[EventRef]:
    """The merged timeline (panel, the session's requests, attributed sshd) around an action."""
    hours = dt.timedelta(hours=float(cfg["timeline"]["hours_around_action"]))
    lo, hi = action.ts - hours, action.ts + hours
    merged = unique_events([r for rows in (panel, requests, ssh) if rows for r in rows if lo <= r["ts"] <= hi])
    if not merged:
        return []
    limit = int(cfg["timeline"]["max_events"])
    if len(merged) > limit:   # a busy API client: keep the events nearest the action
        nearest = sorted(range(len(merged)), key=lambda i: abs(merged[i]["ts"] - action.ts))[:limit]
        merged = [merged[i] for i in sorted(nearest)]
    return [ref(r) for r in by_time(merged)]
