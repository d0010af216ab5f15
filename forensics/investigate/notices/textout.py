"""A notices investigation as text for a person (the CLI's default output).

Times are ISO 8601 with offset in UTC, followed by the local time when a
zone was given.
"""

from __future__ import annotations

from forensics.investigate.notices.model import NoticesInvestigation
from forensics.investigate.notices.texts import outcome_text
from forensics.investigate.textout import count, integrity_notes, when_text as _t
from forensics.timefmt import iso




def render_text(inv: NoticesInvestigation, tz: str | None = None) -> str:
    """A plain-text report of a notices investigation."""
    tz = tz or inv.parameters.get("tz")
    out = []
    w = out.append
    w(f"Notices investigation of account {inv.account}")
    w(f"generated {iso(inv.generated_at)} by forensics {inv.tool_version}")
    w(f"period: {_t(inv.period[0], tz)} to {_t(inv.period[1], tz)}")
    w(f"promise: first reply within {inv.promise['first_response_hours']:g} h, "
      f"resolution within {inv.promise['resolution_hours']:g} h")
    w("")
    for fact in inv.key_facts:
        w(f"  * {fact}")
    w("")
    w("Contact attempts (an e-mail accepted by the recipient's mail server was delivered to that server; "
      "whether a person read it, no log can say):")
    routine = 0
    for c in inv.contacts:
        if c.routine:
            routine += 1
            continue
        record = {True: "address on record", False: f"NOT the address on record ({c.address_on_record})",
                  None: "record unknown"}[c.on_record]
        w(f"  {_t(c.ts, tz)}  {c.channel:6} to {c.recipient or '-'} [{record}]: {c.outcome}  "
          f"[{c.ref.citation_text}]")
        w(f"      {c.explanation}")
    if routine:
        w(f"  ({count(routine, 'routine notification')}, e.g. invoices, not listed)")
    w("")
    w("Provider actions:")
    for a in inv.actions or []:
        w(f"  {_t(a.ref.ts, tz)}  {a.event} {a.ref.target or ''}  [{a.ref.citation_text}]")
        w(f"      {a.summary}")
    if not inv.actions:
        w("  none in the period")
    w("")
    w("The customer's messages:")
    for m in inv.customer_messages:
        w(f"  {_t(m.ref.ts, tz)}  {m.channel} {m.subject or ''}  [{m.ref.citation_text}]")
        w(f"      {m.explanation}")
    if not inv.customer_messages:
        w("  none in the period")
    if inv.claims:
        w("")
        w("Claims:")
        for c in inv.claims:
            w(f'  "{c.text}": {c.classification} ({c.kind or "not recognised"}, {c.language or "?"})')
            w(f"      {c.explanation}")
    if inv.gaps:
        w("")
        w("Gaps in the mail and ticket logs:")
        for g in inv.gaps:
            w(f"  {iso(g.start)} to {iso(g.end)} ({g.hours} h, {g.path})")
    if inv.notes:
        w("")
        for n in inv.notes:
            w(f"note: {n}")
    out += integrity_notes(inv)
    return "\n".join(out) + "\n"


__all__ = ["render_text", "outcome_text"]
