"""The customer-facing version: other people's data taken out.

`redact_investigation()` returns a deep copy of an `Investigation` in which

* every address that is not the account holder's own is shortened to its
  prefix (`198.51.100.77` -> `198.51.100.0/24`, prefix lengths from
  `[enrich]` in thresholds.toml).  The holder's own addresses stay: the
  customer must be able to recognise them.  An address is the holder's when
  a customer session of the account used it and that session is not the
  session of a finding assessed `compromise_suspected` (an attacker logged in
  with the holder's password is still a third party);
* staff members' names are replaced by their role (`[staff]`);
* internal notes (detail fields such as `note`, `ticket`, `internal`) are
  left out, and their text is removed wherever it also appears (the raw log
  line of a staff event quotes the note).

The replacement works on every string of the object tree, raw log lines
included, so the report body, the appendix and the embedded attachments of
a redacted report are all redacted the same way.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Any

from forensics.investigate.model import Investigation

STAFF_ROLE = "[staff]"
NOTE_OMITTED = "[internal note omitted]"
# detail keys that carry the provider's internal information
INTERNAL_DETAIL_KEYS = frozenset({
    "note", "notes", "internal", "internal_note", "internal_notes", "comment", "comments",
    "ticket", "ticket_id", "ticket_note", "staff_note", "memo",
})


def shorten_ip(ip: str, ipv4_prefix: int = 24, ipv6_prefix: int = 48) -> str:
    """`198.51.100.77` -> `198.51.100.0/24` (unparseable text -> `[address]`)."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return "[address]"
    length = ipv4_prefix if address.version == 4 else ipv6_prefix
    return str(ipaddress.ip_network(f"{address}/{length}", strict=False))


def _walk(obj: Any, visit):
    """Yield every dataclass instance of an object tree (for collecting)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        visit(obj)
        for f in dataclasses.fields(obj):
            _walk(getattr(obj, f.name), visit)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _walk(item, visit)
    elif isinstance(obj, dict):
        for item in obj.values():
            _walk(item, visit)


def holder_addresses(inv: Investigation) -> set[str]:
    """Addresses the account holder used in sessions of his own."""
    foreign_sessions = {
        id(f.session) for f in inv.findings if f.session is not None and f.assessment == "compromise_suspected"
    }
    foreign_ids = {f.session.session_id for f in inv.findings
                   if f.session is not None and f.assessment == "compromise_suspected"}
    sessions = list(inv.sessions) + [f.session for f in inv.findings if f.session is not None]
    for finding in inv.findings:
        sessions += [row.session for row in finding.history] + list(finding.prior_activity)
    return {
        s.ip for s in sessions
        if s.ip and s.actor == "customer" and s.account == inv.account
        and id(s) not in foreign_sessions and s.session_id not in foreign_ids
    }


class _Redactor:
    def __init__(self, inv: Investigation, ipv4_prefix: int, ipv6_prefix: int):
        own = holder_addresses(inv)
        addresses: set[str] = set()
        staff: set[str] = set()
        notes: set[str] = set()

        def visit(obj):
            ip = getattr(obj, "ip", None)
            if isinstance(ip, str) and ip:
                addresses.add(ip)
            if getattr(obj, "actor", None) == "staff" and getattr(obj, "user", None):
                staff.add(obj.user)
            detail = getattr(obj, "detail", None)
            if isinstance(detail, dict):
                for key, value in detail.items():
                    if key.lower() in INTERNAL_DETAIL_KEYS and value not in (None, ""):
                        notes.add(str(value))
            elif isinstance(detail, str) and getattr(obj, "actor", None) == "staff" and detail.strip():
                notes.add(detail)

        _walk(inv, visit)
        self.replacements: list[tuple[re.Pattern, str]] = []
        # Longest first, so that a note containing a name is removed whole.
        for note in sorted(notes, key=len, reverse=True):
            if len(note) >= 3:
                self.replacements.append((re.compile(re.escape(note)), NOTE_OMITTED))
        for ip in sorted(addresses - own, key=len, reverse=True):
            if ":" in ip:
                pattern = rf"(?<![0-9A-Fa-f:]){re.escape(ip)}(?![0-9A-Fa-f:])"
            else:
                pattern = rf"(?<![\d.]){re.escape(ip)}(?!\d|\.\d)"
            self.replacements.append((re.compile(pattern), shorten_ip(ip, ipv4_prefix, ipv6_prefix)))
        for name in sorted(staff, key=len, reverse=True):
            self.replacements.append((re.compile(rf"(?<![\w.-]){re.escape(name)}(?![\w-])"), STAFF_ROLE))

    def text(self, value: str) -> str:
        for pattern, replacement in self.replacements:
            value = pattern.sub(replacement, value)
        return value

    def __call__(self, obj: Any, *, field_name: str | None = None, staff_event: bool = False) -> Any:
        if isinstance(obj, str):
            return self.text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            is_staff = getattr(obj, "actor", None) == "staff"
            changes = {}
            for f in dataclasses.fields(obj):
                changes[f.name] = self(getattr(obj, f.name), field_name=f.name, staff_event=is_staff)
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, list):
            return [self(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self(item) for item in obj)
        if isinstance(obj, dict):
            if field_name == "detail":
                return {k: self(v) for k, v in obj.items() if k.lower() not in INTERNAL_DETAIL_KEYS}
            return {k: self(v) for k, v in obj.items()}
        return obj


def redact_investigation(inv: Investigation, *, ipv4_prefix: int = 24, ipv6_prefix: int = 48) -> Investigation:
    """A redacted deep copy of `inv` for the customer-facing report (see module doc)."""
    redactor = _Redactor(inv, ipv4_prefix, ipv6_prefix)
    redacted = redactor(inv)
    # A staff event's free-text detail may be an internal note: leave it out whole.
    def drop_staff_text_detail(obj):
        if getattr(obj, "actor", None) == "staff" and isinstance(getattr(obj, "detail", None), str):
            obj.detail = None
    _walk(redacted, drop_staff_text_detail)
    redacted.parameters = dict(redacted.parameters, redacted=True)
    return redacted
