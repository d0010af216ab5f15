"""What the logs cover: per source its period, silences and rotation boundaries.

"No failed logins" is only evidence where the logs were complete, and a claim
in a period the logs do not cover is "not covered", not "did not happen".
`Coverage.problems(kind, start, end)` answers exactly that for one source kind
(panel, http, ssh) and one period.
"""

from __future__ import annotations

import datetime as dt
import re

from forensics.case import sources_without_hours, write_source_hours
from forensics.investigate.evidence import _clean
from forensics.investigate.model import Gap, SourceCoverage
from forensics.messages import Msg, join, msg
from forensics.named_queries import get_query, query_rows
from forensics.timefmt import as_utc, iso

QUERIES = ["source_coverage", "source_gaps"]
LOG_LABELS = {"panel": msg("panel audit log"), "http": msg("web access log"), "ssh": msg("sshd log")}

# The gap search is the one pass over the whole case; its result only changes
# when a file is ingested (every ingest adds a `sources` row), so it is kept
# per process for each case state (path + the sources' ids, hashes, counts, times).
_GAP_CACHE: dict[tuple, object] = {}


def _complete_hours(case) -> None:
    """Sources without `source_hours` rows (a case file made before the table
    existed, events written by other means): a writable case stores them; a
    read-only one gets them in a temporary table of this connection only."""
    con = case.con
    if not getattr(case, "read_only", True):
        write_source_hours(con, sources_without_hours(con))
        return
    import duckdb

    try:   # (asking the catalog, duckdb_tables(), costs a first call 10 ms more)
        missing = sources_without_hours(con)
        has_table = True
    except duckdb.CatalogException:
        has_table = False
    if has_table:
        if not missing:
            return
        stored = "SELECT * FROM source_hours UNION ALL "   # the case's table: the temporary one does not exist yet
    else:
        missing = [int(r[0]) for r in con.execute(
            "SELECT source_id FROM sources WHERE coalesce(events_parsed, 0) > 0 AND first_ts IS NOT NULL").fetchall()]
        stored = ""
    con.execute(f"CREATE OR REPLACE TEMP TABLE source_hours AS {stored}SELECT * FROM ({get_query('source_hours').sql}\n)",
                {"source_ids": missing})


class Coverage:
    """The coverage of every source in a case."""

    def __init__(self, case, config: dict):
        self.max_gap_hours = float(config["coverage"]["max_gap_hours"])
        rows = query_rows(case, "source_coverage")
        state = (str(getattr(case, "path", id(case))), self.max_gap_hours,
                 tuple((int(r["source_id"]), r["sha256"], _clean(r["events_parsed"]), str(_clean(r["last_ts"])))
                       for r in rows))
        gap_rows = _GAP_CACHE.get(state)
        if gap_rows is None:
            _complete_hours(case)
            gap_rows = query_rows(case, "source_gaps", {"min_gap_hours": self.max_gap_hours})
            _GAP_CACHE.clear()   # one case state at a time is enough
            _GAP_CACHE[state] = gap_rows
        self.sources: list[SourceCoverage] = []
        for r in rows:
            self.sources.append(SourceCoverage(
                source_id=int(r["source_id"]), path=r["path"], source_kind=_clean(r["source_kind"]),
                format=r["format"], sha256=r["sha256"], first_ts=as_utc(_clean(r["first_ts"])),
                last_ts=as_utc(_clean(r["last_ts"])), tz_decision=_clean(r["tz_decision"]),
                year_decision=_clean(r["year_decision"]), lines_read=_clean(r["lines_read"]),
                events_parsed=_clean(r["events_parsed"]), lines_rejected=_clean(r["lines_rejected"]),
                host=_clean(r["host"])))
        by_id = {s.source_id: s for s in self.sources}
        for g in gap_rows:
            src = by_id.get(int(g["source_id"]))
            if src is None:
                continue
            src.gaps.append(Gap(start=as_utc(g["gap_start"]), end=as_utc(g["gap_end"]), source_id=src.source_id,
                                path=src.path, source_kind=src.source_kind, hours=float(g["hours"])))
        self._link_rotated_sets()

    def _link_rotated_sets(self) -> None:
        """Files of the same kind and host follow each other (a rotated set):
        the silence between one file's last event and the next file's first
        event is a gap like any other."""
        groups: dict[tuple, list[SourceCoverage]] = {}
        for s in self.sources:
            if s.first_ts is not None:
                groups.setdefault((s.source_kind, s.host), []).append(s)
        for files in groups.values():
            files.sort(key=lambda s: s.first_ts)
            for prev, nxt in zip(files, files[1:]):
                nxt.follows_source_id = prev.source_id
                if prev.last_ts and nxt.first_ts > prev.last_ts:
                    hours = (nxt.first_ts - prev.last_ts).total_seconds() / 3600
                    if hours > self.max_gap_hours:
                        nxt.gaps.insert(0, Gap(start=prev.last_ts, end=nxt.first_ts, source_id=nxt.source_id,
                                               path=f"{prev.path} -> {nxt.path}", source_kind=nxt.source_kind,
                                               hours=round(hours, 1), kind="between_files"))

    # -- questions ----------------------------------------------------------
    def of_kind(self, kind: str) -> list[SourceCoverage]:
        return [s for s in self.sources if s.source_kind == kind and s.first_ts is not None]

    def period(self, kind: str) -> tuple[dt.datetime, dt.datetime] | None:
        files = self.of_kind(kind)
        if not files:
            return None
        return min(s.first_ts for s in files), max(s.last_ts for s in files)

    def gaps(self, kind: str) -> list[Gap]:
        """Silences of a kind not filled by another file of the same kind."""
        files = self.of_kind(kind)
        out = []
        for s in files:
            for g in s.gaps:
                filled = any(o is not s and o.first_ts <= g.start and o.last_ts >= g.end and
                             not any(og.start < g.end and og.end > g.start for og in o.gaps)
                             for o in files)
                if not filled:
                    out.append(g)
        return sorted(out, key=lambda g: g.start)

    def problems(self, kind: str, start: dt.datetime, end: dt.datetime) -> list[Msg]:
        """Why the `kind` logs are not complete over [start, end]; empty = complete."""
        label = LOG_LABELS.get(kind) or msg("{kind} log", kind=kind)
        span = self.period(kind)
        if span is None:
            return [msg("no {log} in the case", log=label)]
        first, last = span
        out = []
        if end < first or start > last:
            return [msg("the {log} covers {first} to {last}, not {start} to {end}", log=label, first=iso(first),
                        last=iso(last), start=iso(start), end=iso(end))]
        if start < first:
            out.append(msg("the {log} begins only at {first}", log=label, first=iso(first)))
        if end > last:
            out.append(msg("the {log} ends at {last}", log=label, last=iso(last)))
        for g in self.gaps(kind):
            if g.start < end and g.end > start:
                out.append(msg("the {log} has a gap from {start} to {end} ({hours} h, {path})", log=label,
                               start=iso(g.start), end=iso(g.end), hours=g.hours, path=g.path))
        return out

    def gap_at(self, kind: str, when: dt.datetime) -> Gap | None:
        for g in self.gaps(kind):
            if g.start < when < g.end:
                return g
        return None

    def covers(self, when: dt.datetime, kinds=("panel",)) -> bool:
        """Is `when` inside the period of the given kinds and outside their gaps?"""
        for kind in kinds:
            span = self.period(kind)
            if span and span[0] <= when <= span[1] and self.gap_at(kind, when) is None:
                return True
        return False

    def years(self) -> list[int]:
        """Every calendar year (UTC) the logs reach into."""
        years = set()
        for s in self.sources:
            if s.first_ts and s.last_ts:
                years.update(range(s.first_ts.year, s.last_ts.year + 1))
        return sorted(years)

    def end(self) -> dt.datetime | None:
        ends = [s.last_ts for s in self.sources if s.last_ts]
        return max(ends) if ends else None


# The time decisions ingest records on each source (forensics/ingest/timestamps.py
# and engine.py), as messages: the report states them in its own language.  The
# recorded text itself stays in the manifest.
_DECISIONS = [
    (re.compile(r"every timestamp carries its own UTC offset \(or epoch\); no zone applied$"),
     lambda m: msg("every time in the file states its offset from UTC: nothing had to be assumed")),
    (re.compile(r"no line could be read$"), lambda m: msg("no line could be read")),
    (re.compile(r"naive timestamps read as (?P<tz>\S+) \(given with --tz\)$"),
     lambda m: msg("the lines give no time zone; read as {zone}, as stated when the file was loaded (--tz)",
                   zone=m["tz"])),
    (re.compile(r"naive timestamps read as (?P<tz>\S+) \(the format's zone\)$"),
     lambda m: msg("the lines give no time zone; read as {zone}, the zone this log format always uses",
                   zone=m["tz"])),
    (re.compile(r"naive timestamps read as UTC: ASSUMED, no --tz was given and the format names no zone$"),
     lambda m: msg("the lines give no time zone and none was stated: read as UTC (an assumption)")),
]
_YEAR_PARTS = [
    (re.compile(r"year inferred from the file's modification time (?P<mtime>\S+): last line in (?P<year>\d{4})$"),
     lambda m: msg("the lines give no year: the last line is read in {year}, the year of the file's modification "
                   "time {mtime}", year=m["year"], mtime=m["mtime"])),
    (re.compile(r"year (?P<year>\d{4}) for the first line, given with --year$"),
     lambda m: msg("the lines give no year: the first line is read in {year}, as stated when the file was loaded "
                   "(--year)", year=m["year"])),
    (re.compile(r"(?P<n>\d+) year roll-over\(s\) detected \(time jumping back, e\.g\. Dec -> Jan\)$"),
     lambda m: msg("{n} turn of the year found (the time jumps back, as from December to January)",
                   "{n} turns of the year found (the time jumps back, as from December to January)",
                   n=int(m["n"]))),
    (re.compile(r"lines span (?P<first>\d{4})-(?P<last>\d{4})$"),
     lambda m: msg("the lines run from {first} to {last}", first=m["first"], last=m["last"])),
    (re.compile(r"no year-less lines$"), lambda m: msg("no line without a year")),
]


def decision_message(text: str | None, kind: str = "tz") -> Msg | str | None:
    """A recorded time-zone (`kind="tz"`) or year decision as a message.

    Year decisions are "; "-joined parts, each read on its own.  A text this
    module does not know is returned as recorded (it is still true, only
    not translated)."""
    if not text:
        return text
    if kind == "tz":
        for rx, make in _DECISIONS:
            m = rx.match(text)
            if m:
                return make(m)
        return text
    parts = []
    for part in text.split("; "):
        for rx, make in _YEAR_PARTS:
            m = rx.match(part)
            if m:
                parts.append(make(m))
                break
        else:
            return text
    return join(parts)
