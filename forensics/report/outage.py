"""The report's availability section: the `outage` dispute kind's context.

`outage_context(builder, inv, lang)` turns an `OutageInvestigation` into what
`report_templates/_outage.html` lays out: the summary (key facts, each
window with its duration, probes, corroboration, cause and announcement, the
claims), the SLA table per period, the monitoring's gaps, and the
availability figure (`availability_svg`).  Every event shown is registered
with the builder's citations (appendix `file:line`).  Codes are translated
from the tables below; the investigation's sentences are `Msg`s rendered in
the report's language.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Callable
from xml.sax.saxutils import escape

from forensics.messages import render
from forensics.report.i18n import INVESTIGATION, N_, translations
from forensics.timefmt import as_utc

CORROBORATION = {
    "corroborated": N_("corroborated by the server's own logs"),
    "contradicted": N_("contradicted by the server's own logs"),
    "mixed": N_("the other logs disagree"),
    "uncorroborated": N_("no other log to compare"),
}
CAUSES = {
    "customer_action": N_("the customer's own action in the panel"),
    "server_shutdown": N_("a shutdown asked for inside the server"),
    "provider_maintenance": N_("the provider's maintenance"),
    "hardware_failure": N_("hardware failure"),
    "kernel_panic": N_("kernel panic of the server"),
    "watchdog": N_("watchdog lockup of the server"),
    "out_of_memory": N_("the server ran out of memory"),
    "power_button": N_("power-button request from the hypervisor"),
    "unknown": N_("not recorded in the logs"),
}
ANNOUNCEMENTS = {
    "in_advance": N_("announced in advance"),
    "short_notice": N_("announced at short notice"),
    "during": N_("customer informed during the outage"),
    "after": N_("customer informed afterwards"),
    "none": N_("no notice to the customer"),
}
EXCLUSIONS = {"customer_caused": N_("caused by the customer"),
              "announced_maintenance": N_("announced maintenance")}
VERDICTS = {"met": N_("promise met"), "missed": N_("promise missed"),
            "undetermined": N_("undetermined: the monitoring's gaps decide")}
CLAIMS = {"supported": N_("supported by the logs"), "overstated": N_("overstated"),
          "contradicted": N_("contradicted by the logs"), "not_covered": N_("not covered by the monitoring")}
LOG_VERDICTS = {
    "silent": N_("silent"), "silent_then_boot": N_("silent, then a boot"), "active": N_("kept writing"),
    "served": N_("requests answered"), "quiet_site": N_("too little traffic to tell"),
    "not_covered": N_("does not cover the window"),
}
GAP_KINDS = {"silence": N_("silence of the check export"), "state_log_silence": N_("silence of the state log"),
             "before_monitoring": N_("before the monitoring begins"),
             "after_monitoring": N_("after the monitoring ends")}
FIGURE_LANES = [("monitored", N_("Monitored")), ("down", N_("Down")), ("cause", N_("Cause")),
                ("notice", N_("Notice")), ("server", N_("Server boots"))]

WIDTH, LEFT, RIGHT, TOP, LANE_H = 700, 150, 14, 18, 22
RED, ORANGE, GREEN, GREY, BLUE = "#b3261e", "#c77d00", "#7fb77e", "#d5dbe1", "#2f5d8a"


def _number(value, pattern: str, lang: str) -> str:
    """A number in the report language's notation (23.5 / 23,5); "–" for none."""
    if value is None:
        return "–"
    if lang == "en":
        return format(value, pattern)
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0." + "0" * int(pattern[1:-1]), locale=lang)


def outage_context(b, inv, lang: str) -> dict[str, Any]:
    """The availability section's values (see module docstring)."""
    tr = translations(lang, INVESTIGATION)   # the sentences are msg()s of the investigation
    _ = b._
    f = inv.outage

    def _hours(seconds):
        return "–" if seconds is None else _number(seconds / 3600, ".1f", lang)

    def _pct(value):
        return _number(value, ".3f", lang)

    def say(m):
        return render(m, tr if lang != "en" else None, lang)

    def cite(r):
        return b.citations.add(r) if r is not None else ""

    def log_row(check):
        if check is None:
            return None
        return {"verdict": b.code(LOG_VERDICTS, check.verdict), "supports": check.supports,
                "explanation": say(check.explanation), "lines": check.lines_inside,
                "citations": [cite(r) for r in (check.before, check.first_inside, check.after) if r is not None]}

    windows = []
    for w in f.windows:
        windows.append({
            "index": w.index, "start": b.when(w.start), "end": b.when(w.end), "hours": _hours(w.duration_s),
            "open_end": w.open_end, "probes": ", ".join(w.probes), "n_probes": len(w.probes),
            "probes_monitoring": w.probes_monitoring, "failed_checks": w.failed_checks, "hard": w.hard,
            "checks": ", ".join(w.checks),
            "corroboration_code": w.corroboration, "corroboration": b.code(CORROBORATION, w.corroboration),
            "server_log": log_row(w.server_log), "access_log": log_row(w.access_log),
            "cause_code": w.cause, "cause": b.code(CAUSES, w.cause),
            "causes": [{"cause": b.code(CAUSES, c.code), "explanation": say(c.explanation),
                        "citations": [cite(r) for r in c.evidence[:3]]} for c in w.causes],
            "announcement_code": w.announcement, "announcement": b.code(ANNOUNCEMENTS, w.announcement),
            "notices": [{"when": b.when(n.ts), "citation": cite(n)} for n in w.notices[:3]],
            "excluded": w.excluded, "exclusion": b.code(EXCLUSIONS, w.exclusion) if w.exclusion else "",
            "start_citation": cite(w.start_ref), "end_citation": cite(w.end_ref),
            "start_raw": w.start_ref.raw, "end_raw": w.end_ref.raw if w.end_ref else "",
            "life_signs": [{"event": x.event, "when": b.when(x.ts), "citation": cite(x)} for x in w.life_signs[:4]],
        })
    unconfirmed = [{"start": b.when(w.start), "hours": _hours(w.duration_s), "minutes": f"{w.duration_s / 60:.1f}",
                    "n_probes": len(w.probes), "probes_monitoring": w.probes_monitoring,
                    "failed_checks": w.failed_checks, "citation": cite(w.start_ref)} for w in f.unconfirmed[:12]]
    sla = [{"kind": p.kind, "label": p.label, "complete": p.complete, "hours": _hours(p.period_s),
            "monitored": _hours(p.monitored_s), "unmonitored": _hours(p.unmonitored_s), "down": _hours(p.down_s),
            "excluded": _hours(p.excluded_s), "availability": _pct(p.availability_percent),
            "worst": _pct(p.worst_case_percent), "best": _pct(p.best_case_percent),
            "promise": _number(p.promise_percent, ".1f", lang), "verdict_code": p.verdict, "verdict": b.code(VERDICTS, p.verdict),
            "windows": ", ".join(str(i) for i in p.windows)} for p in f.sla]
    gaps = [{"start": b.when(g.start), "end": b.when(g.end), "hours": _hours(g.seconds),
             "kind": b.code(GAP_KINDS, g.kind), "path": g.path or "", "citation": cite(g.after_ref)} for g in f.gaps]
    claims = [{"text": c.text, "classification_code": c.classification,
               "classification": b.code(CLAIMS, c.classification),
               "claimed_start": b.when(c.claimed_start) if c.claimed_start else None,
               "claimed_end": b.when(c.claimed_end) if c.claimed_end else None,
               "claimed_hours": _hours(c.claimed_duration_s), "measured_hours": _hours(c.measured_duration_s),
               "windows": ", ".join(str(i) for i in c.windows), "explanation": say(c.explanation)}
              for c in inv.outage_claims]
    sla_cfg = inv.thresholds.get("sla", {})
    return {
        "service": f.service, "names": ", ".join(f.names),
        "period": {"start": b.when(f.period_start), "end": b.when(f.period_end)},
        "monitoring": f.monitoring, "key_facts": [say(x) for x in f.key_facts],
        "windows": windows, "unconfirmed": unconfirmed, "unconfirmed_total": len(f.unconfirmed),
        "sla": sla, "gaps": gaps, "claims": claims,
        "promise": _number(float(sla_cfg.get("promise_percent", 0)), ".1f", lang),
        "exclude_customer": bool(sla_cfg.get("exclude_customer_caused")),
        "exclude_maintenance": bool(sla_cfg.get("exclude_announced_maintenance")),
        "announce_hours": _number(float(sla_cfg.get("announce_min_hours", 0)), ".0f", lang),
        "min_probes": sla_cfg.get("min_probes"), "min_failed_checks": sla_cfg.get("min_failed_checks"),
        "svg": availability_svg(inv, gettext=_),
    }


def availability_svg(inv, *, gettext: Callable[[str], str]) -> str:
    """The investigated period: monitored time (green) and gaps (grey), down
    windows (red; orange when excluded; pale for unconfirmed), cause and
    notice marks, the server's boots.  ISO date labels (UTC)."""
    f = inv.outage
    start, end = as_utc(f.period_start), as_utc(f.period_end)
    span = max((end - start).total_seconds(), 3600.0)
    plot_w = WIDTH - LEFT - RIGHT
    height = TOP + LANE_H * len(FIGURE_LANES) + 20
    y = {key: TOP + i * LANE_H + LANE_H / 2 for i, (key, _) in enumerate(FIGURE_LANES)}

    def x(ts) -> float:
        t = min(max(as_utc(ts), start), end)
        return LEFT + (t - start).total_seconds() / span * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="availability-figure" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" font-family="DejaVu Sans" font-size="9.5">']
    for i, (key, label) in enumerate(FIGURE_LANES):
        y0 = TOP + i * LANE_H
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{LANE_H}" '
                   f'fill="{"#f4f6f8" if i % 2 == 0 else "#ffffff"}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y0 + LANE_H / 2 + 3.5:.1f}" text-anchor="end" fill="#333">'
                   f'{escape(gettext(label))}</text>')
    bottom = TOP + LANE_H * len(FIGURE_LANES)
    # day or month grid with ISO labels
    days = span / 86400
    per_day = plot_w / max(days, 1e-9)
    step = max(1, -(-58 // int(per_day)) if per_day >= 1 else 30)   # labels at least 58 px apart
    if step > 14:
        step = 30
    day = dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc)
    n = 0
    while day <= end:
        if day >= start and n % step == 0:
            gx = x(day)
            out.append(f'<line x1="{gx:.1f}" y1="{TOP}" x2="{gx:.1f}" y2="{bottom}" stroke="#d5dbe1" stroke-width="0.5"/>')
            if gx < LEFT + plot_w - 40:
                out.append(f'<text x="{gx + 2:.1f}" y="{bottom + 11}" fill="#333" font-size="8">'
                           f'{escape(day.strftime("%Y-%m-%d") if step < 30 else day.strftime("%Y-%m"))}</text>')
        day += dt.timedelta(days=1)
        n += 1
    out.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="#555" stroke-width="0.8"/>')
    ly = y["monitored"]
    out.append(f'<rect x="{LEFT}" y="{ly - 6}" width="{plot_w}" height="12" fill="{GREY}"/>')
    for s, e in f.monitored:
        if as_utc(e) <= start or as_utc(s) >= end:
            continue
        out.append(f'<rect x="{x(s):.1f}" y="{ly - 6}" width="{max(0.8, x(e) - x(s)):.1f}" height="12" fill="{GREEN}"/>')
    ly = y["down"]
    for w in f.unconfirmed:
        out.append(f'<rect x="{x(w.start):.1f}" y="{ly - 4}" width="{max(1.2, x(w.end) - x(w.start)):.1f}" '
                   f'height="8" fill="#f2b8b3"/>')
    for w in f.windows:
        colour = ORANGE if w.excluded else RED
        wx = x(w.start)
        out.append(f'<rect x="{wx:.1f}" y="{ly - 7}" width="{max(2.0, x(w.end) - wx):.1f}" height="14" fill="{colour}"/>')
        out.append(f'<text x="{wx + 1:.1f}" y="{ly - 9}" fill="{colour}" font-size="8">{w.index}</text>')
    ly = y["cause"]
    for w in f.windows:
        for c in w.causes[:1]:
            for r in c.evidence[:1]:
                cx = x(r.ts)
                out.append(f'<path d="M{cx:.1f},{ly - 6:.1f} L{cx + 5:.1f},{ly + 4:.1f} L{cx - 5:.1f},{ly + 4:.1f} Z" '
                           f'fill="{ORANGE if w.excluded else RED}"/>')
    ly = y["notice"]
    for w in f.windows:
        for r in w.notices[:3]:
            nx = x(r.ts)
            out.append(f'<rect x="{nx - 5:.1f}" y="{ly - 4:.1f}" width="10" height="8" fill="#fff" stroke="{BLUE}" '
                       f'stroke-width="1"/><path d="M{nx - 5:.1f},{ly - 4:.1f} L{nx:.1f},{ly:.1f} L{nx + 5:.1f},'
                       f'{ly - 4:.1f}" fill="none" stroke="{BLUE}" stroke-width="1"/>')
    ly = y["server"]
    for r in f.life_signs:
        if r.event != "boot":
            continue
        bx = x(r.ts)
        out.append(f'<path d="M{bx:.1f},{ly - 6:.1f} L{bx + 4:.1f},{ly + 3:.1f} L{bx - 4:.1f},{ly + 3:.1f} Z" '
                   f'fill="{BLUE}"/>')
    out.append("</svg>")
    return "".join(out)
