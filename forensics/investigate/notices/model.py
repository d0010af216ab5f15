"""The result objects of a `notices` investigation ("you never told me").

`investigate_notices()` returns a `NoticesInvestigation`; its `to_dict()` is
the `forensics investigate --dispute notices --json` document (JSON Schema:
`notices.schema.json` beside this file).  As in the action kind, codes
(`channel`, `outcome`, `classification`, ...) are the contract and the
sentences (`explanation`, `summary`) are `Msg`s: English in JSON, rendered
in the report's language.  Field names are stable: add, never rename.

All datetimes are timezone-aware UTC.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from forensics.investigate.model import EventRef, Gap, SourceCoverage, _jsonable
from forensics.messages import Msg

Channel = Literal["email", "phone", "letter", "web", "chat", "sms", "ticket"]
# delivered: accepted by the recipient's mail server (not: read by a person);
# bounced / expired: refused, or given up after retrying; deferred: still
# being retried when the log ends; queued: in the queue, no attempt logged;
# not_in_mail_log: the notice's message is not in the mail log at all;
# reached / voicemail / no_answer / busy: a phone call; sent / returned: a letter;
# unknown: the log says nothing about the outcome.
Outcome = Literal["delivered", "bounced", "expired", "deferred", "queued", "not_in_mail_log",
                  "reached", "voicemail", "no_answer", "busy", "sent", "returned", "unknown"]
NoticeClaimClass = Literal["contradicted", "supported", "partly", "not_covered"]

# Outcomes by what they mean for "was the customer told?"
REACHED = frozenset({"delivered", "reached", "sent"})
PARTIAL = frozenset({"voicemail", "deferred", "queued", "not_in_mail_log", "unknown"})
FAILED = frozenset({"bounced", "expired", "no_answer", "busy", "returned"})


@dataclass
class DeliveryAttempt:
    """One delivery attempt of one message to one recipient (a mail log line)."""

    ref: EventRef
    recipient: str | None
    status: str | None               # sent | deferred | bounced | expired | ... as the log says
    relay: str | None                # the server that answered, "host[ip]:port"
    dsn: str | None                  # enhanced status code, e.g. 5.1.1
    reply: str | None                # the remote server's own words
    hand_off: bool = False           # to a filter on this host ("queued as ..."), not the recipient's server


@dataclass
class MessageTrace:
    """A message through the mail server: Message-ID → queue id(s) → attempts → outcome."""

    message_id: str | None
    queue_ids: list[str]
    matched_by: Literal["message_id", "recipient_and_time", "none"]
    queued: EventRef | None = None           # the line naming the Message-ID
    sender: str | None = None
    attempts: list[DeliveryAttempt] = field(default_factory=list)
    outcome: Outcome = "not_in_mail_log"
    final: DeliveryAttempt | None = None     # the attempt that decided the outcome
    bounce_notice: EventRef | None = None    # the non-delivery report sent back
    lines: list[EventRef] = field(default_factory=list)   # every mail log line of the message


@dataclass
class ContactAttempt:
    """The provider reaching out: a notice, an e-mail of staff, a call, a letter."""

    ts: dt.datetime
    channel: str
    ref: EventRef                            # where the attempt is logged (panel or ticket export)
    sender_role: str | None                  # system | staff
    staff: str | None
    recipient: str | None                    # address or number as logged
    subject: str | None
    ticket: str | None
    message_id: str | None
    routine: bool                            # an invoice or newsletter: not a warning
    on_record: bool | None                   # the recipient was the address/number on record at that time
    address_on_record: str | None
    record_ref: EventRef | None              # the change that put that address on record
    outcome: Outcome
    explanation: str                         # Msg: the outcome in one sentence
    trace: MessageTrace | None = None
    also_logged: list[EventRef] = field(default_factory=list)   # the same notice in another log


@dataclass
class ProviderAction:
    """A block, suspension or release of the service, and what preceded it."""

    ref: EventRef
    event: str
    release: bool                            # lifts a restriction
    warnings: list[int] = field(default_factory=list)     # indexes into contacts: attempts before it
    customer_messages: list[int] = field(default_factory=list)   # indexes into customer_messages
    summary: str = ""                        # Msg


@dataclass
class CustomerMessage:
    """A message of the customer and how long it waited."""

    ref: EventRef
    ticket: str | None
    channel: str
    subject: str | None
    first_response: EventRef | None
    first_response_hours: float | None       # None while unanswered
    resolution: EventRef | None              # the release action that followed (if any)
    resolution_hours: float | None
    open_until: dt.datetime | None           # unanswered: the end of the ticket log
    open_hours: float | None                 # ... and how long it had waited by then
    within_promise: bool | None              # first response within [notices] first_response_hours
    explanation: str = ""                    # Msg


@dataclass
class AddressRecord:
    """The contact address on record from a point in time (panel changes)."""

    since: dt.datetime | None                # None: before the first logged change
    address: str
    kind: Literal["email", "phone"]
    ref: EventRef


@dataclass
class NoticeClaim:
    text: str
    language: str | None
    kind: Literal["not_informed", "no_response"] | None
    claimed_days: float | None               # "for a week" → 7
    classification: NoticeClaimClass
    explanation: str                         # Msg
    evidence: list[EventRef] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)


@dataclass
class NoticesInvestigation:
    """The answer to "you never told me" / "nobody answered" for one account."""

    account: str
    parameters: dict[str, Any]
    generated_at: dt.datetime
    tool_version: str
    period: tuple[dt.datetime | None, dt.datetime | None]
    contacts: list[ContactAttempt]
    actions: list[ProviderAction]
    customer_messages: list[CustomerMessage]
    addresses: list[AddressRecord]
    claims: list[NoticeClaim]
    coverage: list[SourceCoverage]
    gaps: list[Gap]                          # gaps of the mail and ticket logs in the period
    promise: dict[str, float]                # first_response_hours, resolution_hours
    key_facts: list[str]                     # Msgs
    thresholds: dict[str, Any]
    queries_used: list[str]
    notes: list[str] = field(default_factory=list)
    kind: str = "notices"
    # For the shared report parts (provenance, attachments): this kind uses no GeoIP.
    geoip_databases: list[dict[str, Any]] = field(default_factory=list)
    isp_data_available: bool = False
    findings: list = field(default_factory=list)
    sessions: list = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO 8601 strings with offset)."""
        return _jsonable(self)


__all__ = ["AddressRecord", "ContactAttempt", "CustomerMessage", "DeliveryAttempt", "MessageTrace", "Msg",
           "NoticeClaim", "NoticesInvestigation", "ProviderAction", "REACHED", "PARTIAL", "FAILED"]
