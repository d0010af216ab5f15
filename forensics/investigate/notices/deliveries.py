"""Deliveries joined into one story per message.

A notice names its Message-ID; the mail server's log names the same
Message-ID once (Postfix `cleanup ... message-id=<...>`, Exim `<= ... id=...`)
under a queue id, and every later line of that message carries the queue id:
the sender, each delivery attempt with the remote server's reply, the bounce
notice, the removal.  `trace_messages()` follows that chain for many
notices in three queries (by Message-ID, by queue id, by recipient for
notices logged without a Message-ID) and decides each message's outcome:

* **delivered**: a recipient's server accepted it (`status=sent`, Exim
  `=>`).  That is evidence of delivery *to that server*, not that a person
  read it;
* **bounced** / **expired**: refused permanently, or given up after retries;
* **deferred**: only temporary failures until the log ends;
* **queued**: the Message-ID is in the log, no delivery attempt is;
* **not_in_mail_log**: the mail log does not name the message at all.

A hand-off to a content filter on the same host (a loopback relay answering
`250 ... queued as X`) is not a delivery: the trace follows queue id X.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re

from forensics.investigate.evidence import ref
from forensics.investigate.notices.model import DeliveryAttempt, MessageTrace

_QUEUED_AS = re.compile(r"\bqueued as ([0-9A-Za-z]{5,20})\b")
_FAILED_STATUS = {"bounced": "bounced", "expired": "expired", "undeliverable": "bounced",
                  "undeliverable-but-not-cached": "bounced"}


def normalise_message_id(value) -> str | None:
    """`<a@b>` and `a@b` are the same Message-ID."""
    if value is None:
        return None
    text = str(value).strip().strip("<>").strip()
    return text or None


def _is_loopback(ip: str | None, host: str | None) -> bool:
    if host and host.lower() == "localhost":
        return True
    try:
        return bool(ip) and ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


def attempt_of(eref) -> DeliveryAttempt:
    d = eref.detail if isinstance(eref.detail, dict) else {}
    host, ip, port = d.get("relay_host"), d.get("relay_ip"), d.get("relay_port")
    relay = None
    if host:
        relay = host + (f"[{ip}]" if ip else "") + (f":{port}" if port else "")
    status = d.get("delivery_status") or ("expired" if eref.event == "mail_expired" else None)
    reply = d.get("reply")
    hand_off = status == "sent" and _is_loopback(ip, host) and bool(reply and _QUEUED_AS.search(reply))
    return DeliveryAttempt(ref=eref, recipient=eref.target, status=status, relay=relay, dsn=d.get("dsn"),
                           reply=reply, hand_off=hand_off)


def outcome_of(attempts: list[DeliveryAttempt], recipient: str | None = None) -> tuple[str, DeliveryAttempt | None]:
    """The message's outcome for `recipient` (all recipients when None) and
    the attempt that decided it."""
    mine = [a for a in attempts if not a.hand_off and
            (recipient is None or (a.recipient or "").lower() == recipient.lower())]
    if not mine:
        return "queued", None
    for a in mine:                      # any acceptance by a recipient's server wins
        if a.status == "sent":
            return "delivered", a
    final = [a for a in mine if a.status in _FAILED_STATUS]
    if final:
        return _FAILED_STATUS[final[-1].status], final[-1]
    return "deferred", mine[-1]


def trace_messages(run, notices, cfg) -> dict[int, MessageTrace]:
    """One `MessageTrace` per notice.

    Args:
        run: the investigation's `QueryRun` (the queries are recorded).
        notices: (key, ts, message_id, recipient) tuples.
        cfg: settings (`[notices] mail_window_hours`, `clock_slack_minutes`).

    Returns:
        {key: MessageTrace}; notices the mail log does not name get a trace
        with outcome `not_in_mail_log`.
    """
    section = cfg["notices"]
    window = dt.timedelta(hours=float(section["mail_window_hours"]))
    slack = dt.timedelta(minutes=float(section["clock_slack_minutes"]))
    out: dict[int, MessageTrace] = {}
    if not notices:
        return out
    since = min(n[1] for n in notices) - slack
    until = max(n[1] for n in notices) + window
    ids = sorted({m for _, _, m, _ in notices if m})
    by_id: dict[str, list] = {}
    if ids:
        found = run.rows("mail_by_message_id", {"message_ids": ids, "since": since, "until": until})
        for row in found:
            r = ref(row)
            mid = normalise_message_id((r.detail or {}).get("message_id") if isinstance(r.detail, dict) else None)
            by_id.setdefault(mid, []).append(r)
    # Notices without a Message-ID (or whose Message-ID the log never names):
    # delivery attempts to their recipient shortly after.
    loose = [n for n in notices if not (n[2] and n[2] in by_id) and n[3]]
    by_rcpt: dict[str, list] = {}
    if loose:
        rows = run.rows("mail_to_recipients", {"recipients": sorted({n[3].lower() for n in loose}),
                                            "since": min(n[1] for n in loose) - slack,
                                            "until": max(n[1] for n in loose) + window})
        for row in rows:
            r = ref(row)
            by_rcpt.setdefault((r.target or "").lower(), []).append(r)
    queue_ids = sorted({r.session for refs in [*by_id.values(), *by_rcpt.values()] for r in refs if r.session})
    by_queue: dict[str, list] = {}
    seen_queues: set[str] = set()
    while queue_ids:                    # follow hand-offs to a local filter ("queued as X")
        seen_queues |= set(queue_ids)
        lines = run.rows("mail_by_queue_id", {"queue_ids": queue_ids, "since": since, "until": until})
        more = set()
        for row in lines:
            r = ref(row)
            for key in _queue_keys(r):
                by_queue.setdefault(key, []).append(r)
            if r.event == "mail_delivery":
                a = attempt_of(r)
                if a.hand_off:
                    more.add(_QUEUED_AS.search(a.reply).group(1))
        queue_ids = sorted(more - seen_queues)
    hand_offs = _hand_off_map(by_queue)
    for key, ts, mid, rcpt in notices:
        if mid and mid in by_id:
            out[key] = _trace_by_id(mid, by_id[mid], by_queue, hand_offs, rcpt)
        elif rcpt and by_rcpt.get(rcpt.lower()):
            near = [r for r in by_rcpt[rcpt.lower()] if ts - slack <= r.ts <= ts + window]
            out[key] = _trace_by_recipient(mid, near, by_queue, hand_offs, rcpt) if near else \
                MessageTrace(message_id=mid, queue_ids=[], matched_by="none")
        else:
            out[key] = MessageTrace(message_id=mid, queue_ids=[], matched_by="none")
    return out


def _queue_keys(r) -> list[str]:
    keys = [r.session] if r.session else []
    if isinstance(r.detail, dict):
        keys += [r.detail[k] for k in ("parent_queue_id", "notice_queue_id") if r.detail.get(k)]
    return keys


def _hand_off_map(by_queue: dict[str, list]) -> dict[str, str]:
    """queue id -> the queue id it was handed on as (local filter)."""
    out = {}
    for qid, refs in by_queue.items():
        for r in refs:
            if r.session == qid and r.event == "mail_delivery":
                a = attempt_of(r)
                if a.hand_off:
                    out[qid] = _QUEUED_AS.search(a.reply).group(1)
    return out


def _collect(queue_ids: list[str], by_queue, hand_offs) -> tuple[list[str], list]:
    chain, refs, todo = [], {}, list(queue_ids)
    while todo:
        qid = todo.pop(0)
        if qid in chain:
            continue
        chain.append(qid)
        for r in by_queue.get(qid, []):
            refs[(r.path, r.line_no)] = r
        if qid in hand_offs:
            todo.append(hand_offs[qid])
    return chain, sorted(refs.values(), key=lambda r: (r.ts, r.path, r.line_no))


def _finish(trace: MessageTrace, lines, rcpt) -> MessageTrace:
    trace.lines = lines
    for r in lines:
        if r.event == "mail_sender" and trace.sender is None:
            trace.sender = r.user
        elif r.event == "mail_received" and trace.sender is None and r.user:
            trace.sender = r.user
        elif r.event == "mail_bounce_notice" and trace.bounce_notice is None:
            trace.bounce_notice = r
        if r.event in ("mail_delivery", "mail_expired") and r.session in trace.queue_ids:
            trace.attempts.append(attempt_of(r))
    outcome, final = outcome_of(trace.attempts, rcpt if rcpt and any(
        (a.recipient or "").lower() == rcpt.lower() for a in trace.attempts) else None)
    trace.outcome, trace.final = outcome, final
    return trace


def _trace_by_id(mid, named, by_queue, hand_offs, rcpt) -> MessageTrace:
    queued = named[0]
    chain, lines = _collect(sorted({r.session for r in named if r.session}), by_queue, hand_offs)
    trace = MessageTrace(message_id=mid, queue_ids=chain, matched_by="message_id", queued=queued)
    if not lines:
        lines = named
    return _finish(trace, lines, rcpt)


def _trace_by_recipient(mid, near, by_queue, hand_offs, rcpt) -> MessageTrace:
    qid = near[0].session
    chain, lines = _collect([qid], by_queue, hand_offs) if qid else ([], [])
    trace = MessageTrace(message_id=mid, queue_ids=chain, matched_by="recipient_and_time")
    return _finish(trace, lines or [near[0]], rcpt)
