r"""The customer-facing version: other people's data taken out.

`redact_investigation()` returns a deep copy of an `Investigation` in which

* every address that is not the account holder's own is shortened to its
  prefix (`198.51.100.77` -> `198.51.100.0/24`, prefix lengths from
  `[enrich]` in thresholds.toml).  The holder's own addresses stay: the
  customer must be able to recognise them.  An address is the holder's when
  a customer session of the account used it and that session is not the
  session of a finding assessed `compromise_suspected` (an attacker logged in
  with the holder's password is still a third party);
* staff members' names are replaced by their role (`[staff]`);
* internal notes (detail fields such as `note`, `ticket`, `internal`, at
  any depth: `detail.extra.note` too) are left out, and their text is
  removed wherever it also appears (the raw log line of a staff event quotes
  the note).

The replacement works on every string of the object tree, raw log lines
included, so the report body, the appendix and the embedded attachments of
a redacted report are all redacted the same way.  A raw line holds a value
as its writer encoded it, not as parsed: PHP's `json_encode` writes
`J\u00fcrgen` and `T-2026\/0042`, JSON escapes `"` as `\"`, a URL carries
`Kunde+droht` or `%C3%BC`, HTML `&quot;`.  So each secret is searched as a
pattern in which every character may appear in any of these encodings
(mixed freely, the escape's backslash possibly doubled by a second level of
JSON), in both Unicode normal forms: `secret_pattern()`.
"""

from __future__ import annotations

import dataclasses
import html
import html.entities
import ipaddress
import json
import re
import unicodedata
from typing import Any
from urllib.parse import quote, quote_plus

from forensics.investigate.model import Investigation
from forensics.messages import Msg

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


# JSON's two-character escapes (RFC 8259), by the character they stand for.
_JSON_SHORT = {'"': '"', "\\": "\\", "/": "/", "\b": "b", "\f": "f", "\n": "n", "\r": "r", "\t": "t"}


def _char_alternatives(ch: str) -> list[str]:
    """Regex alternatives for one character as a log line may hold it."""
    code = ord(ch)
    alts = [re.escape(ch)]
    # JSON \uXXXX (any case; a non-BMP character as its surrogate pair), the
    # backslash possibly escaped again by an enclosing JSON string.
    if code > 0xFFFF:
        high, low = 0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)
        alts.append(rf"\\+u(?i:{high:04x})\\+u(?i:{low:04x})")
    else:
        alts.append(rf"\\+u(?i:{code:04x})")
    if ch in _JSON_SHORT:
        alts.append(rf"\\+{re.escape(_JSON_SHORT[ch])}")
    # URL encoding: each UTF-8 byte as %XX (any case); a space also as "+".
    alts.append("".join(f"%(?i:{b:02x})" for b in ch.encode("utf-8")))
    if ch == " ":
        alts.append(r"\+")
    # HTML character references: decimal, hexadecimal, named.
    alts.append(rf"&\#0*{code};")
    alts.append(rf"&\#[xX]0*(?i:{code:x});")
    name = html.entities.codepoint2name.get(code)
    if name:
        alts.append(rf"&{name};")
    if ch == "'":
        alts.append("&apos;")
    return alts


MIXED_ENCODING_MAX_CHARS = 256   # longer secrets: each encoding whole (the pattern stays linear in size)


def _whole_encodings(text: str) -> list[str]:
    """`text` in each encoding as one piece (for secrets too long to mix per character)."""
    json_ascii = json.dumps(text)[1:-1]
    return [text, json.dumps(text, ensure_ascii=False)[1:-1], json_ascii, json_ascii.replace("/", "\\/"),
            quote(text, safe=""), quote(text), quote_plus(text), html.escape(text)]


def _forms(secret: str) -> list[str]:
    return list(dict.fromkeys((secret, unicodedata.normalize("NFC", secret), unicodedata.normalize("NFD", secret))))


def secret_pattern(secret: str) -> str:
    """A regex matching `secret` in every encoding a raw log line can hold it
    (see the module docstring): plain, JSON-escaped, URL-encoded, HTML
    character references, any mix of them, NFC or NFD."""
    forms = ["".join(f"(?:{'|'.join(_char_alternatives(ch))})" for ch in form) for form in _forms(secret)]
    return forms[0] if len(forms) == 1 else "(?:" + "|".join(forms) + ")"


class _WholeEncodings:
    """Finds a long secret in each encoding as one piece, with `str.replace`
    (linear; a 1 MB note must not become a 100 MB regex).  Has the `sub` of a
    compiled pattern."""

    def __init__(self, secret: str):
        variants = {v for form in _forms(secret) for v in _whole_encodings(form)}
        self.variants = sorted(variants, key=len, reverse=True)

    def sub(self, replacement: str, text: str) -> str:
        for variant in self.variants:
            text = text.replace(variant, replacement)
        return text


def secret_matcher(secret: str, *, before: str = "", after: str = ""):
    """A matcher (`.sub(replacement, text)`) for `secret` in every encoding:
    per character mixed (`secret_pattern`, with the `before`/`after`
    lookarounds) up to MIXED_ENCODING_MAX_CHARS, each encoding whole beyond."""
    if len(secret) > MIXED_ENCODING_MAX_CHARS:
        return _WholeEncodings(secret)
    return re.compile(f"{before}{secret_pattern(secret)}{after}")


def _leaves(value: Any):
    """Every scalar under a detail value (a note may be a nested object)."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item)
    elif value is not None and value != "":
        yield str(value)


def internal_values(detail: Any) -> list[str]:
    """The text of every internal field of `detail`, at any depth
    (`{"extra": {"note": "..."}}` included)."""
    found: list[str] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            if str(key).lower() in INTERNAL_DETAIL_KEYS:
                found.extend(_leaves(value))
            else:
                found.extend(internal_values(value))
    elif isinstance(detail, (list, tuple)):
        for item in detail:
            found.extend(internal_values(item))
    return found


def without_internal(detail: Any, redact_text) -> Any:
    """`detail` without its internal fields (at any depth), the rest redacted."""
    if isinstance(detail, dict):
        return {redact_text(k) if isinstance(k, str) else k: without_internal(v, redact_text)
                for k, v in detail.items() if str(k).lower() not in INTERNAL_DETAIL_KEYS}
    if isinstance(detail, list):
        return [without_internal(v, redact_text) for v in detail]
    if isinstance(detail, str):
        return redact_text(detail)
    return detail


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
            if isinstance(detail, (dict, list)):
                notes.update(internal_values(detail))
            elif isinstance(detail, str) and getattr(obj, "actor", None) == "staff" and detail.strip():
                notes.add(detail)

        _walk(inv, visit)
        self.replacements: list[tuple[Any, str]] = []   # (a compiled pattern or _WholeEncodings, replacement)
        # Longest first, so that a note containing a name is removed whole.
        for note in sorted(notes, key=len, reverse=True):
            if len(note.strip()) >= 3:
                self.replacements.append((secret_matcher(note), NOTE_OMITTED))
        for ip in sorted(addresses - own, key=len, reverse=True):
            if ":" in ip:
                pattern = rf"(?<![0-9A-Fa-f:]){re.escape(ip)}(?![0-9A-Fa-f:])"
            else:
                pattern = rf"(?<![\d.]){re.escape(ip)}(?!\d|\.\d)"
            self.replacements.append((re.compile(pattern), shorten_ip(ip, ipv4_prefix, ipv6_prefix)))
        for name in sorted(staff, key=len, reverse=True):
            # A name stands alone (`j.novak`, not inside `j.novakova`), or
            # next to an escape sequence (`%2Fj.novak`, `\u00e9j.novak`).
            before = r"(?:(?<![\w.-])|(?<=%[0-9A-Fa-f]{2})|(?<=\\u[0-9A-Fa-f]{4})|(?<=;))"
            self.replacements.append((secret_matcher(name, before=before, after=r"(?![\w-])"), STAFF_ROLE))

    def text(self, value: str) -> str:
        for pattern, replacement in self.replacements:
            value = pattern.sub(replacement, value)
        return value

    def __call__(self, obj: Any, *, field_name: str | None = None, staff_event: bool = False) -> Any:
        if isinstance(obj, Msg):   # redact the values, keep the message (it is rendered in the report's language)
            return Msg(obj.msgid, obj.plural, **{k: self(v) for k, v in obj.params.items()})
        if isinstance(obj, str):
            return self.text(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            is_staff = getattr(obj, "actor", None) == "staff"
            changes = {}
            for f in dataclasses.fields(obj):
                changes[f.name] = self(getattr(obj, f.name), field_name=f.name, staff_event=is_staff)
            return dataclasses.replace(obj, **changes)
        if isinstance(obj, list):
            if field_name == "detail":
                return without_internal(obj, self.text)
            return [self(item) for item in obj]
        if isinstance(obj, tuple):
            return tuple(self(item) for item in obj)
        if isinstance(obj, dict):
            if field_name == "detail":
                return without_internal(obj, self.text)
            return {self.text(k) if isinstance(k, str) else k: self(v) for k, v in obj.items()}
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
