"""The account's contact history: who tried to reach whom, how, and what came of it.

From the rows of `customer_contacts` (panel notifications, e-mail/contact
changes, the provider's actions, every ticket message and logged contact):

* `address_history()`: the e-mail address and phone number on record over
  time, from the panel's `email_change` / `contact_update` events (detail
  keys `old`/`new`, `from`/`to`, `email`, `phone`, `old_email`/`new_email`,
  `old_phone`/`new_phone`); before the first change, the first change's old
  value;
* `contact_attempts()`: every notice and outbound contact (panel
  `notification_sent`, ticket messages and calls of staff or the system
  towards the customer), one per Message-ID when both logs have it, with
  the address on record at that moment;
* `customer_messages()`: each inbound message with staff's first reply
  (same ticket when the ticket is known) and the release action that
  followed, against the promise in `[notices]`;
* `provider_actions()`: blocks, suspensions, releases and what preceded each.
"""

from __future__ import annotations

import datetime as dt
import re

from forensics.investigate.notices.deliveries import normalise_message_id
from forensics.investigate.notices.model import (AddressRecord, ContactAttempt, CustomerMessage, ProviderAction,
                                                 REACHED, FAILED)
from forensics.investigate.notices.texts import number, outcome_text
from forensics.messages import join, msg
from forensics.timefmt import iso

_EMAIL_NEW = ("new", "to", "email", "new_email")
_EMAIL_OLD = ("old", "from", "old_email")
_PHONE_NEW = ("phone", "new_phone")
_PHONE_OLD = ("old_phone",)
PHONE_CHANNELS = ("phone", "sms")


def _d(r) -> dict:
    return r.detail if isinstance(r.detail, dict) else {}


def _first(d: dict, keys) -> str | None:
    for k in keys:
        v = d.get(k)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def _phone_key(text: str | None) -> str | None:
    digits = re.sub(r"\D", "", text or "")
    return digits[-9:] if digits else None     # national part: +420 601 234 567 == 601234567


def address_history(refs) -> list[AddressRecord]:
    """E-mail and phone numbers on record, oldest first."""
    out: list[AddressRecord] = []
    for kind, new_keys, old_keys in (("email", _EMAIL_NEW, _EMAIL_OLD), ("phone", _PHONE_NEW, _PHONE_OLD)):
        changes = [r for r in refs if r.event in ("email_change", "contact_update") and r.result != "failure"
                   and (kind == "email" or r.event == "contact_update")
                   and _first(_d(r), new_keys)]
        if kind == "email":
            changes = [r for r in changes if "@" in (_first(_d(r), new_keys) or "")]
        for i, r in enumerate(changes):
            old = _first(_d(r), old_keys)
            if i == 0 and old:
                out.append(AddressRecord(since=None, address=old, kind=kind, ref=r))
            out.append(AddressRecord(since=r.ts, address=_first(_d(r), new_keys), kind=kind, ref=r))
    return out


def on_record(history: list[AddressRecord], kind: str, when: dt.datetime) -> AddressRecord | None:
    """The record in force at `when` (None: no change logged, so unknown)."""
    current = None
    for rec in history:
        if rec.kind != kind:
            continue
        if rec.since is None or rec.since <= when:
            current = rec
    return current


def _channel(r) -> str:
    d = _d(r)
    ch = (d.get("channel") or "").strip().lower()
    if ch:
        return {"e-mail": "email", "mail": "email", "call": "phone", "post": "letter"}.get(ch, ch)
    if r.source_kind == "panel":
        return "email"
    to = d.get("to") or d.get("recipient") or ""
    return "email" if "@" in to or d.get("message_id") else "ticket"


def is_outbound(r) -> bool:
    """A message or contact from the provider towards the customer."""
    if r.event == "notification_sent":
        return True
    if r.source_kind != "ticket":
        return False
    direction = (_d(r).get("direction") or "").lower()
    if direction:
        return direction == "out"
    return r.actor in ("staff", "system")


def is_inbound(r) -> bool:
    if r.source_kind != "ticket":
        return False
    direction = (_d(r).get("direction") or "").lower()
    if direction:
        return direction == "in"
    return r.actor == "customer"


def contact_attempts(refs, history, traces_for, cfg, mail_covers) -> list[ContactAttempt]:
    """Every outbound contact, one per Message-ID.

    `traces_for(list of (key, ts, message_id, recipient))` returns {key:
    MessageTrace}; `mail_covers(ts)` says whether the mail log covers a time.
    """
    routine = {t.lower() for t in cfg["notices"]["routine_templates"]}
    picked, by_mid = [], {}
    for r in refs:
        if not is_outbound(r):
            continue
        mid = normalise_message_id(_d(r).get("message_id"))
        if mid and mid in by_mid:
            by_mid[mid][1].append(r)
            continue
        entry = (r, [])
        picked.append(entry)
        if mid:
            by_mid[mid] = entry
    notices = []
    for i, (r, _) in enumerate(picked):
        d = _d(r)
        if _channel(r) == "email":
            notices.append((i, r.ts, normalise_message_id(d.get("message_id")),
                            (d.get("to") or d.get("recipient") or d.get("email") or "").strip() or None))
    traces = traces_for(notices) if notices else {}
    out = []
    for i, (r, also) in enumerate(picked):
        d = _d(r)
        channel = _channel(r)
        recipient = (d.get("to") or d.get("recipient") or d.get("email") or d.get("phone") or "").strip() or None
        template = (d.get("template") or "").lower()
        kind = "phone" if channel in PHONE_CHANNELS else "email" if channel == "email" else None
        record = on_record(history, kind, r.ts) if kind else None
        matches = None
        if record is not None and recipient:
            matches = (recipient.lower() == record.address.lower() if kind == "email"
                       else _phone_key(recipient) == _phone_key(record.address))
        trace = traces.get(i)
        outcome, why = _outcome(r, channel, trace, mail_covers)
        out.append(ContactAttempt(
            ts=r.ts, channel=channel, ref=r, sender_role=r.actor, staff=r.user if r.actor == "staff" else None,
            recipient=recipient, subject=d.get("subject") or d.get("template"), ticket=r.target if
            r.source_kind == "ticket" else d.get("ticket"), message_id=normalise_message_id(d.get("message_id")),
            routine=template in routine, on_record=matches, address_on_record=record.address if record else None,
            record_ref=record.ref if record else None, outcome=outcome, explanation=why, trace=trace,
            also_logged=also))
    return out


def _outcome(r, channel, trace, mail_covers):
    d = _d(r)
    logged = (d.get("outcome") or "").strip().lower().replace(" ", "_").replace("-", "_")
    if channel == "email":
        if r.result == "failure":
            return "unknown", msg("The panel logged the sending itself as failed ({citation}).",
                                  citation=r.citation)
        if trace is None or trace.matched_by == "none":
            if not mail_covers(r.ts):
                return "unknown", msg("The mail log does not cover {when}: the delivery cannot be checked.",
                                      when=iso(r.ts))
            return "not_in_mail_log", msg("The mail log covers {when} but does not name this message.",
                                          when=iso(r.ts))
        final = trace.final
        if final is None:
            return trace.outcome, outcome_text(trace.outcome)
        said = msg("{outcome}: {relay} answered “{reply}” at {when} ({citation}).",
                   outcome=outcome_text(trace.outcome), relay=final.relay or "–",
                   reply=final.reply or final.status or "–", when=iso(final.ref.ts), citation=final.ref.citation)
        if trace.matched_by == "recipient_and_time":
            said = join([said, msg("Matched by recipient and time: the mail log does not name the notice's "
                                   "Message-ID.")], sep=" ")
        return trace.outcome, said
    if channel in PHONE_CHANNELS:
        code = logged if logged in ("reached", "voicemail", "no_answer", "busy") else "unknown"
        return code, msg("Call logged by staff: {outcome}.", outcome=outcome_text(code))
    if channel == "letter":
        code = logged if logged in ("sent", "returned") else "unknown"
        return code, outcome_text(code)
    return ("unknown", msg("Posted in the ticket system ({channel}); the log does not say whether it was read.",
                           channel=channel))


def customer_messages(refs, actions, cfg, ticket_end: dt.datetime | None) -> list[CustomerMessage]:
    """Each message of the customer, with staff's first reply and the release that followed."""
    promise = float(cfg["notices"]["first_response_hours"])
    releases = [a for a in actions if a.release]
    replies = [r for r in refs if is_outbound(r) and r.actor == "staff"]
    out = []
    for r in refs:
        if not is_inbound(r):
            continue
        later = [x for x in replies if x.ts > r.ts]
        same = [x for x in later if r.target and x.source_kind == "ticket" and x.target == r.target]
        first = (same or later or [None])[0]
        hours = (first.ts - r.ts).total_seconds() / 3600 if first else None
        release = next((a.ref for a in releases if a.ref.ts > r.ts), None)
        res_hours = (release.ts - r.ts).total_seconds() / 3600 if release else None
        open_until = open_hours = None
        if first is None and ticket_end is not None and ticket_end >= r.ts:
            open_until = ticket_end
            open_hours = (ticket_end - r.ts).total_seconds() / 3600
        if hours is not None:
            within = hours <= promise
            why = msg("First reply after {hours} hours ({citation}); the promise is {promise} hours.",
                      hours=number(hours), citation=first.citation, promise=number(promise))
        elif open_hours is not None:
            within = False if open_hours > promise else None
            why = msg("No reply in the ticket log; it ends {hours} hours after the message ({when}).",
                      hours=number(open_hours), when=iso(open_until))
        else:
            within, why = None, msg("No reply in the ticket log.")
        d = _d(r)
        out.append(CustomerMessage(ref=r, ticket=r.target, channel=_channel(r), subject=d.get("subject"),
                                   first_response=first, first_response_hours=round(hours, 2) if hours is not None
                                   else None, resolution=release, resolution_hours=round(res_hours, 2)
                                   if res_hours is not None else None, open_until=open_until,
                                   open_hours=round(open_hours, 2) if open_hours is not None else None,
                                   within_promise=within, explanation=why))
    return out


def provider_actions(refs, cfg) -> list[ProviderAction]:
    section = cfg["notices"]
    events, releases = set(section["action_events"]), set(section["release_events"])
    return [ProviderAction(ref=r, event=r.event, release=r.event in releases)
            for r in refs if r.event in events and r.result != "failure"]


def link_actions(actions, contacts, messages, cfg) -> None:
    """What preceded each action: the contact attempts and the customer's
    messages in the `[notices] lookback_days` before it."""
    days = float(cfg["notices"]["lookback_days"])
    span = dt.timedelta(days=days)
    for a in actions:
        t = a.ref.ts
        a.warnings = [i for i, c in enumerate(contacts) if not c.routine and t - span <= c.ts < t]
        a.customer_messages = [i for i, m in enumerate(messages) if t - span <= m.ref.ts < t]
        warn = [contacts[i] for i in a.warnings]
        reached = sum(1 for c in warn if c.outcome in REACHED)
        failed = sum(1 for c in warn if c.outcome in FAILED)
        if a.release:
            a.summary = msg("Messages of the customer in the {days} days before: {n}.",
                            n=len(a.customer_messages), days=int(days))
        elif not warn:
            a.summary = msg("No contact attempt in the {days} days before.", days=int(days))
        else:
            channels = ", ".join(sorted({c.channel for c in warn}))
            a.summary = msg("Contact attempts in the {days} days before: {n} ({channels}); reached the customer: "
                            "{reached}; failed: {failed}; outcome not known: {other}.",
                            n=len(warn), days=int(days), channels=channels, reached=reached, failed=failed,
                            other=len(warn) - reached - failed)
