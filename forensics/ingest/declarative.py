"""Log formats declared in TOML files, not coded (the lnav idea).

A definition file names a format and says how to cut a line into fields
(one or more regex variants with named groups, CSV columns, or JSON-lines
fields), how those fields map onto the canonical event columns, how its
timestamps are written, which rules turn raw descriptions into the canonical
event vocabulary, and which sample lines it must parse (the samples are the
format's tests: `forensics formats check FILE`).  The schema is documented in
README.md ("Log format definitions").

`DefinitionFormat` implements `forensics.ingest.base.LogFormat`: it returns
canonical columns plus `ts` (aware UTC, when the text carried an offset or an
epoch) or `ts_local` (naive wall-clock, placeholder year 2000 for year-less
syslog); the engine applies time zones, infers years and writes the case.

Public API: `builtin_definitions()`, `load_definition(path)`,
`check_definition(path_or_format)`.
"""

from __future__ import annotations

import csv
import datetime as dt
import ipaddress
import json
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from forensics.errors import ForensicsError
from forensics.ingest.base import CANONICAL_COLUMNS, IngestContext, ParsedBatch, lone_surrogate
from forensics.ingest.formats.sqldump import (
    SqlSyntaxError as _SqlSyntaxError,
    one_row as _one_row,
    parse_insert as _parse_insert,
)

DEFINITIONS_DIR = Path(__file__).resolve().parent / "definitions"

# The order in which shipped definitions are tried: more specific first, the
# generic syslog reader (which takes any program's lines) last.
BUILTIN_ORDER = (
    "cpanel-login-log",
    "cpanel-session-log",
    "cpanel-api-log",
    "cpanel-accounting",
    "proxmox-pveproxy",
    "proxmox-tasks",
    "whmcs-activity-csv",
    "whmcs-activity-sql",
    "whmcs-admin-log-csv",
    "whmcs-admin-log-sql",
    "virtualizor-logs-jsonl",
    "solusvm-server-log",
    "hestia-auth-log",
    "webmin-actions-log",
    "plesk-panel-log",
    "plesk-action-log",
    "http-error-log",
    "journald-json",
    "whmcs-tickets-csv",
    "whmcs-ticketreplies-csv",
    "contacts-jsonl",
    "contacts-csv",
    "postfix",
    "exim",
    "nagios",
    "icinga2-log",
    "check-jsonl",
    "check-csv",
    "syslog",
    "syslog-notime",
)

UTC = dt.timezone.utc
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=UTC)
_INT_COLUMNS = ("port", "status", "bytes")
_CANONICAL = frozenset(CANONICAL_COLUMNS) - {"detail"}   # set lookups: _row runs once per line
_SOURCE_KINDS_HINT = "panel | http | ssh | syslog | ..."
_MONTHS = {m: i for i, m in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}
_SYSLOG_TS = re.compile(r"^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$")
_JSON_MEMBER = re.compile(r'^\s+"([^"\\]+)"\s*:\s*\S')
# Bounds for pretty-printed JSON records spread over several lines.
_MAX_JSON_RECORD_LINES = 10_000
# A placeholder leap year for year-less timestamps (the engine infers the year).
PLACEHOLDER_YEAR = 2000


class DefinitionError(ForensicsError):
    """A format definition file is malformed (names the file and the key)."""

    exit_code = 2


# --------------------------------------------------------------------------
# Safe regular expressions (issue 11, item 5)

# A user's definition runs each pattern with this wall-time budget per line
# (the `regex` module's timeout): a pattern that backtracks catastrophically
# on a hostile line makes that line a reject, with a sentence saying so,
# instead of stopping the ingest for minutes.  Shipped definitions are
# checked instead (no nested quantifiers; tests/test_formats_regex_safety.py
# measures them on long hostile lines).
USER_REGEX_TIMEOUT_S = 1.0


class RegexTimeout(Exception):
    """A user definition's pattern exceeded its time budget on one line."""

    def __init__(self, label: str, seconds: float):
        self.label, self.seconds = label, seconds
        super().__init__(f"the definition's pattern {label} took longer than {seconds:g} s on this line "
                         "(catastrophic backtracking: nested quantifiers such as (a+)+ on a long line); "
                         "the line is kept as a reject")


class _TimedPattern:
    """A user's pattern compiled with the `regex` module, run with a time budget per call."""

    def __init__(self, compiled, label: str, timeout: float):
        self._compiled, self.label, self.timeout = compiled, label, timeout
        self.pattern, self.groupindex = compiled.pattern, compiled.groupindex

    def _run(self, method, text):
        try:
            return method(text, timeout=self.timeout)
        except TimeoutError:
            raise RegexTimeout(self.label, self.timeout) from None

    def match(self, text):
        return self._run(self._compiled.match, text)

    def search(self, text):
        return self._run(self._compiled.search, text)


def _regex_module():
    try:
        import regex
    except ImportError:  # pragma: no cover - a declared dependency (setup.cfg)
        return None
    return regex


def nested_quantifiers(pattern: str) -> list[str]:
    r"""Places where a pattern repeats something that itself repeats without bound.

    `(a+)+`, `(\w*\s?)*`, `(?:x+|y)*`: on a line that almost matches, the
    engine tries every way of splitting the text between the two loops,
    which grows exponentially (or at least quadratically) with the line.
    Not flagged: a group that must begin with a character its inner loops
    cannot match (`(?: [^ ]+)*`: each round starts at a blank), since then
    the rounds cannot trade characters; inner loops that give nothing back
    (possessive `x*+`, atomic `(?>...)`, Python 3.11+).

    Returns one short description per nested loop (empty: none found).
    """
    try:
        from re import _parser as parser, _constants as c
    except ImportError:  # pragma: no cover - Python < 3.11
        import sre_parse as parser
        import sre_constants as c
    try:
        tree = parser.parse(pattern)
    except Exception:
        return []
    repeats = (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None))
    found: list[str] = []

    def unbounded(av) -> bool:
        return av[1] is c.MAXREPEAT or av[1] > 1000

    def children(op, av):
        if op is c.SUBPATTERN:
            return [av[-1]]
        if op in repeats:
            return [av[2]]
        if op is c.BRANCH:
            return list(av[1])
        if op in (c.ASSERT, c.ASSERT_NOT):
            return [av[1]]
        if op is c.GROUPREF_EXISTS:
            return [x for x in av[1:] if x is not None]
        return []

    possessive = getattr(c, "POSSESSIVE_REPEAT", None)
    atomic = getattr(c, "ATOMIC_GROUP", None)

    def inner_loops(sub):
        for op, av in sub:
            if op is not None and op in (possessive, atomic):
                continue   # `x*+`, `(?>...)`: gives nothing back, so nothing to trade
            if op in repeats and op is not None and unbounded(av):
                yield op, av
            for child in children(op, av):
                yield from inner_loops(child)

    def first_char(sub):
        for op, av in sub:
            if op is c.LITERAL:
                return chr(av)
            if op is c.SUBPATTERN:
                return first_char(av[-1])
            if op in (c.AT,):
                continue
            return None
        return None

    def can_match(item_sub, ch: str) -> bool:
        # the inner loop's body: one character class, or anything else (assume yes)
        if len(item_sub) != 1:
            return True
        op, av = item_sub[0]
        if op is c.LITERAL:
            return chr(av) == ch
        if op is c.NOT_LITERAL:
            return chr(av) != ch
        if op is c.ANY:
            return ch != "\n"
        if op is c.IN:
            negate = any(o is c.NEGATE for o, _ in av)
            hit = False
            for o, a in av:
                if o is c.LITERAL and chr(a) == ch:
                    hit = True
                elif o is c.RANGE and a[0] <= ord(ch) <= a[1]:
                    hit = True
                elif o is c.CATEGORY:
                    name = str(a).lower()
                    probe = {"digit": r"\d", "space": r"\s", "word": r"\w"}
                    for key, rx in probe.items():
                        if key in name:
                            m = re.match(rx, ch) is not None
                            hit = hit or (m if "not" not in name else not m)
            return hit != negate
        return True

    def walk(sub):
        for op, av in sub:
            if op in repeats and op is not None and unbounded(av):
                body = av[2]
                lead = first_char(body)
                for _iop, iav in inner_loops(body):
                    if lead is not None and not can_match(iav[2], lead):
                        continue
                    found.append("a loop inside a loop (like (a+)+)")
                    break
            for child in children(op, av):
                walk(child)

    walk(tree)
    return found


# --------------------------------------------------------------------------
# Small value helpers (shared with the shipped definitions' semantics)


@lru_cache(maxsize=65_536)   # a log's addresses repeat: each is read once
def normalise_ip(text: str | None) -> str | None:
    """Canonical text of an address: IPv4-mapped IPv6 -> IPv4, compressed IPv6.

    A value that is not an address (a host name logged by UseDNS, a mangled
    address) is kept as written; enrichment marks it invalid.
    """
    if text is None:
        return None
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        addr = ipaddress.ip_address(value.split("%", 1)[0] if "%" in value else value)
    except ValueError:
        return text
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return str(addr.ipv4_mapped)
    return addr.compressed


def _syslog_ts(text: str) -> dt.datetime | None:
    m = _SYSLOG_TS.match(text)
    if not m or m.group(1) not in _MONTHS:
        return None
    frac = m.group(6)
    micro = int(frac.ljust(6, "0")) if frac else 0
    try:
        return dt.datetime(PLACEHOLDER_YEAR, _MONTHS[m.group(1)], int(m.group(2)),
                           int(m.group(3)), int(m.group(4)), int(m.group(5)), micro)
    except ValueError:
        return None


def _iso_ts(text: str) -> dt.datetime | None:
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class TimestampFormat:
    """One way a timestamp may be written.

    `spec` is `iso8601`, `syslog` (year-less `%b %d %H:%M:%S[.f]`), `epoch`,
    `epoch_ms`, `epoch_us`, `epoch_hex` (seconds as hex digits), or a strptime pattern (with `%z` for an offset;
    a pattern without `%Y`/`%y` is year-less).
    """

    spec: str

    @property
    def yearless(self) -> bool:
        if self.spec == "syslog":
            return True
        if "%" in self.spec:
            return "%Y" not in self.spec and "%y" not in self.spec
        return False

    def parse(self, text: str, fast_only: bool = False) -> dt.datetime | None:
        """A datetime (aware when the text had an offset/epoch), or None.

        With `fast_only`, a strptime pattern is read only by its regex reader:
        `_SLOW` when that cannot decide (strptime would have to).
        """
        spec = self.spec
        if spec == "iso8601":
            return _iso_ts(text)
        if spec == "syslog":
            return _syslog_ts(text)
        if spec == "epoch_hex":  # Proxmox UPIDs: seconds since 1970 as hex digits
            value = text.strip()
            if not value or len(value) > 16 or any(c not in "0123456789abcdefABCDEF" for c in value):
                return None
            return _EPOCH + dt.timedelta(seconds=int(value, 16))
        if spec.startswith("epoch"):
            divisor = {"epoch": 1, "epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}[spec]
            value = text.strip()
            try:
                # integer arithmetic in microseconds: no float rounding for µs epochs
                micros = int(value) * 1_000_000 // divisor if value.lstrip("-").isdigit() \
                    else round(float(value) * 1_000_000 / divisor)
                return _EPOCH + dt.timedelta(microseconds=micros)
            except (OverflowError, ValueError):
                return None
        fast = _fast_strptime(spec)
        if fast is not None:
            parsed = fast(text)
            if parsed is not _SLOW:
                return parsed
        if fast_only:
            return _SLOW
        try:
            if self.yearless:
                parsed = dt.datetime.strptime(f"{PLACEHOLDER_YEAR} {text}", f"%Y {spec}")
            else:
                parsed = dt.datetime.strptime(text, spec)
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
        return parsed


_SLOW = object()
_FAST_DIRECTIVES = {
    "Y": r"(?P<Y>\d{4})", "y": r"(?P<y>\d{2})", "m": r"(?P<m>\d{1,2})", "d": r"(?P<d>\d{1,2})",
    "e": r"(?P<d> ?\d{1,2})", "H": r"(?P<H>\d{1,2})", "M": r"(?P<M>\d{1,2})", "S": r"(?P<S>\d{1,2})",
    "f": r"(?P<f>\d{1,6})", "b": r"(?P<b>[A-Za-z]{3})", "a": r"(?i:Mon|Tue|Wed|Thu|Fri|Sat|Sun)",
    "z": r"(?P<z>[+-]\d\d:?\d\d|Z)",
}


@lru_cache(maxsize=256)
def _fast_strptime(spec: str):
    """A regex-based reader for the strptime patterns logs use (5-10x faster than strptime).

    Returns a function giving a datetime, None (not a valid date), or
    `_SLOW` (a text it does not read the way strptime would: strptime
    decides); None for a pattern with other directives.
    """
    parts, i, seen = [], 0, set()
    while i < len(spec):
        ch = spec[i]
        if ch == "%":
            code = spec[i + 1:i + 2]
            if code not in _FAST_DIRECTIVES or code in seen or (code == "e" and "d" in seen) \
                    or (code == "d" and "e" in seen):
                return None
            seen.add(code)
            parts.append(_FAST_DIRECTIVES[code])
            i += 2
            continue
        parts.append(r"\s+" if ch.isspace() else re.escape(ch))
        i += 1
    if "y" in seen and "Y" in seen:
        return None
    rx = re.compile("".join(parts))
    yearless = "Y" not in seen and "y" not in seen
    index = rx.groupindex
    gY, gy, gm, gb, gd = (index.get(k) for k in ("Y", "y", "m", "b", "d"))
    gH, gM, gS, gf, gz = (index.get(k) for k in ("H", "M", "S", "f", "z"))
    zones: dict[str, dt.tzinfo] = {}

    def read(text: str):
        m = rx.fullmatch(text)
        if m is None:
            return _SLOW
        group = m.group
        try:
            if yearless:
                year = PLACEHOLDER_YEAR
            elif gY is not None:
                year = int(group(gY))
            else:
                yy = int(group(gy))
                year = 2000 + yy if yy < 69 else 1900 + yy   # strptime's pivot
            if gm is not None:
                month = int(group(gm))
            elif gb is not None:
                month = _MONTHS.get(group(gb).title())
                if month is None:
                    return _SLOW
            else:
                month = 1
            frac = group(gf) if gf is not None else None
            value = dt.datetime(year, month, int(group(gd)) if gd is not None else 1,
                                int(group(gH)) if gH is not None else 0, int(group(gM)) if gM is not None else 0,
                                int(group(gS)) if gS is not None else 0, int(frac.ljust(6, "0")) if frac else 0)
        except ValueError:
            return None
        if gz is None:
            return value
        z = group(gz)
        zone = zones.get(z)
        if zone is None:
            if z == "Z":
                zone = UTC
            else:
                digits = z[1:].replace(":", "")
                offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
                if offset >= dt.timedelta(hours=24):
                    return None          # no such offset (strptime: not a time either)
                zone = UTC if not offset else dt.timezone(-offset if z[0] == "-" else offset)
            zones[z] = zone
        if zone is UTC:
            return value.replace(tzinfo=UTC)
        return value.replace(tzinfo=zone).astimezone(UTC)

    return read


_KNOWN_TS_SPECS = ("iso8601", "syslog", "epoch", "epoch_s", "epoch_ms", "epoch_us", "epoch_hex")


@dataclass
class Rule:
    """Matches fields with regexes; on a match sets values and captures groups."""

    match: dict[str, re.Pattern]
    set: dict[str, Any]
    cont: bool = False
    # Per field, the outcome for values seen before (a syslog file has a few
    # dozen programs and millions of lines: `program` conditions are answered
    # from here).  Bounded: once full, new values are matched, not stored.
    _seen: dict[str, dict[str, dict | None]] = field(default_factory=dict, repr=False, compare=False)
    # (field, pattern, literal prefix or "", memo) per condition, built once:
    # the rules run on every line, so their per-call overhead is the format's speed
    _plan: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        self._plan = tuple((name, pattern, _literal_prefix(pattern), *_required_literal(pattern),
                            self._seen.setdefault(name, {}))
                           for name, pattern in self.match.items())


def _apply_rules(rules: list[Rule], record: dict[str, Any]) -> None:
    """Every rule in order until one matches that does not continue.

    A rule matches when every condition of its `_plan` matches; it then sets
    its values and the named groups on `record`.  One loop for all rules: a
    field's lower-cased text (for case-insensitive literal prefilters) is made
    once per line, not once per rule, and again only after a rule changed the
    record.
    """
    lowered: dict[str, tuple[str, str]] = {}
    skips = _gate_skips(rules)
    i, n = 0, len(rules)
    while i < n:
        rule = rules[i]
        found = None
        tested = False   # a condition after the first one is being tested
        for name, pattern, prefix, needed, folded, seen in rule._plan:
            value = record.get(name)
            if value is None:
                break
            text = value if value.__class__ is str else str(value)
            if prefix and not text.startswith(prefix):
                break
            if needed:
                if not folded:
                    for t in needed:
                        if t in text:
                            break
                    else:
                        break
                elif text.isascii():
                    cached = lowered.get(name)
                    if cached is not None and cached[0] is text:
                        lower = cached[1]
                    else:
                        lower = text.lower()
                        lowered[name] = (text, lower)
                    for t in needed:
                        if t in lower:
                            break
                    else:
                        break
            if len(text) <= _RULE_MEMO_TEXT:
                groups = seen.get(text, _UNSEEN)
                if groups is _UNSEEN:
                    m = pattern.search(text)
                    groups = None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
                    if len(seen) < _RULE_MEMO_SIZE:
                        seen[text] = groups
            else:
                m = pattern.search(text)
                groups = None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}
            if groups is None:
                break
            if groups:
                if found is None:
                    found = [groups]
                else:
                    found.append(groups)
            tested = True
        else:
            record.update(rule.set)
            if found:
                for groups in found:
                    record.update(groups)
            if not rule.cont:
                return
            i += 1
            continue
        # refused by its first condition: so are the rules right after it
        # with the same first condition (the record has not changed)
        i = i + 1 if tested else skips[i]


def _gate_skips(rules: list[Rule]) -> list[int]:
    """For each rule, the index of the next rule whose first condition differs from its own.

    A syslog definition's rules come in runs gated by the same condition
    (`program = '^sshd...$'` on every sshd rule): a line of another program
    is refused by the first rule of a run and need not ask the others.
    Only plain `re` patterns count as the same (same field, text and flags).
    Remembered per rules list (a format's list does not change).
    """
    key = id(rules)
    cached = _GATE_SKIPS.get(key)
    if cached is not None and cached[0] is rules and len(cached[1]) == len(rules):
        return cached[1]
    gates = []
    for rule in rules:
        first = rule._plan[0] if rule._plan else None
        pattern = first[1] if first else None
        gates.append((first[0], pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else object())
    skips = [0] * len(rules)
    for i in range(len(rules) - 1, -1, -1):
        skips[i] = skips[i + 1] if i + 1 < len(rules) and gates[i + 1] == gates[i] else i + 1
    if len(_GATE_SKIPS) > 256:
        _GATE_SKIPS.clear()
    _GATE_SKIPS[key] = (rules, skips)
    return skips


_GATE_SKIPS: dict[int, tuple[list, list[int]]] = {}


def _required_literal(pattern) -> tuple[tuple[str, ...], bool]:
    """Literal texts (3+ characters) one of which every match must contain, and whether case is ignored.

    Read from the parsed pattern's top level and its plain groups: a run of
    literal characters is required; so is one of a branch's alternatives
    when each of them requires a text (`password changed|changed password`).
    Text in an optional part or a loop is not.  ((), False) when there is
    none, or the pattern is not a plain `re` pattern.
    """
    if not isinstance(pattern, re.Pattern):
        return (), False
    try:
        from re import _parser as parser, _constants as c
    except ImportError:  # pragma: no cover
        return (), False
    try:
        tree = parser.parse(pattern.pattern, pattern.flags)
    except Exception:
        return (), False
    folded = bool(pattern.flags & re.IGNORECASE)

    def requirements(sub) -> list[tuple[str, ...]]:
        found: list[tuple[str, ...]] = []
        current: list[str] = []

        def flush():
            if current:
                found.append(("".join(current),))
                current.clear()

        for op, av in sub:
            if op is c.LITERAL:
                current.append(chr(av))
                continue
            if op is c.AT:
                continue   # ^, $, \b take no character
            flush()
            if op is c.SUBPATTERN and not (av[1] or av[2]):   # a plain group, no flags of its own
                found += requirements(av[-1])
            elif op is c.BRANCH:
                options: list[str] = []
                for alternative in av[1]:
                    best = _best(requirements(alternative))
                    if not best:
                        options = []
                        break
                    options += best
                if options:
                    found.append(tuple(dict.fromkeys(options)))
        flush()
        return found

    best = _best(requirements(tree))
    if not best or (folded and not all(t.isascii() for t in best)):
        return (), False
    return (tuple(t.lower() for t in best) if folded else best), folded


def _best(options: list[tuple[str, ...]]) -> tuple[str, ...]:
    """The requirement whose shortest text is longest (3+ characters), fewest alternatives first."""
    good = [o for o in options if min(len(t) for t in o) >= 3]
    return max(good, key=lambda o: (min(len(t) for t in o), -len(o)), default=())


_PREFIX_SPECIAL = set(".^$*+?{}[]()|\\")


def _literal_prefix(pattern) -> str:
    """The literal text a `^...` pattern must begin with ('' when none or not case-sensitive)."""
    text = getattr(pattern, "pattern", "")
    flags = getattr(pattern, "flags", 0)
    if not isinstance(text, str) or not text.startswith("^") or flags & re.IGNORECASE or flags & re.MULTILINE:
        return ""
    if "|" in text:   # `^ab|cd` is (^ab)|(cd): no prefix to rely on
        return ""
    out = []
    i = 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1:i + 2]
            if nxt and not nxt.isalnum():   # an escaped punctuation character is itself
                out.append(nxt)
                i += 2
                continue
            break
        if ch in _PREFIX_SPECIAL:
            # a quantifier makes the last character optional or repeated: drop it
            if ch in "*?{" and out:
                out.pop()
            break
        out.append(ch)
        i += 1
    return "".join(out)


_UNSEEN = object()
# Where `_row` puts a record's key: a canonical column, `detail` (as it is or
# without its `detail.` prefix, or merged from a `detail` field), or nowhere
# (a source consumed by [fields]).
_KEY_DETAIL, _KEY_ROW, _KEY_PREFIXED, _KEY_DETAIL_FIELD, _KEY_CONSUMED = range(5)
_KEY_KINDS_SIZE = 4096     # distinct keys remembered per format (JSON keep_unmapped keys vary)
_dumps = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str).encode
_RULE_MEMO_SIZE = 512      # distinct values remembered per rule and field
_RULE_MEMO_TEXT = 64       # only short values (program names, codes), never whole messages


@dataclass
class Sample:
    line: str
    expect: dict[str, Any] = field(default_factory=dict)
    reject: bool = False
    where: str = ""


@dataclass
class SampleResult:
    """The outcome of one sample line of a definition."""

    format: str
    index: int              # 1-based position among the definition's samples
    line: str
    passed: bool
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------
# The format driven by a definition


class DefinitionFormat:
    """A `LogFormat` driven by a validated definition (see `load_definition`)."""

    def __init__(self, *, name: str, description: str, source_kind: str, default_tz: str | None,
                 kind: str, path: str, variants: list[tuple[str, re.Pattern]] | None = None,
                 csv_spec: dict | None = None, jsonl_spec: dict | None = None, sql_spec: dict | None = None,
                 fields: dict[str, list[str]] | None = None, timestamp: dict | None = None,
                 defaults: dict[str, Any] | None = None, rules: list[Rule] | None = None,
                 value_maps: dict[str, dict[str, Any]] | None = None, null_values: list[str] | None = None,
                 comment_prefix: str | None = None, samples: list[Sample] | None = None,
                 sniff_min_ratio: float = 0.6, split: dict[str, dict] | None = None,
                 auto_detect: bool = True, integer_fields: list[str] | None = None,
                 regex_warnings: list[str] | None = None, unlinted: list[tuple[str, str]] | None = None):
        self.name = name
        self.description = description
        self.source_kind = source_kind
        self.default_tz = default_tz
        self.kind = kind                      # regex | csv | jsonl | sql
        self.path = path
        self.variants = variants or []
        self.csv_spec = csv_spec or {}
        self.jsonl_spec = jsonl_spec or {}
        self.sql_spec = sql_spec or {}
        self.fields = fields or {}
        self.timestamp = timestamp or {}
        self.ts_formats: list[TimestampFormat] = [TimestampFormat(s) for s in self.timestamp.get("formats", [])]
        self.ts_field: str | None = self.timestamp.get("field")
        # (format, its strptime pattern's regex reader or None): what
        # `parse(text, fast_only=True)` calls, found once instead of per line
        self._ts_plan = [(f, _fast_strptime(f.spec) if "%" in f.spec and not f.spec.startswith("epoch") else None)
                         for f in self.ts_formats]
        self.ts_required: bool = self.timestamp.get("required", True)
        self.defaults = defaults or {}
        self.rules = rules or []
        self.value_maps = value_maps or {}
        self.null_values = set(null_values or [])
        self.comment_prefix = comment_prefix
        self.samples = samples or []
        self.sniff_min_ratio = sniff_min_ratio
        self.split = split or {}
        self.auto_detect = auto_detect      # False: only used when named with --format
        self.integer_fields = tuple(integer_fields or ())  # detail fields kept as JSON numbers
        self._regex_warnings = list(regex_warnings or ())
        self._unlinted = list(unlinted or ())   # patterns not linted yet (a shipped definition's)
        self._csv_dialect = {"delimiter": self.csv_spec.get("delimiter", ","),
                             "escapechar": self.csv_spec.get("escape"),
                             "doublequote": "escape" not in self.csv_spec}
        # Source names consumed by [fields]: not repeated in `detail`.
        self._consumed = {src for sources in self.fields.values() for src in sources
                          if src not in self.fields}
        if self.ts_field:
            self._consumed.add(self.ts_field)
        # The longest column name, lower-cased: text every header line contains
        # (its cell, stripped and lower-cased, is that name).  Only a plain
        # ASCII name without quote, delimiter or escape characters, which a
        # cell holds verbatim; else '' (every line is read as CSV to decide).
        columns = self.csv_spec.get("columns") or []
        special = {'"', self._csv_dialect["delimiter"], self._csv_dialect["escapechar"]}
        plain = [c.lower() for c in columns if c.isascii() and c.strip() == c and not special & set(c)]
        self._header_probe = max(plain, key=len) if plain and self.csv_spec.get("escape") is None else ""
        self._header_cells = [c.lower() for c in columns]
        self._key_kinds: dict[str, int] = {}   # record key -> _KEY_* (see _key_kind)
        self._json_paths = sorted({src for sources in self.fields.values() for src in sources}
                                  | ({self.ts_field} if self.ts_field else set()))

    @property
    def regex_warnings(self) -> list[str]:
        """Nested quantifiers found in the patterns (`formats check` fails them)."""
        if self._unlinted:
            unlinted, self._unlinted = self._unlinted, []
            self._regex_warnings += [w for text, label in unlinted for w in _lint(text, label)]
        return self._regex_warnings

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<DefinitionFormat {self.name} ({self.kind}) from {self.path}>"

    # -- the compiled SQL path (forensics.ingest.declarative_sql) ------------

    # False: every line through the Python path (the oracle tests switch it)
    sql_enabled = True
    _shipped = False            # a shipped definition (its samples check the compiled patterns)
    _sql_plan = None
    _sql_reason: str | None = None

    @property
    def sql_plan(self):
        """The compiled SELECT (`declarative_sql.CompiledDefinition`), or None (see `sql_fallback_reason`)."""
        if self._sql_plan is None and self._sql_reason is None:
            from forensics.ingest import declarative_sql, declarative_sql_records
            from forensics.ingest.declarative_sql import NotCompilable

            # CSV, JSON lines and SQL dumps are cut in SQL by forensics.ingest.declarative_sql_records
            compiler = declarative_sql_records if self.kind in ("csv", "jsonl", "sql") else declarative_sql
            try:
                self._sql_plan = compiler.compile_definition(self)
            except NotCompilable as exc:
                self._sql_reason = str(exc)
        return self._sql_plan

    @property
    def sql_fallback_reason(self) -> str | None:
        """Why this definition is parsed in Python (None: it is compiled to SQL)."""
        return None if self.sql_plan is not None else self._sql_reason

    @property
    def select_sql(self):
        """The engine's vectorised path (`SqlLineFormat.select_sql`), when the definition compiles.

        Absent (AttributeError, so `hasattr` is False) when it does not, or
        when `sql_enabled` is off: the engine then calls `parse`.
        """
        plan = self.sql_plan if self.sql_enabled and _sql_allowed() else None
        if plan is None:
            raise AttributeError("select_sql")
        return plan.select_sql

    @property
    def records_span_lines(self) -> bool:
        """jsonl `multiline`: the compiled SELECT answers line by line, which is `parse`'s answer
        only where no line that did not parse alone holds `{` (the engine and `parse_sql` check)."""
        return self.kind == "jsonl" and bool(self.jsonl_spec.get("multiline"))

    # The compiled SELECT gives `ts_local` for a naive time: the engine's INSERT carries it.
    select_gives_ts_local = True

    def parse_sql(self, lines: list[str], line_nos: list[int], ctx: IngestContext | None = None) -> ParsedBatch:
        """`parse` through the compiled SELECT (on a private in-memory connection)."""
        import pandas as pd

        from forensics.ingest.formats.sqlformat import parse_with_select

        plan = self.sql_plan
        if plan is None:
            raise ValueError(f"{self.name} is not compiled to SQL: {self._sql_reason}")
        parsed, rejects = parse_with_select(plan.select_sql, lines, line_nos)
        if self.records_span_lines and rejects:
            text = dict(zip(line_nos, lines))
            if any("{" in text[no] for no, _ in rejects):
                return self.parse(lines, line_nos, ctx)   # as the engine: a record may span lines
        parsed["ts_local"] = pd.to_datetime(parsed["ts_local"])
        for col in _INT_COLUMNS:
            parsed[col] = pd.array(parsed[col], dtype="Int64")
        events = parsed[["line_no", "ts_raw", "ts", "ts_local", *CANONICAL_COLUMNS]].reset_index(drop=True)
        return ParsedBatch(events=events, rejects=rejects,
                           yearless=self.yearless and bool(events["ts_local"].notna().any()))

    @property
    def yearless(self) -> bool:
        return any(f.yearless for f in self.ts_formats)

    # -- cutting a line into raw fields ------------------------------------

    def _extract(self, line: str) -> tuple[dict[str, Any] | None, str | None]:
        """Raw fields of one line, or (None, reason)."""
        if self.kind == "regex":
            for variant, pattern in self.variants:
                m = pattern.match(line)
                if m:
                    values = {k: v for k, v in m.groupdict().items() if v is not None}
                    if len(self.variants) > 1:
                        values.setdefault("variant", variant)
                    return values, None
            if line[:1] in (" ", "\t"):
                return None, "continuation line (starts with white space; part of the message above, which is kept as an event)"
            return None, f"not a {self.name} line (no pattern matched)"
        if self.kind == "sql":
            return self._sql_row(line)
        if self.kind == "csv":
            columns = self.csv_spec["columns"]
            try:
                cells = next(csv.reader([line], **self._csv_dialect))
            except csv.Error as exc:
                return None, f"malformed CSV ({exc})"
            if len(cells) != len(columns):
                return None, f"expected {len(columns)} CSV columns ({', '.join(columns)}), found {len(cells)}"
            return dict(zip(columns, cells)), None
        # jsonl
        try:
            obj = json.loads(line)
        except ValueError as exc:
            return None, f"not a JSON object ({exc.args[0] if exc.args else exc})"
        if lone_surrogate(line, obj):
            return None, "not a JSON object (a \\u escape of a lone UTF-16 surrogate, D800-DFFF)"
        return self._json_fields(obj)

    def _sql_row(self, line: str) -> tuple[dict[str, Any] | None, str | None]:
        """One row of an `INSERT INTO` line of a MySQL dump (`[sql]`)."""
        table = self.sql_spec["table"]
        one = _one_row(line)     # mysqldump's common line, no NULL: in one regex match
        if one is not None:
            name, columns, values = one
            columns = columns or self.sql_spec["columns"]
            if (name == table or name.rpartition(".")[2] == table) and len(values) == len(columns):
                return dict(zip(columns, values)), None
        try:
            parsed = _parse_insert(line)
        except _SqlSyntaxError as exc:
            return None, f"INSERT statement that cannot be read: {exc}"
        if parsed is None:
            return None, f"SQL dump line that is not a row of {table} (schema, settings or comment)"
        name, columns, rows = parsed
        if name != table and name.rpartition(".")[2] != table:
            return None, f"a row of table {name}, not {table}"
        if len(rows) != 1:
            return None, (f"an extended INSERT with {len(rows)} rows on one line: each row needs a line "
                          "of its own to be cited as file:line; export with mysqldump "
                          "--skip-extended-insert (the line is kept here as it is)")
        columns = columns or self.sql_spec["columns"]
        if len(rows[0]) != len(columns):
            return None, f"expected {len(columns)} values ({', '.join(columns)}), found {len(rows[0])}"
        return {k: v for k, v in zip(columns, rows[0]) if v is not None}, None

    def _json_fields(self, obj: Any) -> tuple[dict[str, Any] | None, str | None]:
        if not isinstance(obj, dict):
            return None, "JSON value is not an object"
        values: dict[str, Any] = {}
        for path in self._json_paths:
            # a top-level key (the common case) without the path walk; a
            # string (a journal's every value) as it is
            value = obj[path] if path in obj else _json_path(obj, path)
            if value is not None:
                values[path] = value if value.__class__ is str else _json_scalar(value)
        if self.jsonl_spec.get("keep_unmapped"):
            for key, value in obj.items():
                if key not in values and value is not None:
                    # a key named like a canonical column (a JSON "status" that is
                    # no HTTP status) is kept as json_<key>: log content never
                    # fills a column that [fields] did not map
                    name = f"json_{key}" if key in CANONICAL_COLUMNS else key
                    values[name] = value if isinstance(value, (dict, list)) and not _is_byte_array(value) else _json_scalar(value)
        return values, None

    # -- from raw fields to a canonical row --------------------------------

    def _record(self, raw: dict[str, Any]) -> dict[str, Any]:
        nulls = self.null_values
        record = {k: v for k, v in raw.items() if not (isinstance(v, str) and v in nulls)} if nulls else dict(raw)
        for target, sources in self.fields.items():
            for source in sources:
                value = record.get(source)
                if value is not None and value != "":
                    record[target] = value
                    break
        for key, spec in self.split.items():
            value = record.get(key)
            if isinstance(value, str):
                self._split_pairs(record, key, value, spec)
        for key, value in self.defaults.items():
            if record.get(key) is None:
                record[key] = value
        if self.rules:
            _apply_rules(self.rules, record)
        for key, mapping in self.value_maps.items():
            value = record.get(key)
            if value is not None and str(value) in mapping:
                record[key] = mapping[str(value)]
        return record

    @staticmethod
    def _split_pairs(record: dict[str, Any], key: str, value: str, spec: dict) -> None:
        """`a=1,b=2` into fields a and b; text without `=` stays under `key`.

        A name that is also a canonical column (`method=handle_form_login`)
        is prefixed with the field's name (`<key>_method`): log content never
        fills a canonical column by accident.
        """
        rest = []
        pairs, assign = spec.get("pairs", ","), spec.get("assign", "=")
        field_name = _FIELD_RE.match
        for pair in value.split(pairs):
            name, sep, item = pair.partition(assign)
            name = name.strip()
            if sep and field_name(name):
                if name in _CANONICAL or name == "detail" or name in record:
                    name = f"{key}_{name}"
                record.setdefault(name, item)
            else:
                rest.append(pair)
        if rest:
            record[key] = pairs.join(rest)
        else:
            record.pop(key, None)

    def _timestamp(self, record: dict[str, Any]) -> tuple[str | None, dt.datetime | None, str | None]:
        """(ts_raw, parsed, reject reason)."""
        if not self.ts_field:
            return None, None, None
        text = record.get(self.ts_field)
        if text is None or text == "":
            if self.ts_required:
                return None, None, f"no timestamp (field {self.ts_field!r} is empty)"
            return None, None, None
        text = str(text)
        # First every format's fast reader (a regex), then strptime for the
        # formats whose reader could not decide: a line that fits the second
        # format does not pay for the first one's strptime failing.
        undecided = []
        for fmt, fast in self._ts_plan:
            parsed = fast(text) if fast is not None else fmt.parse(text, fast_only=True)
            if parsed is _SLOW:
                undecided.append(fmt)
            elif parsed is not None:
                return text, parsed, None
        for fmt in undecided:
            parsed = fmt.parse(text)
            if parsed is not None:
                return text, parsed, None
        return text, None, f"unparseable timestamp {text!r} (formats tried: {', '.join(f.spec for f in self.ts_formats)})"

    def _key_kind(self, key: str) -> int:
        """Where a record's key goes in `_row` (remembered: a format's keys repeat on every line)."""
        if key in _CANONICAL:
            kind = _KEY_ROW
        elif key.startswith("detail."):
            kind = _KEY_PREFIXED
        elif key == "detail":
            kind = _KEY_DETAIL_FIELD
        elif key in self._consumed:
            kind = _KEY_CONSUMED
        else:
            kind = _KEY_DETAIL
        if len(self._key_kinds) < _KEY_KINDS_SIZE:
            self._key_kinds[key] = kind
        return kind

    def _row(self, record: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {}
        detail: dict[str, Any] = {}
        kinds = self._key_kinds
        for key, value in record.items():
            if value is None:
                continue
            kind = kinds.get(key)
            if kind is None:
                kind = self._key_kind(key)
            if kind == _KEY_DETAIL:
                detail[key] = value
            elif kind == _KEY_ROW:
                if value == "" and key != "user":  # an empty user name is evidence; other blanks are absence
                    continue
                row[key] = value
            elif kind == _KEY_PREFIXED:
                detail[key[7:]] = value
            elif kind == _KEY_DETAIL_FIELD:
                if isinstance(value, dict):
                    detail.update(value)
                else:
                    detail["detail"] = value
        if "ip" in row:
            row["ip"] = normalise_ip(str(row["ip"]))
        for key in _INT_COLUMNS:
            if key in row:
                text = str(row[key]).strip()
                if text.isdigit() and len(text) < 19:
                    row[key] = int(text)
                else:  # not a number: keep the text, but not in an integer column
                    detail[f"{key}_text"] = row.pop(key)
        for key in self.integer_fields:
            value = detail.get(key)
            if isinstance(value, str) and value.isdigit() and len(value) < 19:
                detail[key] = int(value)
        for key, value in row.items():
            if value.__class__ is not str and key not in _INT_COLUMNS:
                row[key] = str(value).lower() if isinstance(value, bool) else str(value)
        if detail:
            row["detail"] = _dumps(detail)
        return row

    def parse_record(self, raw: dict[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
        """Canonical row (with `ts_raw` and `_ts`) from raw fields, or (None, reason)."""
        record = self._record(raw)
        ts_raw, parsed, reason = self._timestamp(record)
        if reason:
            return None, reason
        row = self._row(record)
        row["ts_raw"] = ts_raw
        row["_ts"] = parsed
        return row, None

    def _is_header(self, line: str) -> bool:
        """The CSV export's column-name line (quoted or not)."""
        if self.kind != "csv" or not self.csv_spec.get("header"):
            return False
        probe = self._header_probe
        if probe and probe not in line.lower():
            return False   # a header line holds every column name as written: a data row is refused unread
        try:
            cells = next(csv.reader([line], **self._csv_dialect))
        except (csv.Error, StopIteration):
            return False
        return [c.strip().lower() for c in cells] == self._header_cells

    def parse_line(self, line: str) -> tuple[dict[str, Any] | None, str | None]:
        """One line to a canonical row, or (None, reason)."""
        if self.comment_prefix and line.startswith(self.comment_prefix):
            return None, f"comment line (starts with {self.comment_prefix!r})"
        if self._is_header(line):
            return None, "CSV header line"
        try:
            raw, reason = self._extract(line)
            if raw is None:
                return None, reason
            return self.parse_record(raw)
        except RegexTimeout as exc:
            return None, str(exc)

    # -- LogFormat ----------------------------------------------------------

    def sniff(self, lines: list[str]) -> bool:
        """True when most of the first lines (comments aside) parse."""
        if not self.auto_detect:
            return False
        considered = matched = 0
        pending: list[str] = []
        for line in lines[:50]:
            if not line.strip():
                continue
            if self.comment_prefix and line.startswith(self.comment_prefix):
                continue
            if self.kind == "regex" and line[:1] in (" ", "\t"):
                continue  # continuation of a multi-line message
            if self._is_header(line):
                return True
            if self.kind == "jsonl" and self.jsonl_spec.get("multiline") and not pending \
                    and self._pretty_json_member(line):
                # a member line of a pretty-printed record, e.g. `  "MESSAGE" : "Hello",`
                # (auto-detection asks about one line at a time)
                considered += 1
                matched += 1
                continue
            if self.kind == "jsonl" and self.jsonl_spec.get("multiline") and (pending or line.strip() == "{"):
                pending.append(line)
                try:
                    obj = json.loads("\n".join(pending))
                except ValueError:
                    continue
                pending = []
                considered += 1
                matched += self._sniff_json(obj)
                continue
            considered += 1
            if self.kind == "jsonl":
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                matched += self._sniff_json(obj)
                continue
            row, _ = self.parse_line(line)
            matched += row is not None
        return matched > 0 and matched >= self.sniff_min_ratio * considered

    def sniff_score(self, lines: list[str]) -> int:
        """How many of a file's first non-blank lines this format recognises, read as a whole.

        Line by line (`sniff` on each), except for pretty-printed JSON records
        (`jsonl.multiline`): there a record's lines count together when the
        record they make up is one this format claims (a lone `{` means
        nothing on its own).
        """
        if not self.auto_detect:
            return 0
        if self.kind == "sql":
            # a dump is judged as a whole: with a row of the table among the
            # first lines, every line of SQL (schema, settings, comments) counts
            if not any(_sql_table_insert(line, self.sql_spec["table"]) for line in lines):
                return 0
            return sum(bool(_SQL_DUMP_LINE.match(line)) for line in lines)
        if not (self.kind == "jsonl" and self.jsonl_spec.get("multiline")):
            return sum(bool(self.sniff([line])) for line in lines)
        score, pending = 0, []
        for line in lines:
            if pending or line.strip() == "{":
                pending.append(line)
                try:
                    obj = json.loads("\n".join(pending))
                except ValueError:
                    continue
                score += len(pending) if self._sniff_json(obj) else 0
                pending = []
                continue
            score += bool(self.sniff([line]))
        if pending:  # a record cut off by the sample's end: its member lines speak for it
            score += sum(bool(self._pretty_json_member(line)) for line in pending)
        return score

    def _pretty_json_member(self, line: str) -> bool:
        m = _JSON_MEMBER.match(line)
        return bool(m) and m.group(1) in (self.jsonl_spec.get("sniff_keys") or ())

    def _sniff_json(self, obj: Any) -> bool:
        if not isinstance(obj, dict):
            return False
        keys = self.jsonl_spec.get("sniff_keys")
        if keys and not any(k in obj for k in keys):
            return False
        return self._json_fields(obj)[0] is not None

    def parse(self, lines: list[str], line_nos: list[int], ctx: IngestContext | None = None) -> ParsedBatch:
        """Parse non-blank lines (with their 1-based numbers) into canonical rows."""
        rows: list[dict[str, Any]] = []
        rejects: list[tuple[int, str]] = []
        if self.kind == "jsonl" and self.jsonl_spec.get("multiline"):
            self._parse_json_records(lines, line_nos, rows, rejects)
        else:
            for line, line_no in zip(lines, line_nos):
                row, reason = self.parse_line(line)
                if row is None:
                    rejects.append((line_no, reason or "unparseable"))
                else:
                    row["line_no"] = line_no
                    rows.append(row)
        return self._batch(rows, rejects)

    def _parse_json_records(self, lines, line_nos, rows, rejects) -> None:
        """JSON lines where a record may also be pretty-printed over several lines.

        The event is kept on the record's first line; its other lines are
        recorded as rejects that name that line, so that every line is
        accounted for and none is silently absorbed.
        """
        i, n = 0, len(lines)
        while i < n:
            line, line_no = lines[i], line_nos[i]
            row, reason = self.parse_line(line)
            if row is not None:
                row["line_no"] = line_no
                rows.append(row)
                i += 1
                continue
            if line.strip().startswith("{"):
                buffer = [line]
                end = None
                for j in range(i + 1, min(n, i + _MAX_JSON_RECORD_LINES)):
                    buffer.append(lines[j])
                    if not lines[j].startswith((" ", "\t", "}", "]")):
                        break
                    try:
                        obj = json.loads("\n".join(buffer))
                    except ValueError:
                        continue
                    end = j
                    break
                if end is not None:
                    raw, why = self._json_fields(obj)
                    try:
                        row, why = self.parse_record(raw) if raw is not None else (None, why)
                    except RegexTimeout as exc:
                        row, why = None, str(exc)
                    if row is not None:
                        row["line_no"] = line_no
                        rows.append(row)
                    else:
                        rejects.append((line_no, why or "unparseable JSON record"))
                    for k in range(i + 1, end + 1):
                        rejects.append((line_nos[k], f"continuation of the multi-line JSON record that starts at line {line_no}"))
                    i = end + 1
                    continue
            rejects.append((line_no, reason or "unparseable"))
            i += 1

    def _batch(self, rows: list[dict[str, Any]], rejects: list[tuple[int, str]]) -> ParsedBatch:
        import pandas as pd

        ts_aware, ts_local = [], []
        for row in rows:
            parsed = row.pop("_ts")
            if parsed is None:
                ts_aware.append(None)
                ts_local.append(None)
            elif parsed.tzinfo is not None:
                ts_aware.append(parsed.astimezone(UTC))
                ts_local.append(None)
            else:
                ts_aware.append(None)
                ts_local.append(parsed)
        columns: dict[str, Any] = {
            "line_no": pd.array([r["line_no"] for r in rows], dtype="Int64"),
            "ts_raw": pd.array([r.get("ts_raw") for r in rows], dtype="object"),
            "ts": pd.to_datetime(pd.Series(ts_aware, dtype="object"), utc=True),
            "ts_local": pd.to_datetime(pd.Series(ts_local, dtype="object")),
        }
        for col in CANONICAL_COLUMNS:
            values = [r.get(col) for r in rows]
            if col in _INT_COLUMNS:
                columns[col] = pd.array(values, dtype="Int64")
            else:
                columns[col] = pd.array(values, dtype="object")
        frame = pd.DataFrame(columns)
        if frame["ts_local"].dtype != "datetime64[ns]" and len(frame):
            frame["ts_local"] = pd.to_datetime(frame["ts_local"])
        return ParsedBatch(events=frame, rejects=rejects, yearless=self.yearless and any(t is not None for t in ts_local))


def _sql_allowed() -> bool:
    """`FORENSICS_DECLARATIVE_SQL=0` turns the compiled path off (every definition parsed in Python)."""
    import os

    return os.environ.get("FORENSICS_DECLARATIVE_SQL", "1") != "0"


_SQL_DUMP_LINE = re.compile(
    r"^\s*(?:--|/\*|#|\)|`|INSERT\b|CREATE\b|DROP\b|ALTER\b|LOCK\b|UNLOCK\b|SET\b|USE\b|"
    r"PRIMARY\b|KEY\b|UNIQUE\b|CONSTRAINT\b|START\b|COMMIT\b|BEGIN\b)", re.IGNORECASE)


def _sql_table_insert(line: str, table: str) -> bool:
    m = re.match(r"^\s*INSERT\s+(?:IGNORE\s+)?INTO\s+[`\"]?([\w$.]+?)[`\"]?[\s(]", line, re.IGNORECASE)
    return bool(m) and m.group(1).split(".")[-1] == table


def _is_byte_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(x, int) and 0 <= x < 256 for x in value)


def _json_scalar(value: Any) -> Any:
    """A JSON value as text for a column: byte arrays decoded, arrays joined."""
    if _is_byte_array(value):
        return bytes(value).decode("utf-8", errors="replace")
    if isinstance(value, list):
        return "\n".join(str(_json_scalar(v)) for v in value if v is not None)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _json_path(obj: dict, path: str) -> Any:
    if path in obj:
        return obj[path]
    current: Any = obj
    for part in path.split("."):
        if not isinstance(current, dict) or part not in current:
            return None
        current = current[part]
    return current


# --------------------------------------------------------------------------
# Loading and validating definition files

_TOP_KEYS = {
    "name", "description", "source_kind", "default_tz", "regex", "csv", "jsonl", "sql", "fields",
    "timestamp", "defaults", "rules", "value_maps", "null_values", "comment_prefix",
    "include_rules", "samples", "sniff_min_ratio", "split", "auto_detect", "integer_fields",
}
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_FIELD_RE = re.compile(r"^(?:detail\.)?[A-Za-z_][A-Za-z0-9_.]*$")


class _Checker:
    """Collects schema errors as 'file: key: problem' sentences."""

    def __init__(self, where: str, timed: bool = False, lint_later: bool = False):
        self.where = where
        self.errors: list[str] = []
        self.warnings: list[str] = []   # regex safety: reported by `formats check`, a failure there
        self.timed = timed              # a user's definition: patterns run with a time budget
        # A shipped definition's patterns are linted when its `regex_warnings` are first asked
        # for (`formats check`, the tests, compiling it to SQL), not at every load: (text, label)
        self.lint_later = lint_later
        self.unlinted: list[tuple[str, str]] = []

    def fail(self, key: str, problem: str) -> None:
        self.errors.append(f"{self.where}: {key}: {problem}")

    def typed(self, data: dict, key: str, kind: type | tuple, required: bool = False, label: str | None = None):
        label = label or key
        if key not in data:
            if required:
                self.fail(label, "is required")
            return None
        value = data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # TOML booleans are Python ints: `sniff_min_ratio = true` must not pass as a number
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = " or ".join(k.__name__ for k in kinds)
            self.fail(label, f"must be a {names}, not {type(value).__name__}")
            return None
        return value

    def regex(self, pattern: Any, label: str) -> re.Pattern | None:
        if not isinstance(pattern, str):
            self.fail(label, "must be a string (a Python regular expression)")
            return None
        text = pattern.replace("(?<", "(?P<").replace("(?P<=", "(?<=").replace("(?P<!", "(?<!")
        try:
            compiled = re.compile(text)
        except re.error as exc:
            self.fail(label, f"invalid regular expression: {exc}")
            return None
        if self.lint_later:
            self.unlinted.append((text, label))
        else:
            self.warnings += _lint(text, label)
        if self.timed:
            module = _regex_module()
            if module is not None:
                try:
                    return _TimedPattern(module.compile(text), label, USER_REGEX_TIMEOUT_S)
                except Exception:  # a construct `regex` reads differently: keep re's, unbudgeted
                    self.warnings.append(f"{label}: cannot run with a time budget (the regex module refuses it)")
        return compiled

    def raise_if_any(self) -> None:
        if self.errors:
            if len(self.errors) == 1:
                raise DefinitionError(self.errors[0])
            raise DefinitionError("invalid format definition:\n  " + "\n  ".join(self.errors))


@lru_cache(maxsize=4096)   # shipped rule files share patterns (sshd's rules in three definitions)
def _nested_quantifiers(text: str) -> tuple[str, ...]:
    return tuple(nested_quantifiers(text))


def _lint(text: str, label: str) -> list[str]:
    """The regex safety warnings of one pattern (`regex_warnings`)."""
    return [f"{label}: {problem}: catastrophic backtracking on a long line "
            "that almost matches; make the inner or outer repetition unambiguous"
            for problem in _nested_quantifiers(text)]


def _read_toml(path: Path) -> dict:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise DefinitionError(f"cannot read format definition {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise DefinitionError(f"{path}: not valid TOML: {exc}") from None


def _load_rules(items: Any, chk: _Checker, prefix: str) -> list[Rule]:
    rules: list[Rule] = []
    if not isinstance(items, list):
        chk.fail(prefix, "must be an array of tables ([[rules]])")
        return rules
    for i, item in enumerate(items, start=1):
        label = f"{prefix}[{i}]"
        if not isinstance(item, dict):
            chk.fail(label, "must be a table")
            continue
        unknown = set(item) - {"match", "set", "continue", "comment"}
        if unknown:
            chk.fail(label, f"unknown key(s) {', '.join(sorted(unknown))} (known: match, set, continue, comment)")
        match = chk.typed(item, "match", dict, required=True, label=f"{label}.match") or {}
        patterns = {}
        for name, pattern in match.items():
            if not _FIELD_RE.match(name):
                chk.fail(f"{label}.match.{name}", "is not a field name")
            compiled = chk.regex(pattern, f"{label}.match.{name}")
            if compiled is not None:
                patterns[name] = compiled
        if not match and "match" in item:
            chk.fail(f"{label}.match", "must name at least one field")
        values = chk.typed(item, "set", dict, label=f"{label}.set") or {}
        for key, value in values.items():
            if not _FIELD_RE.match(key):
                chk.fail(f"{label}.set.{key}", "is not a field name")
            if isinstance(value, (dict, list)):
                chk.fail(f"{label}.set.{key}", "must be a string, number or boolean")
        cont = chk.typed(item, "continue", bool, label=f"{label}.continue") or False
        rules.append(Rule(match=patterns, set=dict(values), cont=cont))
    return rules


# A shipped rule file (several shipped definitions include it): its data and
# checked rules, read once per process.  Its `Rule`s are shared by those
# definitions (a rule's memo of values is a function of its pattern alone).
_SHIPPED_RULES: dict[Path, tuple[dict, list[Rule], list[tuple[str, str]]]] = {}


def _included_rules(inc_path: Path, chk: _Checker) -> tuple[dict, list[Rule]]:
    """An included rule file's TOML data and its rules, checked by `chk`."""
    shipped = chk.lint_later and not chk.timed and inc_path.resolve().parent == DEFINITIONS_DIR
    cached = _SHIPPED_RULES.get(inc_path.resolve()) if shipped else None
    if cached is None:
        inc_data = _read_toml(inc_path)
        sub = _Checker(chk.where, timed=chk.timed, lint_later=chk.lint_later)
        rules = _load_rules(inc_data.get("rules", []), sub, f"{inc_path.name}: rules")
        chk.errors += sub.errors
        chk.warnings += sub.warnings
        chk.unlinted += sub.unlinted
        if shipped and not sub.errors and not sub.warnings:
            _SHIPPED_RULES[inc_path.resolve()] = (inc_data, rules, sub.unlinted)
        return inc_data, rules
    inc_data, rules, unlinted = cached
    chk.unlinted += unlinted
    return inc_data, list(rules)


def _as_sources(value: Any) -> list[str] | None:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def parse_definition(data: dict, where: str, base_dir: Path | None = None) -> DefinitionFormat:
    """Validate a definition's data (already read from TOML) and build its format."""
    shipped = base_dir is not None and Path(base_dir).resolve() == DEFINITIONS_DIR
    chk = _Checker(where, timed=not shipped, lint_later=shipped)
    if not isinstance(data, dict):
        raise DefinitionError(f"{where}: a definition must be a TOML table")
    unknown = set(data) - _TOP_KEYS
    for key in sorted(unknown):
        chk.fail(key, f"unknown key (known keys: {', '.join(sorted(_TOP_KEYS))})")

    name = chk.typed(data, "name", str, required=True)
    if name is not None and not _NAME_RE.match(name):
        chk.fail("name", "must be lower-case letters, digits, '-', '_' or '.' (e.g. cpanel-login-log)")
    description = chk.typed(data, "description", str, required=True) or ""
    source_kind = chk.typed(data, "source_kind", str, required=True)
    if source_kind is not None and not _NAME_RE.match(source_kind):
        chk.fail("source_kind", f"must be a short lower-case word ({_SOURCE_KINDS_HINT})")
    default_tz = chk.typed(data, "default_tz", str)
    if default_tz:
        from forensics.timefmt import zone

        try:
            zone(default_tz)
        except ForensicsError as exc:
            chk.fail("default_tz", str(exc))

    kinds = [k for k in ("regex", "csv", "jsonl", "sql") if k in data]
    if len(kinds) != 1:
        chk.fail("regex|csv|jsonl|sql", f"exactly one of [[regex]], [csv], [jsonl] or [sql] is required (found {len(kinds) or 'none'})")
    kind = kinds[0] if kinds else "regex"

    variants: list[tuple[str, re.Pattern]] = []
    csv_spec: dict = {}
    jsonl_spec: dict = {}
    sql_spec: dict = {}
    if kind == "regex" and "regex" in data:
        items = data["regex"]
        if not isinstance(items, list) or not items:
            chk.fail("regex", "must be an array of tables ([[regex]]) with at least one variant")
            items = []
        for i, item in enumerate(items, start=1):
            label = f"regex[{i}]"
            if not isinstance(item, dict):
                chk.fail(label, "must be a table with 'name' and 'pattern'")
                continue
            bad = set(item) - {"name", "pattern", "comment"}
            if bad:
                chk.fail(label, f"unknown key(s) {', '.join(sorted(bad))} (known: name, pattern, comment)")
            vname = chk.typed(item, "name", str, label=f"{label}.name") or f"variant{i}"
            compiled = chk.regex(item.get("pattern"), f"{label}.pattern") if "pattern" in item else None
            if "pattern" not in item:
                chk.fail(f"{label}.pattern", "is required")
            if compiled is not None:
                if not compiled.groupindex:
                    chk.fail(f"{label}.pattern", "has no named groups (use (?P<name>...))")
                variants.append((vname, compiled))
    elif kind == "csv":
        spec = chk.typed(data, "csv", dict, label="csv") or {}
        bad = set(spec) - {"columns", "delimiter", "header", "escape"}
        if bad:
            chk.fail("csv", f"unknown key(s) {', '.join(sorted(bad))} (known: columns, delimiter, header, escape)")
        if "escape" in spec and not (isinstance(spec["escape"], str) and len(spec["escape"]) == 1):
            chk.fail("csv.escape", "must be a single character (e.g. a backslash)")
        columns = spec.get("columns")
        if not (isinstance(columns, list) and columns and all(isinstance(c, str) and c for c in columns)):
            chk.fail("csv.columns", "must be a non-empty list of column names")
        delimiter = spec.get("delimiter", ",")
        if not (isinstance(delimiter, str) and len(delimiter) == 1):
            chk.fail("csv.delimiter", "must be a single character")
        if "header" in spec and not isinstance(spec["header"], bool):
            chk.fail("csv.header", "must be true or false")
        csv_spec = dict(spec)
    elif kind == "sql":
        spec = chk.typed(data, "sql", dict, label="sql") or {}
        bad = set(spec) - {"table", "columns"}
        if bad:
            chk.fail("sql", f"unknown key(s) {', '.join(sorted(bad))} (known: table, columns)")
        if not (isinstance(spec.get("table"), str) and re.match(r"^[\w$]+$", spec["table"])):
            chk.fail("sql.table", "must be the table's name (e.g. tblactivitylog)")
        columns = spec.get("columns")
        if not (isinstance(columns, list) and columns and all(isinstance(c, str) and c for c in columns)):
            chk.fail("sql.columns", "must be a non-empty list of the table's column names, in order")
        sql_spec = dict(spec)
    elif kind == "jsonl":
        spec = chk.typed(data, "jsonl", dict, label="jsonl") or {}
        bad = set(spec) - {"multiline", "keep_unmapped", "sniff_keys"}
        if bad:
            chk.fail("jsonl", f"unknown key(s) {', '.join(sorted(bad))} (known: multiline, keep_unmapped, sniff_keys)")
        for key in ("multiline", "keep_unmapped"):
            if key in spec and not isinstance(spec[key], bool):
                chk.fail(f"jsonl.{key}", "must be true or false")
        if "sniff_keys" in spec and _as_sources(spec["sniff_keys"]) is None:
            chk.fail("jsonl.sniff_keys", "must be a list of field names")
        jsonl_spec = dict(spec)

    fields: dict[str, list[str]] = {}
    for target, sources in (chk.typed(data, "fields", dict) or {}).items():
        if not _FIELD_RE.match(target):
            chk.fail(f"fields.{target}", "is not a field name")
        parsed = _as_sources(sources)
        if parsed is None:
            chk.fail(f"fields.{target}", "must be a source name or a list of alternatives")
        else:
            fields[target] = parsed

    timestamp = chk.typed(data, "timestamp", dict) or {}
    bad = set(timestamp) - {"field", "formats", "required"}
    if bad:
        chk.fail("timestamp", f"unknown key(s) {', '.join(sorted(bad))} (known: field, formats, required)")
    if timestamp and timestamp.get("required", True) is False and "field" not in timestamp:
        timestamp = {"required": False}
    elif timestamp:
        if not isinstance(timestamp.get("field"), str):
            chk.fail("timestamp.field", "is required (the group, column or JSON path holding the time)")
        formats = timestamp.get("formats")
        if not (isinstance(formats, list) and formats and all(isinstance(f, str) for f in formats)):
            chk.fail("timestamp.formats", f"must be a non-empty list ({', '.join(_KNOWN_TS_SPECS)} or strptime patterns)")
        else:
            for f in formats:
                if f not in _KNOWN_TS_SPECS and "%" not in f:
                    chk.fail("timestamp.formats", f"{f!r} is neither one of {', '.join(_KNOWN_TS_SPECS)} nor a strptime pattern")
            naive_dated = [f for f in formats if "%" in f and "%z" not in f and not TimestampFormat(f).yearless]
            if any(TimestampFormat(f).yearless for f in formats) and naive_dated:
                chk.fail("timestamp.formats", "cannot mix year-less formats with naive dated ones "
                                              f"({', '.join(naive_dated)}): the engine infers one year decision per file")
        if "required" in timestamp and not isinstance(timestamp["required"], bool):
            chk.fail("timestamp.required", "must be true or false")
    else:
        chk.fail("timestamp", "is required ([timestamp] with field and formats; set required = false for undated lines)")
    split = chk.typed(data, "split", dict) or {}
    for key, spec in split.items():
        if not (isinstance(spec, dict) and set(spec) <= {"pairs", "assign"}
                and all(isinstance(v, str) and v for v in spec.values())):
            chk.fail(f"split.{key}", "must be a table with 'pairs' (separator between pairs) and 'assign' (between key and value)")

    defaults = chk.typed(data, "defaults", dict) or {}
    for key, value in defaults.items():
        if not _FIELD_RE.match(key):
            chk.fail(f"defaults.{key}", "is not a field name")
        if isinstance(value, (dict, list)):
            chk.fail(f"defaults.{key}", "must be a string, number or boolean")

    rules: list[Rule] = []
    included_maps: dict[str, dict] = {}
    for i, include in enumerate(data.get("include_rules", []) if isinstance(data.get("include_rules", []), list) else [None], start=1):
        if not isinstance(include, str):
            chk.fail("include_rules", "must be a list of file names (relative to the definition)")
            continue
        inc_path = (base_dir or Path(".")) / include
        inc_data, inc_rules = _included_rules(inc_path, chk)
        for key, mapping in (inc_data.get("value_maps") or {}).items():
            if isinstance(mapping, dict):
                included_maps.setdefault(key, {}).update(mapping)
        unknown_inc = set(inc_data) - {"rules", "description", "value_maps"}
        if unknown_inc:
            chk.fail(f"include_rules[{i}]", f"{inc_path} may only hold [[rules]] (found {', '.join(sorted(unknown_inc))})")
        rules += inc_rules
    if "rules" in data:
        rules = _load_rules(data["rules"], chk, "rules") + rules

    value_maps = dict(chk.typed(data, "value_maps", dict) or {})
    for key, mapping in included_maps.items():
        value_maps[key] = {**mapping, **value_maps.get(key, {})}
    for key, mapping in value_maps.items():
        if not isinstance(mapping, dict):
            chk.fail(f"value_maps.{key}", "must be a table of raw value = canonical value")
    null_values = chk.typed(data, "null_values", list) or []
    if not all(isinstance(v, str) for v in null_values):
        chk.fail("null_values", "must be a list of strings")
    comment_prefix = chk.typed(data, "comment_prefix", str)
    auto_detect = chk.typed(data, "auto_detect", bool)
    integer_fields = chk.typed(data, "integer_fields", list) or []
    if not all(isinstance(v, str) and _FIELD_RE.match(v) for v in integer_fields):
        chk.fail("integer_fields", "must be a list of field names")
    ratio = chk.typed(data, "sniff_min_ratio", (float, int))
    if ratio is not None and not 0 < ratio <= 1:
        chk.fail("sniff_min_ratio", "must be between 0 and 1")

    samples: list[Sample] = []
    items = data.get("samples")
    if not isinstance(items, list) or not items:
        chk.fail("samples", "at least one [[samples]] entry (a line and its expected values) is required")
        items = []
    for i, item in enumerate(items, start=1):
        label = f"samples[{i}]"
        if not isinstance(item, dict):
            chk.fail(label, "must be a table")
            continue
        bad = set(item) - {"line", "expect", "reject", "comment"}
        if bad:
            chk.fail(label, f"unknown key(s) {', '.join(sorted(bad))} (known: line, expect, reject, comment)")
        line = chk.typed(item, "line", str, required=True, label=f"{label}.line")
        expect = chk.typed(item, "expect", dict, label=f"{label}.expect") or {}
        reject = chk.typed(item, "reject", bool, label=f"{label}.reject") or False
        if line is not None:
            samples.append(Sample(line=line, expect=expect, reject=reject, where=label))

    chk.raise_if_any()
    fmt = DefinitionFormat(
        name=name, description=description, source_kind=source_kind, default_tz=default_tz,
        kind=kind, path=where, variants=variants, csv_spec=csv_spec, jsonl_spec=jsonl_spec, sql_spec=sql_spec,
        fields=fields, timestamp=timestamp, defaults=defaults, rules=rules,
        value_maps={k: {str(a): b for a, b in v.items()} for k, v in value_maps.items()},
        null_values=null_values, comment_prefix=comment_prefix, samples=samples,
        sniff_min_ratio=float(ratio) if ratio is not None else 0.6,
        split={k: v for k, v in split.items() if isinstance(v, dict)},
        auto_detect=auto_detect is not False, integer_fields=integer_fields,
        regex_warnings=chk.warnings, unlinted=chk.unlinted,
    )
    fmt._shipped = shipped
    return fmt


def load_definition(path: str | Path) -> DefinitionFormat:
    """Load and validate a user's definition file.

    Args:
        path: a `.toml` definition file.

    Returns:
        The format, ready for `forensics ingest --format`.

    Raises:
        DefinitionError: the file is unreadable, not TOML, or breaks the schema
            (the message names the file and the key).
    """
    path = Path(path)
    if path.is_dir():
        raise DefinitionError(f"{path} is a directory; give a definition file (or use load_definitions_dir)")
    return parse_definition(_read_toml(path), str(path), path.parent)


def load_definitions_dir(directory: str | Path) -> list[DefinitionFormat]:
    """Every `*.toml` definition in a directory (files named `*.rules.toml` are rule sets)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DefinitionError(f"{directory} is not a directory of format definitions")
    return [load_definition(p) for p in sorted(directory.glob("*.toml")) if not p.name.endswith(".rules.toml")]


@lru_cache(maxsize=1)
def _builtin() -> tuple[DefinitionFormat, ...]:
    loaded = {d.name: d for d in load_definitions_dir(DEFINITIONS_DIR)}
    ordered = [loaded.pop(n) for n in BUILTIN_ORDER if n in loaded]
    return tuple(ordered + sorted(loaded.values(), key=lambda d: d.name))


def builtin_definitions() -> list[DefinitionFormat]:
    """Every shipped definition, in the order auto-detection should try them."""
    return list(_builtin())


# --------------------------------------------------------------------------
# Samples: the definition's own tests


def _compare(actual: Any, expected: Any) -> bool:
    if isinstance(expected, bool):
        return actual == expected or str(actual).lower() == str(expected).lower()
    if isinstance(expected, (int, float)):
        try:
            return float(actual) == float(expected)
        except (TypeError, ValueError):
            return False
    return actual is not None and str(actual) == str(expected)


def check_samples(fmt: DefinitionFormat) -> list[SampleResult]:
    """Run a format's samples; each result lists what differed."""
    results = []
    ctx = IngestContext(path=f"<samples of {fmt.name}>", tz=None, year=None, host=None, mtime_utc=None)
    for index, sample in enumerate(fmt.samples, start=1):
        problems: list[str] = []
        batch = fmt.parse([sample.line], [1], ctx)
        if sample.reject:
            if batch.rejects:
                reason = batch.rejects[0][1]
                if reason.startswith("the definition's pattern") and "took longer than" in reason:
                    problems.append(reason)   # rejected by the time budget, not by the pattern
                want = sample.expect.get("reason")
                if want and want not in reason:
                    problems.append(f"rejected with {reason!r}, expected a reason containing {want!r}")
            else:
                problems.append("parsed, but the sample says it must be rejected")
            results.append(SampleResult(fmt.name, index, sample.line, not problems, problems))
            continue
        if batch.rejects:
            problems.append(f"rejected: {batch.rejects[0][1]}")
            results.append(SampleResult(fmt.name, index, sample.line, False, problems))
            continue
        row = batch.events.iloc[0].to_dict()
        detail = json.loads(row["detail"]) if isinstance(row.get("detail"), str) else {}
        for key, expected in sample.expect.items():
            if key == "ts":
                actual = row.get("ts")
                want = _iso_ts(str(expected))
                if actual is None or actual != actual or want is None or want.tzinfo is None:
                    problems.append(f"ts: got {actual!s}, expected {expected} (an aware instant)")
                elif actual.to_pydatetime() != want:
                    problems.append(f"ts: got {actual.isoformat()}, expected {expected}")
                continue
            if key == "ts_local":
                actual = row.get("ts_local")
                if actual is None or actual != actual or actual.to_pydatetime().isoformat() != str(expected):
                    problems.append(f"ts_local: got {actual!s}, expected {expected}")
                continue
            if key.startswith("detail."):
                actual = detail.get(key[7:])
            else:
                actual = row.get(key)
                if actual is not None and actual != actual:  # pandas NA / NaT
                    actual = None
                if actual is not None and hasattr(actual, "item"):
                    actual = actual.item()
            if expected == "" and actual is None:
                continue
            if not _compare(actual, expected):
                problems.append(f"{key}: got {actual!r}, expected {expected!r}")
        results.append(SampleResult(fmt.name, index, sample.line, not problems, problems))
    if fmt.sql_plan is not None:
        # the compiled SELECT must give what the Python path gives, sample by sample
        from forensics.ingest.declarative_sql import differences

        found = differences(fmt, [r.line for r in results], by_line=True)
        for number, problem in found.items():
            result = results[number - 1]
            result.problems.append(f"the compiled SQL path differs from the Python path: {problem}")
            result.passed = False
    return results


def check_definition(path_or_format: str | Path | DefinitionFormat) -> list[SampleResult]:
    """Load (if given a path) a definition and run its sample lines.

    Args:
        path_or_format: a definition file or an already loaded format.

    Returns:
        One `SampleResult` per sample, in file order.

    Raises:
        DefinitionError: when the file itself is malformed.
    """
    fmt = path_or_format if isinstance(path_or_format, DefinitionFormat) else load_definition(path_or_format)
    return check_samples(fmt)


# --------------------------------------------------------------------------
# The catalogue shown by `forensics formats list`


@dataclass
class FormatInfo:
    name: str
    kind: str            # "built-in" (Python) or "definition (regex|csv|jsonl)"
    source_kind: str
    description: str
    origin: str          # module or definition file


def format_catalog() -> list[FormatInfo]:
    """Every format `forensics ingest` knows, in detection order.

    Uses the engine's registry (Python formats and definitions) when it is
    part of this build, else the shipped definitions alone.
    """
    try:
        from forensics.ingest import registry
    except ImportError:
        formats = builtin_definitions()
    else:
        formats = registry.all_formats()
    infos = []
    for fmt in formats:
        if isinstance(fmt, DefinitionFormat):
            kind, origin = f"definition ({fmt.kind})", Path(fmt.path).name
        else:
            kind, origin = "built-in", type(fmt).__module__
        infos.append(FormatInfo(fmt.name, kind, fmt.source_kind, fmt.description, origin))
    return infos
