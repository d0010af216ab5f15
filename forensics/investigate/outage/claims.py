"""The customer's words about an outage, reconciled with the measured windows.

Read from the sentence (en/de/cs/pl; vocabulary in
`claim_vocabulary.toml`, section `[outage]`): how long ("three days", "3
Tage", "celý týden", "od 3 dni"), since when ("seit Montag": the latest such
weekday before the claim's date, which is the end of the investigated
period), or on which dates (the shared date reader of `claims.py`).

* **supported**: the measured down time reaches the claimed one (within
  `[sla] claim_tolerance` or `claim_tolerance_hours`);
* **overstated**: there was an outage, but shorter, and the monitoring shows
  the service up for the rest of the claimed time (the measured duration is
  given);
* **contradicted**: the monitoring covers the claimed time and shows no
  confirmed outage in it;
* **not_covered**: the monitoring does not cover enough of the claimed time
  to tell (its gaps could hold the rest).

A duration without a date is laid where the monitoring saw the most down
time in a span of that length (the outage the customer most plausibly means;
the down time of every window inside it counts).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache

from forensics.investigate.claims import VOCABULARY, extract_dates, normalise, vocabulary
from forensics.investigate.outage.model import DownWindow, OutageClaim
from forensics.investigate.outage.windows import intersect, seconds, subtract
from forensics.messages import msg
from forensics.timefmt import UTC, iso


@lru_cache(maxsize=2)
def outage_vocabulary(path: str | None = None) -> dict:
    with open(path or VOCABULARY, "rb") as fh:
        section = tomllib.load(fh)["outage"]
    numbers = {}
    for table in section["numbers"].values():
        numbers.update({normalise(k): int(v) for k, v in table.items()})
    units = {normalise(w): float(spec["hours"]) for spec in section["units"].values() for w in spec["words"]}
    weekdays = {normalise(w): int(d) for d, words in section["weekdays"].items() for w in words}
    down = {lang: [normalise(w) for w in words] for lang, words in section["down_words"].items()}
    return {"numbers": numbers, "units": units, "weekdays": weekdays, "down": down,
            "whole": {normalise(w) for w in section["whole"]["words"]},
            "since": {normalise(w) for w in section["since_words"]["words"]}}


def parse(text: str) -> dict:
    """Duration (hours), anchoring weekday, dates and language of an outage claim."""
    v = outage_vocabulary()
    t = normalise(text)
    words = re.findall(r"[a-z]+|\d+(?:[.,]\d+)?", t)
    language, hits = None, 0
    for lang, terms in v["down"].items():
        n = sum(1 for term in terms if re.search(rf"(?<![a-z]){re.escape(term)}", t))
        if n > hits:
            language, hits = lang, n
    hours = None
    for i, w in enumerate(words):
        if w not in v["units"]:
            continue
        prev = words[i - 1] if i else ""
        if re.fullmatch(r"\d+(?:[.,]\d+)?", prev):
            hours = float(prev.replace(",", ".")) * v["units"][w]
        elif prev in v["numbers"]:
            hours = v["numbers"][prev] * v["units"][w]
        elif prev in v["whole"] or (i > 1 and words[i - 2] in v["whole"]):
            hours = v["units"][w]
        if hours is not None:
            break
    weekday = None
    for i, w in enumerate(words):
        if w in v["weekdays"] and i and words[i - 1] in v["since"]:
            weekday = v["weekdays"][w]
            break
    dates = extract_dates(text, vocabulary())
    since = any(w in v["since"] for w in words)
    return {"language": language, "down": hits > 0, "hours": hours, "weekday": weekday, "dates": dates,
            "since": since}


def _hours(s: float | None):
    return "–" if s is None else round(s / 3600, 1)


def reconcile(text: str, windows: list[DownWindow], monitored, period: tuple[dt.datetime, dt.datetime],
              reference: dt.datetime, cfg, tzinfo=None) -> OutageClaim:
    """One claim against the confirmed windows and the monitored time."""
    sla = cfg["sla"]
    p = parse(text)
    tz = tzinfo or UTC
    ref_local = reference.astimezone(tz)
    start = end = None
    anchored = False
    claimed_s = p["hours"] * 3600 if p["hours"] else None
    if p["weekday"] is not None:            # "seit Montag": continuously since that day
        days_back = (ref_local.weekday() - p["weekday"]) % 7 or 7
        day = (ref_local - dt.timedelta(days=days_back)).date()
        start = dt.datetime.combine(day, dt.time(), tz).astimezone(UTC)
        end, anchored = reference, True
        claimed_s = (end - start).total_seconds()
    elif p["dates"]:
        days = []
        for d, m, y in p["dates"]:
            try:
                days.append(dt.date(y or ref_local.year, m, d))
            except ValueError:
                continue
        if days:
            anchored = True
            start = dt.datetime.combine(min(days), dt.time(), tz).astimezone(UTC)
            end = dt.datetime.combine(max(days) + dt.timedelta(days=1), dt.time(), tz).astimezone(UTC)
            if p["since"] and len(days) == 1:       # "down since 2 March": until the claim's date
                end = max(end, reference)
            if claimed_s is None and (len(days) > 1 or p["since"]):   # "from the 3rd to the 6th": all of it
                claimed_s = (end - start).total_seconds()
            # one date without a duration: down at some time that day (claimed_s None)
    base = dict(text=text, language=p["language"], claimed_start=start, claimed_end=end,
                claimed_duration_s=claimed_s, anchored=anchored)
    if not anchored and claimed_s is None:
        return OutageClaim(**base, classification="not_covered", measured_duration_s=None,
                           explanation=msg("No duration, weekday or date of an outage was found in the words."))
    tolerance = max(float(sla["claim_tolerance"]) * (claimed_s or 0), float(sla["claim_tolerance_hours"]) * 3600)
    if anchored:
        span = [(start, end)]
        mine = [w for w in windows if w.start < end and w.end > start]
        down = intersect([(w.start, w.end) for w in mine], span)
    else:
        # the claimed time laid where the monitoring saw the most down time (every
        # outage inside it counts: a service that went down again and again is
        # down for the sum), ending by the claim's date where it fits
        length = dt.timedelta(seconds=claimed_s)
        starts = {w.start for w in windows} | {w.end - length for w in windows}
        best = None
        for lo in sorted(starts):
            lo = min(lo, max(reference - length, min(starts)))
            here = intersect([(w.start, w.end) for w in windows], [(lo, lo + length)])
            if best is None or seconds(here) > best[0]:
                best = (seconds(here), lo)
        if best is None or best[0] == 0:
            span = [period]
            mine, down = [], []
        else:
            span = [(best[1], best[1] + length)]
            mine = [w for w in windows if w.start < span[0][1] and w.end > span[0][0]]
            down = intersect([(w.start, w.end) for w in mine], span)
    down_s = seconds(down)
    measured = down_s
    unmonitored_s = seconds(subtract(span, monitored))
    up_s = seconds(subtract(intersect(span, monitored), down))
    indices = [w.index for w in mine]
    claimed_h, measured_h = _hours(claimed_s), _hours(measured)
    if not mine:
        if unmonitored_s <= tolerance:
            return OutageClaim(**base, classification="contradicted", measured_duration_s=0.0, windows=[],
                               explanation=msg("The monitoring covers the time meant and shows no confirmed "
                                               "outage in it."))
        return OutageClaim(**base, classification="not_covered", measured_duration_s=None, windows=[],
                           explanation=msg("No confirmed outage, but {h} h of the time meant were not monitored.",
                                           h=_hours(unmonitored_s)))
    if claimed_s is None:       # "down on 5 March": some time that day
        return OutageClaim(**base, classification="supported", measured_duration_s=measured, windows=indices,
                           explanation=msg("The monitoring measured {measured} h down on the day meant.",
                                           measured=measured_h))
    if claimed_s - measured <= tolerance:
        return OutageClaim(**base, classification="supported", measured_duration_s=measured, windows=indices,
                           explanation=msg("Claimed {claimed} h; the monitoring measured {measured} h down.",
                                           claimed=claimed_h, measured=measured_h))
    if up_s >= claimed_s - measured - tolerance or unmonitored_s <= tolerance:
        return OutageClaim(**base, classification="overstated", measured_duration_s=measured, windows=indices,
                           explanation=msg("Claimed {claimed} h; the monitoring measured {measured} h down "
                                           "(from {start} to {end}) and the service up for the rest.",
                                           claimed=claimed_h, measured=measured_h, start=iso(mine[0].start),
                                           end=iso(mine[-1].end)))
    return OutageClaim(**base, classification="not_covered", measured_duration_s=measured, windows=indices,
                       explanation=msg("Claimed {claimed} h; {measured} h down were measured, and {gap} h of the "
                                       "time meant were not monitored.", claimed=claimed_h, measured=measured_h,
                                       gap=_hours(unmonitored_s)))
