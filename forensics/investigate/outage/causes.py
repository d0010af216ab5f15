"""Why a window happened and whether the customer was told.

Causes, each with its evidence, the first in this order being the window's
`cause`: the customer's own panel action on the server (`customer_action`),
the provider's maintenance (a panel maintenance event or a scheduled downtime
in the monitoring: `provider_maintenance`), a hardware incident the panel
recorded (`hardware_failure`), and the server's own last words: a kernel
panic, a watchdog lockup, an OOM kill, a shutdown asked for inside the server
(`server_shutdown`, the customer's side: the provider has no access inside)
or the ACPI power button (`power_button`, a hypervisor's request).

Announcement: a `notification_sent` of the account about maintenance or an
outage (`[sla] notice_pattern`) sent `announce_min_hours` before the window
(`in_advance`), during it (`during`) or within a day after (`after`).
"""

from __future__ import annotations

import datetime as dt
import json
import re


from forensics.investigate.evidence import ref
from forensics.investigate.model import EventRef
from forensics.investigate.outage.model import Cause, DownWindow
from forensics.messages import msg
from forensics.timefmt import as_utc, iso

ORDER = ["customer_action", "provider_maintenance", "hardware_failure", "kernel_panic", "watchdog",
         "out_of_memory", "server_shutdown", "power_button"]
CUSTOMER_CAUSED = {"customer_action", "server_shutdown", "out_of_memory"}


def _text(e: EventRef) -> str:
    detail = e.detail if isinstance(e.detail, str) else json.dumps(e.detail or {}, ensure_ascii=False)
    return f"{e.event} {e.target or ''} {detail}"


def _check(e: EventRef):
    return e.detail.get("check") if isinstance(e.detail, dict) else None


def panel_refs(panel: list[dict], names) -> list[EventRef]:
    """The account's panel events about the service (or about no object at all)."""
    wanted = set(names)
    return [ref(r) for r in panel if r["target"] is None or r["target"] in wanted]


def notices_of(panel_events: list[EventRef], cfg) -> list[EventRef]:
    pattern = re.compile(cfg["sla"]["notice_pattern"])
    return [e for e in panel_events if e.event == "notification_sent" and e.result != "failure"
            and pattern.search(_text(e))]


def causes(window: DownWindow, panel_events: list[EventRef], life_signs: list[EventRef], downtimes: list[EventRef],
           cfg) -> list[Cause]:
    sla = cfg["sla"]
    lead = dt.timedelta(minutes=float(sla["cause_lead_minutes"]))
    slack = dt.timedelta(minutes=float(sla["boot_slack_minutes"]))
    lo, hi = window.start - lead, window.end
    near_start = (window.start - lead, window.start + slack)

    def inside(e, a, b):
        return a <= as_utc(e.ts) <= b

    found: dict[str, list[EventRef]] = {}
    for e in panel_events:
        if not inside(e, lo, hi):
            continue
        # the customer's action must come before the outage: one done during
        # it (rebooting a server that does not answer) did not cause it
        if e.event in sla["customer_events"] and e.actor in ("customer", "api", None) and e.result != "failure":
            if inside(e, *near_start):
                found.setdefault("customer_action", []).append(e)
        elif e.event in sla["maintenance_events"]:
            found.setdefault("provider_maintenance", []).append(e)
        elif e.event in sla["hardware_events"]:
            found.setdefault("hardware_failure", []).append(e)
    for e in downtimes:
        if e.event != "monitor_downtime_start" or not inside(e, lo, hi):
            continue
        # a scheduled downtime that was over (stopped, cancelled) before the window began did not cause it
        key = (e.target, _check(e))
        if any(x.event == "monitor_downtime_end" and (x.target, _check(x)) == key
               and as_utc(e.ts) <= as_utc(x.ts) < window.start for x in downtimes):
            continue
        found.setdefault("provider_maintenance", []).append(e)
    for e in life_signs:
        if not inside(e, *near_start):
            continue
        detail = e.detail if isinstance(e.detail, dict) else {}
        code = {"kernel_panic": "kernel_panic", "watchdog": "watchdog", "oom_kill": "out_of_memory"}.get(e.event)
        if e.event == "shutdown_request":
            code = "power_button" if detail.get("power_key") else "server_shutdown"
        if code:
            found.setdefault(code, []).append(e)
    out = []
    for code in ORDER:
        if code not in found:
            continue
        refs = sorted(found[code], key=lambda x: (as_utc(x.ts), x.path, x.line_no))
        out.append(Cause(code=code, evidence=refs, explanation=_explain(code, refs[0])))
    return out


def _explain(code: str, e: EventRef):
    when = iso(e.ts)
    return {
        "customer_action": msg("The customer's own {event} of {target} from the panel at {when}.",
                               event=e.event, target=e.target or "–", when=when),
        "provider_maintenance": msg("The provider's maintenance recorded at {when}.", when=when),
        "hardware_failure": msg("A hardware incident recorded at {when}.", when=when),
        "kernel_panic": msg("The server's kernel panicked at {when}.", when=when),
        "watchdog": msg("The server's kernel watchdog reported a lockup at {when}.", when=when),
        "out_of_memory": msg("The server ran out of memory at {when} (the kernel killed a process).", when=when),
        "server_shutdown": msg("A shutdown or reboot was asked for inside the server at {when}.", when=when),
        "power_button": msg("The server received an ACPI power-button request at {when} (a shutdown asked for by "
                            "the hypervisor).", when=when),
    }[code]


def announcement(window: DownWindow, notices: list[EventRef], cfg) -> tuple[str, list[EventRef]]:
    sla = cfg["sla"]
    before = window.start - dt.timedelta(hours=float(sla["announce_min_hours"]))
    lookback = window.start - dt.timedelta(days=float(sla["notice_lookback_days"]))
    after = window.end + dt.timedelta(days=1)
    advance = [n for n in notices if lookback <= as_utc(n.ts) <= before]
    short = [n for n in notices if before < as_utc(n.ts) < window.start]
    during = [n for n in notices if window.start <= as_utc(n.ts) <= window.end]
    late = [n for n in notices if window.end < as_utc(n.ts) <= after]
    if advance:
        return "in_advance", advance + short + during
    if short:   # announced, but too late to count as an announcement
        return "short_notice", short + during
    if during:
        return "during", during
    if late:
        return "after", late
    return "none", []
