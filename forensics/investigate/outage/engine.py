"""`investigate_outage()`: was the service down, when, for how long, why,
was the customer told, and what was the availability per SLA period (the
`outage` dispute kind).

Cost follows the service's monitoring, not the case: the monitoring results
are reduced to their state changes inside DuckDB (`monitor_runs`: a year of
one-minute checks is 525,600 rows in, a few hundred out), the silences of the
monitoring likewise (`monitor_silences`); the server's and the access log's
activity is asked per confirmed window (`log_activity`, four rows each).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from forensics import __version__
from forensics.errors import ForensicsError
from forensics.investigate.coverage import QUERIES as COVERAGE_QUERIES, Coverage
from forensics.investigate.evidence import fill_raw, ref
from forensics.investigate.outage import causes as causes_mod
from forensics.investigate.outage import corroborate
from forensics.investigate.outage.claims import reconcile
from forensics.investigate.outage.model import OutageFinding, OutageInvestigation
from forensics.investigate.outage.sla import availability, query_range
from forensics.investigate.outage.windows import down_runs, merge_windows, monitored_time, stream_spans
from forensics.investigate.run import QueryRun, account_events, as_instant, config_of
from forensics.messages import msg
from forensics.timefmt import UTC, as_utc, iso, zone


def service_names(target: str | None, aliases=()) -> list[str]:
    """The service's names: `--target` (comma-separated names allowed) and aliases."""
    names = []
    for value in [target, *aliases]:
        for name in str(value or "").split(","):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    if not names:
        raise ForensicsError("an outage investigation needs the service: give --target (the server/VM id or domain "
                             "the monitoring names)")
    return names


def _state_log_gaps(case, cfg, span) -> dict[int, list]:
    """Silences of the Nagios/Icinga state logs, longer than `[sla] max_state_log_silence_hours`."""
    state_sources = {int(r["source_id"]) for r in span if int(r["checks"] or 0) == 0}
    if not state_sources:
        return {}
    hours = float(cfg["sla"]["max_state_log_silence_hours"])
    cov = Coverage(case, {**cfg, "coverage": {**cfg["coverage"], "max_gap_hours": hours}})
    return {s.source_id: [(g.start, g.end) for g in s.gaps] for s in cov.sources if s.source_id in state_sources}


def investigate_outage(case, account: str, *, target: str | None = None, aliases=(), since=None, until=None,
                       claims=(), tz: str | None = None, config=None) -> OutageInvestigation:
    """Investigate a claimed outage of a service.

    Args:
        case: an open `forensics.case.Case`.
        account: the customer account (its panel events: power actions,
            notifications, incidents); None looks at the monitoring and the
            server's logs only.
        target: the service: the server/VM id or domain the monitoring and
            the server's log name (several, comma-separated).
        aliases: more names of the same service.
        since, until: the period (ISO date or date-time; a date `until`
            includes that day); default: what the monitoring covers.  The
            SLA table covers the whole months and years it touches.
        claims: the customer's own sentences (en/de/cs/pl).
        tz: IANA zone for local times and the customer's weekdays and dates.
        config: a settings dict or a TOML path (see `[sla]` in thresholds.toml).

    Returns:
        An `OutageInvestigation`; `.to_dict()` is the `--json` document
        (schema: `forensics/investigate/outage/outage.schema.json`).
    """
    cfg = config_of(config)
    sla = cfg["sla"]
    tzinfo = zone(tz)
    names = service_names(target, aliases)
    if account:
        run, _events, panel, notes = account_events(case, account, cfg)
    else:   # the monitoring alone (no panel: no causes or notices from it)
        run, panel = QueryRun(case, None, cfg), []
        notes = [msg("No account given: causes and notices from the panel were not looked for.")]
    span = run.rows("monitor_span", {"targets": names})
    if not span:
        raise ForensicsError(f"the case has no monitoring results for {', '.join(names)} (ingest a Nagios/Icinga "
                             "state log or a check export that names it)")
    data_first = min(as_utc(r["first_ts"]) for r in span)
    data_last = max(as_utc(r["last_ts"]) for r in span)
    files_last = max(as_utc(r["file_last_ts"]) for r in span)
    since_t = as_instant(since, tzinfo) or data_first
    until_t = as_instant(until, tzinfo, end=True) or (max(data_last, files_last) + dt.timedelta(seconds=1))
    if until_t <= since_t:
        raise ForensicsError(f"the period ends ({iso(until_t)}) before it begins ({iso(since_t)})")
    q_since, q_until = query_range(since_t, until_t, sla["periods"], tzinfo)
    logs_end = min(until_t, max(data_last, files_last))

    runs = run.rows("monitor_runs", {"targets": names, "since": q_since, "until": q_until})
    silences = run.rows("monitor_silences", {"targets": names, "since": q_since, "until": q_until,
                                             "max_interval_seconds": float(sla["max_check_interval_minutes"]) * 60})
    file_ends = {int(r["source_id"]): as_utc(r["file_last_ts"]) for r in span}
    monitored, gaps = monitored_time(span, silences, _state_log_gaps(case, cfg, span), q_since, logs_end)
    all_windows = merge_windows(down_runs(runs, file_ends), stream_spans(runs, file_ends),
                                join_seconds=float(sla["max_check_interval_minutes"]) * 60,
                                min_probes=int(sla["min_probes"]), min_failed_checks=int(sla["min_failed_checks"]))
    confirmed = [w for w in all_windows if w.confirmed]
    for i, w in enumerate(confirmed, start=1):
        w.index = i

    life_signs = [ref(r) for r in run.rows("server_life_signs", {
        "hosts": names, "since": q_since - dt.timedelta(days=1), "until": q_until + dt.timedelta(days=1)})]
    downtimes = [ref(r) for r in run.rows("monitor_downtimes", {"targets": names, "since": q_since - dt.timedelta(days=1),
                                                                "until": q_until})]
    panel_refs = causes_mod.panel_refs(panel, names)
    notices = causes_mod.notices_of(panel_refs, cfg)
    in_period = [w for w in confirmed if w.start < until_t and w.end > since_t]
    for w in confirmed:
        w.causes = causes_mod.causes(w, panel_refs, life_signs, downtimes, cfg)
        w.cause = w.causes[0].code if w.causes else "unknown"
        w.announcement, w.notices = causes_mod.announcement(w, notices, cfg)
        slack = dt.timedelta(minutes=float(sla["boot_slack_minutes"]))
        w.life_signs = [x for x in life_signs if w.start - slack <= as_utc(x.ts) <= w.end + slack]
        if sla["exclude_customer_caused"] and w.cause in causes_mod.CUSTOMER_CAUSED:
            w.excluded, w.exclusion = True, "customer_caused"
        elif sla["exclude_announced_maintenance"] and w.cause == "provider_maintenance" and w.announcement == "in_advance":
            w.excluded, w.exclusion = True, "announced_maintenance"
    for w in in_period:   # the other logs only for the windows the dispute is about
        w.server_log = corroborate.server_log(run, w, names, life_signs, cfg)
        w.access_log = corroborate.access_log(run, w, names, cfg)
        w.corroboration = corroborate.verdict(w)
        w.explanation = _explain(w)

    periods = availability(confirmed, monitored, logs_end, since_t, until_t, cfg, tzinfo)
    reference = until_t if until is not None else logs_end
    claim_results = [reconcile(text, in_period, monitored, (since_t, until_t), reference, cfg, tzinfo)
                     for text in claims]
    coverage = Coverage(case, cfg)
    run.queries.extend(q for q in COVERAGE_QUERIES if q not in run.queries)
    period_gaps = _clip_gaps(gaps, since_t, until_t, float(sla["max_check_interval_minutes"]) * 60)
    finding = OutageFinding(
        service=names[0], names=names, period_start=since_t, period_end=until_t,
        monitoring=[{"source_id": int(r["source_id"]), "path": r["path"], "format": r["format"],
                     "first_ts": iso(as_utc(r["first_ts"])), "last_ts": iso(as_utc(r["last_ts"])),
                     "events": int(r["events"]), "checks": int(r["checks"]),
                     "probes": len({x["probe"] for x in runs if x["source_id"] == r["source_id"] and x["probe"]})}
                    for r in span],
        monitored=monitored, windows=in_period,
        unconfirmed=[w for w in all_windows if not w.confirmed and w.start < until_t and w.end > since_t],
        gaps=period_gaps, sla=periods,
        life_signs=[x for x in life_signs if since_t <= as_utc(x.ts) < until_t],
        downtimes=[x for x in downtimes if since_t <= as_utc(x.ts) < until_t])
    finding.key_facts = _key_facts(finding)
    if period_gaps:
        notes.append(msg("The monitoring has {n} gap in the period; that time is counted neither as up nor as "
                         "down.",
                         "The monitoring has {n} gaps in the period; that time is counted neither as up nor as "
                         "down.", n=len(period_gaps)))
    return fill_raw(case, OutageInvestigation(
        account=account,
        parameters={"dispute": "outage", "target": ",".join(names), "since": iso(since_t), "until": iso(until_t),
                    "tz": tz, "claims": list(claims)},
        generated_at=dt.datetime.now(UTC).replace(microsecond=0), tool_version=__version__,
        findings=[], claims=[], coverage=coverage.sources, geoip_databases=[], isp_data_available=False,
        thresholds=cfg, queries_used=list(run.queries), sessions=[], notes=notes,
        outage=finding, outage_claims=claim_results))


# The codes in words, as message ids (the report's tables use the same English).
CAUSE_WORDS = {
    "customer_action": msg("the customer's own action in the panel"),
    "server_shutdown": msg("a shutdown asked for inside the server"),
    "provider_maintenance": msg("the provider's maintenance"),
    "hardware_failure": msg("hardware failure"),
    "kernel_panic": msg("kernel panic of the server"),
    "watchdog": msg("watchdog lockup of the server"),
    "out_of_memory": msg("the server ran out of memory"),
    "power_button": msg("power-button request from the hypervisor"),
    "unknown": msg("not recorded in the logs"),
}
VERDICT_WORDS = {"met": msg("promise met"), "missed": msg("promise missed"),
                 "undetermined": msg("undetermined: the monitoring's gaps decide")}


def _clip_gaps(gaps, since_t, until_t, shortest: float):
    """The gaps inside the investigated period (an edge shorter than one check
    interval is no gap)."""
    out = []
    for g in gaps:
        s, e = max(g.start, since_t), min(g.end, until_t)
        if e <= s or (g.kind in ("before_monitoring", "after_monitoring") and (e - s).total_seconds() <= shortest):
            continue
        out.append(dataclasses.replace(g, start=s, end=e, seconds=(e - s).total_seconds()))
    return out


def _hours(seconds: float) -> float:
    return round(seconds / 3600, 1)


def _explain(w):
    return msg("Down from {start} to {end} ({hours} h), seen {by_probes} {in_checks}; cause: {cause}.",
               start=iso(w.start), end=iso(w.end), hours=_hours(w.duration_s),
               by_probes=msg("by {n} probe", "by {n} probes", n=len(w.probes)),
               in_checks=msg("in {n} failed check", "in {n} failed checks", n=w.failed_checks),
               cause=CAUSE_WORDS[w.cause])


def _key_facts(f: OutageFinding) -> list[str]:
    facts = []
    if not f.windows:
        facts.append(msg("The monitoring recorded no confirmed outage of {service} from {start} to {end}.",
                         service=f.service, start=iso(f.period_start), end=iso(f.period_end)))
    for w in f.windows:
        facts.append(msg("Outage {n}: {start} to {end}, {hours} h ({cause}).", n=w.index, start=iso(w.start),
                         end=iso(w.end), hours=_hours(w.duration_s), cause=CAUSE_WORDS[w.cause]))
    for p in f.sla:
        if p.availability_percent is not None:
            facts.append(msg("Availability {label}: {value} % measured (promise {promise} %): {verdict}.",
                             label=p.label, value=p.availability_percent, promise=p.promise_percent,
                             verdict=VERDICT_WORDS[p.verdict]))
    if f.gaps:
        facts.append(msg("Unmonitored in the period: {hours} h.", hours=_hours(sum(g.seconds for g in f.gaps))))
    return facts
