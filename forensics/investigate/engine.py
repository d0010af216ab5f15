"""`investigate()` and `timeline()`: the investigation's public entry points.

Cost grows with the account's own events, not with the case: the account's
events are fetched once (`account_events`), the access-log requests only for
the disputed sessions' time span and addresses (`session_requests`), failed
logins only for the session's address before its login (`login_failures`),
enrichment only for the addresses and browsers seen (`ip_facts`,
`browser_facts`).  Everything else is computed in pandas.

Attribution of sshd events to an account (they carry no account): an sshd
event belongs to the account when it comes from an address the account used
in the panel, is for a user name the account logged in with, or happened on
one of the account's servers (sshd host name equal to a panel `target` of
the account).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forensics import __version__
from forensics.config import load_config
from forensics.errors import ForensicsError
from forensics.investigate import indicators as ind
from forensics.investigate.assess import assess
from forensics.investigate.claims import match_claim
from forensics.investigate.coverage import QUERIES as COVERAGE_QUERIES, Coverage
from forensics.investigate.evidence import Facts, _clean, ref
from forensics.investigate.history import baseline, compare, is_api, prior_activity
from forensics.investigate.model import ActionFinding, EventRef, Investigation, Session
from forensics.investigate.sessions import build_sessions, session_requests
from forensics.named_queries import run_query
from forensics.timefmt import UTC, as_utc, iso, zone


def _as_instant(value, tzinfo, *, end: bool = False) -> dt.datetime | None:
    """--since/--until: a date (the day's start; for `until` the next day's
    start, so the day is included) or an ISO date-time, in `tzinfo` when naive."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        out = value
    elif isinstance(value, dt.date):
        out = dt.datetime.combine(value + dt.timedelta(days=1 if end else 0), dt.time())
    else:
        text = str(value).strip()
        try:
            if len(text) == 10:
                day = dt.date.fromisoformat(text)
                out = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time())
            else:
                out = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ForensicsError(f"not an ISO date or date-time: {text!r} (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if out.tzinfo is None:
        out = out.replace(tzinfo=tzinfo or UTC)
    return out.astimezone(UTC)


def _config(config) -> dict:
    if isinstance(config, dict):
        return config
    return load_config(config)


class _Run:
    """One investigation's state: the queries run, the facts fetched."""

    def __init__(self, case, account: str, cfg: dict):
        self.case, self.account, self.cfg = case, account, cfg
        self.queries: list[str] = []

    def q(self, name: str, params: dict | None = None) -> pd.DataFrame:
        if name not in self.queries:
            self.queries.append(name)
        return run_query(self.case, name, params or {})


def _state_changing(cfg) -> list[str]:
    return list(cfg["sessions"]["state_changing_events"])


def _disputed(panel: pd.DataFrame, cfg, action, target, since, until) -> pd.DataFrame:
    events = [action] if action else _state_changing(cfg)
    mask = panel["event"].isin(events) & (panel["result"].fillna("success") != "failure")
    if target:
        mask &= panel["target"] == target
    if since is not None:
        mask &= panel["ts"] >= pd.Timestamp(since)
    if until is not None:
        mask &= panel["ts"] < pd.Timestamp(until)
    return panel[mask]


def investigate(case, account: str, *, action: str | None = None, target: str | None = None, since=None,
                until=None, claims=(), tz: str | None = None, config=None) -> Investigation:
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

    Returns:
        An `Investigation` (see model.py); `.to_dict()` is the `--json` document.
    """
    cfg = _config(config)
    tzinfo = zone(tz)
    since_t, until_t = _as_instant(since, tzinfo), _as_instant(until, tzinfo, end=True)
    run, events, panel, panel_notes = _account_events(case, account, cfg)
    coverage = Coverage(case, cfg)
    run.queries.extend(q for q in COVERAGE_QUERIES if q not in run.queries)
    panel_span = coverage.period("panel")
    sessions, mapping = build_sessions(panel, cfg, panel_span[1] if panel_span else None)
    by_key = {s.key: s for s in sessions}
    disputed = _disputed(panel, cfg, action, target, since_t, until_t)
    disputed_keys = {mapping.get(int(e)) for e in disputed["event_id"]} - {None}
    disputed_sessions = [by_key[k] for k in disputed_keys]

    # Access-log requests and failed logins: only for the disputed sessions, one
    # query per cluster of nearby time windows (zone maps on `ts` prune the rest).
    slack = dt.timedelta(seconds=float(cfg["sessions"]["http_join_slack_seconds"]))
    http = _clustered(run, "session_requests", [(s.start - slack, (s.end or s.start) + slack, s)
                                                for s in disputed_sessions], lambda group: {
        "sessions": sorted({s.session_id for s in group if s.session_id}),
        "users": sorted({s.user for s in group if s.user}),
        "ips": sorted({s.ip for s in group if s.ip})})
    users = sorted(set(panel["user"].dropna()) - set(panel.loc[panel["actor"] == "staff", "user"].dropna()))
    widest = dt.timedelta(hours=max(float(h) for h in cfg["failed_logins"]["windows_hours"]))
    all_failures = _clustered(run, "login_failures", [(s.start - widest, s.start, s) for s in disputed_sessions],
                              lambda group: {"account": account, "ips": sorted({s.ip for s in group if s.ip}),
                                             "users": users})
    failures_by_key: dict[str, pd.DataFrame] = {}
    for s in disputed_sessions:
        f = all_failures
        if not f.empty:
            in_window = (f["ts"] >= pd.Timestamp(s.start - widest)) & (f["ts"] < pd.Timestamp(s.start))
            mine = ((f["source_kind"] == "panel") & ((f["account"] == account) | (f["ip"] == s.ip))) | (
                (f["source_kind"] == "ssh") & ((f["ip"] == s.ip) | f["user"].isin(users)))
            f = f[in_window & mine]
        failures_by_key[s.key] = f

    ips = set(panel["ip"].dropna())
    uas = set(panel["user_agent"].dropna())
    for frame in (http, all_failures):
        if not frame.empty:
            ips |= set(frame["ip"].dropna())
            uas |= set(frame["user_agent"].dropna())
    facts = Facts(case, ips, uas)
    run.queries.extend(q for q in facts.queries if q not in run.queries)
    for s in sessions:
        s.ip_facts, s.browser = facts.ip_facts(s.ip), facts.browser(s.user_agent)
    provenance = run.q("geoip_provenance")
    dbs = provenance[provenance["kind"] == "database"]
    isp_available = bool(dbs["database_type"].fillna("").str.contains("ASN|ISP|Enterprise", case=False).any())
    geoip = [{"type": _clean(r["database_type"]), "path": _clean(r["path"]),
              "build_date": iso(_clean(r["build_date"])) if _clean(r["build_date"]) is not None else None,
              "sha256": _clean(r["sha256"])} for r in dbs.to_dict("records")]
    notes = panel_notes + [n for n in provenance.loc[provenance["kind"] == "run", "note"].dropna().unique()]
    if not isp_available:
        notes.append("No ASN/ISP database was used: addresses are compared by prefix only.")

    around = dt.timedelta(hours=float(cfg["timeline"]["hours_around_action"]))
    ssh_around = _clustered(run, "ssh_events", [(t - around, t + around, None) for t in
                                               (as_utc(x) for x in disputed["ts"])], lambda _group: {
        "ips": sorted(set(panel["ip"].dropna())), "users": users, "hosts": sorted(set(panel["target"].dropna()))})
    findings = []
    shared: dict = {}
    for row in disputed.to_dict("records"):
        action_ref = ref(row)
        session = by_key.get(mapping.get(int(row["event_id"])))
        findings.append(_finding(run, action_ref, session, sessions, disputed_keys, http,
                                 failures_by_key.get(session.key) if session else None, panel, facts, coverage,
                                 isp_available, ssh_around, shared))

    claim_results = _claims(panel, claims, cfg, coverage, until_t, tzinfo)
    in_scope = [s for s in sessions if (since_t is None or (s.end or s.start) >= since_t)
                and (until_t is None or s.start < until_t)]
    if not findings:
        notes.append("No state-changing action of the account in the period." if not action
                     else f"No {action!r} action of the account in the period.")
    return Investigation(
        account=account,
        parameters={"action": action, "target": target, "since": iso(since_t) if since_t else None,
                    "until": iso(until_t) if until_t else None, "tz": tz, "claims": list(claims)},
        generated_at=dt.datetime.now(UTC).replace(microsecond=0), tool_version=__version__,
        findings=findings, claims=claim_results, coverage=coverage.sources, geoip_databases=geoip,
        isp_data_available=isp_available, thresholds=cfg, queries_used=list(run.queries),
        sessions=in_scope, notes=notes)


def _account_events(case, account: str, cfg: dict):
    """The account's events, once: the run that logs the queries used, all its
    events, its panel events (defaults applied) and the notes on them."""
    run = _Run(case, account, cfg)
    events = run.q("account_events", {"account": account})
    if events.empty:
        raise ForensicsError(f"the case has no events for account {account!r}")
    panel, notes = _panel_events(events)
    return run, events, panel, notes


def _panel_events(events: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The account's panel events, with the native format's defaults where a
    format left a field empty (actor: customer, result: success), and notes
    saying so."""
    panel = events[events["source_kind"] == "panel"]
    notes = []
    untimed = int(panel["ts"].isna().sum())
    if untimed:
        notes.append(f"{untimed} panel event(s) of the account carry no time and were left out.")
        panel = panel[panel["ts"].notna()]
    panel = panel.reset_index(drop=True).copy()
    missing_actor = int(panel["actor"].isna().sum())
    if missing_actor:
        notes.append(f"{missing_actor} panel event(s) name no actor; read as the customer (the native format's default).")
        panel["actor"] = panel["actor"].fillna("customer")
    panel["result"] = panel["result"].fillna("success")
    return panel, notes


def _clustered(run: _Run, query: str, windows, params_of, max_queries: int = 4) -> pd.DataFrame:
    """Run a windowed query for many time windows in at most `max_queries` queries.

    `windows` are (since, until, item); they are merged into clusters by
    splitting at the widest silences between them (each query then scans
    only its cluster's period, pruned by the zone maps on `ts`).
    `params_of(items)` gives the other parameters for one cluster's items.
    Rows are de-duplicated and sorted.
    """
    if not windows:
        return pd.DataFrame()
    windows = sorted(windows, key=lambda w: w[0])
    silences = []
    reach = windows[0][1]
    for i in range(1, len(windows)):
        silences.append((windows[i][0] - reach, i))
        reach = max(reach, windows[i][1])
    cuts = sorted(i for gap, i in sorted(silences, reverse=True)[: max_queries - 1] if gap > dt.timedelta(0))
    frames = []
    for lo, hi in zip([0, *cuts], [*cuts, len(windows)]):
        group = windows[lo:hi]
        params = params_of([w[2] for w in group])
        params.update(since=min(w[0] for w in group), until=max(w[1] for w in group))
        frames.append(run.q(query, params))
    non_empty = [f for f in frames if not f.empty]
    if not non_empty:
        return frames[0]
    out = pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0]
    return out.drop_duplicates("event_id").sort_values(["ts", "source_id", "line_no"]).reset_index(drop=True)


def _claims(panel, claims, cfg, coverage: Coverage, until_t, tzinfo):
    if not claims:
        return []
    span = coverage.period("panel")
    reference = until_t or (span[1] if span else coverage.end())
    events = [ref(r) for r in panel.to_dict("records")]
    return [match_claim(text, events, state_changing=_state_changing(cfg), coverage=coverage, reference=reference,
                        tzinfo=tzinfo, max_days_off=int(cfg["claims"]["max_days_off"])) for text in claims]


def reconcile_claims(case, account: str, claims, *, until=None, tz: str | None = None, config=None):
    """Only the claim reconciliation of `investigate()` (same rules), as a list of `ClaimResult`."""
    cfg = _config(config)
    tzinfo = zone(tz)
    events = run_query(case, "account_events", {"account": account})
    if events.empty:
        raise ForensicsError(f"the case has no events for account {account!r}")
    panel, _ = _panel_events(events)
    return _claims(panel, list(claims), cfg, Coverage(case, cfg), _as_instant(until, tzinfo, end=True), tzinfo)


def _coverage_problems(action: EventRef, session: Session | None, coverage: Coverage) -> list[str]:
    """Gaps the action falls in, and missing log before a session whose login we never saw."""
    out = []
    for kind in ("panel", "http", "ssh"):
        gap = coverage.gap_at(kind, action.ts)
        if gap is not None:
            out.append(f"the action falls in a gap of the {kind} log: {iso(gap.start)} to {iso(gap.end)} ({gap.path})")
    if session is not None and session.login is None and not is_api(session):
        span = coverage.period("panel")
        if span and session.start - span[0] < dt.timedelta(hours=24):
            out.append(f"the panel log begins at {iso(span[0])}, shortly before the session: its login may lie before it")
        gap = next((g for g in coverage.gaps("panel") if g.end <= session.start
                    and session.start - g.end < dt.timedelta(hours=24)), None)
        if gap is not None:
            out.append(f"the panel log has a gap just before the session ({iso(gap.start)} to {iso(gap.end)})")
    return out


def _finding(run: _Run, action: EventRef, session: Session | None, sessions, disputed_keys, http, failures, panel,
             facts, coverage, isp_available, ssh_around, shared) -> ActionFinding:
    cfg = run.cfg
    base = baseline(session, sessions, disputed_keys) if session else []
    history = [compare(session, b) for b in reversed(base)] if session else []
    prior = prior_activity(session, action.ts, history, cfg) if session else []
    requests = session_requests(session, http, cfg) if session is not None and not http.empty else pd.DataFrame()
    ctx = ind.Context(action=action, session=session, sessions=sessions, baseline=base, history=history,
                      prior=prior, requests=requests, failures=failures if failures is not None else pd.DataFrame(),
                      panel=panel, facts=facts, coverage=coverage, config=cfg, isp_available=isp_available,
                      disputed_keys=disputed_keys, shared=shared)
    indicators = [ind.credential(ctx)]
    failed_ind, failed = ind.failed_logins(ctx)
    changes_ind, changes = ind.account_changes(ctx)
    indicators += [failed_ind, changes_ind]
    if session is not None and is_api(session):
        indicators.append(ind.api_key_usage(ctx))
    indicators += [ind.browser_fingerprint(ctx), ind.network(ctx), ind.anonymiser(ctx), ind.travel(ctx),
                   ind.prior_activity(ctx)]
    click_ind, clicks, verdict = ind.clickstream(ctx)
    staff_ind, staff = ind.staff_activity(ctx)
    indicators += [click_ind, ind.session_consistency(ctx), staff_ind, ind.baseline_size(ctx)]
    problems = _coverage_problems(action, session, coverage)
    assessment, reason, key_facts, missing = assess(action, session, indicators, cfg, problems, staff)
    return ActionFinding(
        action=action, assessment=assessment, reason=reason, key_facts=key_facts, session=session,
        indicators=indicators, history=history[: int(cfg["baseline"]["history_rows"])], prior_activity=prior,
        failed_logins=failed, account_changes=changes, staff_activity=staff, clickstream=clicks,
        clickstream_verdict=verdict, timeline=_around(action, panel, requests, ssh_around, cfg),
        missing=missing)


def _around(action: EventRef, panel, requests, ssh, cfg) -> list[EventRef]:
    """The merged timeline (panel, the session's requests, attributed sshd) around an action."""
    hours = dt.timedelta(hours=float(cfg["timeline"]["hours_around_action"]))
    lo, hi = pd.Timestamp(action.ts - hours), pd.Timestamp(action.ts + hours)
    parts = [frame[(frame["ts"] >= lo) & (frame["ts"] <= hi)] for frame in (panel, requests, ssh)
             if frame is not None and not frame.empty]
    parts = [p for p in parts if not p.empty]
    if not parts:
        return []
    merged = pd.concat(parts).drop_duplicates("event_id")
    limit = int(cfg["timeline"]["max_events"])
    if len(merged) > limit:   # a busy API client: keep the events nearest the action
        distance = (merged["ts"] - pd.Timestamp(action.ts)).abs()
        merged = merged.loc[distance.nsmallest(limit).index]
    merged = merged.sort_values(["ts", "source_id", "line_no"])
    return [ref(r) for r in merged.to_dict("records")]


TIMELINE_COLUMNS = ["ts", "source_kind", "event", "result", "actor", "user", "auth", "session", "ip", "user_agent",
                    "method", "http_path", "status", "referrer", "target", "host", "path", "line_no", "raw",
                    "attributed_by"]


def timeline(case, account: str, *, since=None, until=None, config=None) -> pd.DataFrame:
    """The merged timeline of all sources for one account, oldest first.

    Panel events of the account; the access-log requests joined to its
    sessions (by session id, user name, or address + browser within the
    session's span); sshd events from its addresses, for its user names or on
    its servers (see the module docstring).  `attributed_by` says why each row
    is there.  Times are UTC instants (`ts`); print them with
    `forensics.timefmt.iso`.
    """
    cfg = _config(config)
    since_t, until_t = _as_instant(since, None), _as_instant(until, None, end=True)
    run, events, panel, _ = _account_events(case, account, cfg)
    lo = pd.Timestamp(since_t) if since_t else events["ts"].min() - pd.Timedelta(hours=1)
    hi = pd.Timestamp(until_t) if until_t else events["ts"].max() + pd.Timedelta(hours=1)
    sessions, _ = build_sessions(panel, cfg, None)
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
