"""What the server's own log and the site's access log say about a window.

The server's log (syslog/journald of the server, by host name) corroborates
a down window when it is silent through it, or when the server booted at its
end; it contradicts it when the server kept writing through the window.  The
access log corroborates when a site that usually has traffic served nothing;
it contradicts when requests were answered during it.  A log that does not
reach over the window says nothing (`not_covered`).
"""

from __future__ import annotations

import datetime as dt


from forensics.investigate.evidence import _clean, ref
from forensics.investigate.outage.model import DownWindow, LogCheck
from forensics.messages import msg
from forensics.timefmt import as_utc, iso


def certain(window: DownWindow) -> tuple[dt.datetime, dt.datetime]:
    """The part of the window the service was certainly down: from the first
    down result to the last (the recovery lies somewhere before `end`)."""
    last = window.last_down if window.last_down and window.last_down > window.start else window.end
    return window.start, last

SERVER_KINDS = ["syslog", "ssh"]
ACCESS_KINDS = ["http"]
STOP_EVENTS = {"shutdown_request", "kernel_panic", "watchdog", "oom_kill"}


def _edges(rows: list[dict]) -> dict:
    out = {"before": None, "first_inside": None, "last_inside": None, "after": None,
           "n_inside": 0, "n_inside_answered": 0, "n_baseline": 0}
    for r in rows:
        out[r["edge"]] = ref(r)
        out["n_inside"] = int(_clean(r["n_inside"]) or 0)
        out["n_inside_answered"] = int(_clean(r["n_inside_answered"]) or 0)
        out["n_baseline"] = int(_clean(r["n_baseline"]) or 0)
    return out


def server_log(run, window: DownWindow, names, life_signs, cfg) -> LogCheck:
    """The server's own log over the window."""
    sla = cfg["sla"]
    slack = dt.timedelta(minutes=float(sla["boot_slack_minutes"]))
    lo, hi = certain(window)
    e = _edges(run.rows("log_activity", {"kinds": SERVER_KINDS, "hosts": list(names),
                                       "baseline_since": lo - dt.timedelta(days=1), "since": lo, "until": hi}))
    boots = [x for x in life_signs if x.event in ("boot", "startup_finished")
             and window.start <= as_utc(x.ts) <= window.end + slack]
    check = LogCheck(log="server", verdict="not_covered", supports="neutral", lines_inside=e["n_inside"],
                     before=e["before"], first_inside=e["first_inside"], last_inside=e["last_inside"], after=e["after"])
    if e["before"] is None or (e["after"] is None and e["n_inside"] == 0):
        check.explanation = msg("The server's own log does not reach over this window.")
        return check
    # lines written in the window's first minutes (the shutdown itself) or by
    # the boot at its end do not show a running server
    middle = lo + (hi - lo) / 2
    alive = [x for x in (e["first_inside"], e["last_inside"]) if x is not None
             and x.event not in STOP_EVENTS and lo + slack < as_utc(x.ts) < hi
             and not any(abs((as_utc(x.ts) - as_utc(b.ts)).total_seconds()) < slack.total_seconds() for b in boots)]
    busy = e["n_inside"] >= int(sla["server_min_lines_alive"]) and any(as_utc(x.ts) >= middle for x in alive)
    if busy:
        check.verdict, check.supports = "active", "contradicts"
        check.explanation = msg("The server kept writing its log during the window ({n} lines, the last at {last}): "
                                "it was running.", n=e["n_inside"], last=iso(e["last_inside"].ts))
    elif boots:
        check.verdict, check.supports = "silent_then_boot", "corroborates"
        check.explanation = msg("The server's log falls silent after {before} and the server booted at {boot}.",
                                before=iso(e["before"].ts), boot=iso(boots[0].ts))
    else:
        check.verdict, check.supports = "silent", "corroborates"
        check.explanation = msg("The server's log is silent from {before} to {after}.", before=iso(e["before"].ts),
                                after=iso(e["after"].ts) if e["after"] is not None else "–")
    return check


def access_log(run, window: DownWindow, names, cfg) -> LogCheck:
    """The site's access log over the window: served, silent, or no traffic to expect."""
    sla = cfg["sla"]
    days = float(sla["access_baseline_days"])
    lo, hi = certain(window)
    e = _edges(run.rows("log_activity", {"kinds": ACCESS_KINDS, "hosts": list(names),
                                       "baseline_since": lo - dt.timedelta(days=days), "since": lo, "until": hi}))
    check = LogCheck(log="access", verdict="not_covered", supports="neutral", lines_inside=e["n_inside"],
                     answered_inside=e["n_inside_answered"], before=e["before"], first_inside=e["first_inside"],
                     last_inside=e["last_inside"], after=e["after"])
    if e["before"] is None or (e["after"] is None and e["n_inside"] == 0):
        check.explanation = msg("No access log of the site reaches over this window.")
        return check
    baseline_s = days * 86400
    check.expected = round(e["n_baseline"] / baseline_s * (hi - lo).total_seconds(), 1)
    if e["n_inside_answered"] > 0:
        check.verdict, check.supports = "served", "contradicts"
        check.explanation = msg("The web server answered {n} requests during the window.", n=e["n_inside_answered"])
    elif check.expected >= float(sla["access_min_expected"]):
        check.verdict, check.supports = "silent", "corroborates"
        check.explanation = msg("The access log has no answered request in the window, where about {expected} were "
                                "expected at the usual rate.", expected=check.expected)
    else:
        check.verdict = "quiet_site"
        check.explanation = msg("The site has too little traffic (about {expected} requests expected) for its "
                                "silence to mean anything.", expected=check.expected)
    return check


def verdict(window: DownWindow) -> str:
    said = [c.supports for c in (window.server_log, window.access_log) if c is not None]
    yes, no = "corroborates" in said, "contradicts" in said
    if yes and no:
        return "mixed"
    if yes:
        return "corroborated"
    if no:
        return "contradicted"
    return "uncorroborated"
