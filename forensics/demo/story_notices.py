"""The demo's third dispute: "nobody told me", and "no reaction for 8 days".

A customer's domain is blocked on 2026-03-16 because his registrant data
was never verified.  Over the three weeks before, the provider sent four
e-mail notices and staff called once (voicemail).  The first notice went to
the registrant contact's stale copy of his old address, which he had
replaced in the panel on 2026-02-10: it bounced (`550 5.1.1 ... User
unknown`).  The other three were accepted by his mail server.  After the
block he wrote in, was answered within hours, sent his documents on
2026-03-18 and got the next reply (and the unblock) only on 2026-03-26,
eight days later.

The panel's part (the contact and e-mail changes, the notices, the block
and the unblock) goes into the panel audit log through the generator's
writer (`panel_story`); the mail server's log (`mail.log`, Postfix) and the
ticket system's export (`tickets.jsonl`, the native contact export) are
written by `write_mail_and_tickets`, with background traffic of every other
account so that both logs cover the period without gaps.  Everything here
draws from its own seeded generators: the other files stay byte-identical.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

UTC = dt.timezone.utc
MAIL_LOG = "mail.log"
TICKETS = "tickets.jsonl"
MAIL_HOST = "mail.example.net"
PANEL_MAILER = "noreply@panel.example.net"
SUPPORT = "support@example.net"
# The mail server keeps ten weeks of logs; the ticket export covers the
# sample's last five months.
MAIL_LOG_START = dt.datetime(2026, 2, 1, tzinfo=UTC)
TICKETS_START = dt.datetime(2025, 11, 15, tzinfo=UTC)
STORY_TZ = "Europe/Berlin"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PROVIDERS = ("mail.example.de", "example.cz", "post.example.pl", "example.net", "mailbox.example.de")
_DAY = 86400


def _t(y, m, d, hh, mm, ss=0) -> int:
    return int(dt.datetime(y, m, d, hh, mm, ss, tzinfo=UTC).timestamp())


def _at(t: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, UTC)


@dataclass(frozen=True)
class NoticeDispute:
    """The scripted notices dispute and the answers the logs support."""

    account: str
    user: str
    description: str
    domain: str
    since: dt.datetime
    until: dt.datetime
    block_time: dt.datetime
    unblock_time: dt.datetime
    claims: tuple[str, ...]
    expected_claims: tuple[tuple[str, str], ...]          # (claim, classification)
    expected_outcomes: tuple[tuple[str, str], ...]        # (channel, outcome) of each non-routine attempt, in order
    old_address: str = ""
    new_address: str = ""
    tz: str | None = STORY_TZ
    message_ids: dict = field(default_factory=dict)


def addresses(user: str) -> tuple[str, str]:
    return f"{user}@mailbox.example.de", f"{user}@example.net"


def _mid(t: int, tag: str) -> str:
    return f"<{_at(t).strftime('%Y%m%d%H%M%S')}.{tag}@panel.example.net>"


# The story's times (UTC) and its notices.
CONTACT_UPDATE = _t(2025, 11, 4, 19, 40, 12)
EMAIL_CHANGE = _t(2026, 2, 10, 19, 22, 41)
NOTICES = (   # (time, tag, address: "old"|"new", subject)
    (_t(2026, 2, 23, 9, 15, 4), "N1", "old", "Verification of your domain's registrant data required"),
    (_t(2026, 2, 27, 9, 15, 2), "N2", "new", "Reminder: verification of your registrant data"),
    (_t(2026, 3, 6, 9, 15, 7), "N3", "new", "Second reminder: your domain will be blocked on 2026-03-16"),
    (_t(2026, 3, 13, 9, 15, 3), "N4", "new", "Final notice: your domain will be blocked on 2026-03-16"),
)
CALL = _t(2026, 3, 3, 10, 2, 0)
BLOCK = _t(2026, 3, 16, 6, 0, 0)
TICKET = "T-2026-0412"
MESSAGES = (  # (time, direction, role, subject, tag)
    (_t(2026, 3, 16, 8, 41, 27), "in", "customer", "Domain gesperrt?", None),
    (_t(2026, 3, 16, 11, 5, 10), "out", "staff", "Re: Domain gesperrt?", "R1"),
    (_t(2026, 3, 18, 7, 40, 11), "in", "customer", "Unterlagen zur Verifizierung", None),
    (_t(2026, 3, 18, 7, 40, 15), "out", "system", "Automatic reply: we received your message", "A1"),
    (_t(2026, 3, 26, 14, 5, 9), "out", "staff", "Re: Unterlagen zur Verifizierung", "R2"),
)
UNBLOCK = _t(2026, 3, 26, 14, 2, 37)
STAFF = "mkrause"
PHONE = "+49 171 5550123"


def panel_story(w, acct) -> NoticeDispute:
    """Write the panel's part of the story (with the writer's private RNG)."""
    from forensics.demo.generator import _own_rng

    with _own_rng(w, f"notices-story-{acct.account}"):
        rng = w.rng
        old, new = addresses(acct.user)
        domain = f"{acct.user}.example"

        def visit(t, event, detail):
            ua = w.ua_for(acct.browser, t // _DAY - acct.lag_days)
            blk = acct.home_blocks[0]
            ip = f"{blk}{rng.randrange(1, 65536):x}:1" if acct.ipv6 else f"{blk}{rng.randrange(2, 250)}"
            t = w.web_session(t, acct, ip, ua, pages=1, logout=False)
            t += rng.randrange(20, 60)
            w.access(t, ip, acct.user, "POST", "/account/contact", 302, 154, "https://panel.example.net/account/contact", ua)
            w.panel(t, acct.account, event, user=acct.user, ip=ip, ua=ua, detail=detail)

        visit(CONTACT_UPDATE, "contact_update", {"phone": PHONE})
        visit(EMAIL_CHANGE, "email_change", {"old": old, "new": new})
        ids = {}
        for t, tag, which, subject in NOTICES:
            ids[tag] = _mid(t, tag)
            w.panel(t, acct.account, "notification_sent", actor="system", user="domain-verification",
                    target=domain, detail={"template": "registrant_verification", "channel": "email",
                                           "to": old if which == "old" else new, "subject": subject,
                                           "message_id": ids[tag], "contact": "registrant"})
        w.panel(BLOCK, acct.account, "domain_block", actor="system", user="domain-verification", target=domain,
                detail={"reason": "registrant data not verified", "deadline": "2026-03-15"})
        w.panel(UNBLOCK, acct.account, "domain_unblock", actor="staff", user=STAFF, target=domain,
                detail={"reason": "registrant documents accepted", "ticket": TICKET})
    for t, _, _, _, tag in MESSAGES:
        if tag:
            ids[tag] = _mid(t, tag).replace("@panel.", "@support.")
    return NoticeDispute(
        account=acct.account, user=acct.user, domain=domain,
        description=("The notices dispute: the customer's domain was blocked on 2026-03-16 for unverified "
                     "registrant data. He says nobody told him, and that his documents got no reaction for "
                     "eight days. The logs show four e-mail notices and a phone call (voicemail) in the three "
                     "weeks before: three notices accepted by his mail server, the first bounced because it "
                     "went to his old address, replaced in the panel on 2026-02-10; and the documents, sent on "
                     "2026-03-18, answered (and the domain unblocked) on 2026-03-26."),
        since=dt.datetime(2026, 2, 15, tzinfo=UTC), until=dt.datetime(2026, 3, 31, tzinfo=UTC),
        block_time=_at(BLOCK), unblock_time=_at(UNBLOCK),
        claims=("Niemand hat mich informiert, dass die Domain gesperrt wird.",
                "Seit 8 Tagen keine Reaktion auf meine Unterlagen.",
                "I never got an answer from support."),
        expected_claims=(("Niemand hat mich informiert, dass die Domain gesperrt wird.", "contradicted"),
                         ("Seit 8 Tagen keine Reaktion auf meine Unterlagen.", "supported"),
                         ("I never got an answer from support.", "partly")),
        expected_outcomes=(("email", "bounced"), ("email", "delivered"), ("phone", "voicemail"),
                           ("email", "delivered"), ("email", "delivered"), ("email", "delivered"),
                           ("email", "delivered"), ("email", "delivered")),
        old_address=old, new_address=new, message_ids=ids)


# --------------------------------------------------------------------------
# The mail log and the ticket export
# --------------------------------------------------------------------------
class _MailLog:
    """Postfix lines in classic syslog form, one message at a time."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.lines: list[tuple[int, int, str]] = []
        self.seq = 0
        self.pids = {"pickup": 3121, "cleanup": 3127, "qmgr": 1190, "smtp": 3140, "bounce": 3160, "local": 3170}

    def _emit(self, t: int, daemon: str, text: str) -> None:
        d = _at(t)
        self.seq += 1
        pid = self.pids[daemon]
        self.lines.append((t, self.seq, f"{_MONTHS[d.month - 1]} {d.day:>2} {d:%H:%M:%S} {MAIL_HOST.split('.')[0]} "
                                        f"postfix/{daemon}[{pid}]: {text}"))

    def qid(self) -> str:
        return f"{self.rng.getrandbits(40):010X}"

    def message(self, t: int, sender: str, rcpt: str, message_id: str, *, fate: str = "sent",
                mx: tuple[str, str] | None = None) -> None:
        """One message: queued, one or two attempts, removed.  fate: sent | greylisted | bounced."""
        rng = self.rng
        q = self.qid()
        for daemon in ("pickup", "cleanup", "smtp"):
            if rng.random() < 0.3:
                self.pids[daemon] += rng.randrange(1, 40)
        host, ip = mx or (f"mx.{rcpt.split('@', 1)[1]}", f"198.51.100.{rng.randrange(10, 250)}")
        self._emit(t, "pickup", f"{q}: uid=33 from=<{sender}>")
        self._emit(t, "cleanup", f"{q}: message-id={message_id}")
        self._emit(t, "qmgr", f"{q}: from=<{sender}>, size={rng.randrange(2400, 9800)}, nrcpt=1 (queue active)")
        t1 = t + rng.randrange(1, 3)
        if fate == "greylisted":
            self._emit(t1, "smtp", f"{q}: to=<{rcpt}>, relay={host}[{ip}]:25, delay=0.6, delays=0.1/0/0.3/0.2, "
                                   f"dsn=4.7.1, status=deferred (host {host}[{ip}] said: 451 4.7.1 <{rcpt}>: "
                                   f"Recipient address rejected: Greylisted, please try again later "
                                   f"(in reply to RCPT TO command))")
            t1 += rng.randrange(420, 900)
        if fate == "bounced":
            self._emit(t1, "smtp", f"{q}: to=<{rcpt}>, relay={host}[{ip}]:25, delay=0.7, delays=0.1/0/0.3/0.3, "
                                   f"dsn=5.1.1, status=bounced (host {host}[{ip}] said: 550 5.1.1 <{rcpt}>: "
                                   f"Recipient address rejected: User unknown in virtual mailbox table "
                                   f"(in reply to RCPT TO command))")
            b = self.qid()
            self._emit(t1, "cleanup", f"{b}: message-id=<{_at(t1):%Y%m%d%H%M%S}.{b}@{MAIL_HOST}>")
            self._emit(t1, "bounce", f"{q}: sender non-delivery notification: {b}")
            self._emit(t1, "qmgr", f"{b}: from=<>, size={rng.randrange(3000, 6000)}, nrcpt=1 (queue active)")
            self._emit(t1, "qmgr", f"{q}: removed")
            self._emit(t1, "local", f"{b}: to=<{sender}>, relay=local, delay=0.01, delays=0/0/0/0, dsn=2.0.0, "
                                    f"status=sent (delivered to mailbox)")
            self._emit(t1, "qmgr", f"{b}: removed")
            return
        delay = round(t1 - t + rng.random(), 1)
        self._emit(t1, "smtp", f"{q}: to=<{rcpt}>, relay={host}[{ip}]:25, delay={delay}, "
                               f"delays=0.1/0/0.{rng.randrange(1, 9)}/0.{rng.randrange(1, 9)}, dsn=2.0.0, "
                               f"status=sent (250 2.0.0 Ok: queued as {self.qid()})")
        self._emit(t1, "qmgr", f"{q}: removed")


def _address(rng: random.Random, user: str) -> str:
    return f"{user}@{_PROVIDERS[rng.randrange(len(_PROVIDERS))]}"


def write_mail_and_tickets(out_dir: Path, people, dispute: NoticeDispute | None, start_ts: int, end_ts: int,
                           seed: int) -> dict[str, int]:
    """Write `mail.log` and `tickets.jsonl`; returns the line counts per file."""
    rng = random.Random(f"mail-and-tickets-{seed}")
    mail = _MailLog(rng)
    tickets: list[tuple[int, int, str]] = []
    seq = 0
    others = [a for a in people if dispute is None or a.account != dispute.account]
    home = {a.account: _address(random.Random(f"address-{a.account}"), a.user) for a in others}
    mail_from, tickets_from = max(start_ts, int(MAIL_LOG_START.timestamp())), max(start_ts, int(TICKETS_START.timestamp()))

    def ticket(t, **record):
        nonlocal seq
        seq += 1
        tickets.append((t, seq, json.dumps({"ts": _at(t).isoformat(), **record}, ensure_ascii=False,
                                           separators=(",", ":"))))

    # Background: support tickets of other accounts, answered within hours;
    # the panel's mail (maintenance announcements, reminders) to them.
    n_ticket = 4000
    per_day = max(2, len(others) // 60)
    for day in range(tickets_from // _DAY, (end_ts - 1) // _DAY + 1):
        for _ in range(rng.randrange(1, per_day + 1)):
            a = others[rng.randrange(len(others))]
            n_ticket += 1
            tid = f"T-{_at(day * _DAY).year}-{n_ticket:04d}"
            t = day * _DAY + rng.randrange(6 * 3600, 22 * 3600)
            ticket(t, account=a.account, ticket=tid, direction="in", channel="email", from_role="customer",
                   to_role="staff", **{"from": home[a.account]}, to=SUPPORT, subject="Question about my server")
            answer = t + rng.randrange(1200, 20 * 3600)
            mid = f"<{_at(answer):%Y%m%d%H%M%S}.{tid}@support.example.net>"
            ticket(answer, account=a.account, ticket=tid, direction="out", channel="email", from_role="staff",
                   to_role="customer", to=home[a.account], subject="Re: Question about my server", message_id=mid,
                   staff=("mkrause", "pnowak", "jdvorak")[rng.randrange(3)])
            if answer >= mail_from:
                mail.message(answer, SUPPORT, home[a.account], mid, fate="greylisted" if rng.random() < 0.05 else "sent")
        if day * _DAY >= mail_from:
            for _ in range(rng.randrange(per_day, 3 * per_day + 1)):
                a = others[rng.randrange(len(others))]
                t = day * _DAY + rng.randrange(5 * 3600, 23 * 3600)
                fate = "bounced" if rng.random() < 0.01 else "greylisted" if rng.random() < 0.04 else "sent"
                mail.message(t, PANEL_MAILER, home[a.account], f"<{_at(t):%Y%m%d%H%M%S}.{mail.qid()}@panel.example.net>",
                             fate=fate)
    if dispute is not None:
        story = random.Random(f"notices-story-mail-{dispute.account}")
        mail.rng = story
        mx_old = ("mx01.mailbox.example.de", "192.0.2.61")
        mx_new = ("mx.example.net", "203.0.113.25")
        for t, tag, which, _subject in NOTICES:
            rcpt = dispute.old_address if which == "old" else dispute.new_address
            fate = "bounced" if which == "old" else "greylisted" if tag == "N3" else "sent"
            mail.message(t + 1, PANEL_MAILER, rcpt, dispute.message_ids[tag], fate=fate,
                         mx=mx_old if which == "old" else mx_new)
        ticket(CALL, account=dispute.account, ticket=TICKET, direction="out", channel="phone", from_role="staff",
               to_role="customer", to=PHONE, staff=STAFF, outcome="voicemail",
               summary="left a message: registrant data must be verified before 2026-03-15")
        for t, direction, role, subject, tag in MESSAGES:
            if direction == "in":
                ticket(t, account=dispute.account, ticket=TICKET, direction="in", channel="email", from_role="customer",
                       to_role="staff", **{"from": dispute.new_address}, to=SUPPORT, subject=subject)
            else:
                record = dict(account=dispute.account, ticket=TICKET, direction="out", channel="email",
                              from_role=role, to_role="customer", to=dispute.new_address, subject=subject,
                              message_id=dispute.message_ids[tag])
                if role == "staff":
                    record["staff"] = STAFF
                ticket(t, **record)
                mail.message(t + 1, SUPPORT, dispute.new_address, dispute.message_ids[tag], mx=mx_new)
        mail.rng = rng
    mail_lines = [line for t, _, line in sorted(mail.lines) if mail_from <= t < end_ts]
    ticket_lines = [line for t, _, line in sorted(tickets) if tickets_from <= t < end_ts]
    (out_dir / MAIL_LOG).write_text("\n".join(mail_lines) + "\n", encoding="utf-8")
    (out_dir / TICKETS).write_text("\n".join(ticket_lines) + "\n", encoding="utf-8")
    return {MAIL_LOG: len(mail_lines), TICKETS: len(ticket_lines)}
