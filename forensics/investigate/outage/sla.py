"""Availability per SLA period (calendar month, calendar year; in the
customer's zone when one is given with --tz, else UTC).

For each period: the time elapsed (a running period ends where the logs
end), the time monitored, the confirmed down time that counts, the excluded
down time (announced maintenance, customer-caused: `[sla]`), and

    availability = (monitored - down - excluded) / (monitored - excluded)
    worst case   = (monitored - down - excluded) / (period - excluded)
    best case    = (period - down - excluded) / (period - excluded)

The first measures only what the monitoring saw; the worst case counts every
minute of the whole SLA period that is not known to be up (unmonitored, or
not yet elapsed in a running period) as down, the best case as up.  The promise is `met` when
even the worst case reaches it, `missed` when even the best case does not,
and `undetermined` when only the monitoring's gaps decide.
"""

from __future__ import annotations

import datetime as dt

from forensics.investigate.outage.model import DownWindow, SlaPeriod
from forensics.investigate.outage.windows import intersect, seconds, subtract, union
from forensics.timefmt import UTC


def periods_between(start: dt.datetime, end: dt.datetime, kinds, tzinfo=None) -> list[tuple[str, str, dt.datetime, dt.datetime]]:
    """(kind, label, start, end) of every calendar month/year touching [start, end),
    in the zone `tzinfo` (the customer's, given with --tz), else UTC."""
    tz = tzinfo or UTC

    def at(y, m):
        return dt.datetime(y, m, 1, tzinfo=tz).astimezone(UTC)

    first, last = start.astimezone(tz), end.astimezone(tz)
    out = []
    if "month" in kinds:
        y, m = first.year, first.month
        while True:
            s = at(y, m)
            if s >= end:
                break
            y2, m2 = (y + 1, 1) if m == 12 else (y, m + 1)
            out.append(("month", f"{y:04d}-{m:02d}", s, at(y2, m2)))
            y, m = y2, m2
    if "year" in kinds:
        for y in range(first.year, last.year + 1):
            s = at(y, 1)
            if s < end:
                out.append(("year", f"{y:04d}", s, at(y + 1, 1)))
    return out


def query_range(start: dt.datetime, end: dt.datetime, kinds, tzinfo=None) -> tuple[dt.datetime, dt.datetime]:
    """The whole SLA periods the investigated period touches."""
    spans = periods_between(start, end, kinds, tzinfo)
    if not spans:
        return start, end
    return min(s for _, _, s, _ in spans), max(e for _, _, _, e in spans)


def availability(windows: list[DownWindow], monitored, logs_end: dt.datetime, start: dt.datetime,
                 end: dt.datetime, cfg, tzinfo=None) -> list[SlaPeriod]:
    sla = cfg["sla"]
    promise = float(sla["promise_percent"])
    out = []
    for kind, label, ps, pe in periods_between(start, end, sla["periods"], tzinfo):
        elapsed_end = min(pe, max(ps, logs_end))
        span = [(ps, elapsed_end)]
        period_s = (pe - ps).total_seconds()
        elapsed_s = (elapsed_end - ps).total_seconds()
        mon = intersect(span, monitored)
        mine = [w for w in windows if w.start < elapsed_end and w.end > ps]
        excluded = intersect(union((w.start, w.end) for w in mine if w.excluded), span)
        down = intersect(subtract(union((w.start, w.end) for w in mine if not w.excluded), excluded), mon)
        mon_s, down_s, excl_s = seconds(mon), seconds(down), seconds(excluded)
        excl_mon_s = seconds(intersect(excluded, mon))
        up_s = max(0.0, mon_s - down_s - excl_mon_s)
        base = mon_s - excl_mon_s
        measured = round(100.0 * up_s / base, 3) if base > 0 else None
        # worst and best case over the whole SLA period: what is not known
        # (unmonitored, or not yet elapsed) counted as down, or as up
        whole = period_s - excl_s
        worst = round(100.0 * up_s / whole, 3) if whole > 0 else None
        best = round(100.0 * (whole - down_s) / whole, 3) if whole > 0 else None
        if worst is not None and worst >= promise:
            verdict = "met"
        elif best is not None and best < promise:
            verdict = "missed"
        else:
            verdict = "undetermined"
        out.append(SlaPeriod(kind=kind, label=label, start=ps, end=pe, elapsed_end=elapsed_end,
                             complete=elapsed_end >= pe, period_s=elapsed_s, monitored_s=mon_s,
                             unmonitored_s=max(0.0, elapsed_s - mon_s), down_s=down_s, excluded_s=excl_s,
                             availability_percent=measured, worst_case_percent=worst, best_case_percent=best,
                             promise_percent=promise, verdict=verdict, windows=[w.index for w in mine]))
    return out
