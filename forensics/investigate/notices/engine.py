"""`investigate_notices()`: was the customer told, and was he answered? (the `notices` kind).

Cost follows the account's own contact history: one query for the
account's notices, contacts, address changes and actions
(`customer_contacts`), then the mail log only for the notices' Message-IDs
and queue ids (`mail_by_message_id`, `mail_by_queue_id`) and, for notices
without a Message-ID, their recipients (`mail_to_recipients`), each inside
the notices' time window.  Coverage (`source_coverage`, `source_gaps`) is
shared with the other kinds.
"""

from __future__ import annotations

import datetime as dt

from forensics import __version__
from forensics.errors import ForensicsError
from forensics.investigate.coverage import QUERIES as COVERAGE_QUERIES, Coverage
from forensics.investigate.evidence import ref
from forensics.investigate.notices import contacts as ct
from forensics.investigate.notices.claims import reconcile
from forensics.investigate.notices.deliveries import trace_messages
from forensics.investigate.notices.model import FAILED, REACHED, NoticesInvestigation
from forensics.investigate.run import QueryRun, as_instant, config_of
from forensics.investigate.notices.texts import number
from forensics.messages import msg
from forensics.timefmt import UTC, iso, zone

KINDS = ("mail", "ticket")


def investigate_notices(case, account: str, *, since=None, until=None, claims=(), tz: str | None = None,
                        config=None) -> NoticesInvestigation:
    """Every contact attempt, provider action and customer message of an account, reconciled with the claims.

    Args:
        case: an open `forensics.case.Case`.
        account: the customer account id.
        since, until: the period (ISO date or date-time; a date `until`
            includes that day).  Default: the account's whole contact history.
        claims: the customer's own sentences (en/de/cs/pl), e.g. "nobody told
            me", "seit 8 Tagen keine Reaktion".
        tz: IANA zone for reading the customer's dates.
        config: a settings dict or the path of a TOML file (`[notices]` in
            thresholds.toml).

    Returns:
        A `NoticesInvestigation`; `.to_dict()` is the `--json` document.

    Raises:
        ForensicsError: the case has nothing of the account to examine.
    """
    cfg = config_of(config)
    tzinfo = zone(tz)
    since_t, until_t = as_instant(since, tzinfo), as_instant(until, tzinfo, end=True)
    run = QueryRun(case, account, cfg)
    rows = run.rows("customer_contacts", {"account": account,
                                         "action_events": list(cfg["notices"]["action_events"])})
    refs = [ref(r) for r in rows if r.get("ts") is not None]
    if not refs:
        raise ForensicsError(f"the case has no notice, ticket message, contact change or service action "
                             f"for account {account!r}")
    coverage = Coverage(case, cfg)
    run.queries.extend(q for q in COVERAGE_QUERIES if q not in run.queries)
    history = ct.address_history(refs)      # the whole history: the record before the period counts
    in_period = [r for r in refs if (since_t is None or r.ts >= since_t) and (until_t is None or r.ts < until_t)]

    def mail_covers(when):
        return coverage.covers(when, kinds=("mail",))

    contacts = ct.contact_attempts(in_period, history, lambda notices: trace_messages(run, notices, cfg), cfg,
                                   mail_covers)
    actions = ct.provider_actions(in_period, cfg)
    ticket_span = coverage.period("ticket")
    ticket_end = min(ticket_span[1], until_t) if ticket_span and until_t else (ticket_span[1] if ticket_span
                                                                                else None)
    messages = ct.customer_messages(in_period, actions, cfg, ticket_end)
    ct.link_actions(actions, contacts, messages, cfg)

    start = since_t or min(r.ts for r in in_period or refs)
    end = until_t or max([r.ts for r in in_period or refs] + [s.last_ts for s in coverage.sources
                                                                if s.source_kind in KINDS and s.last_ts])
    parts = {"contacts": contacts, "actions": actions, "customer_messages": messages, "period": (start, end)}
    claim_results = [reconcile(text, parts, coverage=coverage, cfg=cfg, tzinfo=tzinfo, reference=end)
                     for text in claims]
    gaps = [g for k in KINDS for g in coverage.gaps(k) if g.start < end and g.end > start]
    notes = _notes(coverage, start, end)
    return NoticesInvestigation(
        account=account,
        parameters={"dispute": "notices", "since": iso(since_t) if since_t else None,
                    "until": iso(until_t) if until_t else None, "tz": tz, "claims": list(claims)},
        generated_at=dt.datetime.now(UTC).replace(microsecond=0), tool_version=__version__,
        period=(start, end), contacts=contacts, actions=actions, customer_messages=messages,
        addresses=history, claims=claim_results, coverage=coverage.sources, gaps=gaps,
        promise={"first_response_hours": float(cfg["notices"]["first_response_hours"]),
                 "resolution_hours": float(cfg["notices"]["resolution_hours"])},
        key_facts=_key_facts(contacts, actions, messages, cfg), thresholds=cfg,
        queries_used=list(run.queries), notes=notes)


def _notes(coverage: Coverage, start, end) -> list:
    notes = []
    for kind, what in (("mail", msg("The case has no mail log: whether e-mails reached the customer's server "
                                    "cannot be checked.")),
                       ("ticket", msg("The case has no ticket or contact export: the customer's messages and "
                                      "logged calls are not examined."))):
        span = coverage.period(kind)
        if span is None:
            notes.append(what)
        elif span[0] > start or span[1] < end:
            notes.append(msg("The {kind} log covers {first} to {last}, not the whole period examined "
                             "({start} to {end}).", kind=kind, first=iso(span[0]), last=iso(span[1]),
                             start=iso(start), end=iso(end)))
    return notes


def _key_facts(contacts, actions, messages, cfg) -> list:
    facts = []
    warnings = [c for c in contacts if not c.routine]
    if warnings:
        reached = sum(1 for c in warnings if c.outcome in REACHED)
        failed = sum(1 for c in warnings if c.outcome in FAILED)
        channels = ", ".join(sorted({c.channel for c in warnings}))
        facts.append(msg("Contact attempts of the provider: {n} ({channels}); reached the customer: {reached}; "
                         "failed: {failed}; outcome not known: {other}.", n=len(warnings), channels=channels,
                         reached=reached, failed=failed, other=len(warnings) - reached - failed))
        stale = [c for c in warnings if c.on_record is False]
        if stale:
            facts.append(msg("Sent to an address that was not on record at the time: {n}.", n=len(stale)))
    else:
        facts.append(msg("No contact attempt of the provider in the period."))
    for a in actions:
        facts.append(msg("{event} at {when}: {summary}", event=a.event, when=iso(a.ref.ts), summary=a.summary))
    if messages:
        promise = float(cfg["notices"]["first_response_hours"])
        waits = [m.first_response_hours if m.first_response_hours is not None else (m.open_hours or 0.0)
                 for m in messages]
        late = sum(1 for w in waits if w > promise)
        facts.append(msg("Messages of the customer: {n}; the longest wait for a first reply: {hours} hours; "
                         "beyond the promise of {promise} hours: {late}.",
                         n=len(messages), hours=number(max(waits)), late=late, promise=number(promise)))
    return facts
