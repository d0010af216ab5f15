"""Declarative definitions compiled to one DuckDB SELECT (issue 14, item 3).

`compile_definition(fmt)` turns a regex-kind `DefinitionFormat` into the
SELECT the engine runs for `SqlLineFormat`s: over a table `(line_no, line)`
it returns `line_no, reject_reason, ts, ts_local, ts_raw`, the canonical
columns and `raw`, row for row what the Python path (`DefinitionFormat.parse`,
kept as the fallback and as the oracle) gives.  How the semantics carry over:

* Patterns are translated to RE2, DuckDB's engine.  RE2 has no lookarounds,
  backreferences, conditionals or atomic groups: a line pattern with one makes
  the definition fall back to Python; a rule condition with one is answered
  by the Python `re` pattern itself (a UDF, on the rows that reach that rule
  only), so rule order is kept.  Possessive quantifiers (`*+`) are read as
  plain ones in shipped definitions (their loops cannot give characters back
  usefully; the oracle test checks every shipped sample), a user's definition
  with one falls back.  RE2 is linear-time: the per-line time budget of user
  patterns (`USER_REGEX_TIMEOUT_S`) has nothing to guard on this path.
* RE2's `\\d \\w \\s \\b` are ASCII, Python's are Unicode; RE2's `\\s` leaves out
  `\\v` and `\\x1c-\\x1f`.  Only lines of printable ASCII and tabs are parsed in
  SQL; every other line (rare in logs) is parsed by the Python path, one UDF
  call per such line, inside the same SELECT.
* DuckDB's `regexp_extract` gives '' for a group that took no part in the
  match, where Python gives None.  A group that cannot match the empty
  string reads '' as "absent"; a group that can, and that sits where it may
  not take part, sends a line where it came out '' to Python.
* Rules: first match wins, `continue = true` goes on with the changed record.
  Rules are evaluated in layers: each layer picks the first matching rule of
  a run that ends at a `continue` rule (a CASE over regexp_matches), then sets
  its values and captured groups.  Conditions shared by several rules of a
  run (`program = '^sshd...$'`) are evaluated once per line.
* Timestamps: each format's reader as in `DefinitionFormat._timestamp`
  (regex readers of strptime patterns, syslog, ISO 8601 in its common shape,
  epochs); a text whose answer SQL cannot give exactly (a strptime pattern
  the fast reader does not read, an unusual ISO 8601 shape) sends the line
  to Python.  Year-less and naive times come back as `ts_local`; the engine
  resolves them (the INSERT carries `ts_local` out of the SELECT:
  `engine._event_values`).
* Addresses: a canonical dotted quad is kept in SQL; anything else goes
  through `normalise_ip` (a UDF, on those rows only).
* `detail` is built as the same JSON text `_dumps` writes (sorted keys,
  `", "`/`": "` separators, integer fields as numbers).

Not compiled (the definition stays on the Python path, with the reason in
`DefinitionFormat.sql_fallback_reason`): CSV, JSON-lines and SQL-dump kinds
(forensics.ingest.declarative_sql_records compiles them), `[split]` of several
keys or with separators longer than one character, timestamp patterns without
a regex reader (`%I %p` beside patterns of another kind), lookarounds in
line patterns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
from typing import Any

import duckdb

from forensics.ingest.base import CANONICAL_COLUMNS, used_params

_INT_COLUMNS = ("port", "status", "bytes")
# Detail members a line stopped by early rules must leave out before it gets its own join
# (`CompiledDefinition._final`): fewer, and the second join's planning costs more than it saves.
_SHORT_DETAIL_MIN = 8
_CANONICAL = frozenset(CANONICAL_COLUMNS) - {"detail"}
# A line SQL parses: printable ASCII and tabs only (see the module doc).
_ODD_LINE = "[^\\x20-\\x7e\\t]"
# A typed (non-string) constant in a record field: this character, then its JSON.
_MARK = "\x01"
_PY_SPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"   # str.strip()'s ASCII white space
_IPV4 = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# DuckDB settings for a statement running a compiled SELECT.  Binding and
# optimising the `syslog` SELECT (some 50 CTE layers, each `SELECT *` over
# the one before) is most of its fixed cost per statement, and these
# optimizers spend it on column bookkeeping the layers do not need: without
# them DuckDB plans it in less CPU time (measured 2026-12-02 at load 7-8:
# 0.16-0.21 s against 0.26-0.35 s) and runs it no slower.  Common
# subexpression elimination stays on: without it `nagios` took 6.1 instead
# of 4.9 us per line.  Filter pushdown stays off for the reason the engine
# gives (`_FORMAT_SELECT_SETTINGS`).  Optimizers only choose how a statement
# runs, never what it returns (tests/test_declarative_sql.py compares every
# row with the Python path under these settings).
SELECT_SETTINGS = {"disabled_optimizers": "filter_pushdown,unused_columns,column_lifetime,"
                                          "projection_placement,projection_pullup"}


def names_read(fmt) -> set[str]:
    """Every record key a definition reads or writes by name: [fields] and their sources,
    defaults, value maps, integer fields, the time field, rule conditions, their
    captures and the values rules set."""
    names = set(fmt.fields) | {s for sources in fmt.fields.values() for s in sources} | set(fmt.defaults) \
        | set(fmt.value_maps) | set(fmt.integer_fields) | ({fmt.ts_field} if fmt.ts_field else set())
    for rule in fmt.rules:
        names |= set(rule.match) | set(rule.set)
        for pattern in rule.match.values():
            names |= set(pattern.groupindex)
    return names


class NotCompilable(Exception):
    """A definition (or a pattern) the compiler leaves to the Python path."""


_TS_PARTS = {"Y": "yr4", "y": "yr2", "m": "mon", "b": "mname", "d": "day", "H": "hour", "M": "minute",
             "S": "sec", "f": "frac", "z": "zone"}


def _ts_names(compiled: re.Pattern, reader: "Re2Pattern") -> str:
    """SQL list naming a strptime reader's captures (case-distinct names: DuckDB's struct names ignore case)."""
    by_index = {f"c{i}": _TS_PARTS[name] for name, i in compiled.groupindex.items()}
    return "[" + ", ".join(f"'{by_index.get(f, f)}'" for f in reader.fields) + "]"


# --------------------------------------------------------------------------
# Values


class _Params:
    """Named parameters of the SELECT (every text of the definition is bound, none pasted)."""

    def __init__(self):
        self.values: dict[str, Any] = {}
        self._by_value: dict[tuple, str] = {}

    def __call__(self, value: Any) -> str:
        key = (type(value).__name__, tuple(value) if isinstance(value, list) else value)
        name = self._by_value.get(key)
        if name is None:
            name = f"p{len(self.values)}"
            self.values[name] = value
            self._by_value[key] = name
        return "$" + name


def _is_plain_text(text: str) -> bool:
    return all(ch == "\t" or ord(ch) >= 0x20 for ch in text)


class _Field:
    """A record field's SQL expression (VARCHAR) and the typed constants it may hold."""

    __slots__ = ("expr", "consts")

    def __init__(self, expr: str, consts: frozenset = frozenset()):
        self.expr, self.consts = expr, consts


def _mark(value: Any) -> str:
    return _MARK + json.dumps(value, ensure_ascii=False)


def _py_str(value: Any) -> str:
    return str(value)


# --------------------------------------------------------------------------
# The compiler


class CompiledDefinition:
    """The SELECT of one definition, and the hooks the engine calls."""

    def __init__(self, fmt, key: str):
        self.fmt = fmt
        self.key = key
        self.p = _Params()
        self.py_patterns: list[re.Pattern] = []   # rule conditions answered by Python `re`
        self._n = 0
        self.layers: list[str] = []
        # (column: the rules stopped the line before a later run, the record keys there are then)
        self.early: tuple[str, frozenset] | None = None
        # keep_unmapped JSON lines (declarative_sql_records): SQL of the unread keys' `"name": value`
        # members, and the JSON keys read by name
        self.unmapped: str | None = None
        # jsonl `multiline`: the SELECT answers each line alone, which is the Python path's
        # answer for a file in which no line that did not parse holds `{` (the engine checks)
        self.records_span_lines = False
        self.unmapped_known: list[str] = []
        self._build()

    # -- small helpers --------------------------------------------------
    def _tmp(self, prefix: str) -> str:
        self._n += 1
        return f"_{prefix}{self._n}"

    def _lit(self, value: Any) -> _Field:
        if isinstance(value, str):
            if not _is_plain_text(value):
                raise NotCompilable("a control character in a constant")
            return _Field(self.p(value))
        if isinstance(value, float) and value != value:
            raise NotCompilable("NaN constant")
        return _Field(self.p(_mark(value)), frozenset([(type(value).__name__, value)]))

    def _pystr(self, f: _Field) -> str:
        """SQL: str(value) as Python sees it (a typed constant's str())."""
        if not f.consts:
            return f.expr
        whens = " ".join(f"WHEN {self.p(_mark(v))} THEN {self.p(_py_str(v))}" for _, v in f.consts)
        return f"(CASE {f.expr} {whens} ELSE {f.expr} END)"

    def _canonical_text(self, f: _Field) -> str:
        """SQL: a canonical column's text (`_row`: bool -> 'true'/'false', other non-str -> str())."""
        if not f.consts:
            return f.expr
        whens = " ".join(f"WHEN {self.p(_mark(v))} THEN {self.p(str(v).lower() if isinstance(v, bool) else str(v))}"
                         for _, v in f.consts)
        return f"(CASE {f.expr} {whens} ELSE {f.expr} END)"

    def _regex(self, compiled: re.Pattern, anchored: bool) -> "Re2Pattern":
        return Re2Pattern(compiled, allow_possessive=getattr(self.fmt, "_shipped", False), anchored=anchored)

    # -- the layers -----------------------------------------------------
    def _layer(self, exprs: dict[str, str], source: str) -> str:
        """A CTE adding columns to `source` (every earlier column kept: `SELECT *`)."""
        name = f"l{len(self.layers)}"
        cols = ", ".join(f"{e} AS {c}" for c, e in exprs.items())
        self.layers.append(f"{name} AS (SELECT *, {cols} FROM {source})" if cols else
                           f"{name} AS (SELECT * FROM {source})")
        return name

    def _settle(self, state: dict[str, _Field], extra: dict[str, str], source: str, limit: int = 60):
        """A layer with `extra` and the state's long expressions as columns (short ones stay inline).

        An inline expression is copied into every later one that reads the
        field: past a few dozen characters a column is cheaper to plan (the
        `syslog` SELECT: 39 kB of SQL with 60 here, 57 kB with 240) and is
        computed once per line."""
        exprs = dict(extra)
        new_state = {}
        for key, f in state.items():
            if len(f.expr) > limit:
                col = self._tmp("f")
                exprs[col] = f.expr
                new_state[key] = _Field(col, f.consts)
            else:
                new_state[key] = f
        if not exprs:
            return source, new_state
        return self._layer(exprs, source), new_state

    def _build(self) -> None:
        src, state = self._raw_fields()
        self._compile_record(src, state)

    def _classic_cut(self, i: int, extract: str, src: str) -> tuple[str, str]:
        """(layer, SQL) of the `program` header cut (`_CLASSIC_PROGRAM` without its message) where
        a line is in the classic layout `Mmm dd hh:mm:ss HOST PROG[PID]: MSG`: cut at its first
        space after the time, its first `[` and its first `]` instead of by the pattern (RE2 with
        captures walks the header at about 1.5 us a line; the shape test is a DFA pass).

        The struct is the one `regexp_extract` gives there: in that shape the pattern's lazy host
        cannot be left out (PROG is followed by `[`, not by `:` or ` <level>:`), host, program
        and pid are whole tokens (their classes hold no blank, `[`, `]` or `:`), and the blanks
        after the colon belong to the match; a message starting with `[` (Solaris's `[ID ...]`)
        is left to the pattern.  The oracle tests and the shape fuzz compare both."""
        ok, h, b, e, n = f"_hk{i}", f"_hh{i}", f"_hb{i}", f"_he{i}", f"_hm{i}"
        src = self._layer({ok: f"regexp_matches(line, {self.p(_CLASSIC_SHAPE)})"}, src)
        src = self._layer({h: f"CASE WHEN {ok} THEN 16 + strpos(substr(line, 17), ' ') END",
                           b: f"CASE WHEN {ok} THEN strpos(line, '[') END",
                           e: f"CASE WHEN {ok} THEN strpos(line, ']') END",
                           # the match's length: up to the message (the blanks after the colon in it)
                           n: f"CASE WHEN {ok} THEN length(line) - length(ltrim(substr(line, strpos(line, ']') + 2), ' ')) END"},
                          src)
        # w1: the witness of the message group (the blanks, and a Solaris id that this shape has not)
        struct = (f"struct_pack(m := substr(line, 1, {n}), "
                  f"c1 := substr(line, 1, 15), c2 := substr(line, 17, {h} - 17), "
                  f"c3 := substr(line, {h} + 1, {b} - {h} - 1), c4 := substr(line, {b} + 1, {e} - {b} - 1), "
                  f"c5 := '', w1 := substr(line, {e} + 2, {n} - {e} - 1), c6 := '', c7 := '', c8 := '')")
        return src, f"CASE WHEN {ok} THEN {struct} ELSE {extract} END"

    def _check_compilable(self, kind: str) -> None:
        """Raise NotCompilable for what only the Python path answers exactly (a
        definition of another kind, `[split]`, nested loops, a strptime pattern
        without a regex reader)."""
        fmt = self.fmt
        if fmt.kind != kind:
            raise NotCompilable(f"{fmt.kind} definitions are parsed in Python")
        if fmt.split and kind != "regex":
            raise NotCompilable("[split] is parsed in Python")
        if fmt.split:
            self._check_split()
        if fmt.regex_warnings:
            # `formats check` refuses them; in Python they keep the per-line time budget and its
            # reject reason (RE2 would decide such a line in linear time, and the paths would differ)
            raise NotCompilable("a pattern nests one loop in another: parsed in Python, with its time budget")
        ampm = [tf.spec for tf in fmt.ts_formats if _ampm_reader(tf.spec) is not None]
        if ampm and len(ampm) != len(fmt.ts_formats):
            # strptime reads them after every other format's fast reader: kept simple, not mixed
            raise NotCompilable(f"timestamp pattern {ampm[0]!r} beside patterns of another kind")
        for tf in fmt.ts_formats:
            if "%" in tf.spec and not tf.spec.startswith("epoch") and tf.spec not in ampm:
                from forensics.ingest.declarative import _fast_strptime
                if _fast_strptime(tf.spec) is None:
                    raise NotCompilable(f"timestamp pattern {tf.spec!r} has no regex reader")

    def _cut_variant(self, compiled: re.Pattern, rx: "Re2Pattern"):
        """(Re2Pattern with its tail groups cut, RE2 text with the whole-match capture `m`) of a line
        pattern, or None when it has no tail group to cut (or the cut text differs otherwise)."""
        try:
            cut = Re2Pattern(compiled, allow_possessive=rx.allow_possessive, anchored=True, cut_tail=True)
        except NotCompilable:
            return None
        if not cut.cut or cut.fields != rx.fields:
            return None
        whole = _whole_match(compiled, cut)
        return None if whole is None else (cut, whole[0])

    def _raw_fields(self):
        """The layers cutting a line into its raw fields: (last layer, {field: SQL})
        (a subclass cuts CSV lines: forensics.ingest.declarative_sql_records)."""
        fmt = self.fmt
        self._check_compilable("regex")
        p = self.p
        # layer 0: which variant, odd lines, comments
        variants = []
        for vname, compiled in fmt.variants:
            if not isinstance(compiled, re.Pattern):
                # a user's pattern compiled with `regex` for its time budget: its re twin
                compiled = re.compile(compiled.pattern)
            variants.append((vname, compiled, self._regex(compiled, anchored=True)))
        whole = [_whole_match(compiled, rx) for _, compiled, rx in variants]
        cuts = [self._cut_variant(compiled, rx) for _, compiled, rx in variants]
        l0 = {"_odd": f"regexp_matches(line, {p(_ODD_LINE)})"}
        if not all(whole):
            pick = " ".join(f"WHEN regexp_matches(line, {p(rx.text)}) THEN {i}" for i, (_, _, rx) in enumerate(variants, 1))
            l0["_v"] = f"CASE {pick} END"
        if fmt.comment_prefix:
            l0["_comment"] = f"starts_with(line, {p(fmt.comment_prefix)})"
        else:
            l0["_comment"] = "false"
        self.layers.append("l0 AS (SELECT line_no, line, " + ", ".join(f"{e} AS {c}" for c, e in l0.items())
                           + " FROM __TABLE__)")
        src = "l0"
        if all(whole):
            # Each variant's pattern applied once: its extraction, with a capture `m` of the
            # whole match (never empty), says whether it matched; a variant is tried only
            # where the ones before it did not match (Python's order).
            for i, (text, names) in enumerate(whole, 1):
                extract = f"regexp_extract(line, {p(text)}, {names})"
                cut = cuts[i - 1]
                if cut is not None:
                    # the pattern without its tail `(?P<message>.*)$` (RE2 walks the header only);
                    # the whole pattern where that match is not known to be the same (see Re2Pattern._tail_groups)
                    cut_rx, cut_text = cut
                    first = f"regexp_extract(line, {p(cut_text)}, {names})"
                    c = f"_c{i}"
                    if variants[i - 1][1].pattern == _CLASSIC_PROGRAM and names == _CLASSIC_NAMES:
                        src, first = self._classic_cut(i, first, src)
                    src = self._layer({c: first if i == 1 else f"CASE WHEN _s{i - 1}.m = '' THEN {first} END"}, src)
                    took = " OR ".join(f"({cut_rx.participated_sql(c, g)})" for g in cut_rx.cut.values())
                    extract = (f"CASE WHEN {c} IS NULL THEN NULL WHEN {c}.m = '' OR length({c}.m) = length(line) "
                               f"OR {took} THEN {c} ELSE {extract} END")
                    src = self._layer({f"_s{i}": extract}, src)
                    continue
                src = self._layer({f"_s{i}": extract if i == 1 else f"CASE WHEN _s{i - 1}.m = '' THEN {extract} END"},
                                  src)
            pick = " ".join(f"WHEN _s{i}.m <> '' THEN {i}" for i in range(1, len(whole) + 1))
            src = self._layer({"_v": f"CASE {pick} END"}, src)
        else:
            l1 = {}
            for i, (_, compiled, rx) in enumerate(variants, 1):
                l1[f"_s{i}"] = f"CASE WHEN _v = {i} THEN regexp_extract(line, {p(rx.text)}, {rx.names_sql()}) END"
            src = self._layer(l1, src)
        # raw fields
        all_groups: list[str] = []
        for _, compiled, _ in variants:
            all_groups += [g for g in compiled.groupindex if g not in all_groups]
        state: dict[str, _Field] = {}
        amb_terms: list[str] = []
        nulls = sorted(fmt.null_values)
        for g in all_groups:
            whens, amb = [], []
            for i, (_, compiled, rx) in enumerate(variants, 1):
                if g not in compiled.groupindex:
                    continue
                cut = cuts[i - 1] if all(whole) else None
                if cut is not None:
                    v, ambiguous = cut[0].value_sql(f"_s{i}", g, rest=f"substr(line, length(_s{i}.m) + 1)")
                else:
                    v, ambiguous = rx.value_sql(f"_s{i}", g)
                whens.append(f"WHEN _v = {i} THEN {v}")
                if ambiguous:
                    amb.append(f"(_v = {i} AND {v} = '')")
            expr = self._null_values(f"(CASE {' '.join(whens)} END)", nulls)
            state[g] = _Field(expr)
            amb_terms += amb
        if len(variants) > 1:
            if "variant" in state:
                raise NotCompilable("a group named 'variant' beside several variants")
            names = " ".join(f"WHEN _v = {i} THEN {p(v[0])}" for i, v in enumerate(variants, 1))
            vexpr = f"(CASE {names} END)"
            if "variant" in state:
                vexpr = f"coalesce({state['variant'].expr}, {vexpr})"
            vexpr = self._null_values(vexpr, nulls)   # setdefault happens before null_values are dropped
            state["variant"] = _Field(vexpr)
        amb_expr = " OR ".join(amb_terms) if amb_terms else "false"
        self.amb_terms = [f"coalesce({amb_expr}, false)"]
        return self._settle(state, {}, src)

    def _compile_record(self, src, state) -> None:
        """From raw fields to the final SELECT: [fields], defaults, rules, value maps, the row."""
        fmt, p = self.fmt, self.p
        # fields, defaults
        for target, sources in fmt.fields.items():
            expr_parts, consts = [], frozenset()
            for s in sources:
                f = state.get(s)
                if f is None:
                    continue
                consts |= f.consts
                expr_parts.append(f"WHEN {f.expr} IS NOT NULL AND {f.expr} <> '' THEN {f.expr}")
            if not expr_parts:
                continue
            old = state.get(target)
            tail = f" ELSE {old.expr}" if old is not None else ""
            state[target] = _Field(f"(CASE {' '.join(expr_parts)}{tail} END)",
                                   consts | (old.consts if old else frozenset()))
        if fmt.split:
            src, state = self._split(state, src)
        for key, value in fmt.defaults.items():
            lit = self._lit(value)
            old = state.get(key)
            state[key] = lit if old is None else _Field(f"coalesce({old.expr}, {lit.expr})", old.consts | lit.consts)
        src, state = self._settle(state, {}, src)
        # rules
        if fmt.rules:
            src, state = self._rules(fmt.rules, state, src)
        # value maps
        for key, mapping in fmt.value_maps.items():
            f = state.get(key)
            if f is None:
                continue
            consts = set(f.consts)
            whens = []
            for raw, value in mapping.items():
                lit = self._lit(value)
                consts |= lit.consts
                whens.append(f"WHEN {p(raw)} THEN {lit.expr}")
            # typed constants already in the field: their str() is what the map is asked
            for _, v in f.consts:
                if str(v) in mapping:
                    lit = self._lit(mapping[str(v)])
                    whens.insert(0, f"WHEN {p(_mark(v))} THEN {lit.expr}")
            state[key] = _Field(f"(CASE {f.expr} {' '.join(whens)} ELSE {f.expr} END)", frozenset(consts))
        self._final(state, src)

    def _check_split(self) -> None:
        """`[split]` in SQL: one key, one-character separators (`_split`)."""
        fmt = self.fmt
        if len(fmt.split) != 1:
            raise NotCompilable("[split] of several keys is parsed in Python")
        (key, spec), = fmt.split.items()
        pairs, assign = spec.get("pairs", ","), spec.get("assign", "=")
        if len(pairs) != 1 or len(assign) != 1 or pairs == assign or not (pairs + assign).isascii() \
                or not (pairs + assign).isprintable() or (pairs + assign).isalnum() or "_" in pairs + assign:
            raise NotCompilable("[split] with separators other than one punctuation character each is parsed in Python")

    def _split(self, state, src):
        """`[split]` (`DefinitionFormat._split_pairs`): `a=1,b=2` into fields a and b.

        A line is cut here where every piece with `=` names a field `[A-Za-z_][A-Za-z0-9_]*` (no
        blank to strip), the names (a canonical column's as `<key>_<name>`) are distinct and
        none is a key the record may already hold (a group, a [fields] target, the split key):
        then `setdefault` sets each, in any order.  Every other line (a name with a dot, a blank
        or a digit first, a name twice, a name the record holds) is answered by Python.  The
        names some part of the definition reads (rules, value maps, ...) become fields; the
        others go to `detail` only, merged in key order (`unmapped`, as keep_unmapped JSON keys)."""
        fmt, p = self.fmt, self.p
        from forensics.ingest.declarative import _CANONICAL
        (key, spec), = fmt.split.items()
        pairs, assign = spec.get("pairs", ","), spec.get("assign", "=")
        f = state.get(key)
        if f is None:
            return src, state
        if f.consts:
            raise NotCompilable("[split] of a key that may hold a typed constant is parsed in Python")
        held = set(state) | {key} | ({"variant"} if len(fmt.variants) > 1 else set())
        read = names_read(fmt)
        prefixed_set = _CANONICAL | {"detail"}
        known = sorted(n for n in read - held - prefixed_set if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n))
        src, state = self._settle(state, {}, src, limit=0)
        v = state[key].expr
        name = "[A-Za-z_][A-Za-z0-9_]*"
        piece = f"(?:[^{re.escape(pairs + assign)}]*|{name}{re.escape(assign)}[^{re.escape(pairs)}]*)"
        whole = f"{piece}(?:{re.escape(pairs)}{piece})*"
        a = p(assign)
        cut = {
            "_sx": f"CASE WHEN {v} IS NOT NULL THEN string_split({v}, {p(pairs)}) END",
            "_sok": f"coalesce(regexp_full_match({v}, {p(whole)}), true)",
        }
        src = self._layer(cut, src)
        fname = (f"CASE WHEN list_contains({p(sorted(prefixed_set))}::VARCHAR[], split_part(x, {a}, 1)) "
                 f"THEN {p(key + '_')} || split_part(x, {a}, 1) ELSE split_part(x, {a}, 1) END")
        pairs_sql = (f"list_transform(list_filter(_sx, lambda x: contains(x, {a})), "
                     f"lambda x: [{fname}, substr(x, strpos(x, {a}) + 1)])")
        src = self._layer({"_sp": pairs_sql}, src)
        names = "list_transform(_sp, lambda e: e[1])"
        self.amb_terms.append(f"coalesce(NOT _sok OR len(list_distinct({names})) <> len(_sp) "
                              f"OR list_has_any({names}, {p(sorted(held))}::VARCHAR[]), false)")
        rest = f"list_filter(_sx, lambda x: NOT contains(x, {a}))"
        cols = {"_u": f"list_filter(_sp, lambda e: NOT list_contains({p(known or [''])}::VARCHAR[], e[1]))",
                "_srest": f"CASE WHEN len({rest}) > 0 THEN array_to_string({rest}, {p(pairs)}) END"}
        for n in known:
            cols[f"_sk_{n}"] = f"list_filter(_sp, lambda e: e[1] = {p(n)})[1][2]"
        src = self._layer(cols, src)
        state = dict(state)
        state[key] = _Field("_srest")
        for n in known:
            state[n] = _Field(f"_sk_{n}")
        self.unmapped_known = known
        self.unmapped = "list_transform(_u, lambda e: '\"' || e[1] || '\": ' || to_json(e[2])::VARCHAR)"
        return src, state

    def _null_values(self, expr: str, nulls: list) -> str:
        """SQL: `expr`, NULL where it is one of the definition's null values."""
        if not nulls:
            return expr
        if len(nulls) == 1:
            return f"nullif({expr}, {self.p(nulls[0])})"
        return f"(CASE WHEN {expr} IN ({', '.join(self.p(x) for x in nulls)}) THEN NULL ELSE {expr} END)"

    def _rules(self, rules, state, src):
        """The rules, one run (ending at a `continue` rule) per pair of layers: pick, then extract."""
        p = self.p
        runs: list[list] = [[]]
        for rule in rules:
            runs[-1].append(rule)
            if rule.cont:
                runs.append([])
        if not runs[-1]:
            runs.pop()
        done = "false"      # SQL: a rule that does not continue has matched
        for r, run in enumerate(runs):
            conds_sql: list[list[tuple] | None] = []
            for rule in run:
                conds = []
                for name, pattern in rule.match.items():
                    f = state.get(name)
                    if f is None:
                        conds = None   # a field no line has: the rule never matches
                        break
                    test, extract = self._condition(f, pattern)
                    conds.append((name, pattern, test, extract))
                conds_sql.append(conds)
            # consecutive rules with the same first condition share it (asked once per line)
            blocks: list[tuple[str | None, list[tuple[int, str]]]] = []
            for k, (rule, conds) in enumerate(zip(run, conds_sql), 1):
                if conds is None:
                    continue
                if not conds:
                    blocks.append((None, [(k, "true")]))
                    continue
                gate = conds[0][2]
                rest = " AND ".join(c[2] for c in conds[1:]) or "true"
                if blocks and blocks[-1][0] == gate:
                    blocks[-1][1].append((k, rest))
                else:
                    blocks.append((gate, [(k, rest)]))
            parts = []
            for gate, items in blocks:
                inner = " ".join(f"WHEN {t} THEN {k}" for k, t in items)
                parts.append(f"CASE WHEN {gate} THEN CASE {inner} END END" if gate is not None else f"CASE {inner} END")
            pick_col, done_col = f"_pick{r}", f"_done{r}"
            if parts:
                picked = parts[0] if len(parts) == 1 else f"coalesce({', '.join(parts)})"
                pick = f"CASE WHEN {done} THEN NULL ELSE {picked} END"
            else:
                pick = "NULL::INTEGER"
            src = self._layer({done_col: done, pick_col: pick}, src)
            if self.early is None and done != "false":
                # the lines the rules before this run stopped keep the keys they have now:
                # a key this run or a later one adds stays NULL on them (`_final`'s short detail)
                self.early = (done_col, frozenset(state))
            done = done_col
            # the picked rule's groups
            extracts: dict[str, str] = {}
            group_values: dict[str, list[tuple[int, str]]] = {}
            for k, conds in enumerate(conds_sql, 1):
                if conds is None:
                    continue
                for name, pattern, test, extract in conds:
                    if not pattern.groupindex:
                        continue
                    col = self._tmp("x")
                    if extract is None:   # answered by Python: a JSON object of the groups
                        idx = self.py_patterns.index(pattern)
                        extracts[col] = (f"CASE WHEN {pick_col} = {k} THEN forensics_decl_search({p(self.key)}, {idx}, "
                                         f"{self._pystr(state[name])}) END")
                        for g in pattern.groupindex:
                            group_values.setdefault(g, []).append(
                                (k, f"json_extract_string({col}, {p('$.' + g)})"))
                        continue
                    rx, extract_sql = extract
                    extracts[col] = f"CASE WHEN {pick_col} = {k} THEN {extract_sql} END"
                    for g in pattern.groupindex:
                        v, ambiguous = rx.value_sql(col, g)
                        group_values.setdefault(g, []).append((k, v))
                        if ambiguous:
                            self.amb_terms.append(f"coalesce({pick_col} = {k} AND {v} = '', false)")
            if extracts:
                src = self._layer(extracts, src)
            # apply: set values, then the groups that took part, per picked rule
            touched: dict[str, list[tuple[int, str, frozenset]]] = {}
            for k, (rule, conds) in enumerate(zip(run, conds_sql), 1):
                if conds is None:
                    continue
                values: dict[str, _Field] = {}
                for key, value in rule.set.items():
                    values[key] = self._lit(value)
                for g, items in group_values.items():
                    for kk, expr in items:
                        if kk != k:
                            continue
                        prev = values.get(g) or state.get(g)
                        prev_expr = prev.expr if prev is not None else "NULL"
                        prev_consts = prev.consts if prev is not None else frozenset()
                        values[g] = _Field(f"coalesce({expr}, {prev_expr})", prev_consts)
                for key, f in values.items():
                    touched.setdefault(key, []).append((k, f.expr, f.consts))
            for key, items in touched.items():
                old = state.get(key)
                consts = frozenset().union(*(c for _, _, c in items)) | (old.consts if old else frozenset())
                # the rules giving the same value share one test (a line's pick meets one
                # WHEN, not one per rule: `source_kind = "ssh"` of all 23 sshd rules)
                by_value: dict[str, list[int]] = {}
                for k, e, _ in items:
                    by_value.setdefault(e, []).append(k)
                whens = " ".join(f"WHEN {_one_of(pick_col, ks)} THEN {e}" for e, ks in by_value.items())
                state[key] = _Field(f"(CASE {whens} ELSE {old.expr if old else 'NULL::VARCHAR'} END)", consts)
            stop = [k for k, rule in enumerate(run, 1) if not rule.cont]
            if stop:
                done = f"({done} OR coalesce({_one_of(pick_col, stop)}, false))"
            src, state = self._settle(state, {}, src)
        return src, state

    def _condition(self, f: _Field, pattern) -> tuple[str, str | None]:
        """(SQL test, SQL extraction of the named groups or None when Python answers)."""
        p = self.p
        text = self._pystr(f)
        compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(pattern.pattern)
        if compiled.pattern == "":
            return f"({text} IS NOT NULL)", None if compiled.groupindex else "NULL"
        try:
            rx = self._regex(compiled, anchored=False)
        except NotCompilable:
            test = self._negative_lookaheads(compiled, text)
            if test is not None:
                return test, "NULL"
            if compiled not in self.py_patterns:
                self.py_patterns.append(compiled)
            idx = self.py_patterns.index(compiled)
            return f"(forensics_decl_search({p(self.key)}, {idx}, {text}) IS NOT NULL)", None
        extract = (rx, f"regexp_extract({text}, {p(rx.text)}, {rx.names_sql()})") if compiled.groupindex else "NULL"
        test = f"regexp_matches({text}, {p(rx.text)})"
        # the Python path's prefilters, as cheap string tests before the regex
        from forensics.ingest.declarative import _literal_prefix, _required_literal

        prefix = _literal_prefix(compiled)
        needed, folded = _required_literal(compiled)
        if prefix:
            test = f"(starts_with({text}, {p(prefix)}) AND {test})"
        elif needed and not folded:
            test = f"(({' OR '.join(f'contains({text}, {p(t)})' for t in needed)}) AND {test})"
        return test, extract

    def _negative_lookaheads(self, compiled: re.Pattern, text: str) -> str | None:
        """SQL test of a condition `^(?!A)(?!B)...R` without groups, or None for any other pattern.

        Anchored at the start (no MULTILINE), `search` finds it exactly where A, B, ... do
        not match at the start and R does: three RE2 tests, not a Python call a line
        (proxmox.rules' `task_status = '^(?!OK$)(?!WARNINGS: \\d+$).+'` asked every task line)."""
        m = _LEADING_NOT.fullmatch(compiled.pattern)
        if m is None or not m.group(2) or compiled.groupindex or compiled.flags & re.MULTILINE:
            return None   # (lookaheads alone stay with Python `re`: its route keeps a user of its own)
        flags = compiled.flags & ~re.UNICODE
        try:
            nots = [re.compile("^(?:" + body + ")", flags) for body in _NOT_BODY.findall(m.group(1))]
            rest = re.compile("^(?:" + m.group(2) + ")", flags)
            if rest.groupindex or rest.groups or any(n.groups for n in nots):
                return None
            parts = [f"NOT regexp_matches({text}, {self.p(self._regex(n, anchored=False).text)})" for n in nots]
            parts.append(f"regexp_matches({text}, {self.p(self._regex(rest, anchored=False).text)})")
        except (NotCompilable, re.error):
            return None
        return "(" + " AND ".join(parts) + ")"

    # -- timestamps -------------------------------------------------------
    def ts_sql(self, text: str) -> tuple[dict[str, str], dict[str, str], dict[str, str], dict[str, str], str, str, str]:
        """SQL over a timestamp text column.

        Returns (columns to compute first, from `text`: the fixed-shape tests
        of the common layouts; columns to compute next: the readers'
        extractions; then each reader's parts, NULL where
        its pattern did not match; then columns over those; then the aware
        value, the naive value and the flag "Python must read this text",
        over all of them).  A reader's pattern is applied once, by
        `regexp_extract`, and a group that is never empty in a match tells
        whether it matched (where a `regexp_matches` before the extraction
        cost a second pass over the text).  Python's order: the first format whose reader
        gives a value; a format whose answer SQL cannot give exactly, met
        before any value, sends the text to Python, and so does a strptime
        pattern whose regex reader could not decide when no format gave one.
        """
        from forensics.ingest.declarative import _FAST_DIRECTIVES, PLACEHOLDER_YEAR

        p = self.p
        first: dict[str, str] = {}
        pre: dict[str, str] = {}
        mid: dict[str, str] = {}

        def extracted(over: str, pattern: str, names: str, witness: str, skip: str | None = None,
                      fixed: tuple[str, str] | None = None) -> str:
            """A column of the parts of `pattern` (anchored at both ends) in `over`, NULL where it did not
            match (and where `skip`: a text the caller reads without the pattern).  `fixed`: (SQL
            test of a fixed layout, SQL struct of the same parts cut by position) where the pattern
            need not run."""
            raw, g = self._tmp("tr"), self._tmp("t")
            extract = f"regexp_extract({over}, {p(pattern)}, {names})"
            if fixed is not None:
                extract = f"CASE WHEN {fast_column(fixed[0])} THEN {fixed[1]} ELSE {extract} END"
            pre[raw] = extract if skip is None else f"CASE WHEN {skip} THEN NULL ELSE {extract} END"
            mid[g] = f"CASE WHEN {raw}.{witness} <> '' THEN {raw} END"
            return g

        def fast_column(test: str) -> str:
            """A first column: `text` is in a fixed layout a reader takes without its pattern."""
            col = self._tmp("tf")
            first[col] = test
            fast_cols.append(col)
            return col

        fast_cols: list[str] = []
        earlier_fixed: list[str] = []   # fixed-layout tests of the strptime patterns so far
        odd_step: list = [f"regexp_matches({text}, {p(_ODD_LINE)})", None, None]
        steps = [odd_step]
        slow_terms = []
        for tf in self.fmt.ts_formats:
            spec = tf.spec
            t = f"trim({text}, {p(_PY_SPACE)})"
            if spec == "iso8601":
                shape = (r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])"
                         r"(\.[0-9]{1,6})?(Z|z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?")
                # The common layouts (GLOB-tested, no white space around) are read by
                # DuckDB's cast: the same instant (offset applied) or wall-clock time;
                # other texts by the pattern and its parts.
                test, zoned, zoneless, never = _iso_fast(text)
                fc = fast_column(test)
                # `day` (the date) is never empty in a match
                g = extracted(t, '^' + shape + '$', "['day', 'hour', 'minute', 'sec', 'frac', 'zone']", "day",
                              skip=f"{fc} OR {never}")
                zone = f"{g}.zone"
                # the text without its zone (what `fromisoformat` reads): the matched parts again
                # (year 0 is no date to Python: DuckDB would read it as 1 BC)
                local = (f"CASE WHEN {g}.day >= '0001' THEN TRY_CAST({g}.day || ' ' || {g}.hour || ':' || {g}.minute "
                         f"|| ':' || {g}.sec || {g}.frac AS TIMESTAMP) END")
                # regexp_matches(t, '^[0-9]') (a byte comparison: a non-ASCII first character is no digit)
                unknown = f"CASE WHEN {fc} OR {never} OR {g} IS NOT NULL THEN false ELSE substr({t}, 1, 1) BETWEEN '0' AND '9' END"
                aware = (f"CASE WHEN {fc} THEN CASE WHEN {zoned} THEN TRY_CAST({text} AS TIMESTAMPTZ) END "
                         f"WHEN {g} IS NOT NULL AND {zone} <> '' THEN timezone('UTC', {local} - "
                         f"CASE WHEN {zone} IN ('Z', 'z') THEN INTERVAL 0 MINUTE ELSE "
                         f"(CASE WHEN starts_with({zone}, '-') THEN -1 ELSE 1 END) * "
                         f"(TRY_CAST(substr({zone}, 2, 2) AS INTEGER) * 60 + TRY_CAST(substr({zone}, 5, 2) AS INTEGER)) "
                         f"* INTERVAL 1 MINUTE END) END")
                naive = (f"CASE WHEN {fc} THEN CASE WHEN {zoneless} THEN TRY_CAST({text} AS TIMESTAMP) END "
                         f"WHEN {g} IS NOT NULL AND {zone} = '' THEN {local} END")
                steps.append((unknown, aware, None))
                steps.append(("false", None, naive))
            elif spec == "syslog":
                rx = r"^([A-Z][a-z]{2})\s+([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?$"
                # `Mmm dd hh:mm:ss` (GLOB-tested) read by strptime in the placeholder year, others by the pattern
                test, never = _syslog_fast(text)
                fc = fast_column(test)
                g = extracted(text, rx, "['mname', 'day', 'hour', 'minute', 'sec', 'frac']", "mname",
                              skip=f"{fc} OR {never}")
                naive = (f"CASE WHEN {fc} THEN try_strptime('2000 ' || {text}, '%Y %b %d %H:%M:%S') "
                         f"ELSE {self._ymd_sql(g, year='2000', month_name=True, exact_month=True)} END")
                steps.append(("false", None, naive))
            elif spec in ("epoch", "epoch_s", "epoch_ms", "epoch_us"):
                divisor = {"epoch": 1, "epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}[spec]
                # the text itself where it is digits alone: trim() with a set of characters costs
                # about 0.45 us a line, a DFA pass 0.1
                # up to 11 digits of seconds (year 5138: inside Python's datetime range), as ms or us
                width = {1: 11, 1_000: 14, 1_000_000: 17}[divisor]
                t = f"CASE WHEN {self._digits(text, width)} THEN {text} ELSE {t} END"
                ok = self._digits(t, width)
                micros = f"(TRY_CAST({t} AS BIGINT) * {1_000_000 // divisor})"
                steps.append((f"(NOT {ok})", f"CASE WHEN {ok} THEN timezone('UTC', make_timestamp({micros})) END", None))
            elif spec == "epoch_hex":
                # 1 to 8 hex digits are read; 9 to 16 left to Python; anything else is no time
                # (as a DFA pass: ltrim() with the 22 hex digits cost 0.77 us a line)
                t = f"CASE WHEN regexp_full_match({text}, '[0-9a-fA-F]{{1,16}}') THEN {text} ELSE {t} END"
                ok = f"regexp_full_match({t}, '[0-9a-fA-F]{{1,8}}')"
                none = f"(NOT regexp_full_match({t}, '[0-9a-fA-F]{{1,16}}'))"
                steps.append((f"(NOT {ok} AND NOT {none})",
                              f"CASE WHEN {ok} THEN timezone('UTC', make_timestamp(TRY_CAST('0x' || {t} AS BIGINT) * 1000000)) END",
                              None))
            elif _ampm_reader(spec) is not None:
                # `%I`/`%p` (every format of the definition is such a pattern: strptime reads them in
                # order): the strict layout below in SQL, any other text (one digit, `pm`, two
                # blanks) by Python
                rx, names, order = _ampm_reader(spec)
                fields = {c for c, _ in order}
                raw, g = self._tmp("tr"), self._tmp("t")
                pre[raw] = f"regexp_extract({text}, {p(rx)}, {names})"
                hour = "'0'"
                if "I" in fields:
                    # strptime: 12 AM (or no %p) is 0, 1-11 PM add 12
                    i12 = f"(TRY_CAST({raw}.hr12 AS INTEGER) % 12)"
                    hour = (f"({i12} + CASE WHEN {raw}.ampm = 'PM' THEN 12 ELSE 0 END)::VARCHAR"
                            if "p" in fields else f"{i12}::VARCHAR")
                elif "H" in fields:
                    hour = f"{raw}.hour"
                parts = {"yr4": f"{raw}.yr4" if "Y" in fields else "''", "yr2": f"{raw}.yr2" if "y" in fields else "''",
                         "mon": f"{raw}.mon" if "m" in fields else "''",
                         "mname": f"{raw}.mname" if "b" in fields else "''", "day": f"{raw}.day" if "d" in fields else "''",
                         "hour": hour, "minute": f"{raw}.minute" if "M" in fields else "''",
                         "sec": f"{raw}.sec" if "S" in fields else "''"}
                struct = "struct_pack(" + ", ".join(f"{k} := {v}" for k, v in parts.items()) + ")"
                # every reader part is a group that is never empty in a match: the first tells
                mid[g] = f"CASE WHEN {raw}.{order[0][1]} <> '' THEN {struct} END"
                if "Y" in fields:
                    year = f"TRY_CAST({g}.yr4 AS INTEGER)"
                elif "y" in fields:
                    year = f"(CASE WHEN TRY_CAST({g}.yr2 AS INTEGER) < 69 THEN 2000 ELSE 1900 END + TRY_CAST({g}.yr2 AS INTEGER))"
                else:
                    year = str(PLACEHOLDER_YEAR)   # the Python path reads `f"{PLACEHOLDER_YEAR} {text}"`
                has = fields | {"H"}
                naive = self._ymd_sql(g, year=year, month_name="b" in fields, exact_month=True, has=has)
                # not in the strict layout: Python; a day that does not exist: no value (the next format)
                steps.append((f"({g} IS NULL)", None, f"CASE WHEN {g} IS NOT NULL THEN {naive} END"))
            else:
                # a strptime pattern through the same regex reader as `_fast_strptime`
                parts, i, seen = [], 0, []
                while i < len(spec):
                    ch = spec[i]
                    if ch == "%":
                        code = spec[i + 1:i + 2]
                        parts.append(_FAST_DIRECTIVES[code])
                        seen.append(code)
                        i += 2
                        continue
                    parts.append(r"\s+" if ch.isspace() else re.escape(ch))
                    i += 1
                fast = re.compile("".join(parts) + r"\Z")     # fullmatch, as `_fast_strptime` reads
                reader = Re2Pattern(fast, allow_possessive=False, anchored=True)
                names = _ts_names(fast, reader)
                # A text in the fixed layout of an earlier pattern is not read by this one (every
                # reader's pattern ran on every line: exim's four, 0.5-0.8 us each); should that
                # earlier pattern give no value there (a day that does not exist), Python reads it.
                skip = " OR ".join(earlier_fixed) or None
                if skip is not None:
                    steps.append((f"coalesce({skip}, false)", None, None))
                fixed = _strptime_fixed(spec, text, names)
                if fast.groupindex:   # every part a reader captures is a group that is never empty
                    g = extracted(text, reader.text, names, names[2:names.index("'", 2)], skip=skip, fixed=fixed)
                    if fixed is not None:
                        earlier_fixed.append(fast_cols[-1])
                else:
                    g = self._tmp("t")
                    pre[g] = (f"CASE WHEN regexp_matches({text}, {p(reader.text)}) THEN "
                              f"regexp_extract({text}, {p(reader.text)}, {names}) END")
                    if skip is not None:
                        pre[g] = f"CASE WHEN {skip} THEN NULL ELSE {pre[g]} END"
                full = f"({g} IS NOT NULL)"
                if "Y" in seen:
                    year = f"TRY_CAST({g}.yr4 AS INTEGER)"
                elif "y" in seen:
                    year = f"(CASE WHEN TRY_CAST({g}.yr2 AS INTEGER) < 69 THEN 2000 ELSE 1900 END + TRY_CAST({g}.yr2 AS INTEGER))"
                else:
                    year = "2000"
                has = set(seen) | ({"d"} if "e" in seen else set())
                naive = self._ymd_sql(g, year=year, month_name="b" in seen, exact_month=False, has=has)
                bad_month = "false"
                if "b" in seen:
                    bad_month = (f"coalesce(list_position({p([m.upper() for m in _MONTHS])}::VARCHAR[], "
                                 f"upper({g}.mname)) IS NULL, false)")
                slow_terms.append(f"(NOT {full} OR {bad_month})")
                if "z" in seen:
                    z = f"{g}.zone"
                    digits = f"replace(substr({z}, 2), ':', '')"
                    offset = (f"(TRY_CAST(substr({digits}, 1, 2) AS INTEGER) * 60 "
                              f"+ TRY_CAST(substr({digits}, 3) AS INTEGER))")
                    unknown = f"coalesce({full} AND {z} <> 'Z' AND {offset} >= 1440, false)"
                    aware = (f"CASE WHEN {full} AND NOT {bad_month} THEN timezone('UTC', {naive} - CASE WHEN {z} = 'Z' "
                             f"THEN INTERVAL 0 MINUTE ELSE (CASE WHEN starts_with({z}, '-') THEN -1 ELSE 1 END) * {offset} "
                             f"* INTERVAL 1 MINUTE END) END")
                    steps.append((unknown, aware, None))
                else:
                    steps.append(("false", None, f"CASE WHEN {full} AND NOT {bad_month} THEN {naive} END"))
        if fast_cols:   # a text in one of the fixed layouts is printable ASCII
            steps[0] = (f"CASE WHEN {' OR '.join(fast_cols)} THEN false ELSE {odd_step[0]} END", None, None)
        # each format's value and "SQL cannot tell" flag as columns, then Python's order over them
        values: dict[str, str] = {}
        aware_cases, naive_cases, py_cases = [], [], []
        for unknown, aware, naive in steps:
            u = self._tmp("tu")
            values[u] = f"coalesce({unknown}, false)"
            aware_cases.append(f"WHEN {u} THEN NULL")
            naive_cases.append(f"WHEN {u} THEN NULL")
            py_cases.append(f"WHEN {u} THEN true")
            if aware or naive:
                v = self._tmp("tv")
                values[v] = aware or naive
                kind_is_aware = aware is not None
                aware_cases.append(f"WHEN {v} IS NOT NULL THEN {v if kind_is_aware else 'NULL'}")
                naive_cases.append(f"WHEN {v} IS NOT NULL THEN {'NULL' if kind_is_aware else v}")
                py_cases.append(f"WHEN {v} IS NOT NULL THEN false")
        slow = " OR ".join(slow_terms) if slow_terms else "false"
        values["_tslow"] = f"coalesce({slow}, false)"
        aware_sql = f"(CASE {' '.join(aware_cases)} END)::TIMESTAMPTZ"
        naive_sql = f"(CASE {' '.join(naive_cases)} END)::TIMESTAMP"
        py_sql = f"(CASE {' '.join(py_cases)} WHEN _tslow THEN true ELSE false END)"
        return first, pre, mid, values, aware_sql, naive_sql, py_sql

    def _ymd_sql(self, g: str, *, year: str, month_name: bool, exact_month: bool, has=None) -> str:
        """SQL: a naive TIMESTAMP from extracted parts, NULL where datetime() would refuse them."""
        p = self.p
        has = has if has is not None else {"b", "d", "H", "M", "S", "f"}
        if month_name:
            names = p(list(_MONTHS) if exact_month else [m.upper() for m in _MONTHS])
            month = (f"list_position({names}::VARCHAR[], {g}.mname)" if exact_month
                     else f"list_position({names}::VARCHAR[], upper({g}.mname))")
        elif "m" in has:
            month = f"TRY_CAST({g}.mon AS INTEGER)"
        else:
            month = "1"
        day = f"TRY_CAST(trim({g}.day) AS INTEGER)" if "d" in has else "1"
        hh = f"TRY_CAST({g}.hour AS INTEGER)" if "H" in has else "0"
        mm = f"TRY_CAST({g}.minute AS INTEGER)" if "M" in has else "0"
        ss = f"TRY_CAST({g}.sec AS INTEGER)" if "S" in has else "0"
        frac = f"TRY_CAST(rpad(nullif({g}.frac, ''), 6, '0') AS INTEGER)" if "f" in has else "0"
        stamp = f"try(make_timestamp({year}, {month}, {day}, {hh}, {mm}, {ss}))"
        if "f" in has:
            stamp = f"({stamp} + to_microseconds(coalesce({frac}, 0)))"
        return (f"(CASE WHEN {year} >= 1 AND {month} BETWEEN 1 AND 12 AND {hh} < 24 AND {mm} < 60 AND {ss} < 60 "
                f"THEN {stamp} END)")

    # -- the final row --------------------------------------------------
    def _final(self, state: dict[str, _Field], src: str) -> None:
        fmt = self.fmt
        p = self.p
        from forensics.ingest.declarative import _KEY_CONSUMED, _KEY_DETAIL, _KEY_DETAIL_FIELD, _KEY_PREFIXED, _KEY_ROW
        # timestamp
        if fmt.ts_field:
            tf = state.get(fmt.ts_field)
            tfield = self._pystr(tf) if tf is not None else "NULL::VARCHAR"
            src, state = self._settle(state, {"_tstext": tfield}, src, limit=60)
            first, pre, mid, values, aware, naive, py = self.ts_sql("_tstext")
            if first:
                src = self._layer(first, src)
            if pre:
                src = self._layer(pre, src)
            if mid:
                src = self._layer(mid, src)
            src = self._layer(values, src)
            empty = "(_tstext IS NULL OR _tstext = '')"
            reason_empty = p(f"no timestamp (field {fmt.ts_field!r} is empty)")
            reason_bad = (f"'unparseable timestamp ' || {_py_repr_sql('_tstext')} || "
                          f"{p(' (formats tried: ' + ', '.join(f.spec for f in fmt.ts_formats) + ')')}")
            ts_cols = {
                "_ts": f"CASE WHEN NOT {empty} THEN {aware} END",
                "_tl": f"CASE WHEN NOT {empty} THEN {naive} END",
                "_tspy": f"coalesce(CASE WHEN NOT {empty} THEN {py} END, false)",

                "_tsraw": f"CASE WHEN NOT {empty} THEN _tstext END",
            }
        else:
            ts_cols = {"_ts": "NULL::TIMESTAMPTZ", "_tl": "NULL::TIMESTAMP", "_tspy": "false",
                       "_tsraw": "NULL::VARCHAR"}
            reason_empty = reason_bad = "NULL"
        src, state = self._settle(state, ts_cols, src, limit=60)
        # the row: canonical columns and detail
        columns: dict[str, str] = {}
        detail: dict[str, str] = {}   # detail key -> JSON fragment SQL (NULL when absent)
        guards: dict[str, str] = {}   # detail key -> the column that is NULL where the fragment is
        sources: dict[str, str] = {}  # detail key -> the record key it is written from
        int_text: dict[str, _Field] = {}
        for key, f in state.items():
            kind = fmt._key_kind(key)
            if kind == _KEY_CONSUMED:
                continue
            if kind == _KEY_ROW:
                text = self._canonical_text(f)
                if key != "user":
                    text = f"nullif({text}, '')"
                if key in _INT_COLUMNS:
                    raw = f"nullif({f.expr}, '')"
                    x = self._pystr(f)
                    t = f"trim({x}, {p(_PY_SPACE)})"
                    # int(text.strip()): a text of digits alone needs no trim (which costs
                    # 0.3 us a line), and CASE asks the trimmed text only of the others
                    plain = self._digits(x, 18)
                    ok = f"(CASE WHEN {plain} THEN true ELSE {self._digits(t, 18)} END)"
                    columns[key] = (f"CASE WHEN {plain} THEN TRY_CAST({x} AS BIGINT) "
                                    f"WHEN {ok} THEN TRY_CAST({t} AS BIGINT) END")
                    int_text[key] = _Field(f"CASE WHEN {raw} IS NOT NULL AND NOT {ok} THEN {raw} END", f.consts)
                elif key == "ip":
                    columns[key] = (f"CASE WHEN {text} IS NULL THEN NULL WHEN regexp_full_match({text}, {p(_IPV4)}) "
                                    f"THEN {text} ELSE forensics_decl_ip({text}) END")
                else:
                    columns[key] = text
                continue
            if kind == _KEY_PREFIXED:
                name = key[7:]
            elif kind == _KEY_DETAIL_FIELD:
                name = "detail"
            elif kind == _KEY_DETAIL:
                name = key
            else:  # pragma: no cover
                continue
            if name in detail:
                raise NotCompilable(f"two record keys write detail.{name}")
            detail[name] = self._json_fragment(f, integer=name in fmt.integer_fields)
            sources[name] = key
            if re.fullmatch(r"_f\d+", f.expr):
                guards[name] = f.expr
        for key, f in int_text.items():
            name = f"{key}_text"
            frag = self._json_fragment(f, integer=name in fmt.integer_fields)
            if name in detail:
                detail[name] = f"coalesce({frag}, {detail[name]})"
                sources[name] = None   # from two keys: always in the short detail
            else:
                detail[name] = frag
                sources[name] = key
        # A member whose value is a column is asked first whether it is NULL: most of a
        # definition's keys are NULL on most lines (65 keys in syslog, a dozen on an sshd
        # line), and a NULL member cost its JSON, its key and its place in the join
        # (the syslog join: 2.4-2.7 us a line, 1.4 with the test)
        parts = [f"CASE WHEN {guards[name]} IS NOT NULL THEN {p(json.dumps(name) + ': ')} || ({frag}) END"
                 if name in guards else f"{p(json.dumps(name) + ': ')} || ({frag})"
                 for name, frag in sorted(detail.items())]
        body = f"concat_ws(', ', {', '.join(parts)})" if parts else "''"
        if self.early is not None:
            # A line the first stopping rules stopped (sshd's in syslog: most lines of an
            # auth.log) joins only the members its keys can fill, not the members of the
            # keys later rules add (syslog: 45 of 76 keys), each of which cost a test a line.
            done_col, keys = self.early
            short = [part for part, name in zip(parts, sorted(detail))
                     if sources[name] is None or sources[name] in keys]
            if len(parts) - len(short) >= _SHORT_DETAIL_MIN:
                short_body = f"concat_ws(', ', {', '.join(short)})" if short else "''"
                body = f"CASE WHEN {done_col} THEN {short_body} ELSE {body} END"
        unmapped = self.unmapped
        if unmapped:
            # JSON keys kept unread (keep_unmapped, forensics.ingest.declarative_sql_records):
            # merged with the members above in key order where a line has some; a name that
            # one of them also writes sends the line to Python (which member wins is Python's)
            src = self._layer({"_ud": unmapped}, src)
            # the members as text (`"name": value`), sorted as text: a name of printable ASCII
            # above `"` (the SELECT sends a line with a space or `!` in an unmapped key to
            # Python) sorts as its quoted form does, so the order is Python's sort_keys order
            if any(not re.fullmatch(r"[\x23-\x5b\x5d-\x7e]+", name) for name in detail):
                raise NotCompilable("a detail name with a space, `!`, `\\` or outside printable ASCII")
            members = ", ".join(f"{p(json.dumps(name) + ': ')} || ({frag})" for name, frag in sorted(detail.items()))
            merged = f"array_to_string(list_sort(list_concat([{members}]::VARCHAR[], _ud)), ', ')"
            body = f"CASE WHEN coalesce(len(_ud), 0) = 0 THEN {body} ELSE {merged} END"
            # the JSON keys whose record name one of the members above has (not those read by
            # name: they are no unmapped key); `detail.x` set by a rule, `port_text`, ...
            clash = {n[5:] if n.startswith("json_") and n[5:] in CANONICAL_COLUMNS else n
                     for n in detail} - set(CANONICAL_COLUMNS) - set(self.unmapped_known)
            if clash:
                self.amb_terms.append(f"coalesce(list_has_any(list_transform(_u, lambda e: e[1]), "
                                      f"{p(sorted(clash))}::VARCHAR[]), false)")
        amb = " OR ".join(self.amb_terms) if self.amb_terms else "false"
        src = self._layer({"_body": body, "_amb": amb}, src)
        columns["detail"] = "(CASE WHEN _body = '' THEN NULL ELSE '{' || _body || '}' END)"
        # Python rows: odd lines, ambiguous empty groups, timestamps SQL cannot read
        py = "(_odd OR _amb OR _tspy)"
        cont = p("continuation line (starts with white space; part of the message above, which is kept as an event)")
        nomatch = p(f"not a {fmt.name} line (no pattern matched)")
        comment = p(f"comment line (starts with {fmt.comment_prefix!r})") if fmt.comment_prefix else "NULL"
        reject = (f"CASE WHEN _comment THEN {comment} "
                  f"WHEN _v IS NULL THEN CASE WHEN starts_with(line, ' ') OR starts_with(line, chr(9)) "
                  f"THEN {cont} ELSE {nomatch} END "
                  f"WHEN _ts IS NULL AND _tl IS NULL AND _tsraw IS NOT NULL THEN {reason_bad} "
                  f"WHEN _tsraw IS NULL THEN {reason_empty if fmt.ts_required else 'NULL'} END")
        pre = {"_py": py, "_pj": f"CASE WHEN {py} THEN forensics_decl_line({p(self.key)}, line) END", "_rj": reject}
        for col in CANONICAL_COLUMNS:
            pre[f'"c_{col}"'] = columns.get(col, "NULL")
        src = self._layer(pre, src)
        out = [
            "line_no",
            "CASE WHEN _py THEN json_extract_string(_pj, '$.reject') ELSE _rj END AS reject_reason",
            "CASE WHEN _py THEN TRY_CAST(json_extract_string(_pj, '$.ts') AS TIMESTAMPTZ) ELSE _ts END AS ts",
            "CASE WHEN _py THEN TRY_CAST(json_extract_string(_pj, '$.ts_local') AS TIMESTAMP) ELSE _tl END AS ts_local",
            "CASE WHEN _py THEN json_extract_string(_pj, '$.ts_raw') ELSE _tsraw END AS ts_raw",
        ]
        for col in CANONICAL_COLUMNS:
            path = p(f"$.{col}")
            if col in _INT_COLUMNS:
                py_val = f"TRY_CAST(json_extract_string(_pj, {path}) AS BIGINT)"
                sql_val = f'"c_{col}"::BIGINT'
            else:
                py_val = f"json_extract_string(_pj, {path})"
                sql_val = f'"c_{col}"::VARCHAR'
            if col == "source_kind":
                expr = f"coalesce(CASE WHEN _py THEN {py_val} ELSE {sql_val} END, {p(fmt.source_kind)})"
            else:
                expr = f"CASE WHEN _py THEN {py_val} ELSE {sql_val} END"
            out.append(f'{expr} AS "{col}"')
        out.append("line AS raw")
        self.final_select = f"SELECT {', '.join(out)} FROM {src}"

    def _digits(self, text: str, most: int) -> str:
        """SQL: `text` is 1 to `most` ASCII digits (NULL where it is NULL).  A DFA pass: about
        0.1 us a line, where `length() BETWEEN .. AND ltrim(text, '0123456789') = ''` cost 0.35."""
        return f"regexp_full_match({text}, '[0-9]{{1,{most}}}')"

    def _json_fragment(self, f: _Field, integer: bool) -> str:
        """SQL: the value as `_dumps` writes it (NULL when absent: to_json(NULL) is NULL)."""
        s = f.expr
        escaped = f"to_json({s})::VARCHAR"
        if integer:
            string = (f"CASE WHEN {self._digits(s, 18)} "
                      f"THEN CAST(CAST({s} AS BIGINT) AS VARCHAR) ELSE {escaped} END")
        else:
            string = escaped
        if f.consts:
            return f"CASE WHEN {s} IS NULL THEN NULL WHEN starts_with({s}, chr(1)) THEN substr({s}, 2) ELSE {string} END"
        if not integer:
            return string
        return f"CASE WHEN {s} IS NOT NULL THEN {string} END"

    # -- what the engine calls --------------------------------------------
    select_settings = SELECT_SETTINGS

    def select_sql(self, table: str) -> tuple[str, dict]:
        layers = [layer.replace("__TABLE__", table) for layer in self.layers]
        sql = "WITH " + ",\n".join(layers) + "\n" + self.final_select
        return sql, used_params(sql, self.p.values)


def _whole_match(compiled: re.Pattern, rx: "Re2Pattern") -> tuple[str, str] | None:
    """(RE2 text, SQL list of capture names) of an anchored line pattern with a
    capture `m` of its whole match first; None when a match can be empty
    (`m` would not tell a match from none)."""
    try:
        from re import _parser as parser
    except ImportError:  # pragma: no cover
        import sre_parse as parser
    if parser.parse(compiled.pattern, compiled.flags).getwidth()[0] == 0 or not rx.text.startswith("^(?:"):
        return None
    text = "^(?P<m>" + rx.text[len("^(?:"):]
    _check_re2(text)
    return text, "['m', " + rx.names_sql()[1:]


_D = "[0-9]"
# A rule condition `^(?!A)(?!B)...R` with lookahead bodies without parentheses
# (`CompiledDefinition._negative_lookaheads`).
_LEADING_NOT = re.compile(r"\^((?:\(\?!(?:[^()\\]|\\.)*\))+)(.*)", re.DOTALL)
_NOT_BODY = re.compile(r"\(\?!((?:[^()\\]|\\.)*)\)")

# The `program` header of syslog.toml, and the classic layout of it that
# `CompiledDefinition._classic_cut` cuts without the pattern: time, one blank,
# host, one blank, program, `[pid]:`, blanks, then a message that does not
# start with `[`.
_CLASSIC_PROGRAM = (r"^(?P<ts>[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d(?:\.\d{1,6})?|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d"
                    r"(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)) +(?:(?P<host>[^\s\[\]:]+) +)??(?P<program>[^\s\[\]:]+)"
                    r"(?:\[(?P<pid>\d+)\])?(?: <(?P<level>\w+)>)?:(?: +(?:\[ID (?P<solaris_msgid>\d+) "
                    r"(?P<solaris_facility>[\w.]+)\] )?(?P<message>.*))?$")
_CLASSIC_NAMES = "['m', 'c1', 'c2', 'c3', 'c4', 'c5', 'w1', 'c6', 'c7', 'c8']"
_CLASSIC_SHAPE = r"^[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2} [^\s\[\]:]+ [^\s\[\]:]+\[[0-9]+\]: +[^ \[]"


def _syslog_fast(text: str) -> tuple[str, str]:
    """(SQL: `text` is a classic syslog time `Mmm dd hh:mm:ss` or `Mmm  d hh:mm:ss`; SQL: the reader's
    pattern cannot match `text`).

    A GLOB of the one layout (an exact subset of what the reader's pattern
    takes) costs about 0.1 us a line where the pattern's extraction cost 0.4;
    such a text is read by `strptime('%Y %b %d %H:%M:%S')` in the placeholder
    year 2000, which refuses what `datetime()` refuses (a day or month name
    that does not exist, hour 24, second 60) and, the layout being fixed,
    takes nothing the pattern would not.  The pattern needs an upper-case
    letter first."""
    glob = f"[A-Z][a-z][a-z] [ 0-9]{_D} {_D}{_D}:{_D}{_D}:{_D}{_D}"
    return (f"coalesce({text} GLOB '{glob}', false)",
            f"coalesce(NOT (substr({text}, 1, 1) BETWEEN 'A' AND 'Z'), false)")


def _iso_fast(text: str) -> tuple[str, str, str, str]:
    """ISO 8601 in its common layouts: (SQL test, SQL: with a zone, SQL: without one, SQL: the reader's
    pattern cannot match).

    `YYYY-MM-DD[T ]hh:mm:ss`, then nothing, `.fff` or `.ffffff`, then nothing,
    `Z` or `+hh:mm`, with no white space around (the reader trims), a year
    from 1000: each layout has its own length, so one GLOB runs per text, and
    the hours are checked below 24 as the reader's pattern does
    (`[01][0-9]|2[0-3]`).  Such a text is read by DuckDB's cast, which gives
    the reader's value (the offset applied; NULL for a date that does not
    exist).  The pattern cannot match a text whose first character is past
    `9` (a letter: neither white space nor a digit)."""
    day = f"[1-9]{_D}{_D}{_D}-{_D}{_D}-{_D}{_D}[T ][0-2]{_D}:[0-5]{_D}:[0-5]{_D}"
    fracs = {0: "", 3: f".{_D}{_D}{_D}", 6: f".{_D}{_D}{_D}{_D}{_D}{_D}"}
    zones = {"": ("", 0), "Z": ("Z", 1), "+": (f"[+-][0-2]{_D}:[0-5]{_D}", 6)}
    whens, zoned, zoneless = [], [], []
    for flen, fglob in fracs.items():
        for zkind, (zglob, zlen) in zones.items():
            length = 19 + (flen + 1 if flen else 0) + zlen
            test = f"{text} GLOB '{day}{fglob}{zglob}'"
            if zkind == "+":
                test += f" AND substr({text}, {length - 4}, 2) < '24'"
            whens.append(f"WHEN {length} THEN {test}")
            (zoned if zlen else zoneless).append(str(length))
    test = f"coalesce(substr({text}, 12, 2) < '24' AND CASE length({text}) {' '.join(whens)} ELSE false END, false)"
    return (test, f"length({text}) IN ({', '.join(zoned)})", f"length({text}) IN ({', '.join(zoneless)})",
            f"coalesce(substr({text}, 1, 1) > '9', false)")


_FIXED_WIDTH = {"Y": (4, "yr4"), "m": (2, "mon"), "d": (2, "day"), "H": (2, "hour"), "M": (2, "minute"),
                "S": (2, "sec"), "z": (5, "zone")}


# `%I`/`%p` patterns: each directive in its strict layout (`_ampm_reader`), RE2 group and part name
_AMPM_PARTS = {"d": ("(0[1-9]|[12][0-9]|3[01])", "day"), "m": ("(0[1-9]|1[0-2])", "mon"),
               "Y": ("([0-9]{4})", "yr4"), "y": ("([0-9]{2})", "yr2"), "H": ("([01][0-9]|2[0-3])", "hour"),
               "I": ("(0[1-9]|1[0-2])", "hr12"), "p": ("(AM|PM)", "ampm"), "M": ("([0-5][0-9])", "minute"),
               "S": ("([0-5][0-9])", "sec"), "b": ("(" + "|".join(_MONTHS) + ")", "mname")}


def _ampm_reader(spec: str):
    """(RE2 text, SQL list of part names, [(directive, part)]) of a strptime pattern with `%I` or
    `%p` whose other directives are `%b %d %m %Y %y %H %M %S`, or None.

    The layout is strict: every field at its full width (`%I` 01-12, `%p` AM or PM in capitals,
    `%b` as `Jan`),
    one blank for a blank, other characters as they are.  A text in it is one strptime reads
    (`\\s+`, `1[0-2]|0[1-9]|[1-9]`, am/pm in any case), with the same parts: each field is
    followed by a fixed character or the end.  Refused (None) where the locale's AM/PM are not
    `am`/`pm` (strptime reads the locale's), or with `%I` and `%H` both."""
    if "%I" not in spec and "%p" not in spec:
        return None
    import time
    if [time.strftime("%p", time.struct_time((1999, 3, 17, h, 44, 55, 2, 76, 0))).lower() for h in (1, 22)] != ["am", "pm"] \
            or [time.strftime("%b", time.struct_time((1999, m, 17, 1, 44, 55, 2, 76, 0))) for m in range(1, 13)] != list(_MONTHS):
        return None
    parts, fields, i = [], [], 0
    while i < len(spec):
        ch = spec[i]
        if ch == "%":
            code = spec[i + 1:i + 2]
            if code not in _AMPM_PARTS or any(c == code for c, _ in fields):
                return None
            parts.append(_AMPM_PARTS[code][0])
            fields.append((code, _AMPM_PARTS[code][1]))
            i += 2
            continue
        if not (ch.isascii() and (ch.isalnum() or ch in " /:-.,")):
            return None
        parts.append(" " if ch == " " else re.escape(ch))
        i += 1
    codes = {c for c, _ in fields}
    if "I" in codes and "H" in codes:
        return None
    return "^" + "".join(parts) + "$", "[" + ", ".join(f"'{n}'" for _, n in fields) + "]", fields


def _strptime_fixed(spec: str, text: str, names: str) -> tuple[str, str] | None:
    """(SQL: `text` is in the fixed-width layout of a strptime pattern, SQL: the reader's struct of parts
    cut by position), or None for a pattern with other directives.

    Every field at its full width (`%m` two digits, `%z` as `+hhmm`), one
    blank for a blank: a subset of what the reader's pattern takes
    (`\\d{1,2}`, `\\s+`, `[+-]\\d\\d:?\\d\\d|Z`), where its
    greedy groups split the text at the same places.  A GLOB costs about
    0.1-0.2 us a line where the pattern's extraction cost 0.5-0.8."""
    glob, parts, pos, i = [], {}, 1, 0
    while i < len(spec):
        ch = spec[i]
        if ch == "%":
            code = spec[i + 1:i + 2]
            if code not in _FIXED_WIDTH:
                return None
            width, name = _FIXED_WIDTH[code]
            glob.append("[+-]" + _D * 4 if code == "z" else _D * width)
            parts[name] = f"substr({text}, {pos}, {width})"
            pos += width
            i += 2
            continue
        if ch in "*?[]\\'" or (ch.isspace() and ch != " ") or not ch.isascii():
            return None
        glob.append(ch)
        pos += 1
        i += 1
    wanted = re.findall(r"'([^']*)'", names)
    if sorted(wanted) != sorted(parts):
        return None
    struct = "struct_pack(" + ", ".join(f"{name} := {parts[name]}" for name in wanted) + ")"
    return f"coalesce({text} GLOB '{''.join(glob)}', false)", struct


def _one_of(column: str, numbers: list[int]) -> str:
    """SQL: the integer column is one of `numbers` (NULL when it is NULL)."""
    numbers = sorted(set(numbers))
    if len(numbers) == 1:
        return f"{column} = {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"{column} BETWEEN {numbers[0]} AND {numbers[-1]}"
    # IN, not list_contains: DuckDB builds no list per row for it
    return f"{column} IN ({', '.join(map(str, numbers))})"


def _py_repr_sql(column: str) -> str:
    """SQL: Python's repr() of a printable-ASCII text (quotes chosen as repr does)."""
    esc = f"replace(replace({column}, '\\', '\\\\'), chr(9), '\\t')"
    return (f"CASE WHEN contains({column}, '''') AND NOT contains({column}, '\"') "
            f"THEN '\"' || {esc} || '\"' "
            f"ELSE '''' || replace({esc}, '''', '\\''') || '''' END")


_RE2_CHECK = None
_RE2_OK: set[str] = set()          # patterns RE2 compiled (a pattern is checked once a process)
_RE2_PENDING = threading.local()   # `.patterns`: the checks `_checks_at_the_end` asks in one query


def _re2_connection() -> duckdb.DuckDBPyConnection:
    global _RE2_CHECK
    if _RE2_CHECK is None:
        _RE2_CHECK = duckdb.connect()
    return _RE2_CHECK


def _check_re2(pattern: str) -> None:
    """Refuse a pattern RE2 does not compile (it would fail the whole chunk later)."""
    if pattern in _RE2_OK:
        return
    pending = getattr(_RE2_PENDING, "patterns", None)
    if pending is not None:
        pending.append(pattern)
        return
    try:
        _re2_connection().execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
    except duckdb.Error as exc:
        raise NotCompilable(f"RE2 refuses the pattern: {exc}") from None
    _RE2_OK.add(pattern)


def _checks_at_the_end(build):
    """`build()` with its RE2 checks (`_check_re2`) asked in one query at the end.

    A check is a statement of its own, about 0.7 ms of planning: the `syslog`
    definition asks 126 of them (91 patterns), about half its compilation time,
    which `forensics ingest` pays once a process.  Where every pattern
    compiles, no check would have refused one, so the build took the path it
    takes with each pattern checked as it is made, and its SELECT is that
    one.  Where one does not (or the build failed, NotCompilable or any
    other error), `build()` runs again with each pattern checked as it is
    made: the same answer, SELECT, reason or error, as ever."""
    if getattr(_RE2_PENDING, "patterns", None) is not None:
        return build()     # inside another build: its own end asks
    _RE2_PENDING.patterns = []
    try:
        result = build()
        pending = list(dict.fromkeys(_RE2_PENDING.patterns))
    except Exception:  # noqa: BLE001 - the build with each check as it comes gives the answer
        pending = None
    finally:
        _RE2_PENDING.patterns = None
    if pending is not None:
        if not pending:
            return result
        sql = "SELECT " + ", ".join(f"regexp_matches('', $p{i})" for i in range(len(pending)))
        try:
            _re2_connection().execute(sql, {f"p{i}": text for i, text in enumerate(pending)}).fetchall()
        except duckdb.Error:
            pass
        else:
            _RE2_OK.update(pending)
            return result
    return build()


# --------------------------------------------------------------------------
# The Python side: UDFs for the rows and conditions SQL leaves to Python

_FORMATS: dict[str, Any] = {}


def compile_definition(fmt) -> CompiledDefinition:
    """The compiled SELECT of a definition; raises NotCompilable."""
    key = f"{fmt.name}@{id(fmt):x}"
    compiled = _checks_at_the_end(lambda: CompiledDefinition(fmt, key))
    _FORMATS[key] = (fmt, compiled)
    return compiled


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _line_udf(key: str, line: str) -> str | None:
    if key is None or line is None:
        return None
    fmt, _ = _FORMATS[key]
    try:
        row, reason = fmt.parse_line(line)
    except Exception as exc:  # noqa: BLE001 - the engine's own wording for a failing line
        text = str(exc)
        text = text if len(text) <= 200 else text[:200] + "..."
        return json.dumps({"reject": f"format {fmt.name} failed on this line: {type(exc).__name__}: {text}"})
    if row is None:
        return json.dumps({"reject": reason or "unparseable"})
    parsed = row.pop("_ts", None)
    out: dict[str, Any] = {}
    if parsed is not None and parsed.tzinfo is not None:
        out["ts"] = parsed.astimezone(dt.timezone.utc).isoformat()
    elif parsed is not None:
        out["ts_local"] = parsed.isoformat()
    for key_, value in row.items():
        if value is None:
            continue
        out[key_] = value if isinstance(value, (str, int)) else str(value)
    return json.dumps(out, ensure_ascii=False)


def _ts_udf(key: str, text: str) -> str | None:
    if key is None or text is None:
        return None
    fmt, _ = _FORMATS[key]
    _, parsed, _ = fmt._timestamp({fmt.ts_field: text})
    if parsed is None or parsed.tzinfo is not None:
        return None
    return parsed.isoformat()


def _search_udf(key: str, index: int, text: str) -> str | None:
    if key is None or index is None or text is None:
        return None
    _, compiled = _FORMATS[key]
    m = compiled.py_patterns[index].search(text)
    if m is None:
        return None
    return json.dumps({k: v for k, v in m.groupdict().items() if v is not None}, ensure_ascii=False)


def _ip_udf(text: str) -> str | None:
    from forensics.ingest.declarative import normalise_ip

    return normalise_ip(text)


def register_udfs(con: duckdb.DuckDBPyConnection) -> None:
    """The Python helpers the compiled SELECTs call (each on the few rows that need it)."""
    for name, func, params, ret in (
        ("forensics_decl_line", _line_udf, ["VARCHAR", "VARCHAR"], "VARCHAR"),
        ("forensics_decl_ts", _ts_udf, ["VARCHAR", "VARCHAR"], "VARCHAR"),
        ("forensics_decl_search", _search_udf, ["VARCHAR", "INTEGER", "VARCHAR"], "VARCHAR"),
        ("forensics_decl_ip", _ip_udf, ["VARCHAR"], "VARCHAR"),
    ):
        try:
            con.create_function(name, func, params, ret, null_handling="special", side_effects=False)
        except duckdb.Error:
            pass  # already registered on this connection


# --------------------------------------------------------------------------
# The oracle: both paths on the same lines


def _plain(value: Any) -> Any:
    """A cell as a comparable Python value (NaN/NaT/NA -> None, timestamps -> ISO text)."""
    if value is None:
        return None
    try:
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def batch_rows(batch) -> tuple[dict[int, dict], dict[int, str]]:
    """({line_no: {column: value}}, {line_no: reject reason}) of a `ParsedBatch`."""
    events = batch.events
    columns = ["ts_raw", "ts", "ts_local", *CANONICAL_COLUMNS]
    rows = {}
    for record in events.to_dict("records"):
        rows[int(record["line_no"])] = {c: _plain(record.get(c)) for c in columns}
    return rows, {int(no): str(reason) for no, reason in batch.rejects}


def differences(fmt, lines: list[str], line_nos: list[int] | None = None, by_line: bool = False):
    """Where the compiled SELECT and the Python path disagree on these lines (empty: nowhere).

    Compares every canonical column, `detail` (as text), `ts`, `ts_local`,
    `ts_raw`, which lines are rejects and their reasons.  `source_kind` is
    compared as the engine stores it (the format's kind where a line sets
    none: the SELECT fills it in, the engine does for the Python path).  With `by_line`, a
    dict {line number: what differs}.
    """
    line_nos = line_nos or list(range(1, len(lines) + 1))
    py_rows, py_rejects = batch_rows(fmt.parse(lines, line_nos))
    sql_rows, sql_rejects = batch_rows(fmt.parse_sql(lines, line_nos))
    for row in py_rows.values():   # what the engine stores for a row the format left without a kind
        row["source_kind"] = row["source_kind"] or fmt.source_kind
    text = dict(zip(line_nos, lines))
    problems: dict[int, str] = {}
    for no in sorted(set(py_rows) | set(sql_rows) | set(py_rejects) | set(sql_rejects)):
        a, b = py_rows.get(no), sql_rows.get(no)
        if a is not None and b is not None:
            diff = {c: (a[c], b[c]) for c in a if a[c] != b[c]}
            if diff:
                problems[no] = "; ".join(f"{c}: Python {x!r}, SQL {y!r}" for c, (x, y) in diff.items())
        elif a is not None or b is not None:
            problems[no] = (f"Python {'event' if a else 'reject ' + repr(py_rejects.get(no))}, "
                            f"SQL {'event' if b else 'reject ' + repr(sql_rejects.get(no))}")
        elif py_rejects.get(no) != sql_rejects.get(no):
            problems[no] = f"reject reasons differ: Python {py_rejects.get(no)!r}, SQL {sql_rejects.get(no)!r}"
    if by_line:
        return problems
    return [f"line {no} {text[no][:120]!r}: {problem}" for no, problem in problems.items()]


# --------------------------------------------------------------------------
# Patterns from Python's parse tree: RE2 text, group positions, participation


class Re2Pattern:
    """A Python pattern as RE2 text, with what DuckDB's `regexp_extract` cannot say itself.

    `regexp_extract` names groups by position and gives '' for a group that
    took no part in the match.  `fields` names every capture of `text` in
    order (`c<N>` for the pattern's own group N, `w<K>` for witnesses); for a
    named group that can match the empty string, `participation[name]` is a
    list of (witness field, must be non-empty?) whose conjunction says that
    the group took part, or None when no witness can tell.  A witness is a
    capture added around text that takes part exactly when the group does and
    cannot be empty (the group with what precedes or follows it in its
    sequence), or around the other alternatives of a branch the group is in.
    """

    def __init__(self, compiled: re.Pattern, *, allow_possessive: bool, anchored: bool, cut_tail: bool = False):
        try:
            from re import _parser as parser, _constants as c
        except ImportError:  # pragma: no cover
            import sre_parse as parser
            import sre_constants as c
        self._parser, self._c = parser, c
        self.allow_possessive = allow_possessive
        self.compiled = compiled
        if compiled.flags & (re.VERBOSE | re.ASCII | getattr(re, "LOCALE", 4)):
            raise NotCompilable("verbose, ASCII or locale flag")
        tree = parser.parse(compiled.pattern, compiled.flags)
        self._wraps: dict[int, list[tuple[int, int, str]]] = {}
        self._nwitness = 0
        self.participation: dict[str, list[tuple[str, bool]] | None] = {}
        self.shapes: dict[str, str] = {}
        paths: dict[int, list] = {}
        self._paths(tree, [], "root", paths)
        for name, gid in compiled.groupindex.items():
            path = paths.get(gid)
            if path is None:
                raise NotCompilable("a group the parser did not place")
            seq, i = path[-1][0], path[-1][1]
            low = self._width([seq[i]])
            if low > 0:
                self.shapes[name] = "nonempty"
                continue
            conds = self._witness(path)
            self.participation[name] = conds
            self.shapes[name] = "always" if conds == [] else ("witnessed" if conds else "ambiguous")
        # `cut_tail`: groups `(?P<g>.*)` that end the match before the final `$` are emitted empty
        # and the `$` dropped (see `tail_groups`)
        self.cut: dict[int, str] = {}
        self._drop_last = None
        if cut_tail:
            self.cut = self._tail_groups(tree, paths)
            if self.cut:
                self._drop_last = tree
        self.fields: list[str] = []
        body = self._seq(tree)
        flags = "".join(f for f, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL))
                        if compiled.flags & bit)
        if flags:
            body = f"(?{flags}){body}"
        self.text = f"^(?:{body})" if anchored else body
        _check_re2(self.text)

    # -- structure --------------------------------------------------------
    def _width(self, items) -> int:
        sub = self._parser.SubPattern(self._state, list(items))
        return sub.getwidth()[0]

    def _paths(self, seq, path, container, out) -> None:
        c = self._c
        if container == "root":
            self._state = seq.state
        for i, (op, av) in enumerate(seq):
            here = path + [(seq, i, container)]
            if op is c.SUBPATTERN:
                if av[0] is not None:
                    out[av[0]] = here
                self._paths(av[-1], here, ("group",), out)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
                self._paths(av[2], here, ("repeat", av[0], av[1]), out)
            elif op is c.BRANCH:
                for k, alt in enumerate(av[1]):
                    self._paths(alt, here, ("branch", av[1], k), out)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                self._paths(av, here, ("group",), out)

    def _wrap(self, seq, start: int, end: int) -> str | None:
        """A witness capture around seq[start..end]; None when it would cross another one."""
        wraps = self._wraps.setdefault(id(seq), [])
        for a, b, name in wraps:
            if (a, b) == (start, end):
                return name
            if not (b < start or end < a or (a <= start and end <= b) or (start <= a and b <= end)):
                return None
        self._nwitness += 1
        name = f"w{self._nwitness}"
        wraps.append((start, end, name))
        return name

    def _witness(self, path) -> list[tuple[str, bool]] | None:
        conds: list[tuple[str, bool]] = []
        level = len(path) - 1
        while level >= 0:
            seq, i, container = path[level]
            if container == "root":
                return conds
            if self._width(seq[:i + 1]) > 0:
                name = self._wrap(seq, 0, i)
                if name is not None:
                    return conds + [(name, True)]
            if self._width(seq[i:]) > 0:
                name = self._wrap(seq, i, len(seq) - 1)
                if name is not None:
                    return conds + [(name, True)]
            kind = container[0]
            if kind == "repeat":
                if not (container[1] >= 1 and container[2] == 1):
                    return None
            elif kind == "branch":
                alts, k = container[1], container[2]
                for j, alt in enumerate(alts):
                    if j == k:
                        continue
                    if len(alt) == 0 or self._width(alt) == 0:
                        return None
                    name = self._wrap(alt, 0, len(alt) - 1)
                    if name is None:
                        return None
                    conds.append((name, False))
            level -= 1
        return conds

    def _tail_groups(self, tree, paths) -> dict[int, str]:
        """{group number: name} of the named groups `(?P<g>.*)` in tail position: nothing after
        them but closing groups, optional groups and the pattern's final `$`.

        On a line without a line break `.*$` matches the rest of the line
        from anywhere, so the match of the pattern without them (each
        emitted as an empty group, the `$` dropped) takes the same choices
        before them as the whole pattern does, wherever one of them took
        part or the match reached the end of the line; the text after the
        match is then the group's value.  Elsewhere the whole pattern
        decides (`CompiledDefinition._raw_fields`)."""
        c = self._c
        if not tree or tree[-1][0] is not c.AT or tree[-1][1] not in (c.AT_END, c.AT_END_STRING):
            return {}
        out = {}
        for name, gid in self.compiled.groupindex.items():
            path = paths.get(gid)
            seq, i, _ = path[-1]
            body = seq[i][1][-1]
            if not (len(body) == 1 and body[0][0] is c.MAX_REPEAT and body[0][1][:2] == (0, c.MAXREPEAT)
                    and list(body[0][1][2]) == [(c.ANY, None)]):
                continue
            if self.shapes.get(name) == "ambiguous":
                continue
            ok = True
            for level, (lseq, li, container) in enumerate(path):
                last = len(lseq) - (2 if level == 0 else 1)
                if li != last:
                    ok = False
                    break
                if level + 1 < len(path):
                    inner = path[level + 1][2]
                    if inner[0] == "repeat" and inner[2] != 1:   # a loop could go round again
                        ok = False
                        break
            if ok:
                out[gid] = name
        return out

    # -- emitting RE2 -------------------------------------------------------
    def _seq(self, seq) -> str:
        wraps = sorted(self._wraps.get(id(seq), []), key=lambda w: (w[0], -w[1]))
        out = []
        for i, item in enumerate(seq):
            for a, b, name in wraps:
                if a == i:
                    self.fields.append(name)
                    out.append(f"(?P<{name}>")
            if seq is self._drop_last and i == len(seq) - 1:
                out.append("")    # the final `$` of a cut pattern
            else:
                out.append(self._item(*item))
            for a, b, name in sorted(wraps, key=lambda w: w[0], reverse=True):
                if b == i:
                    out.append(")")
        return "".join(out)

    def _item(self, op, av) -> str:
        c = self._c
        if op is c.LITERAL:
            return _re2_char(av, in_class=False)
        if op is c.NOT_LITERAL:
            return "[^" + _re2_char(av, in_class=True) + "]"
        if op is c.ANY:
            return "."
        if op is c.IN:
            return self._class(av)
        if op is c.AT:
            codes = {c.AT_BEGINNING: "^", c.AT_BEGINNING_STRING: "\\A", c.AT_END: "$",
                     c.AT_END_STRING: "\\z", c.AT_BOUNDARY: "\\b", c.AT_NON_BOUNDARY: "\\B"}
            if av not in codes:
                raise NotCompilable(f"anchor {av}")
            return codes[av]
        if op is c.SUBPATTERN:
            gid, add, delete, body = av
            inner = self._seq(body) if gid is None else None
            flags = ""
            for letter, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL)):
                if add & bit:
                    flags += letter
            off = "".join(letter for letter, bit in (("i", re.IGNORECASE), ("m", re.MULTILINE), ("s", re.DOTALL))
                          if delete & bit)
            if (add | delete) & ~(re.IGNORECASE | re.MULTILINE | re.DOTALL | re.UNICODE):
                raise NotCompilable("a group flag RE2 lacks")
            prefix = f"(?{flags}{'-' + off if off else ''}:" if (flags or off) else "(?:"
            if gid is None:
                return prefix + inner + ")"
            self.fields.append(f"c{gid}")
            if gid in self.cut:
                return f"(?P<c{gid}>)"
            body_text = self._seq(body)
            if flags or off:
                body_text = prefix + body_text + ")"
            return f"(?P<c{gid}>{body_text})"
        if op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
            if op is getattr(c, "POSSESSIVE_REPEAT", None) and not self.allow_possessive:
                raise NotCompilable("possessive quantifier")
            lo, hi, body = av
            if lo > 1000 or (hi is not c.MAXREPEAT and hi > 1000):
                raise NotCompilable("repetition over 1000")
            if (lo, hi) == (0, c.MAXREPEAT):
                q = "*"
            elif (lo, hi) == (1, c.MAXREPEAT):
                q = "+"
            elif (lo, hi) == (0, 1):
                q = "?"
            elif hi is c.MAXREPEAT:
                q = f"{{{lo},}}"
            elif lo == hi:
                q = f"{{{lo}}}"
            else:
                q = f"{{{lo},{hi}}}"
            if op is c.MIN_REPEAT:
                q += "?"
            return "(?:" + self._seq(body) + ")" + q
        if op is c.BRANCH:
            return "(?:" + "|".join(self._seq(alt) for alt in av[1]) + ")"
        raise NotCompilable(f"{str(op).lower()} (lookaround, backreference, conditional or atomic group)")

    def _class(self, items) -> str:
        c = self._c
        out = []
        negate = False
        cats = {c.CATEGORY_DIGIT: "\\d", c.CATEGORY_NOT_DIGIT: "\\D", c.CATEGORY_SPACE: "\\s",
                c.CATEGORY_NOT_SPACE: "\\S", c.CATEGORY_WORD: "\\w", c.CATEGORY_NOT_WORD: "\\W"}
        for op, av in items:
            if op is c.NEGATE:
                negate = True
            elif op is c.LITERAL:
                out.append(_re2_char(av, in_class=True))
            elif op is c.RANGE:
                out.append(_re2_char(av[0], in_class=True) + "-" + _re2_char(av[1], in_class=True))
            elif op is c.CATEGORY and av in cats:
                out.append(cats[av])
            else:
                raise NotCompilable(f"character class item {op}")
        return "[" + ("^" if negate else "") + "".join(out) + "]"

    # -- SQL over the extracted struct --------------------------------------
    def names_sql(self) -> str:
        return "[" + ", ".join(f"'{f}'" for f in self.fields) + "]"

    def participated_sql(self, struct: str, name: str) -> str:
        """SQL: the group (not `nonempty`, not `ambiguous`) took part in the match."""
        if self.shapes[name] == "always":
            return "true"
        return " AND ".join(f"{struct}.\"{w}\" {'<>' if nonempty else '='} ''"
                            for w, nonempty in self.participation[name])

    def value_sql(self, struct: str, name: str, rest: str | None = None) -> tuple[str, bool]:
        """(SQL: the group's value, NULL when it took no part; whether the line must go to Python when '').

        `rest`: SQL of the text after the match, the value of a group the
        cut pattern left empty (the whole pattern's match, which ends at
        the end of the line, gives the group's own text)."""
        v = f'{struct}."c{self.compiled.groupindex[name]}"'
        if rest is not None and self.compiled.groupindex[name] in self.cut:
            v = f"CASE WHEN {v} <> '' THEN {v} ELSE {rest} END"
        shape = self.shapes[name]
        if shape == "nonempty":
            return f"nullif({v}, '')", False
        if shape == "always":
            return v, False
        if shape == "ambiguous":
            return v, True
        test = " AND ".join(f"{struct}.\"{w}\" {'<>' if nonempty else '='} ''"
                            for w, nonempty in self.participation[name])
        return f"CASE WHEN {test} THEN {v} END", False


def _re2_char(code: int, in_class: bool) -> str:
    ch = chr(code)
    if ch.isascii() and ch.isalnum():
        return ch
    if ch == " ":
        return " "
    if 0x20 <= code < 0x7f:
        return "\\" + ch
    if code <= 0xff:
        return f"\\x{code:02x}"
    return f"\\x{{{code:x}}}"
