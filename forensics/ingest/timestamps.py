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


def probe(local: pd.Series, tz_name: str) -> Localized:
    """`local` in zone `tz_name` time by time (naive, datetime64[us]): UTC where the local
    time says it alone, NaT where it occurs twice (clocks going back: the order of the
    lines decides, `infer_ambiguous`); a time that does not exist is moved forward by the
    gap.  The counts of both; no notes."""
    tz = zone(tz_name)
    probe_amb = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    probe_gap = local.dt.tz_localize(tz, ambiguous=True, nonexistent="NaT")
    result = Localized(probe_amb.dt.tz_convert("UTC"))
    result.nonexistent = int((probe_gap.isna() & local.notna()).sum())
    result.ambiguous = int((probe_amb.isna() & local.notna()).sum())
    return result


def infer_ambiguous(local: pd.Series, tz_name: str):
    """UTC for `local` (naive, in file order) with the times that occur twice resolved
    from the order of the lines (pandas' `ambiguous="infer"`, per run of consecutive
    such lines), or, when the order does not tell, all as the first occurrence; and
    which of the two it was."""
    tz = zone(tz_name)
    try:
        inferred = local.dt.tz_localize(tz, ambiguous="infer", nonexistent="shift_forward")
        how = "resolved from the order of the lines"
    except Exception:  # pandas raises when the order does not tell
        inferred = local.dt.tz_localize(tz, ambiguous=np.ones(len(local), dtype=bool),
                                        nonexistent="shift_forward")
        how = "the order of the lines does not tell; the first occurrence (summer time) was taken"
    return inferred.dt.tz_convert("UTC"), how


def infer_ambiguous_at(positions: np.ndarray, local: np.ndarray, tz_name: str):
    """UTC for twice-occurring local times gathered from a whole file (`positions`: their
    places among the file's times, increasing), as `infer_ambiguous` over the whole file
    would give them: pandas infers per run of consecutive such times, so runs that are
    not consecutive in the file are kept apart by a NaT between them."""
    import pandas as pd
    apart = np.concatenate([[0], np.cumsum(np.diff(positions) != 1)])
    places = np.arange(len(positions)) + apart
    series = np.full(len(positions) + int(apart[-1]), np.datetime64("NaT"), dtype="datetime64[us]")
    series[places] = local
    utc, how = infer_ambiguous(pd.Series(series), tz_name)
    return utc.iloc[places].reset_index(drop=True), how


def ambiguous_note(n: int, tz_name: str, how: str) -> str:
    return (f"{counted(n, 'line')} carr{'ies' if n == 1 else 'y'} a local time that occurs twice in {tz_name} "
            f"(clocks going back): {how}")


def nonexistent_note(n: int, tz_name: str) -> str:
    return (f"{counted(n, 'line')} carr{'ies' if n == 1 else 'y'} a local time that does not exist in {tz_name} "
            "(clocks going forward): moved forward by the length of the gap")


def backsteps(values: np.ndarray, previous, rollback_hours: float) -> np.ndarray:
    """backstep[j]: a roll-over between year-less times j-1 and j (the time jumps
    backwards by more than `rollback_hours`); backstep[0] compares with `previous`
    (the time before these, a slice's predecessor), False when there is none."""
    n = len(values)
    backstep = np.zeros(n, dtype=bool)
    if n == 0:
        return backstep
    joined = values if previous is None else np.concatenate([np.asarray([previous], dtype=values.dtype), values])
    diffs = (joined[1:] - joined[:-1]).astype("timedelta64[s]").astype(np.int64)
    valid = ~(np.isnat(joined[1:]) | np.isnat(joined[:-1]))
    step = valid & (diffs < -rollback_hours * 3600)
    if previous is None:
        backstep[1:] = step
    else:
        backstep[:] = step
    return backstep


def year_of_last_line(last, *, mtime_utc: dt.datetime, tz_name: str, rollback_hours: float) -> int:
    """The year of the last year-less line: the modification time's (in the file's zone),
    or the year before when its month/day lies after the modification time."""
    mtime_local = mtime_utc.astimezone(zone(tz_name) or dt.timezone.utc)
    # a datetime64[us] scalar (a year-less time: placeholder year, well inside datetime's range)
    last = None if last is None or np.isnat(last) else np.datetime64(last, "us").item()
    last_year = mtime_local.year
    if last is not None:
        try:
            last_in_mtime_year = last.replace(year=mtime_local.year)
        except ValueError:  # Feb 29 in a common year
            last_in_mtime_year = last.replace(year=mtime_local.year, day=28)
        slack = dt.timedelta(hours=rollback_hours)
        if last_in_mtime_year > mtime_local.replace(tzinfo=None) + slack:
            last_year -= 1
    return last_year


class SlicedYears:
    """Years for a file's year-less times read slice by slice in file order, in two
    passes, so that memory stays bounded whatever the file's length.

    Pass 1 (`count`, every slice in order): each slice's roll-overs, its first time
    compared with the last of the slice before.  Then `start`: the last line's year
    (from the modification time, or `cli_year` for the first line).  Pass 2 (`years`,
    the same slices in the same order): each slice's years, from the roll-overs before
    it (`--year`) or after it (modification time).  `decision` says how, as one pass
    over the whole file would.
    """

    def __init__(self, rollback_hours: float):
        self.rollback_hours = rollback_hours
        self.counts: list[int] = []   # roll-overs per slice
        self._previous = None         # the last year-less time read so far

    def count(self, values: np.ndarray) -> None:
        self.counts.append(int(backsteps(values, self._previous, self.rollback_hours).sum()))
        if len(values):
            self._previous = values[-1]

    @property
    def found(self) -> bool:
        """Whether pass 1 saw any year-less time."""
        return self._previous is not None

    def start(self, *, cli_year: int | None, mtime_utc: dt.datetime, tz_name: str) -> None:
        self.cli_year, self.mtime_utc = cli_year, mtime_utc
        self.last_year = None if cli_year is not None else year_of_last_line(
            self._previous, mtime_utc=mtime_utc, tz_name=tz_name, rollback_hours=self.rollback_hours)
        self.total, self._before, self._slice, self._previous, self._span = sum(self.counts), 0, 0, None, []

    def years(self, values: np.ndarray) -> np.ndarray:
        """The years of the next slice's year-less times (call once per slice, empty or not)."""
        k, before = self._slice, self._before
        self._slice, self._before = k + 1, before + self.counts[k]
        if not len(values):
            return np.zeros(0, dtype=int)
        steps = backsteps(values, self._previous, self.rollback_hours)
        self._previous = values[-1]
        if self.cli_year is not None:
            years = self.cli_year + before + np.cumsum(steps)
        else:   # a roll-over puts the lines before it one year earlier
            years = self.last_year - (rollovers_after(steps) + (self.total - before - self.counts[k]))
        self._span = [self._span[0] if self._span else int(years[0]), int(years[-1])]
        return years

    def decision(self) -> str:
        text = (f"year {self.cli_year} for the first line, given with --year" if self.cli_year is not None
                else f"year inferred from the file's modification time {iso(self.mtime_utc)}: "
                     f"last line in {self.last_year}")
        if self.total:
            text += (f"; {counted(self.total, 'year roll-over')} detected (time jumping back, e.g. Dec -> Jan)"
                     f"; lines span {self._span[0]}-{self._span[1]}")
        return text


def rollovers_after(backstep: np.ndarray) -> np.ndarray:
    """For each line i, how many roll-overs lie between i and the last line.

    `backstep[j]` marks a roll-over between lines j-1 and j.
    """
    at_or_after = np.cumsum(backstep[::-1])[::-1]
    return np.concatenate([at_or_after[1:], [0]])


def placeholder_year(values: np.ndarray) -> np.ndarray:
    """Which of these naive times (datetime64) carry the placeholder year of a year-less line."""
    start = np.datetime64(f"{PLACEHOLDER_YEAR:04d}-01-01", "us")
    return (values >= start) & (values < np.datetime64(f"{PLACEHOLDER_YEAR + 1:04d}-01-01", "us"))


def utc_values(utc: pd.Series) -> np.ndarray:
    """Aware times (a pandas Series) as the UTC instants they are: naive datetime64[us], NaT kept."""
    return utc.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy().astype("datetime64[us]")


def apply_years(local: np.ndarray, years: np.ndarray) -> tuple[np.ndarray, int]:
    """Replace the placeholder year of naive times (datetime64); Feb 29 in a common year becomes NaT.

    Returns the new times (datetime64[us]) and the number of impossible dates.
    """
    values = np.asarray(local).astype("datetime64[us]")
    years = np.asarray(years)
    if len(years) and 1000 <= years.min() and years.max() <= 9999:
        # The same, without a string per line (it cost some 2 us a line): the
        # month and the time within it kept, the year set; a day past the end
        # of its month in that year (Feb 29 in a common year) is NaT.
        month_start = values.astype("datetime64[M]")
        within = values - month_start.astype("datetime64[us]")
        month = (month_start - values.astype("datetime64[Y]").astype("datetime64[M]")).astype(np.int64)
        year_start = (years.astype(np.int64) - 1970).astype("datetime64[Y]")
        new_month = year_start.astype("datetime64[M]") + month.astype("timedelta64[M]")
        result = new_month.astype("datetime64[us]") + within
        bad = ~np.isnat(values) & (result.astype("datetime64[M]") != new_month)
        result[bad | np.isnat(values)] = np.datetime64("NaT")
        return result.astype("datetime64[us]"), int(bad.sum())
    import pandas as pd   # years outside 1000-9999 (thousands of roll-overs): read as text

    local = pd.Series(values)
    text = local.dt.strftime("%m-%d %H:%M:%S.%f")
    combined = pd.Series(years.astype(str), index=local.index) + "-" + text
    result = pd.to_datetime(combined, format="%Y-%m-%d %H:%M:%S.%f", errors="coerce")
    impossible = int((result.isna() & local.notna()).sum())
    return result.astype("datetime64[us]").to_numpy(), impossible
