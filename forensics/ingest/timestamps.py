"""Turning the wall-clock times of a log into UTC instants, and saying how.

Three decisions are made per source and recorded on its `sources` row:

* the **zone** of naive timestamps: `--tz`, else the format's own zone, else
  UTC *assumed* (`tz_assumed` is then true);
* the **year** of year-less syslog lines: `--year`, else inferred from the
  file's modification time going backwards through the file;
* what happened at **DST transitions**: a local time that occurs twice (the
  autumn change) is resolved from the order of the lines where possible; a
  local time that never occurred (the spring gap) is moved forward by the
  gap.  Each case is counted and written into the source's assumptions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from forensics.english import counted
from forensics.timefmt import iso, zone

if TYPE_CHECKING:   # pandas is loaded where a frame is built (not on the SQL paths)
    import pandas as pd

PLACEHOLDER_YEAR = 2000  # leap year: "Feb 29" of a year-less line must parse


@dataclass
class ZoneDecision:
    """Which zone applies to naive timestamps, and why."""

    tz: str
    decision: str
    assumed: bool


def decide_zone(cli_tz: str | None, format_tz: str | None) -> ZoneDecision:
    """The zone for naive timestamps: option, format default, or assumed UTC."""
    if cli_tz:
        zone(cli_tz)  # validates, with a clear error
        return ZoneDecision(cli_tz, f"naive timestamps read as {cli_tz} (given with --tz)", False)
    if format_tz:
        return ZoneDecision(format_tz, f"naive timestamps read as {format_tz} (the format's zone)", False)
    return ZoneDecision(
        "UTC",
        "naive timestamps read as UTC: ASSUMED, no --tz was given and the format names no zone",
        True,
    )


@dataclass
class Localized:
    """UTC instants for naive local times, with what had to be decided."""

    utc: pd.Series
    ambiguous: int = 0
    nonexistent: int = 0
    notes: list[str] = field(default_factory=list)


def localize(local: pd.Series, tz_name: str) -> Localized:
    """Naive wall-clock times (in file order) -> aware UTC, DST-correct.

    Args:
        local: naive datetimes in the order of the file's lines.
        tz_name: IANA zone name, or "UTC".

    Ambiguous times (they occur twice when clocks go back) are resolved from
    the order of the lines (pandas' `ambiguous="infer"`: a time that goes
    backwards within the repeated hour is the second pass); when the order
    cannot tell, the first occurrence (summer time) is taken.  Nonexistent
    times (skipped when clocks go forward) are shifted forward by the gap.
    """
    import pandas as pd
    local = pd.to_datetime(local).astype("datetime64[us]")
    if tz_name.upper() == "UTC":
        return Localized(local.dt.tz_localize("UTC"))
    tz = zone(tz_name)
    probe_amb = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    probe_gap = local.dt.tz_localize(tz, ambiguous=True, nonexistent="NaT")
    is_ambiguous = probe_amb.isna() & local.notna()
    is_gap = probe_gap.isna() & local.notna()
    result = Localized(probe_amb.dt.tz_convert("UTC"))
    result.nonexistent = int(is_gap.sum())
    result.ambiguous = int(is_ambiguous.sum())
    if result.ambiguous:
        try:
            inferred = local.dt.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
            how = "resolved from the order of the lines"
        except Exception:  # pandas raises when the order does not tell
            inferred = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                            nonexistent="shift_forward")
            how = "the order of the lines does not tell; the first occurrence (summer time) was taken"
        result.utc = inferred.dt.tz_convert("UTC")
        result.notes.append(
            f"{counted(result.ambiguous, 'line')} carr{'ies' if result.ambiguous == 1 else 'y'} a local time that occurs twice in {tz_name} "
            f"(clocks going back): {how}"
        )
    if result.nonexistent:
        result.notes.append(
            f"{counted(result.nonexistent, 'line')} carr{'ies' if result.nonexistent == 1 else 'y'} a local time that does not exist in {tz_name} "
            "(clocks going forward): moved forward by the length of the gap"
        )
    return result


@dataclass
class YearDecision:
    years: np.ndarray           # one year per line, in file order
    decision: str


def infer_years(
    local: pd.Series,
    *,
    mtime_utc: dt.datetime,
    tz_name: str,
    cli_year: int | None,
    rollback_hours: float,
) -> YearDecision:
    """Years for year-less times (placeholder year 2000), in file order.

    Without `cli_year`: the last line belongs to the year of the file's
    modification time (in the file's zone), or to the year before when its
    month/day lies after the modification time; going backwards, each step
    back in time by more than `rollback_hours` (Dec -> Jan seen forwards) is
    a year roll-over.  With `cli_year`: the first line is in that year and
    each roll-over going forwards adds one.
    """
    import pandas as pd
    n = len(local)
    values = pd.to_datetime(local).astype("datetime64[us]").to_numpy()
    if n == 0:
        return YearDecision(np.zeros(0, dtype=int), "no year-less lines")
    # backstep[j]: a roll-over between lines j-1 and j (time jumps backwards).
    backstep = np.zeros(n, dtype=bool)
    diffs = (values[1:] - values[:-1]).astype("timedelta64[s]").astype(np.int64)
    valid = ~(pd.isna(values[1:]) | pd.isna(values[:-1]))
    backstep[1:] = valid & (diffs < -rollback_hours * 3600)
    rollovers = int(backstep.sum())
    if cli_year is not None:
        years = cli_year + np.cumsum(backstep)
        decision = f"year {cli_year} for the first line, given with --year"
    else:
        mtime_local = mtime_utc.astimezone(zone(tz_name) or dt.timezone.utc)
        last = pd.Timestamp(values[-1]) if not pd.isna(values[-1]) else None
        last_year = mtime_local.year
        if last is not None:
            try:
                last_in_mtime_year = last.replace(year=mtime_local.year)
            except ValueError:  # Feb 29 in a common year
                last_in_mtime_year = last.replace(year=mtime_local.year, day=28)
            slack = pd.Timedelta(hours=rollback_hours)
            if last_in_mtime_year > pd.Timestamp(mtime_local.replace(tzinfo=None)) + slack:
                last_year -= 1
        # A roll-over between lines j-1 and j puts j-1 and everything before
        # it one year earlier.
        years = last_year - _rollovers_after(backstep)
        decision = (
            f"year inferred from the file's modification time {iso(mtime_utc)}: "
            f"last line in {last_year}"
        )
    if rollovers:
        decision += f"; {counted(rollovers, 'year roll-over')} detected (time jumping back, e.g. Dec -> Jan)"
        first, last_y = int(years[0]), int(years[-1])
        decision += f"; lines span {first}-{last_y}"
    return YearDecision(years.astype(int), decision)


def _rollovers_after(backstep: np.ndarray) -> np.ndarray:
    """For each line i, how many roll-overs lie between i and the last line.

    `backstep[j]` marks a roll-over between lines j-1 and j.
    """
    at_or_after = np.cumsum(backstep[::-1])[::-1]
    return np.concatenate([at_or_after[1:], [0]])


def apply_years(local: pd.Series, years: np.ndarray) -> tuple[pd.Series, int]:
    """Replace the placeholder year; Feb 29 in a common year becomes NaT.

    Returns the new series and the number of impossible dates.
    """
    import pandas as pd
    local = pd.to_datetime(local).astype("datetime64[us]")
    years = np.asarray(years)
    if len(years) and 1000 <= years.min() and years.max() <= 9999:
        # The same, without a string per line (it cost some 2 us a line): the
        # month and the time within it kept, the year set; a day past the end
        # of its month in that year (Feb 29 in a common year) is NaT.
        values = local.to_numpy()
        month_start = values.astype("datetime64[M]")
        within = values - month_start.astype("datetime64[us]")
        month = (month_start - values.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64)
        year_start = (years.astype(np.int64) - 1970).astype("datetime64[Y]")
        new_month = year_start.astype("datetime64[M]") + month.astype("timedelta64[M]")
        result = new_month.astype("datetime64[us]") + within
        bad = ~np.isnat(values) & (result.astype("datetime64[M]") != new_month)
        result[bad | np.isnat(values)] = np.datetime64("NaT")
        return pd.Series(result, index=local.index).astype("datetime64[us]"), int(bad.sum())
    text = local.dt.strftime("%m-%d %H:%M:%S.%f")
    combined = pd.Series(years.astype(str), index=local.index) + "-" + text
    result = pd.to_datetime(combined, format="%Y-%m-%d %H:%M:%S.%f", errors="coerce")
    impossible = int((result.isna() & local.notna()).sum())
    return result.astype("datetime64[us]"), impossible
