"""The investigation as text for a person (the CLI's default output).

Times are ISO 8601 with offset in UTC, followed by the local time when a zone
was given; no other date form appears.  Each line passes through
`forensics.visible.visible`, so a newline or a direction override inside a
logged value is shown as an escape and never forges or reorders a line.
"""

from __future__ import annotations

from forensics.investigate.evidence import network_label
from forensics.investigate.model import EventRef, Investigation, Session
from forensics.timefmt import iso
from forensics.visible import visible


def when_text(value, tz) -> str:
    """An instant for text output: ISO 8601 UTC, and in `tz` beside it when given (every kind's text output)."""
    if value is None:
        return "-"
    text = iso(value)
    if tz:
        text += f" ({iso(value, tz)} {tz})"
    return text


_t = when_text


def count(n: int, singular: str, plural: str | None = None) -> str:
    """"1 probe", "3 probes": a count and its noun for English text output."""
    return f"{n} {singular if n == 1 else (plural or singular + 's')}"

# What a flag beside a cited `file:line` means (the report says the same in its language).
INTEGRITY_TEXT = {
    "unverified": "read from a damaged archive after its last passed integrity check",
    "cut": "cut short where the archive is damaged: only its beginning could be read",
}


def integrity_notes(result) -> list[str]:
    """One note per integrity flag among the events a result cites ("unverified", "cut")."""
    from forensics.investigate.model import all_event_refs

    flags = {ref.integrity for ref in all_event_refs(result) if ref.integrity}
    return [f"note: ({flag}) marks a line {INTEGRITY_TEXT.get(flag, flag)}" for flag in sorted(flags)]


def _session_line(s: Session, tz) -> str:
    who = s.user or "-"
    how = s.auth or "not logged"
    browser = s.browser.label if s.browser else (s.user_agent or "no browser logged")
    end = f"{_t(s.end, tz)} ({s.end_reason})" if s.end else "-"
    return (f"session {s.session_id or s.key}: {who} ({s.actor}), credential {how}, from "
            f"{network_label(s.ip_facts) if s.ip_facts else (s.ip or 'no address')}, {browser}; "
            f"{_t(s.start, tz)} to {end}")


def shown_raw(inv: Investigation) -> list[EventRef]:
    """The cited lines whose text `render_text` prints: each finding's login and
    joined lines.  `forensics investigate` reads the text of these lines only
    (`investigate(raw=False)`, then `evidence.fill_raw`), not of every line the
    investigation cites (each read decompresses a block of the case)."""
    refs: list[EventRef] = []
    for f in inv.findings:
        if f.session is not None:
            refs += [f.session.login] if f.session.login is not None else []
            refs += f.session.joined
    return refs


def render_text(inv: Investigation, tz: str | None = None) -> str:
    """A plain-text report of an investigation (the text of the lines `shown_raw` lists)."""
    tz = tz or inv.parameters.get("tz")
    out: list[str] = []
    sessions: dict[int, str] = {}   # a session is listed under every finding it precedes: its line made once

    def w(line: str) -> None:
        out.append(visible(line))

    def session_line(s: Session) -> str:
        if id(s) not in sessions:
            sessions[id(s)] = _session_line(s, tz)
        return sessions[id(s)]

    w(f"Investigation of account {inv.account}")
    w(f"generated {iso(inv.generated_at)} by forensics {inv.tool_version}")
    p = inv.parameters
    scope = ", ".join(f"{k} {p[k]}" for k in ("action", "target", "since", "until") if p.get(k)) or "all state-changing actions"
    w(f"scope: {scope}")
    w("")
    w(f"Findings ({len(inv.findings)})")
    if not inv.findings:
        w("  none: " + "; ".join(inv.notes))
    for n, f in enumerate(inv.findings, 1):
        a = f.action
        what = a.event + (f" on {a.target}" if a.target else "")
        if isinstance(a.detail, dict) and a.detail:
            what += " (" + ", ".join(f"{k}: {v}" for k, v in a.detail.items()) + ")"
        w(f"{n}. {what} at {_t(a.ts, tz)}  [{a.citation_text}]")
        w(f"   ASSESSMENT: {f.assessment}")
        w(f"   {f.reason}")
        if f.holder_evidence:
            w(f"   carried by (hard to copy): {', '.join(f.holder_evidence)}")
        for fact in f.key_facts:
            w(f"   - {fact}")
        if f.missing:
            w("   missing: " + "; ".join(f.missing))
        if f.session is not None:   # the only lines printed with their text: keep `shown_raw` in step
            w("   " + session_line(f.session))
            if f.session.login is not None:
                w(f"   login: {f.session.login.citation_text}  {f.session.login.raw}")
            for j in f.session.joined:   # the access-log lines the session's address/browser came from
                w(f"   joined: {j.citation_text}  {j.raw}")
        w("   indicators:")
        for i in f.indicators:
            w(f"   [{i.result:8} -> {i.direction:7}] {i.label}: {i.explanation}")
            w(f"        observed: {i.observed}")
            w(f"        compared with: {i.baseline}")
            for e in i.evidence[:3]:
                w(f"        evidence {e.citation_text}")
        if f.prior_activity:
            w("   prior undisputed sessions (compelling-evidence rule):")
            for s in f.prior_activity:
                w("     " + session_line(s))
        if f.failed_logins:
            w(f"   failed logins before the session: {len(f.failed_logins)}")
            for e in f.failed_logins[:5]:
                w(f"     {_t(e.ts, tz)} {e.source_kind} {e.user or '-'} from {e.ip or '-'}  [{e.citation_text}]")
        if f.account_changes:
            w("   account changes before the action:")
            for e in f.account_changes:
                w(f"     {_t(e.ts, tz)} {e.event} from {e.ip or '-'}  [{e.citation_text}]")
        if f.staff_activity:
            w("   staff activity:")
            for e in f.staff_activity[:10]:
                w(f"     {_t(e.ts, tz)} {e.event} by {e.user or '-'} from {e.ip or '-'}  [{e.citation_text}]")
        if f.after_action:
            w("   after the action (logins, failed ones too, and credential changes):")
            for e in f.after_action[:10]:
                result = f" {e.result}" if e.result and e.result != "success" else ""
                w(f"     {_t(e.ts, tz)} {e.event}{result} by {e.user or '-'} from {e.ip or '-'}  [{e.citation_text}]")
            if len(f.after_action) > 10:
                w(f"     ... {len(f.after_action) - 10} more (--json lists them all)")
        if f.clickstream:
            w(f"   click-stream ({f.clickstream_verdict}):")
            for c in f.clickstream:
                think = "" if c.think_time_s is None else f"+{c.think_time_s:.1f}s"
                kind = "asset" if c.is_asset else "page"
                w(f"     {_t(c.ref.ts, tz)} {think:>8} {kind:5} {c.ref.method or '-'} {c.ref.http_path or '-'} "
                  f"{c.ref.status or '-'}  [{c.ref.citation_text}]")
        w("")
    if inv.claims:
        w("Claims")
        for c in inv.claims:
            w(f'- "{c.text}" ({c.language or "language not recognised"}; action: {c.action or "not recognised"}; '
              f"dates: {', '.join(d.isoformat() for d in c.dates) or 'none'})")
            w(f"  {c.classification.upper()}: {c.explanation}")
            for m in c.matches[:5]:
                w(f"    {_t(m.event.ts, tz)} {m.event.event} [{m.event.citation_text}]")
        w("")
    w("Coverage")
    for s in inv.coverage:
        w(f"- {s.path} ({s.source_kind}, {s.format}, sha256 {s.sha256[:16]}...): {_t(s.first_ts, tz)} to {_t(s.last_ts, tz)}")
        for g in s.gaps:
            w(f"    gap {_t(g.start, tz)} to {_t(g.end, tz)} ({g.hours} h, {g.kind})")
        if s.tz_decision:
            w(f"    time zone: {s.tz_decision}")
        if s.year_decision:
            w(f"    year: {s.year_decision}")
    w(f"ISP data available: {'yes' if inv.isp_data_available else 'no'}")
    for note in inv.notes:
        w(f"note: {note}")
    for note in integrity_notes(inv):
        w(note)
    return "\n".join(out) + "\n"
