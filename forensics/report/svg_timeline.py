"""The timeline figure: drawn from the data as SVG markup.

One figure per disputed action, over the period of its merged timeline:
sessions as bars (the disputed session highlighted), logins and failed
logins, actions and staff events as marks, web requests as ticks, the
disputed action as a red line.  The axis is labelled in the report's zone
(ISO dates, 24-hour times).

The SVG is inlined into the HTML; every piece of text in it goes through
`xml.sax.saxutils.escape`, so nothing from a log can become markup.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable
from xml.sax.saxutils import escape, quoteattr

from forensics.investigate.model import ActionFinding, EventRef, Session
from forensics.report.i18n import N_
from forensics.timefmt import as_utc

WIDTH = 700
LEFT = 172          # room for the lane labels ("Fehlgeschlagene Anmeldungen")
RIGHT = 14
LANE_H = 26
TOP = 22
STEPS = [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000]
HIGHLIGHT = "#b3261e"
HOLDER = "#2f5d8a"
MUTED = "#9aa5b1"

LANES = [
    ("sessions", N_("Sessions")),
    ("logins", N_("Logins")),
    ("failed", N_("Failed logins")),
    ("actions", N_("Actions")),
    ("web", N_("Web requests")),
    ("staff", N_("Staff")),
]
LOGIN_EVENTS = {"login", "ssh_login"}
FAILED_EVENTS = {"ssh_auth_failure", "ssh_invalid_user", "ssh_denied"}


def _lane(ref: EventRef) -> str:
    if ref.actor == "staff":
        return "staff"
    if ref.event in FAILED_EVENTS or (ref.event in LOGIN_EVENTS and ref.result not in (None, "success")):
        return "failed"
    if ref.event in LOGIN_EVENTS:
        return "logins"
    if ref.event == "http_request" or (ref.event is None and ref.method):
        return "web"
    return "actions"


def _window(finding: ActionFinding) -> tuple[dt.datetime, dt.datetime]:
    """The period drawn: the disputed session (or the hour around the action)
    and the failed logins of the hour before it.  Events further away are
    not drawn to scale but counted at the figure's edges."""
    action = as_utc(finding.action.ts)
    times = [action]
    if finding.session is not None:
        times.append(as_utc(finding.session.start))
        if finding.session.end is not None:
            times.append(as_utc(finding.session.end))
    else:
        times += [action - dt.timedelta(minutes=30), action + dt.timedelta(minutes=30)]
    first = min(times)
    times += [as_utc(r.ts) for r in finding.failed_logins
              if first - dt.timedelta(hours=1) <= as_utc(r.ts) <= first]
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 600.0)
    middle = start + (end - start) / 2
    half = span / 2 * 1.08
    return middle - dt.timedelta(seconds=half), middle + dt.timedelta(seconds=half)


def _ticks(start: dt.datetime, end: dt.datetime, tz: dt.tzinfo) -> list[dt.datetime]:
    span = (end - start).total_seconds()
    step = next((s for s in STEPS if span / s <= 8), STEPS[-1])
    local_start = start.astimezone(tz)
    if step >= 86400:
        first = local_start.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(days=1)
    else:
        midnight = local_start.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local_start - midnight).total_seconds()
        first = midnight + dt.timedelta(seconds=(int(elapsed // step) + 1) * step)
    ticks = []
    current = first
    while current < end.astimezone(tz) and len(ticks) < 40:
        ticks.append(current)
        current = (current + dt.timedelta(seconds=step)).astimezone(tz)
    return ticks


def render_timeline_svg(finding: ActionFinding, sessions: list[Session], *, gettext: Callable[[str], str],
                        tz: dt.tzinfo | None = None) -> str:
    """SVG markup of one disputed action's timeline (see module docstring)."""
    display_tz = tz or dt.timezone.utc
    start, end = _window(finding)
    span = (end - start).total_seconds()
    plot_w = WIDTH - LEFT - RIGHT
    height = TOP + LANE_H * len(LANES) + 34
    lane_y = {key: TOP + i * LANE_H + LANE_H / 2 for i, (key, _) in enumerate(LANES)}

    def x(ts) -> float:
        return LEFT + (as_utc(ts) - start).total_seconds() / span * plot_w

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline-figure" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" font-family="DejaVu Sans" font-size="10">'
    ]
    # lanes
    for i, (key, label) in enumerate(LANES):
        y0 = TOP + i * LANE_H
        fill = "#f4f6f8" if i % 2 == 0 else "#ffffff"
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{LANE_H}" fill="{fill}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y0 + LANE_H / 2 + 3.5:.1f}" text-anchor="end" fill="#333" font-size="9.5">'
                   f'{escape(gettext(label))}</text>')
    bottom = TOP + LANE_H * len(LANES)
    # axis and grid
    previous_date = None
    for tick in _ticks(start, end, display_tz):
        tx = x(tick)
        out.append(f'<line x1="{tx:.1f}" y1="{TOP}" x2="{tx:.1f}" y2="{bottom}" stroke="#d5dbe1" stroke-width="0.6"/>')
        label = tick.strftime("%H:%M")
        date = tick.date().isoformat()
        if (end - start).total_seconds() >= 86400 * 2:
            label = date
        out.append(f'<text x="{tx:.1f}" y="{bottom + 12}" text-anchor="middle" fill="#333">{escape(label)}</text>')
        if date != previous_date and label != date:
            # the date and the axis' UTC offset, so that "14:55" is a complete ISO time
            offset = tick.isoformat()[19:] or "+00:00"
            out.append(f'<text x="{tx:.1f}" y="{bottom + 24}" text-anchor="middle" fill="#666" font-size="8.5">'
                       f'{escape(date + " (" + offset + ")")}</text>')
        previous_date = date
    out.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="#555" stroke-width="0.8"/>')

    # sessions as bars
    disputed_id = finding.session.session_id if finding.session else None
    shown = {id(s): s for s in sessions}
    if finding.session is not None:
        shown[id(finding.session)] = finding.session
    y = lane_y["sessions"]
    for s in shown.values():
        s_start = as_utc(s.start)
        s_end = as_utc(s.end) if s.end is not None else s_start
        if s_end < start or s_start > end:
            continue
        x0, x1 = max(x(s_start), LEFT), min(x(s_end), LEFT + plot_w)
        is_disputed = s is finding.session or (disputed_id is not None and s.session_id == disputed_id)
        colour = HIGHLIGHT if is_disputed else (MUTED if s.actor != "staff" else "#c77d00")
        out.append(f'<rect x="{x0:.1f}" y="{y - 6}" width="{max(x1 - x0, 2.5):.1f}" height="12" rx="2" fill="{colour}"/>')

    # marks
    action_key = (finding.action.path, finding.action.line_no)
    refs = {(r.path, r.line_no): r for r in list(finding.timeline) + list(finding.failed_logins)}
    refs.setdefault(action_key, finding.action)
    outside: dict[tuple[str, str], int] = {}
    for key, ref in sorted(refs.items(), key=lambda kv: as_utc(kv[1].ts)):
        ts = as_utc(ref.ts)
        lane = _lane(ref)
        if ts < start or ts > end:
            side = "before" if ts < start else "after"
            outside[(lane, side)] = outside.get((lane, side), 0) + 1
            continue
        mx, my = x(ts), lane_y[lane]
        if key == action_key:
            continue  # drawn last, on top
        if lane == "web":
            out.append(f'<line x1="{mx:.1f}" y1="{my - 6}" x2="{mx:.1f}" y2="{my + 6}" stroke="{HOLDER}" stroke-width="1"/>')
        elif lane == "failed":
            out.append(f'<path d="M{mx - 4:.1f},{my - 4:.1f} L{mx + 4:.1f},{my + 4:.1f} M{mx - 4:.1f},{my + 4:.1f} '
                       f'L{mx + 4:.1f},{my - 4:.1f}" stroke="{HIGHLIGHT}" stroke-width="1.4"/>')
        elif lane == "logins":
            out.append(f'<circle cx="{mx:.1f}" cy="{my}" r="4.2" fill="#2e7d32"/>')
        elif lane == "staff":
            out.append(f'<path d="M{mx:.1f},{my - 5:.1f} L{mx + 5:.1f},{my + 4:.1f} L{mx - 5:.1f},{my + 4:.1f} Z" fill="#c77d00"/>')
        else:
            out.append(f'<path d="M{mx:.1f},{my - 5:.1f} L{mx + 5:.1f},{my:.1f} L{mx:.1f},{my + 5:.1f} '
                       f'L{mx - 5:.1f},{my:.1f} Z" fill="{HOLDER}"/>')

    # events outside the drawn period: counted at the edges
    for (lane, side), count in sorted(outside.items()):
        my = lane_y[lane] + 3.5
        if side == "before":
            out.append(f'<text x="{LEFT + 3}" y="{my:.1f}" fill="#555" font-size="8.5">'
                       f'{escape("◀ " + str(count))}</text>')
        else:
            out.append(f'<text x="{LEFT + plot_w - 3}" y="{my:.1f}" text-anchor="end" fill="#555" font-size="8.5">'
                       f'{escape(str(count) + " ▶")}</text>')

    # the disputed action: a red line across all lanes, a diamond, its time
    ax = x(finding.action.ts)
    ay = lane_y["actions"]
    out.append(f'<line x1="{ax:.1f}" y1="{TOP - 4}" x2="{ax:.1f}" y2="{bottom}" stroke="{HIGHLIGHT}" stroke-width="1.4"/>')
    out.append(f'<path d="M{ax:.1f},{ay - 7:.1f} L{ax + 7:.1f},{ay:.1f} L{ax:.1f},{ay + 7:.1f} L{ax - 7:.1f},{ay:.1f} Z" '
               f'fill="{HIGHLIGHT}" stroke="#fff" stroke-width="0.8"/>')
    label = as_utc(finding.action.ts).astimezone(display_tz).isoformat(timespec="seconds")
    anchor = "end" if ax > LEFT + plot_w * 0.6 else "start"
    dx = -5 if anchor == "end" else 5
    out.append(f'<text x="{ax + dx:.1f}" y="{TOP - 7}" text-anchor={quoteattr(anchor)} fill="{HIGHLIGHT}" '
               f'font-weight="bold">{escape(label)}</text>')
    out.append("</svg>")
    return "".join(out)


OVERVIEW_LANES = [
    ("sessions", N_("Sessions")),
    ("actions", N_("Actions")),
    ("failed", N_("Failed logins")),
    ("claims", N_("Dates the customer named")),
]


def render_overview_svg(inv, *, gettext: Callable[[str], str]) -> str:
    """The whole period at a glance: every session of the account as a tick,
    its actions as marks (the disputed ones in red), failed logins, and the
    dates the customer named in every year the logs cover (the year read
    into a year-less date filled, the others outlined), with the events
    they match drawn and dated even outside the period examined.  The
    period examined is a shaded band.  Month labels are ISO (`2025-03`).
    Empty string when there is nothing to draw."""
    sessions = list(inv.sessions)
    disputed = {(f.action.path, f.action.line_no) for f in inv.findings}
    foreign = {f.session.session_id for f in inv.findings
               if f.session is not None and f.assessment == "compromise_suspected"}
    actions = [a for s in sessions for a in s.actions]
    actions += [f.action for f in inv.findings]
    matched = {(m.event.path, m.event.line_no): m.event for c in inv.claims for m in c.matches}
    actions += list(matched.values())
    failed = [r for f in inv.findings for r in f.failed_logins]
    years = sorted({y for s in inv.coverage if s.first_ts and s.last_ts
                    for y in range(as_utc(s.first_ts).year, as_utc(s.last_ts).year + 1)})
    claimed = []      # (noon UTC, read in this year?)
    for c in inv.claims:
        for d in c.dates:
            claimed.append((dt.datetime.combine(d, dt.time(12), tzinfo=dt.timezone.utc), True))
            if not c.year_given:
                for y in years:
                    if y != d.year:
                        try:
                            claimed.append((dt.datetime(y, d.month, d.day, 12, tzinfo=dt.timezone.utc), False))
                        except ValueError:
                            pass
    span_times = [as_utc(s.first_ts) for s in inv.coverage if s.first_ts] + [
        as_utc(s.last_ts) for s in inv.coverage if s.last_ts]
    claimed = [c for c in claimed if not span_times or min(span_times) <= c[0] <= max(span_times)] or claimed
    times = [as_utc(s.start) for s in sessions] + [as_utc(a.ts) for a in actions] + [c for c, _ in claimed]
    times += span_times
    if not times:
        return ""
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 86400.0 * 7)
    start -= dt.timedelta(seconds=span * 0.02)
    end = start + dt.timedelta(seconds=span * 1.04)
    span = (end - start).total_seconds()
    plot_w = WIDTH - LEFT - RIGHT
    lane_h = 22
    height = TOP + lane_h * len(OVERVIEW_LANES) + 22
    lane_y = {key: TOP + i * lane_h + lane_h / 2 for i, (key, _) in enumerate(OVERVIEW_LANES)}

    def x(ts) -> float:
        return LEFT + (as_utc(ts) - start).total_seconds() / span * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="overview-figure" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" font-family="DejaVu Sans" font-size="10">']
    for i, (key, label) in enumerate(OVERVIEW_LANES):
        y0 = TOP + i * lane_h
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{lane_h}" fill="{"#f4f6f8" if i % 2 == 0 else "#ffffff"}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y0 + lane_h / 2 + 3.5:.1f}" text-anchor="end" fill="#333" font-size="9.5">'
                   f'{escape(gettext(label))}</text>')
    bottom = TOP + lane_h * len(OVERVIEW_LANES)
    params = getattr(inv, "parameters", None) or {}
    if params.get("since") or params.get("until"):
        lo = dt.datetime.fromisoformat(params["since"]) if params.get("since") else start
        hi = dt.datetime.fromisoformat(params["until"]) if params.get("until") else end
        bx0, bx1 = max(x(lo), LEFT), min(x(hi), LEFT + plot_w)
        if bx1 > bx0:
            out.append(f'<rect x="{bx0:.1f}" y="{TOP}" width="{max(bx1 - bx0, 1.5):.1f}" height="{bottom - TOP}" '
                       f'fill="#dbe8f4" fill-opacity="0.7"/>')
    # month grid, ISO labels
    months = max(1, round(span / (86400 * 30.4)))
    every = 1 if months <= 9 else (2 if months <= 18 else (3 if months <= 42 else 12))
    month = dt.datetime(start.year, start.month, 1, tzinfo=dt.timezone.utc)
    while month <= end:
        if month >= start and (month.month - 1) % every == 0 and x(month) < LEFT + plot_w - 30:
            mx = x(month)
            out.append(f'<line x1="{mx:.1f}" y1="{TOP}" x2="{mx:.1f}" y2="{bottom}" stroke="#d5dbe1" stroke-width="0.6"/>')
            out.append(f'<text x="{mx + 2:.1f}" y="{bottom + 12}" fill="#333" font-size="8.5">'
                       f'{escape(month.strftime("%Y-%m"))}</text>')
        month = dt.datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=dt.timezone.utc)
    out.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="#555" stroke-width="0.8"/>')

    y = lane_y["sessions"]
    for s in sessions:
        colour = HIGHLIGHT if s.session_id in foreign else (MUTED if s.actor != "staff" else "#c77d00")
        sx = x(s.start)
        out.append(f'<line x1="{sx:.1f}" y1="{y - 6}" x2="{sx:.1f}" y2="{y + 6}" stroke="{colour}" stroke-width="1.2"/>')
    y = lane_y["failed"]
    for r in failed:
        fx = x(r.ts)
        out.append(f'<path d="M{fx - 3:.1f},{y - 3:.1f} L{fx + 3:.1f},{y + 3:.1f} M{fx - 3:.1f},{y + 3:.1f} '
                   f'L{fx + 3:.1f},{y - 3:.1f}" stroke="{HIGHLIGHT}" stroke-width="1.1"/>')
    y = lane_y["claims"]
    for c, read in claimed:
        cx = x(c)
        fill = 'fill="#c77d00"' if read else 'fill="none" stroke="#c77d00" stroke-width="1"'
        out.append(f'<path d="M{cx:.1f},{y + 5:.1f} L{cx + 5:.1f},{y - 4:.1f} L{cx - 5:.1f},{y - 4:.1f} Z" {fill}/>')
    y = lane_y["actions"]
    seen = set()
    for a in sorted(actions, key=lambda r: (r.path, r.line_no) in disputed):   # disputed drawn last, on top
        key = (a.path, a.line_no)
        if key in seen:
            continue
        seen.add(key)
        ax = x(a.ts)
        colour, size = (HIGHLIGHT, 6) if key in disputed else (HOLDER, 4.5)
        out.append(f'<path d="M{ax:.1f},{y - size:.1f} L{ax + size:.1f},{y:.1f} L{ax:.1f},{y + size:.1f} '
                   f'L{ax - size:.1f},{y:.1f} Z" fill="{colour}"/>')
    # the events a claim matches, dated (a claim about "19.03." answered in 2025 must be visible)
    placed: list[float] = []
    for key, a in sorted(matched.items(), key=lambda kv: as_utc(kv[1].ts)):
        if key in disputed:
            continue
        ax = x(a.ts)
        row = sum(1 for p in placed if abs(p - ax) < 62)
        placed.append(ax)
        ty = lane_y["actions"] - 8 - 9 * (row % 2)
        anchor = "start" if ax < LEFT + plot_w * 0.75 else "end"
        out.append(f'<line x1="{ax:.1f}" y1="{lane_y["actions"] - 5:.1f}" x2="{ax:.1f}" y2="{lane_y["claims"] - 5:.1f}" '
                   f'stroke="#c77d00" stroke-width="0.7" stroke-dasharray="2,1.5"/>')
        out.append(f'<text x="{ax + (3 if anchor == "start" else -3):.1f}" y="{ty:.1f}" text-anchor="{anchor}" '
                   f'fill="{HOLDER}" font-size="7.5">{escape(as_utc(a.ts).date().isoformat())}</text>')
    out.append("</svg>")
    return "".join(out)
