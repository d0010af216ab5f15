"""The report's notices section: a `NoticesInvestigation` → template values.

Used by `render_report` for `--dispute notices` through the shared
`build_context(..., extra=...)` hook, so that every line shown here is
registered with the same `Citations` as the rest of the report (numbered in
the appendix).  Codes are translated with the report catalog; the
investigation's sentences (`Msg`) are rendered in the report's language;
log values (addresses, the remote server's reply, subjects) stay as logged.
"""

from __future__ import annotations

from typing import Any

from forensics.investigate.notices.texts import OUTCOMES
from forensics.messages import Msg, render
from forensics.report.i18n import N_

CLASSES = {
    "contradicted": N_("contradicted by the logs"),
    "supported": N_("supported by the logs"),
    "partly": N_("partly supported"),
    "not_covered": N_("not covered by the logs"),
}
CLAIM_KINDS = {"not_informed": N_("not informed"), "no_response": N_("no answer")}
CHANNELS = {"email": N_("e-mail"), "phone": N_("phone"), "letter": N_("letter"), "web": N_("web"),
            "chat": N_("chat"), "sms": N_("SMS"), "ticket": N_("ticket")}
RECORD = {True: N_("on record"), False: N_("not on record"), None: N_("record unknown")}
ACTIONS = {
    "domain_block": N_("domain blocked"), "domain_unblock": N_("domain unblocked"),
    "service_suspend": N_("service suspended"), "service_unsuspend": N_("service resumed"),
    "service_terminate": N_("service terminated"), "block": N_("blocked"), "unblock": N_("unblocked"),
    "suspend": N_("suspended"), "unsuspend": N_("resumed"),
}
ROLES = {"system": N_("system"), "staff": N_("staff"), "customer": N_("customer")}


def notices_block(inv, b, *, translations, lang: str, limits, svg: str) -> dict[str, Any]:
    """The `notices` template value.

    Args:
        inv: the (possibly redacted) `NoticesInvestigation`.
        b: the report's `Builder` (formatting, codes, citations).
        translations: the report language's gettext translations (None: English).
        lang: language code (numbers in sentences are formatted for it).
        limits: row limits (`[report]`).
        svg: the contact timeline figure.
    """
    def say(value):
        return render(_named(value, b), translations, lang)

    def prose(value):
        return b.prose(_named(value, b))

    contacts = [c for c in inv.contacts if not c.routine]
    shown = contacts[: limits.timeline * 2]
    rows = []
    for c in shown:
        trace = c.trace
        final = trace.final if trace is not None else None
        rows.append({
            "when": b.when(c.ts),
            "channel": b.code(CHANNELS, c.channel),
            "role": b.code(ROLES, c.sender_role) if c.sender_role else "",
            "recipient": c.recipient or "–",
            "record_code": {True: "yes", False: "no", None: "unknown"}[c.on_record],
            "record": b._(RECORD[c.on_record]),
            "address_on_record": c.address_on_record or "",
            "record_citation": b.citations.add(c.record_ref) if c.record_ref is not None and c.on_record is False
            else "",
            "subject": c.subject or "",
            "outcome_code": c.outcome,
            "outcome": say(OUTCOMES.get(c.outcome, c.outcome)),
            "reply": (final.reply or final.status or "") if final else "",
            "relay": (final.relay or "") if final else "",
            "dsn": (final.dsn or "") if final else "",
            "delivery_when": b.when(final.ref.ts) if final else None,
            "delivery_citation": b.citations.add(final.ref) if final else "",
            "queued_citation": b.citations.add(trace.queued) if trace is not None and trace.queued else "",
            "attempts": len(trace.attempts) if trace is not None else 0,
            "message_id": c.message_id or "",
            "queue_ids": ", ".join(trace.queue_ids) if trace is not None else "",
            "matched_by": trace.matched_by if trace is not None else "",
            "citation": b.citations.add(c.ref),
            "staff": c.staff or "",
        })
    actions = [{
        "when": b.when(a.ref.ts), "event": b.code(ACTIONS, a.event, a.event), "target": a.ref.target or "",
        "release": a.release, "summary": prose(a.summary), "citation": b.citations.add(a.ref),
        "who": a.ref.user or "",
    } for a in inv.actions]
    messages = []
    for m in inv.customer_messages:
        messages.append({
            "when": b.when(m.ref.ts), "subject": m.subject or "", "channel": b.code(CHANNELS, m.channel),
            "citation": b.citations.add(m.ref),
            "first_response": b.when(m.first_response.ts) if m.first_response else None,
            "response_citation": b.citations.add(m.first_response) if m.first_response else "",
            "hours": _hours(b, m.first_response_hours), "open_hours": _hours(b, m.open_hours),
            "resolution": b.when(m.resolution.ts) if m.resolution else None,
            "resolution_hours": _hours(b, m.resolution_hours),
            "resolution_citation": b.citations.add(m.resolution) if m.resolution else "",
            "within_code": {True: "yes", False: "no", None: "open"}[m.within_promise],
            "explanation": say(m.explanation),
        })
    claims = [{
        "text": c.text, "kind": b.code(CLAIM_KINDS, c.kind) if c.kind else "–",
        "classification_code": c.classification, "classification": b.code(CLASSES, c.classification),
        "explanation": prose(c.explanation), "dates": [d.isoformat() for d in c.dates],
        "citations": [b.citations.add(r) for r in c.evidence[:6]], "more": max(0, len(c.evidence) - 6),
    } for c in inv.claims]
    addresses = [{"since": b.when(a.since) if a.since else None, "address": a.address,
                  "kind": b.code(CHANNELS, a.kind), "citation": b.citations.add(a.ref)}
                 for a in sorted(inv.addresses, key=lambda a: (a.kind, a.since is not None, a.since or 0))]
    gaps = [{"start": b.when(g.start), "end": b.when(g.end), "hours": _hours(b, g.hours), "path": g.path or "",
             "kind": g.source_kind or ""} for g in inv.gaps]
    restricting = next((a for a in inv.actions if not a.release), None)
    return {
        "facts": [prose(f) for f in inv.key_facts],
        "period": {"start": b.when(inv.period[0]), "end": b.when(inv.period[1])},
        "promise": {k: b.num(_num(v)) for k, v in inv.promise.items()},
        "contacts": rows, "contacts_total": len(contacts), "contacts_omitted": len(contacts) - len(shown),
        "routine": len(inv.contacts) - len(contacts),
        "actions": actions, "messages": messages, "claims": claims, "addresses": addresses, "gaps": gaps,
        "notes": [say(n) for n in inv.notes],
        "svg": svg,
        "first_action": {"event": b.code(ACTIONS, restricting.event, restricting.event),
                         "target": restricting.ref.target or "", "when": b.when(restricting.ref.ts)}
        if restricting else None,
    }


def _named(value, b):
    """The message with its codes in words: each `event` parameter that is an
    action code (the investigation names actions by code: `domain_block`)
    becomes the action's name in the report's language ("Domain gesperrt"),
    a `channels` list ("email, phone") the channels' names."""
    if not isinstance(value, Msg):
        return value
    params, changed = {}, False
    for key, param in value.params.items():
        if isinstance(param, Msg):
            params[key] = _named(param, b)
            changed |= params[key] is not param
        elif key == "event" and isinstance(param, str) and param in ACTIONS:
            params[key], changed = b.code(ACTIONS, param), True
        elif key == "channels" and isinstance(param, str) and not isinstance(param, Msg):
            params[key], changed = ", ".join(b.code(CHANNELS, c.strip()) for c in param.split(",")), True
        else:
            params[key] = param
    return Msg(value.msgid, value.plural, **params) if changed else value


def _hours(b, value):
    """Hours in the locale's format with one decimal ("198,4"), or None."""
    return None if value is None else b.num(value, 1)


def _num(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
