"""The outage investigation's result objects (the `outage` dispute kind).

`OutageInvestigation` is an `Investigation` (account, parameters, coverage,
thresholds, queries used: what the shared report sections and attachments
read) with the outage finding and the reconciled claims beside it.  Codes
(`corroboration`, `cause`, `announcement`, `verdict`, claim
`classification`) are the contract; sentences are `Msg`s (English, rendered
in the report's language).  The JSON Schema is `outage.schema.json`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from forensics.investigate.model import EventRef, Investigation

Corroboration = Literal["corroborated", "contradicted", "mixed", "uncorroborated"]
Announcement = Literal["in_advance", "short_notice", "during", "after", "none"]
Verdict = Literal["met", "missed", "undetermined"]
OutageClaimClass = Literal["supported", "overstated", "contradicted", "not_covered"]
CAUSES = ("customer_action", "server_shutdown", "provider_maintenance", "hardware_failure", "kernel_panic",
          "watchdog", "out_of_memory", "power_button", "unknown")


@dataclass
class LogCheck:
    """What one other log says about a down window: the server's own log or
    the site's access log."""

    log: Literal["server", "access"]
    verdict: Literal["silent", "silent_then_boot", "active", "served", "quiet_site", "not_covered"]
    supports: Literal["corroborates", "contradicts", "neutral"]
    lines_inside: int = 0
    answered_inside: int = 0                # access log: requests answered below 500
    expected: float | None = None           # access log: requests expected at the usual rate
    before: EventRef | None = None          # the last line before the window
    first_inside: EventRef | None = None
    last_inside: EventRef | None = None
    after: EventRef | None = None           # the first line after it
    explanation: str = ""


@dataclass
class Cause:
    code: str                               # one of CAUSES
    evidence: list[EventRef] = field(default_factory=list)
    explanation: str = ""


@dataclass
class DownWindow:
    """A time the monitoring saw the service down."""

    index: int                              # 1, 2, ... in time order (confirmed windows); 0 for unconfirmed
    start: dt.datetime
    end: dt.datetime
    duration_s: float
    open_end: bool                          # still down when the monitoring ends (end = last sample)
    confirmed: bool
    probes: list[str]                       # probe locations (or state logs) that saw it down
    probes_monitoring: int                  # probes monitoring the service during it
    checks: list[str]                       # checks that failed (host, service, URL, ...)
    failed_checks: int
    hard: bool                              # a Nagios/Icinga HARD state
    start_ref: EventRef
    end_ref: EventRef | None                # the first result that was up again
    evidence: list[EventRef] = field(default_factory=list)
    corroboration: Corroboration = "uncorroborated"
    server_log: LogCheck | None = None
    access_log: LogCheck | None = None
    life_signs: list[EventRef] = field(default_factory=list)
    cause: str = "unknown"
    causes: list[Cause] = field(default_factory=list)
    announcement: Announcement = "none"
    notices: list[EventRef] = field(default_factory=list)
    excluded: bool = False
    exclusion: str | None = None            # announced_maintenance | customer_caused
    explanation: str = ""
    last_down: dt.datetime | None = None    # the last result that was down (the end lies between it and `end`)


@dataclass
class MonitoringGap:
    start: dt.datetime
    end: dt.datetime
    seconds: float
    kind: Literal["silence", "state_log_silence", "before_monitoring", "after_monitoring"]
    path: str | None = None
    after_ref: EventRef | None = None       # the first result after the silence


@dataclass
class SlaPeriod:
    kind: Literal["month", "year"]
    label: str                              # 2026-03, 2026
    start: dt.datetime
    end: dt.datetime
    elapsed_end: dt.datetime                # end, or the end of the logs for a running period
    complete: bool
    period_s: float                         # elapsed_end - start
    monitored_s: float
    unmonitored_s: float
    down_s: float                           # confirmed, not excluded, monitored
    excluded_s: float
    availability_percent: float | None      # over the monitored, not excluded time
    worst_case_percent: float | None        # unmonitored time counted as down
    best_case_percent: float | None         # unmonitored time counted as up
    promise_percent: float
    verdict: Verdict
    windows: list[int] = field(default_factory=list)


@dataclass
class OutageClaim:
    text: str
    language: str | None
    classification: OutageClaimClass
    claimed_start: dt.datetime | None
    claimed_end: dt.datetime | None
    claimed_duration_s: float | None
    anchored: bool                          # the claim names when (a weekday, dates), not only how long
    measured_duration_s: float | None
    windows: list[int] = field(default_factory=list)
    explanation: str = ""


@dataclass
class OutageFinding:
    service: str
    names: list[str]                        # every name the service is monitored and logged under
    period_start: dt.datetime
    period_end: dt.datetime
    monitoring: list[dict]                  # per monitoring file: path, format, first/last, checks, probes
    monitored: list[tuple[dt.datetime, dt.datetime]]
    windows: list[DownWindow]
    unconfirmed: list[DownWindow]
    gaps: list[MonitoringGap]
    sla: list[SlaPeriod]
    life_signs: list[EventRef]
    downtimes: list[EventRef]
    key_facts: list[str] = field(default_factory=list)


@dataclass
class OutageInvestigation(Investigation):
    dispute: str = "outage"
    outage: OutageFinding | None = None
    outage_claims: list[OutageClaim] = field(default_factory=list)
