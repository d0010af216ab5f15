"""From monitoring results to down windows and the monitored time.

A *stream* is one check from one probe (the native export), or one host or
service of a Nagios/Icinga state log.  The `monitor_runs` query returns the
first result of every run of one status per stream; a down run lasts from
its first result to the first result that is no longer down (or, when the
stream ends down, to its last result: `open_end`).  The down runs of all
streams are merged into windows of the service; a window counts only when
confirmed (`[sla] min_probes`, `min_failed_checks`, or a HARD state).

The monitored time is where results were being written: the native export
between its first and last result without its silences, a state log (which
writes only changes) over its file's period without its silences.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


from forensics.investigate.evidence import _clean, ref
from forensics.investigate.model import EventRef
from forensics.investigate.outage.model import DownWindow, MonitoringGap
from forensics.timefmt import as_utc

Interval = tuple[dt.datetime, dt.datetime]


# -- interval arithmetic ------------------------------------------------------
def union(intervals) -> list[Interval]:
    """Merged, sorted, non-empty intervals."""
    out: list[list[dt.datetime]] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def subtract(base, cut) -> list[Interval]:
    """`base` minus `cut` (both lists of intervals)."""
    cut = union(cut)
    out = []
    for s, e in union(base):
        pos = s
        for cs, ce in cut:
            if ce <= pos or cs >= e:
                continue
            if cs > pos:
                out.append((pos, cs))
            pos = max(pos, ce)
        if pos < e:
            out.append((pos, e))
    return out


def intersect(a, b) -> list[Interval]:
    b = union(b)
    out = []
    for s, e in union(a):
        for bs, be in b:
            lo, hi = max(s, bs), min(e, be)
            if lo < hi:
                out.append((lo, hi))
    return union(out)


def seconds(intervals) -> float:
    return sum((e - s).total_seconds() for s, e in intervals)


# -- runs -> windows -----------------------------------------------------------
@dataclass
class Run:
    """One down run of one stream."""

    stream: tuple
    probe: str
    check: str
    start: dt.datetime
    end: dt.datetime
    open_end: bool
    checks: int
    hard: bool
    start_ref: EventRef
    last_down: dt.datetime | None = None
    end_ref: EventRef | None = None
    refs: list[EventRef] = field(default_factory=list)


def _probe_label(row) -> str:
    probe = _clean(row["probe"]) or ""
    return probe or f"{row['path']}"


def stream_spans(runs: list[dict], file_ends: dict[int, dt.datetime]) -> list[tuple[str, dt.datetime, dt.datetime]]:
    """Each stream's (probe, first, last) time: which probes were watching when."""
    spans = {}
    for r in runs:
        key = (r["source_id"], r["target"], r["check_name"], r["probe"])
        start = as_utc(r["ts"])
        end = as_utc(_clean(r["next_ts"])) or as_utc(r["run_last_ts"])
        if r["event"] != "monitor_check":   # a state log: the state holds until the file ends
            end = max(end, file_ends.get(int(r["source_id"]), end))
        label = _probe_label(r)
        if key in spans:
            spans[key] = (label, min(spans[key][1], start), max(spans[key][2], end))
        else:
            spans[key] = (label, start, end)
    return list(spans.values())


def down_runs(runs: list[dict], file_ends: dict[int, dt.datetime]) -> list[Run]:
    """The down runs of every stream, with their start and end evidence."""
    out = []
    records = runs
    by_stream: dict[tuple, list[dict]] = {}
    for r in records:
        by_stream.setdefault((r["source_id"], r["target"], r["check_name"], r["probe"]), []).append(r)
    for key, rows in by_stream.items():
        for i, r in enumerate(rows):
            if r["mon_status"] != "down":
                continue
            nxt = rows[i + 1] if i + 1 < len(rows) else None
            start = as_utc(r["ts"])
            if nxt is not None:
                end, open_end, end_ref = as_utc(nxt["ts"]), False, ref(nxt)
            elif r["event"] == "monitor_check":
                end, open_end, end_ref = as_utc(r["run_last_ts"]), True, None
            else:   # a state log: still down when the file ends
                end, open_end, end_ref = max(as_utc(r["run_last_ts"]), file_ends.get(int(r["source_id"]), start)), True, None
            attempts = _clean(r.get("run_max_attempt")) or 0
            # a check result is a sample: the service is known down until its last down result;
            # a state log's state holds until it changes
            last_down = as_utc(r["run_last_ts"]) if r["event"] == "monitor_check" else end
            out.append(Run(stream=key, probe=_probe_label(r), check=r["check_name"] or r["target"], start=start,
                           end=end, open_end=open_end, checks=max(int(r["run_checks"]), int(attempts)),
                           hard=bool(_clean(r["run_hard"])), start_ref=ref(r), end_ref=end_ref,
                           last_down=last_down))
    return sorted(out, key=lambda run: run.start)


def merge_windows(runs: list[Run], spans, *, join_seconds: float, min_probes: int,
                  min_failed_checks: int) -> list[DownWindow]:
    """Down runs of all streams -> windows of the service (overlapping runs, or
    runs closer than `join_seconds`, are one window)."""
    groups: list[list[Run]] = []
    for run in runs:
        if groups and run.start <= max(r.end for r in groups[-1]) + dt.timedelta(seconds=join_seconds):
            groups[-1].append(run)
        else:
            groups.append([run])
    windows = []
    for group in groups:
        start = min(r.start for r in group)
        end = max(r.end for r in group)
        last = max(group, key=lambda r: r.end)
        probes = sorted({r.probe for r in group})
        watching = {label for label, s, e in spans if s < end and e > start} | set(probes)
        failed = sum(r.checks for r in group)
        hard = any(r.hard for r in group)
        confirmed = hard or (len(probes) >= min(min_probes, len(watching)) and failed >= min_failed_checks)
        refs = sorted({(r.start_ref.path, r.start_ref.line_no): r.start_ref for r in group}.values(),
                      key=lambda x: (x.ts, x.path, x.line_no))
        ends = [r.end_ref for r in group if r.end_ref is not None]
        windows.append(DownWindow(
            index=0, start=start, end=end, duration_s=(end - start).total_seconds(),
            open_end=last.open_end, confirmed=confirmed, probes=probes, probes_monitoring=len(watching),
            checks=sorted({r.check for r in group}), failed_checks=failed, hard=hard,
            start_ref=min(refs, key=lambda x: (x.ts, x.line_no)), end_ref=last.end_ref,
            evidence=refs + sorted({(e.path, e.line_no): e for e in ends}.values(), key=lambda x: (x.ts, x.line_no)),
            last_down=max(r.last_down or r.start for r in group)))
    return windows


# -- monitored time -------------------------------------------------------------
def monitored_time(span: list[dict], silences: list[dict], state_gaps: dict[int, list[Interval]],
                   lo: dt.datetime, hi: dt.datetime) -> tuple[list[Interval], list[MonitoringGap]]:
    """The time the service was monitored within [lo, hi), and the gaps."""
    covered = []
    gaps: list[MonitoringGap] = []
    for r in span:
        if int(r["checks"] or 0) > 0:
            covered.append((max(lo, as_utc(r["first_ts"])), min(hi, as_utc(r["last_ts"]))))
        else:
            first, last = as_utc(r["file_first_ts"]), as_utc(r["file_last_ts"])
            piece = subtract([(max(lo, first), min(hi, last))], state_gaps.get(int(r["source_id"]), []))
            covered += piece
            for s, e in state_gaps.get(int(r["source_id"]), []):
                if s < hi and e > lo:
                    gaps.append(MonitoringGap(start=s, end=e, seconds=(e - s).total_seconds(),
                                              kind="state_log_silence", path=r["path"]))
    silent = []
    for r in silences:
        s, e = as_utc(r["gap_start"]), as_utc(r["gap_end"])
        silent.append((s, e))
        gaps.append(MonitoringGap(start=s, end=e, seconds=float(r["seconds"]), kind="silence", path=r["path"],
                                  after_ref=ref(r)))
    monitored = subtract(union(covered), silent) if silent else union(covered)
    # time nobody monitored is a gap too, whatever the reason; keep only the
    # named silences above and the edges of the period
    if monitored:
        if monitored[0][0] > lo:
            gaps.append(MonitoringGap(start=lo, end=monitored[0][0], seconds=(monitored[0][0] - lo).total_seconds(),
                                      kind="before_monitoring"))
        if monitored[-1][1] < hi:
            gaps.append(MonitoringGap(start=monitored[-1][1], end=hi, seconds=(hi - monitored[-1][1]).total_seconds(),
                                      kind="after_monitoring"))
    # a silence fully overlapped by another file's monitoring is no gap
    gaps = [g for g in gaps if g.kind in ("before_monitoring", "after_monitoring")
            or seconds(subtract([(g.start, g.end)], monitored)) > 0]
    return monitored, sorted(gaps, key=lambda g: g.start)
