"""The outage investigation as text for a person (`forensics investigate
--dispute outage` without `--json`).  Times are ISO 8601 with offset."""

from __future__ import annotations

from forensics.investigate.outage.model import DownWindow, OutageInvestigation
from forensics.investigate.textout import count, integrity_notes, when_text as _t
from forensics.timefmt import iso


def _h(seconds) -> str:
    return "-" if seconds is None else f"{seconds / 3600:.1f} h"


def _window(w: DownWindow, tz) -> list[str]:
    out = [f"outage {w.index}: {_t(w.start, tz)} to {_t(w.end, tz)}{' (still down at the end of the monitoring)' if w.open_end else ''}, "
           f"{_h(w.duration_s)}",
           f"  seen by {', '.join(w.probes)} ({len(w.probes)} of {count(w.probes_monitoring, 'probe')}), "
           f"{count(w.failed_checks, 'failed check')}{', HARD state' if w.hard else ''}: {', '.join(w.checks)}",
           f"  starts [{w.start_ref.citation_text}] {w.start_ref.raw}"]
    if w.end_ref is not None:
        out.append(f"  ends   [{w.end_ref.citation_text}] {w.end_ref.raw}")
    out.append(f"  corroboration: {w.corroboration}")
    for check in (w.server_log, w.access_log):
        if check is not None:
            out.append(f"    {check.log} log: {check.verdict}: {check.explanation}")
    for x in w.life_signs:
        out.append(f"    life sign {x.event} at {_t(x.ts, tz)} [{x.citation_text}]")
    out.append(f"  cause: {w.cause}")
    for c in w.causes:
        out.append(f"    {c.code}: {c.explanation} [{', '.join(e.citation_text for e in c.evidence[:3])}]")
    out.append(f"  announcement: {w.announcement}"
               + (f" [{', '.join(n.citation_text for n in w.notices[:3])}]" if w.notices else ""))
    if w.excluded:
        out.append(f"  excluded from the SLA: {w.exclusion}")
    return out


def render_text(inv: OutageInvestigation, tz: str | None = None) -> str:
    """A plain-text report of an outage investigation."""
    tz = tz or inv.parameters.get("tz")
    f = inv.outage
    out = [f"Outage investigation of {', '.join(f.names)} (account {inv.account or '-'})",
           f"generated {iso(inv.generated_at)} by forensics {inv.tool_version}",
           f"period: {_t(f.period_start, tz)} to {_t(f.period_end, tz)}", ""]
    for m in f.monitoring:
        out.append(f"monitoring: {m['path']} ({m['format']}): {m['events']} events, {m['checks']} probe results, "
                   f"{count(m['probes'], 'probe')}, {m['first_ts']} to {m['last_ts']}")
    out.append("")
    if not f.windows:
        out.append("no confirmed outage in the period")
    for w in f.windows:
        out += _window(w, tz) + [""]
    for w in f.unconfirmed:
        out.append(f"not confirmed (not counted): {_t(w.start, tz)} to {_t(w.end, tz)}, {_h(w.duration_s)}, "
                   f"{len(w.probes)} of {count(w.probes_monitoring, 'probe')}, {count(w.failed_checks, 'failed check')} "
                   f"[{w.start_ref.citation_text}]")
    for g in f.gaps:
        out.append(f"monitoring gap ({g.kind}): {_t(g.start, tz)} to {_t(g.end, tz)}, {_h(g.seconds)}"
                   + (f" [{g.after_ref.citation_text}]" if g.after_ref else ""))
    out += ["", "availability per SLA period (UTC):"]
    for p in f.sla:
        measured = "-" if p.availability_percent is None else f"{p.availability_percent:.3f} %"
        out.append(f"  {p.label:<8} {measured:>10} measured, worst case {p.worst_case_percent} %, promise "
                   f"{p.promise_percent} %: {p.verdict}  (down {_h(p.down_s)}, excluded {_h(p.excluded_s)}, "
                   f"unmonitored {_h(p.unmonitored_s)}{'' if p.complete else ', period still running'})")
    if inv.outage_claims:
        out += ["", "claims:"]
    for c in inv.outage_claims:
        out.append(f'  "{c.text}": {c.classification}  (claimed {_h(c.claimed_duration_s)}, measured '
                   f"{_h(c.measured_duration_s)}) {c.explanation}")
    for n in inv.notes:
        out.append(f"note: {n}")
    out += integrity_notes(inv)
    return "\n".join(out) + "\n"
