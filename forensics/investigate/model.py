"""The investigation's result objects: the contract between stages.

`forensics.investigate.investigate()` returns an `Investigation`; the CLI
prints it (text or `--json`), the report renders it, the notebooks inspect it.
Field names are stable: add fields, do not rename them (the JSON schema in
`forensics/investigate/investigation.schema.json` follows these classes).

All datetimes are timezone-aware UTC.  Human-facing strings in `explanation`
fields are English; the report translates by `name`/`result` codes, so codes
are the contract, sentences are a convenience.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

Assessment = Literal[
    "account_holder",
    "account_holder_automation",
    "staff",
    "system",
    "compromise_suspected",
    "inconclusive",
]
IndicatorResult = Literal["match", "partial", "mismatch", "absent", "unknown"]
Direction = Literal["holder", "other", "neutral"]
ClaimClass = Literal["exact", "off_by_days", "different_year", "not_found", "unreadable"]


@dataclass
class EventRef:
    """One event, citable as `path:line_no` with its raw text."""

    event_id: int
    ts: dt.datetime
    source_id: int
    path: str
    line_no: int
    raw: str
    source_kind: str | None = None
    event: str | None = None
    result: str | None = None
    account: str | None = None
    actor: str | None = None
    user: str | None = None
    auth: str | None = None
    session: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    method: str | None = None
    http_path: str | None = None
    status: int | None = None
    referrer: str | None = None
    target: str | None = None
    detail: dict[str, Any] | str | None = None
    # None: the line is the file's as read (plain file or verified archive
    # data); "unverified": read from a damaged archive after its last passed
    # integrity check; "cut": a line cut short where the archive is damaged.
    integrity: str | None = None

    @property
    def citation(self) -> str:
        return f"{self.path}:{self.line_no}"

    @property
    def citation_text(self) -> str:
        """`path:line`, followed by the integrity flag for a line of a damaged archive."""
        return f"{self.citation} ({self.integrity})" if self.integrity else self.citation


@dataclass
class IpFacts:
    """What enrichment knows about an address (None where no database said)."""

    ip: str
    prefix: str | None = None
    asn: int | None = None
    as_org: str | None = None
    network: str | None = None        # the "ISP range" that matched (ASN or ISP database)
    isp: str | None = None
    country_iso: str | None = None
    country_name: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_radius: int | None = None
    time_zone: str | None = None
    is_private: bool | None = None
    anonymiser: list[str] = field(default_factory=list)   # e.g. ["vpn", "hosting", "tor", "proxy"]


@dataclass
class BrowserFacts:
    user_agent: str | None
    browser_family: str | None = None
    browser_major: str | None = None
    browser_version: str | None = None
    os_family: str | None = None
    os_version: str | None = None
    device_class: str | None = None
    automation_class: str | None = None    # browser | headless | library | crawler | unknown | empty
    automation_tool: str | None = None
    fingerprint_family: str | None = None

    @property
    def label(self) -> str:
        """"Chrome 120 on Windows 10, pc" style label for people: a message, so
        that the report says "on" and the device class in its own language
        (names and versions stay as the User-Agent gives them)."""
        from forensics.messages import Msg, join, msg

        parts = [p for p in (self.browser_family, self.browser_major) if p]
        os_part = " ".join(p for p in (self.os_family, self.os_version) if p)
        text = Msg("{text}", text=" ".join(parts)) if parts else msg("unknown browser")
        if os_part:
            text = msg("{browser} on {os}", browser=text, os=os_part)
        if self.device_class:
            device = {"pc": msg("pc"), "mobile": msg("mobile"), "tablet": msg("tablet"), "bot": msg("bot"),
                      "other": msg("other")}.get(self.device_class) or Msg("{text}", text=self.device_class)
            text = join([text, device], ", ")
        return text


@dataclass
class Click:
    """One HTTP request of a session's click-stream."""

    ref: EventRef
    think_time_s: float | None       # seconds since the previous request (None for the first)
    is_asset: bool                   # static asset (css/js/img/font) loaded by a browser


@dataclass
class Session:
    session_id: str | None
    account: str
    user: str | None
    actor: str | None                # customer | staff | api | system
    auth: str | None                 # password | password+mfa | api_key | sso | impersonation
    ip: str | None
    user_agent: str | None
    start: dt.datetime
    end: dt.datetime | None
    end_reason: str | None           # logout | idle_timeout | open
    login: EventRef | None
    actions: list[EventRef] = field(default_factory=list)
    key: str | None = None           # stable id within one investigation (session id, or "synthetic:<first event_id>")
    ip_facts: IpFacts | None = None
    browser: BrowserFacts | None = None
    joined: list[EventRef] = field(default_factory=list)   # access-log lines that gave the address/browser


@dataclass
class Indicator:
    name: str                        # stable code, e.g. "browser_fingerprint"
    label: str                       # short English title
    observed: str                    # what this session/action shows
    baseline: str                    # what it was compared with
    result: IndicatorResult
    direction: Direction
    explanation: str                 # one plain-English sentence
    evidence: list[EventRef] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)  # machine-readable details (counts, ids)
    # The evidence model's row this indicator concluded (action/evidence_model.py):
    conclusion: str | None = None    # e.g. "holder_network", "outdated", "automated_browser"
    weight: str = "none"             # strong | weak | hint (other); hard | supporting (holder); none
    producible: str | None = None    # copyable | hard | ambiguous: how hard for another party to produce
    fact: str | None = None          # the independent fact it rests on (each fact counts once per side)
    about: str = "session"           # session | before (what happened to the account before this session)


@dataclass
class HistoryRow:
    """An earlier session compared with the disputed one, identifier by identifier."""

    session: Session
    same_ip: Literal["same", "partial", "new", "unknown"]
    same_network: Literal["same", "partial", "new", "unknown"]
    same_browser: Literal["same", "partial", "new", "unknown"]
    same_country: Literal["same", "partial", "new", "unknown"]
    counts_for_prior_activity: bool = False


@dataclass
class ActionFinding:
    """A disputed action and everything said about it."""

    action: EventRef
    assessment: Assessment
    reason: str                                  # one line
    key_facts: list[str]                         # the three or four facts that carry it
    session: Session | None
    indicators: list[Indicator]
    history: list[HistoryRow] = field(default_factory=list)
    prior_activity: list[Session] = field(default_factory=list)
    failed_logins: list[EventRef] = field(default_factory=list)
    account_changes: list[EventRef] = field(default_factory=list)
    staff_activity: list[EventRef] = field(default_factory=list)
    clickstream: list[Click] = field(default_factory=list)
    clickstream_verdict: Literal["human", "automated", "unknown"] = "unknown"
    timeline: list[EventRef] = field(default_factory=list)   # merged events around the action
    missing: list[str] = field(default_factory=list)           # for inconclusive: what the logs lack
    holder_evidence: list[str] = field(default_factory=list)   # names of the hard indicators that carried a holder conclusion
    # The account's panel logins (failed ones too) and credential or contact
    # changes after the action, up to the end of the period examined: how the
    # holder reacted (locked out, reset, back in).  Presentation only: no
    # indicator reads it.  At most `timeline.max_events`, the earliest first.
    after_action: list[EventRef] = field(default_factory=list)


@dataclass
class ClaimMatch:
    event: EventRef
    classification: ClaimClass
    days_off: int | None = None
    year: int | None = None
    claimed_date: dt.date | None = None          # which of the claim's dates this event answers
    signed_days: int | None = None               # event date minus claimed date (-1: one day earlier)


@dataclass
class ClaimResult:
    text: str                                    # the customer's own words
    language: str | None                         # en | de | cs | pl
    dates: list[dt.date]                         # the date(s) they meant (year filled per candidate)
    day_months: list[tuple[int, int]]            # (day, month) as written
    year_given: bool
    action: str | None                           # canonical event name, e.g. "reinstall"
    classification: ClaimClass
    matches: list[ClaimMatch] = field(default_factory=list)
    details: list[str] = field(default_factory=list)     # other words that identify the event, e.g. an OS name ("centos")
    assumed_year: int | None = None                      # for dates written without a year: the year read into them
    covered: bool | None = None                  # do the logs cover the claimed period at all?
    explanation: str = ""                        # a forensics.messages.Msg (English as str)
    sentence: str | None = None                  # the whole sentence, when this claim is one clause of it


@dataclass
class Gap:
    start: dt.datetime
    end: dt.datetime
    source_id: int | None = None                 # the file the silence is in (or the later file of a rotated pair)
    path: str | None = None
    source_kind: str | None = None
    hours: float | None = None
    kind: str = "silence"                        # silence (inside one file) | between_files (rotation boundary)


@dataclass
class SourceCoverage:
    source_id: int
    path: str
    source_kind: str | None
    format: str
    sha256: str
    first_ts: dt.datetime | None
    last_ts: dt.datetime | None
    gaps: list[Gap] = field(default_factory=list)
    tz_decision: str | None = None
    year_decision: str | None = None
    lines_read: int | None = None
    events_parsed: int | None = None
    lines_rejected: int | None = None
    host: str | None = None
    follows_source_id: int | None = None         # the file this one continues (rotated set of the same kind/host)


@dataclass
class Investigation:
    account: str
    parameters: dict[str, Any]                   # action, target, since, until, tz, claims
    generated_at: dt.datetime
    tool_version: str
    findings: list[ActionFinding]
    claims: list[ClaimResult]
    coverage: list[SourceCoverage]
    geoip_databases: list[dict[str, Any]]        # type, build date, sha256, path
    isp_data_available: bool
    thresholds: dict[str, Any]                   # the rules in force
    queries_used: list[str]
    sessions: list[Session] = field(default_factory=list)  # every session of the account in scope
    notes: list[str] = field(default_factory=list)
    evidence_model: list[dict[str, Any]] = field(default_factory=list)  # the rows the assessment weighed (evidence_model.py)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (datetimes as ISO 8601 strings with offset)."""
        return _jsonable(self)


def _jsonable(value):
    """`value` as JSON-ready data: a dataclass as the dict of its fields (as
    `dataclasses.asdict` gives it), tuples as lists, datetimes and dates as
    ISO 8601 strings, numpy scalars as Python numbers.

    One walk that builds the result: `asdict` first deep-copies every leaf
    (each datetime through `copy.deepcopy`), two thirds of a report's
    `findings.json`.  Leaves are immutable (str, numbers, None) or converted
    here, so nothing needs copying.
    """
    cls = type(value)
    if cls is str or cls is int or cls is float or cls is bool or value is None:
        return value
    if hasattr(cls, "__dataclass_fields__") and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if cls.__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()   # numpy scalars from DataFrames (counts, floats)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# What `all_event_refs` does with a value, by its class: an EventRef, a
# dataclass (its fields' names), a list or tuple, or nothing (a leaf).
_REF, _FIELDS, _ITEMS, _LEAF = range(4)
_KIND: dict[type, tuple[int, tuple[str, ...]]] = {}


def _kind(cls: type) -> tuple[int, tuple[str, ...]]:
    if cls not in _KIND:
        if issubclass(cls, EventRef):
            _KIND[cls] = (_REF, ())
        elif dataclasses.is_dataclass(cls) and not issubclass(cls, type):
            _KIND[cls] = (_FIELDS, tuple(f.name for f in dataclasses.fields(cls)))
        else:
            _KIND[cls] = (_ITEMS if issubclass(cls, (list, tuple)) else _LEAF, ())
    return _KIND[cls]


def all_event_refs(result) -> list[EventRef]:
    """Every EventRef a result cites (an Investigation, a finding, any dataclass
    tree), once per file:line, in file order."""
    found: dict[tuple[str, int], EventRef] = {}
    seen: set[int] = set()

    def walk(obj):
        kind, names = _KIND.get(type(obj)) or _kind(type(obj))
        if kind == _REF:
            found.setdefault((obj.path, obj.line_no), obj)
        elif kind == _FIELDS:
            if id(obj) in seen:
                return
            seen.add(id(obj))
            for name in names:
                walk(getattr(obj, name))
        elif kind == _ITEMS:
            for item in obj:
                walk(item)

    walk(result)
    return sorted(found.values(), key=lambda r: (r.path, r.line_no))
