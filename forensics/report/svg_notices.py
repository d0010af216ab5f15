"""The contact timeline: the notices dispute at a glance, drawn from the data as SVG.

Lanes: the provider's e-mails (a circle per message: green accepted by the
recipient's server, red refused or given up, grey without a known outcome;
hollow when sent to an address not on record), calls and letters (a
triangle, same colours), the provider's actions (a red diamond for a block
or suspension with a red band until it is lifted, a green diamond for a
release), the customer's messages (a blue square) with the wait for staff's
first reply as a bar (orange within the promise, red beyond it, hatched red
while unanswered).  Days are labelled as ISO dates in UTC.

Every text goes through `xml.sax.saxutils.escape`: nothing from a log can
become markup.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable
from xml.sax.saxutils import escape

from forensics.investigate.notices.model import FAILED, REACHED
from forensics.report.i18n import N_
from forensics.timefmt import as_utc

WIDTH = 700
LEFT = 150
RIGHT = 14
TOP = 16
LANE_H = 30
OK = "#2e7d32"
BAD = "#b3261e"
GREY = "#9aa5b1"
WAIT = "#e08a00"
CUSTOMER = "#2f5d8a"

LANES = [
    ("email", N_("E-mails to the customer")),
    ("other", N_("Calls and letters")),
    ("actions", N_("Provider actions")),
    ("customer", N_("Customer's messages")),
]


def _colour(outcome: str) -> str:
    return OK if outcome in REACHED else BAD if outcome in FAILED else GREY


def render_contact_svg(inv, *, gettext: Callable[[str], str]) -> str:
    """The contact timeline of a `NoticesInvestigation` ("" when there is nothing to draw)."""
    contacts = [c for c in inv.contacts if not c.routine]
    times = [as_utc(c.ts) for c in contacts] + [as_utc(a.ref.ts) for a in inv.actions]
    for m in inv.customer_messages:
        times.append(as_utc(m.ref.ts))
        if m.first_response is not None:
            times.append(as_utc(m.first_response.ts))
    if not times:
        return ""
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 86400.0 * 7)
    start = dt.datetime.combine(start.date(), dt.time(), tzinfo=dt.timezone.utc) - dt.timedelta(days=1)
    end = start + dt.timedelta(seconds=span) + dt.timedelta(days=2)
    span = (end - start).total_seconds()
    plot_w = WIDTH - LEFT - RIGHT
    height = TOP + LANE_H * len(LANES) + 24
    lane_y = {key: TOP + i * LANE_H + LANE_H / 2 for i, (key, _) in enumerate(LANES)}
    bottom = TOP + LANE_H * len(LANES)
    promise = float(inv.promise.get("first_response_hours", 24))

    def x(ts) -> float:
        return LEFT + (as_utc(ts) - start).total_seconds() / span * plot_w

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="contact-figure" viewBox="0 0 {WIDTH} {height}" '
           f'width="{WIDTH}" height="{height}" font-family="DejaVu Sans" font-size="10">',
           '<defs><pattern id="open" width="4" height="4" patternUnits="userSpaceOnUse" '
           'patternTransform="rotate(45)"><rect width="2" height="4" fill="#b3261e"/></pattern></defs>']
    for i, (key, label) in enumerate(LANES):
        y0 = TOP + i * LANE_H
        out.append(f'<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{LANE_H}" '
                   f'fill="{"#f4f6f8" if i % 2 == 0 else "#ffffff"}"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y0 + LANE_H / 2 + 3.5:.1f}" text-anchor="end" fill="#333" '
                   f'font-size="9.5">{escape(gettext(label))}</text>')
    days = span / 86400
    every = next(n for n in (1, 2, 3, 7, 14, 28, 56) if days / n <= 9)
    day = start
    while day <= end:
        dx = x(day)
        out.append(f'<line x1="{dx:.1f}" y1="{TOP}" x2="{dx:.1f}" y2="{bottom}" stroke="#e1e6ea" stroke-width="0.5"/>')
        if ((day - start).days % every) == 0 and dx < LEFT + plot_w - 40:
            out.append(f'<line x1="{dx:.1f}" y1="{TOP}" x2="{dx:.1f}" y2="{bottom}" stroke="#c9d1d8" '
                       f'stroke-width="0.7"/>')
            out.append(f'<text x="{dx + 2:.1f}" y="{bottom + 12}" fill="#333" font-size="8.5">'
                       f'{escape(day.date().isoformat())}</text>')
        day += dt.timedelta(days=1)
    out.append(f'<line x1="{LEFT}" y1="{bottom}" x2="{LEFT + plot_w}" y2="{bottom}" stroke="#555" stroke-width="0.8"/>')

    # provider actions: a band while a restriction is in force
    y = lane_y["actions"]
    restricted = None
    for a in sorted(inv.actions, key=lambda a: as_utc(a.ref.ts)):
        if not a.release and restricted is None:
            restricted = a.ref.ts
        elif a.release and restricted is not None:
            out.append(f'<rect x="{x(restricted):.1f}" y="{y - 3}" width="{max(1.0, x(a.ref.ts) - x(restricted)):.1f}" '
                       f'height="6" fill="{BAD}" fill-opacity="0.25"/>')
            restricted = None
    if restricted is not None:
        out.append(f'<rect x="{x(restricted):.1f}" y="{y - 3}" width="{max(1.0, LEFT + plot_w - x(restricted)):.1f}" '
                   f'height="6" fill="{BAD}" fill-opacity="0.25"/>')
    for a in inv.actions:
        ax, colour = x(a.ref.ts), (OK if a.release else BAD)
        out.append(f'<path d="M{ax:.1f},{y - 7:.1f} L{ax + 7:.1f},{y:.1f} L{ax:.1f},{y + 7:.1f} L{ax - 7:.1f},{y:.1f} Z" '
                   f'fill="{colour}"/>')
        out.append(f'<line x1="{ax:.1f}" y1="{TOP}" x2="{ax:.1f}" y2="{bottom}" stroke="{colour}" '
                   f'stroke-width="0.8" stroke-dasharray="3,2"/>')
    for c in contacts:
        cx, colour = x(c.ts), _colour(c.outcome)
        fill = "none" if c.on_record is False else colour
        if c.channel == "email":
            out.append(f'<circle cx="{cx:.1f}" cy="{lane_y["email"]:.1f}" r="5" fill="{fill}" stroke="{colour}" '
                       f'stroke-width="1.6"/>')
        else:
            yy = lane_y["other"]
            out.append(f'<path d="M{cx:.1f},{yy - 6:.1f} L{cx + 6:.1f},{yy + 5:.1f} L{cx - 6:.1f},{yy + 5:.1f} Z" '
                       f'fill="{fill}" stroke="{colour}" stroke-width="1.4"/>')
    y = lane_y["customer"]
    for m in inv.customer_messages:
        mx = x(m.ref.ts)
        if m.first_response is not None:
            hours = m.first_response_hours or 0.0
            colour = WAIT if hours <= promise else BAD
            out.append(f'<rect x="{mx:.1f}" y="{y - 3:.1f}" width="{max(1.0, x(m.first_response.ts) - mx):.1f}" '
                       f'height="6" fill="{colour}"/>')
        elif m.open_until is not None:
            out.append(f'<rect x="{mx:.1f}" y="{y - 3:.1f}" width="{max(1.0, x(m.open_until) - mx):.1f}" '
                       f'height="6" fill="url(#open)"/>')
        out.append(f'<rect x="{mx - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{CUSTOMER}"/>')
    out.append("</svg>")
    return "".join(out)
