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
  resolves them (`local_ts_sql` re-reads them from `ts_raw` for
  `ingest_local`).
* Addresses: a canonical dotted quad is kept in SQL; anything else goes
  through `normalise_ip` (a UDF, on those rows only).
* `detail` is built as the same JSON text `_dumps` writes (sorted keys,
  `", "`/`": "` separators, integer fields as numbers).

Not compiled (the definition stays on the Python path, with the reason in
`DefinitionFormat.sql_fallback_reason`): CSV, JSON-lines and SQL-dump kinds,
`[split]`, timestamp patterns without a regex reader (`%I %p`), lookarounds in
line patterns.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import duckdb

from forensics.ingest.base import CANONICAL_COLUMNS

_INT_COLUMNS = ("port", "status", "bytes")
_CANONICAL = frozenset(CANONICAL_COLUMNS) - {"detail"}
# A line SQL parses: printable ASCII and tabs only (see the module doc).
_ODD_LINE = "[^\\x20-\\x7e\\t]"
# A typed (non-string) constant in a record field: this character, then its JSON.
_MARK = "\x01"
_PY_SPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"   # str.strip()'s ASCII white space
_IPV4 = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class NotCompilable(Exception):
    """A definition (or a pattern) the compiler leaves to the Python path."""


# --------------------------------------------------------------------------
# Patterns: Python `re` -> RE2

_ESCAPES_KEPT = set("dDwWsSbBAtnrfv")
_FLAGS_OK = set("ims")


def to_re2(pattern: str, *, allow_possessive: bool) -> str:
    """The RE2 text of a Python pattern that means the same on printable-ASCII lines.

    Raises NotCompilable for constructs RE2 lacks or reads differently.
    """
    out: list[str] = []
    i, n = 0, len(pattern)
    last_quantifier = False
    while i < n:
        ch = pattern[i]
        if ch == "\\":
            nxt = pattern[i + 1:i + 2]
            if not nxt:
                raise NotCompilable("trailing backslash")
            if nxt == "Z":
                out.append("\\z")
            elif nxt == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[i + 2:i + 4]):
                out.append(pattern[i:i + 4])
                i += 4
                last_quantifier = False
                continue
            elif nxt in _ESCAPES_KEPT or (not nxt.isalnum() and nxt.isascii()):
                out.append("\\" + nxt)
            else:
                raise NotCompilable(f"escape \\{nxt}")
            i += 2
            last_quantifier = False
            continue
        if ch == "[":
            j = i + 1
            body = ["["]
            if pattern[j:j + 1] == "^":
                body.append("^")
                j += 1
            if pattern[j:j + 1] == "]":
                raise NotCompilable("']' first in a character class")
            while j < n and pattern[j] != "]":
                c = pattern[j]
                if c == "\\":
                    nxt = pattern[j + 1:j + 2]
                    if nxt in ("b", "B", "A", "Z") or (nxt.isalnum() and nxt not in "dDwWsStnrfvx"):
                        raise NotCompilable(f"escape \\{nxt} in a class")
                    if nxt == "x":
                        if not re.fullmatch(r"[0-9A-Fa-f]{2}", pattern[j + 2:j + 4]):
                            raise NotCompilable("\\x escape")
                        body.append(pattern[j:j + 4])
                        j += 4
                        continue
                    body.append(pattern[j:j + 2])
                    j += 2
                    continue
                if c == "[" and pattern[j + 1:j + 2] in (":", ".", "="):
                    raise NotCompilable("'[:' inside a class (a POSIX class in RE2)")
                body.append(c)
                j += 1
            if j >= n:
                raise NotCompilable("unterminated class")
            body.append("]")
            out.append("".join(body))
            i = j + 1
            last_quantifier = False
            continue
        if ch == "(":
            if pattern[i + 1:i + 2] == "?":
                rest = pattern[i + 2:]
                if rest.startswith("P<"):
                    m = re.match(r"P<([A-Za-z_][A-Za-z0-9_]*)>", rest)
                    if not m:
                        raise NotCompilable("group name")
                    out.append("(?P<" + m.group(1) + ">")
                    i += 2 + m.end()
                elif rest.startswith(":"):
                    out.append("(?:")
                    i += 3
                else:
                    m = re.match(r"([a-zA-Z]*)(?:-([a-zA-Z]*))?([:)])", rest)
                    if not m or not set(m.group(1) + (m.group(2) or "")) <= _FLAGS_OK:
                        raise NotCompilable("lookaround, backreference, atomic group or flag RE2 lacks")
                    out.append("(?" + m.group(0))
                    i += 2 + m.end()
            else:
                out.append("(")
                i += 1
            last_quantifier = False
            continue
        if ch in "*+?":
            if ch == "+" and last_quantifier:
                if not allow_possessive:
                    raise NotCompilable("possessive quantifier")
                i += 1          # possessive -> plain (see the module doc)
                last_quantifier = False
                continue
            out.append(ch)
            i += 1
            if ch == "?" and out[-2:-1] and out[-2] in ("*", "+", "?", "}") and last_quantifier:
                last_quantifier = False   # lazy modifier
                continue
            last_quantifier = True
            if pattern[i:i + 1] == "?":
                out.append("?")
                i += 1
                last_quantifier = False
            continue
        if ch == "{":
            m = re.match(r"\{(\d*)(,?)(\d*)\}", pattern[i:])
            if m:
                if not m.group(1):
                    raise NotCompilable("{,n} quantifier")
                if any(g and int(g) > 1000 for g in (m.group(1), m.group(3))):
                    raise NotCompilable("repetition over 1000")
                out.append(m.group(0))
                i += m.end()
                last_quantifier = True
                if pattern[i:i + 1] == "?":
                    out.append("?")
                    i += 1
                    last_quantifier = False
                continue
            out.append("\\{")
            i += 1
            last_quantifier = False
            continue
        if ord(ch) > 0x7e or (ord(ch) < 0x20 and ch != "\t"):
            raise NotCompilable("non-ASCII or control character in the pattern")
        out.append(ch)
        i += 1
        last_quantifier = False
    return "".join(out)


def _names(compiled: re.Pattern) -> str:
    """SQL list of a pattern's group names in group order (DuckDB's regexp_extract names by position)."""
    return "[" + ", ".join(f"'g{i}'" for i in range(1, compiled.groups + 1)) + "]"


def _field(struct: str, compiled: re.Pattern, name: str) -> str:
    """SQL: a named group's value in a `regexp_extract` struct (fields g1, g2, ... by position:
    DuckDB's struct names are case-insensitive, the groups' are not)."""
    return f'{struct}."g{compiled.groupindex[name]}"'


_TS_PARTS = {"Y": "yr4", "y": "yr2", "m": "mon", "b": "mname", "d": "day", "H": "hour", "M": "minute",
             "S": "sec", "f": "frac", "z": "zone"}


def _ts_names(compiled: re.Pattern) -> str:
    """SQL list naming a strptime reader's groups (case-distinct names: DuckDB's struct names ignore case)."""
    by_index = {i: name for name, i in compiled.groupindex.items()}
    return "[" + ", ".join(f"'{_TS_PARTS[by_index[i]]}'" for i in range(1, compiled.groups + 1)) + "]"


def _group_shapes(compiled: re.Pattern) -> dict[str, str]:
    """Per named group: 'nonempty' ('' means absent), 'always' ('' is ''), 'ambiguous'."""
    try:
        from re import _parser as parser, _constants as c
    except ImportError:  # pragma: no cover
        import sre_parse as parser
        import sre_constants as c
    tree = parser.parse(compiled.pattern, compiled.flags)
    names = {v: k for k, v in compiled.groupindex.items()}
    shapes: dict[str, str] = {}

    def walk(sub, optional: bool):
        for op, av in sub:
            if op is c.SUBPATTERN:
                gid, body = av[0], av[-1]
                if gid in names:
                    lo = body.getwidth()[0]
                    shapes[names[gid]] = "nonempty" if lo > 0 else ("ambiguous" if optional else "always")
                walk(body, optional)
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) or op is getattr(c, "POSSESSIVE_REPEAT", None):
                walk(av[2], optional or av[0] == 0)
            elif op is c.BRANCH:
                for alt in av[1]:
                    walk(alt, True)
            elif op in (c.ASSERT, c.ASSERT_NOT):
                walk(av[1], True)
            elif op is getattr(c, "ATOMIC_GROUP", None):
                walk(av, optional)
            elif op is c.GROUPREF_EXISTS:
                for alt in av[1:]:
                    if alt is not None:
                        walk(alt, True)

    walk(tree, False)
    for name in compiled.groupindex:
        shapes.setdefault(name, "ambiguous")
    return shapes


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
        self._build()

    # -- small helpers --------------------------------------------------
    def _col(self, name: str) -> str:
        return '"r_' + name + '"'

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

    def _regex(self, compiled: re.Pattern, anchored: bool) -> str:
        shipped = getattr(self.fmt, "_shipped", False)
        text = to_re2(compiled.pattern, allow_possessive=shipped)
        flags = ""
        if compiled.flags & re.IGNORECASE:
            flags += "i"
        if compiled.flags & re.DOTALL:
            flags += "s"
        if compiled.flags & re.MULTILINE:
            flags += "m"
        if compiled.flags & re.VERBOSE or compiled.flags & re.ASCII:
            raise NotCompilable("verbose or ASCII flag")
        body = f"(?{flags}){text}" if flags else text
        result = f"^(?:{body})" if anchored else body
        _check_re2(result)
        return result

    # -- the layers -----------------------------------------------------
    def _layer(self, exprs: dict[str, str], keep: list[str], source: str) -> str:
        name = f"l{len(self.layers)}"
        cols = ", ".join(keep + [f"{e} AS {c}" for c, e in exprs.items()])
        self.layers.append(f"{name} AS (SELECT {cols} FROM {source})")
        return name

    def _materialise(self, state: dict[str, _Field], extra: dict[str, str], keep: list[str], source: str):
        exprs = {self._col(k): f.expr for k, f in state.items()}
        exprs.update(extra)
        name = self._layer(exprs, keep, source)
        new_state = {k: _Field(self._col(k), f.consts) for k, f in state.items()}
        return name, new_state

    def _build(self) -> None:
        fmt = self.fmt
        if fmt.kind != "regex":
            raise NotCompilable(f"{fmt.kind} definitions are parsed in Python")
        if fmt.split:
            raise NotCompilable("[split] is parsed in Python")
        for tf in fmt.ts_formats:
            if "%" in tf.spec and not tf.spec.startswith("epoch"):
                from forensics.ingest.declarative import _fast_strptime
                if _fast_strptime(tf.spec) is None:
                    raise NotCompilable(f"timestamp pattern {tf.spec!r} has no regex reader")
        p = self.p
        # layer 0: which variant, odd lines, comments
        variants = []
        for vname, compiled in fmt.variants:
            if not isinstance(compiled, re.Pattern):
                # a user's pattern compiled with `regex` for its time budget: its re twin
                compiled = re.compile(compiled.pattern)
            variants.append((vname, compiled, self._regex(compiled, anchored=True), _group_shapes(compiled)))
        pick = " ".join(f"WHEN regexp_matches(line, {p(rx)}) THEN {i}" for i, (_, _, rx, _) in enumerate(variants, 1))
        l0 = {"_odd": f"regexp_matches(line, {p(_ODD_LINE)})", "_v": f"CASE {pick} END"}
        if fmt.comment_prefix:
            l0["_comment"] = f"starts_with(line, {p(fmt.comment_prefix)})"
        else:
            l0["_comment"] = "false"
        src = self._layer(l0, ["line_no", "line"], "__TABLE__")
        base = ["line_no", "line", "_odd", "_v", "_comment"]
        l1 = {}
        for i, (_, compiled, rx, _) in enumerate(variants, 1):
            l1[f"_s{i}"] = f"CASE WHEN _v = {i} THEN regexp_extract(line, {p(rx)}, {_names(compiled)}) END"
        src = self._layer(l1, base, src)
        # raw fields
        all_groups: list[str] = []
        for _, compiled, _, _ in variants:
            all_groups += [g for g in compiled.groupindex if g not in all_groups]
        state: dict[str, _Field] = {}
        amb_terms: list[str] = []
        nulls = sorted(fmt.null_values)
        for g in all_groups:
            whens, amb = [], []
            for i, (_, compiled, _, shapes) in enumerate(variants, 1):
                if g not in compiled.groupindex:
                    continue
                v = _field(f"_s{i}", compiled, g)
                shape = shapes[g]
                if shape == "nonempty":
                    whens.append(f"WHEN _v = {i} THEN nullif({v}, '')")
                else:
                    whens.append(f"WHEN _v = {i} THEN {v}")
                    if shape == "ambiguous":
                        amb.append(f"(_v = {i} AND {v} = '')")
            expr = f"(CASE {' '.join(whens)} END)"
            if nulls:
                expr = f"(CASE WHEN {expr} IN ({', '.join(p(x) for x in nulls)}) THEN NULL ELSE {expr} END)"
            state[g] = _Field(expr)
            amb_terms += amb
        if len(variants) > 1:
            if "variant" in state:
                raise NotCompilable("a group named 'variant' beside several variants")
            names = " ".join(f"WHEN _v = {i} THEN {p(v[0])}" for i, v in enumerate(variants, 1))
            vexpr = f"(CASE {names} END)"
            if "variant" in state:
                vexpr = f"coalesce({state['variant'].expr}, {vexpr})"
            if nulls:  # setdefault happens before null_values are dropped
                vexpr = f"(CASE WHEN {vexpr} IN ({', '.join(p(x) for x in nulls)}) THEN NULL ELSE {vexpr} END)"
            state["variant"] = _Field(vexpr)
        amb_expr = " OR ".join(amb_terms) if amb_terms else "false"
        src, state = self._materialise(state, {"_amb": f"coalesce({amb_expr}, false)"}, base, src)
        base = base + ["_amb"]
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
        for key, value in fmt.defaults.items():
            lit = self._lit(value)
            old = state.get(key)
            state[key] = lit if old is None else _Field(f"coalesce({old.expr}, {lit.expr})", old.consts | lit.consts)
        src, state = self._materialise(state, {}, base, src)
        # rules
        if fmt.rules:
            src, state, base = self._rules(fmt.rules, state, src, base)
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
        src, state = self._materialise(state, {}, base, src)
        self._final(state, src, base)

    def _rules(self, rules, state, src, base):
        """The rules, one run (ending at a `continue` rule) per group of layers."""
        p = self.p
        runs: list[list] = [[]]
        for rule in rules:
            runs[-1].append(rule)
            if rule.cont:
                runs.append([])
        if not runs[-1]:
            runs.pop()
        first = True
        for run in runs:
            # every field a rule's condition names must exist (else that rule never matches)
            cond_counts: dict[tuple, int] = {}
            for rule in run:
                for name, pattern in rule.match.items():
                    cond_counts[(name, pattern.pattern, pattern.flags)] = cond_counts.get(
                        (name, pattern.pattern, pattern.flags), 0) + 1
            shared: dict[tuple, str] = {}
            pre = {}
            conds_sql: list[list[tuple]] = []
            for rule in run:
                conds = []
                for name, pattern in rule.match.items():
                    f = state.get(name)
                    if f is None:
                        conds = None
                        break
                    key = (name, pattern.pattern, pattern.flags)
                    test, extract = self._condition(f, pattern)
                    if cond_counts[key] > 1 and extract is not None:
                        col = shared.get(key)
                        if col is None:
                            col = self._tmp("c")
                            shared[key] = col
                            pre[col] = f"coalesce({test}, false)"
                        test = col
                    conds.append((name, pattern, test, extract))
                conds_sql.append(conds)
            done = "_done" if not first else "false"
            whens = []
            for k, conds in enumerate(conds_sql, 1):
                if conds is None:
                    continue
                test = " AND ".join(c[2] for c in conds) or "true"
                whens.append(f"WHEN {test} THEN {k}")
            pick = f"CASE WHEN {done} THEN NULL {' '.join(whens)} END" if whens else "NULL::INTEGER"
            keep = base + ([] if first else ["_done"])
            if pre:
                src, state = self._materialise(state, pre, keep, src)
                keep = keep + list(pre)
            src, state = self._materialise(state, {"_pick": pick}, keep, src)
            # extraction of the picked rule's groups
            extracts, amb_terms = {}, []
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
                        extracts[col] = (f"CASE WHEN _pick = {k} THEN forensics_decl_search({p(self.key)}, {idx}, "
                                         f"{self._pystr(state[name])}) END")
                        for g in pattern.groupindex:
                            group_values.setdefault(g, []).append(
                                (k, f"json_extract_string({col}, {p('$.' + g)})"))
                        continue
                    extracts[col] = f"CASE WHEN _pick = {k} THEN {extract} END"
                    shapes = _group_shapes(pattern)
                    for g in pattern.groupindex:
                        v = _field(col, pattern, g)
                        if shapes[g] == "nonempty":
                            group_values.setdefault(g, []).append((k, f"nullif({v}, '')"))
                        else:
                            group_values.setdefault(g, []).append((k, v))
                            if shapes[g] == "ambiguous":
                                amb_terms.append(f"(_pick = {k} AND {v} = '')")
            keep2 = keep + ["_pick"]
            if extracts:
                src, state = self._materialise(state, extracts, keep2, src)
                keep2 = keep2 + list(extracts)
            # apply: set values, then groups (non-null), per picked rule
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
                        prev = values.get(g)
                        prev_expr = prev.expr if prev is not None else (state[g].expr if g in state else "NULL")
                        prev_consts = prev.consts if prev is not None else (state[g].consts if g in state else frozenset())
                        values[g] = _Field(f"coalesce({expr}, {prev_expr})", prev_consts)
                for key, f in values.items():
                    touched.setdefault(key, []).append((k, f.expr, f.consts))
            for key, items in touched.items():
                old = state.get(key)
                consts = frozenset().union(*(c for _, _, c in items)) | (old.consts if old else frozenset())
                whens = " ".join(f"WHEN {k} THEN {e}" for k, e, _ in items)
                state[key] = _Field(f"(CASE _pick {whens} ELSE {old.expr if old else 'NULL::VARCHAR'} END)", consts)
            stop = [str(k) for k, rule in enumerate(run, 1) if not rule.cont]
            done_expr = (f"({done} OR coalesce(_pick IN ({', '.join(stop)}), false))" if stop else done)
            extra = {"_done": done_expr}
            amb = " OR ".join(amb_terms)
            extra["_amb2"] = f"(_amb OR coalesce({amb}, false))" if amb_terms else "_amb"
            keep3 = [c for c in base if c != "_amb"]
            src, state = self._materialise(state, extra, keep3, src)
            # rename _amb2 -> _amb for the next run
            src, state = self._materialise(state, {"_amb": "_amb2", "_done": "_done"}, keep3, src)
            first = False
        return src, state, base

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
            if compiled not in self.py_patterns:
                self.py_patterns.append(compiled)
            idx = self.py_patterns.index(compiled)
            return f"(forensics_decl_search({p(self.key)}, {idx}, {text}) IS NOT NULL)", None
        extract = f"regexp_extract({text}, {p(rx)}, {_names(compiled)})" if compiled.groupindex else "NULL"
        return f"regexp_matches({text}, {p(rx)})", extract

    # -- timestamps -------------------------------------------------------
    def ts_sql(self, text: str) -> tuple[dict[str, str], str, str, str]:
        """SQL over a timestamp text column.

        Returns (columns to compute first, from `text`; then the aware value,
        the naive value and the flag "Python must read this text", over those
        columns and `text`).  Python's order: the first format whose reader
        gives a value; a format whose answer SQL cannot give exactly, met
        before any value, sends the text to Python, and so does a strptime
        pattern whose regex reader could not decide when no format gave one.
        """
        from forensics.ingest.declarative import _FAST_DIRECTIVES

        p = self.p
        pre: dict[str, str] = {}
        steps = [(f"regexp_matches({text}, {p(_ODD_LINE)})", None, None)]
        slow_terms = []
        for tf in self.fmt.ts_formats:
            spec = tf.spec
            t = f"trim({text}, {p(_PY_SPACE)})"
            if spec == "iso8601":
                shape = (r"([0-9]{4}-[0-9]{2}-[0-9]{2})[T ]([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])"
                         r"(\.[0-9]{1,6})?(Z|z|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?")
                g = self._tmp("t")
                pre[g] = f"CASE WHEN regexp_full_match({t}, {p(shape)}) THEN regexp_extract({t}, {p('^' + shape + '$')}, ['day', 'hour', 'minute', 'sec', 'frac', 'zone']) END"
                zone = f"{g}.zone"
                local = f"TRY_CAST(regexp_replace({t}, {p(r'(Z|z|[+-][0-9]{2}:[0-9]{2})$')}, '') AS TIMESTAMP)"
                unknown = f"({g} IS NULL AND regexp_matches({t}, {p('^[0-9]')}))"
                aware = (f"CASE WHEN {g} IS NOT NULL AND {zone} <> '' THEN timezone('UTC', {local} - "
                         f"CASE WHEN {zone} IN ('Z', 'z') THEN INTERVAL 0 MINUTE ELSE "
                         f"(CASE WHEN starts_with({zone}, '-') THEN -1 ELSE 1 END) * "
                         f"(TRY_CAST(substr({zone}, 2, 2) AS INTEGER) * 60 + TRY_CAST(substr({zone}, 5, 2) AS INTEGER)) "
                         f"* INTERVAL 1 MINUTE END) END")
                naive = f"CASE WHEN {g} IS NOT NULL AND {zone} = '' THEN {local} END"
                steps.append((unknown, aware, naive))
            elif spec == "syslog":
                rx = r"^([A-Z][a-z]{2})\s+([0-9]{1,2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,6}))?$"
                g = self._tmp("t")
                pre[g] = (f"CASE WHEN regexp_matches({text}, {p(rx)}) THEN "
                          f"regexp_extract({text}, {p(rx)}, ['mname', 'day', 'hour', 'minute', 'sec', 'frac']) END")
                steps.append(("false", None, self._ymd_sql(g, year="2000", month_name=True, exact_month=True)))
            elif spec in ("epoch", "epoch_s", "epoch_ms", "epoch_us"):
                divisor = {"epoch": 1, "epoch_s": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000}[spec]
                ok = f"regexp_full_match({t}, {p('[0-9]{1,11}')})"
                micros = f"(TRY_CAST({t} AS BIGINT) * {1_000_000 // divisor})"
                steps.append((f"(NOT {ok})", f"CASE WHEN {ok} THEN timezone('UTC', make_timestamp({micros})) END", None))
            elif spec == "epoch_hex":
                ok = f"regexp_full_match({t}, {p('[0-9a-fA-F]{1,8}')})"
                none = f"({t} = '' OR length({t}) > 16 OR regexp_matches({t}, {p('[^0-9a-fA-F]')}))"
                steps.append((f"(NOT {ok} AND NOT {none})",
                              f"CASE WHEN {ok} THEN timezone('UTC', make_timestamp(TRY_CAST('0x' || {t} AS BIGINT) * 1000000)) END",
                              None))
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
                rx = to_re2("^(?:" + "".join(parts) + ")$", allow_possessive=False)
                fast = re.compile("".join(parts))
                g = self._tmp("t")
                pre[g] = (f"CASE WHEN regexp_matches({text}, {p(rx)}) THEN "
                          f"regexp_extract({text}, {p(rx)}, {_ts_names(fast)}) END")
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
        aware_cases, naive_cases, py_cases = [], [], []
        for unknown, aware, naive in steps:
            aware_cases.append(f"WHEN {unknown} THEN NULL")
            naive_cases.append(f"WHEN {unknown} THEN NULL")
            py_cases.append(f"WHEN {unknown} THEN true")
            have = " OR ".join(f"({x}) IS NOT NULL" for x in (aware, naive) if x)
            if have:
                aware_cases.append(f"WHEN {have} THEN {aware or 'NULL'}")
                naive_cases.append(f"WHEN {have} THEN {naive or 'NULL'}")
                py_cases.append(f"WHEN {have} THEN false")
        slow = " OR ".join(slow_terms) if slow_terms else "false"
        aware_sql = f"(CASE {' '.join(aware_cases)} END)::TIMESTAMPTZ"
        naive_sql = f"(CASE {' '.join(naive_cases)} END)::TIMESTAMP"
        py_sql = f"(CASE {' '.join(py_cases)} WHEN {slow} THEN true ELSE false END)"
        return pre, aware_sql, naive_sql, py_sql

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
        text = (f"printf('%04d-%02d-%02d %02d:%02d:%02d.%06d', {year}, {month}, {day}, {hh}, {mm}, {ss}, "
                f"coalesce({frac}, 0))")
        return (f"(CASE WHEN {year} >= 1 AND {month} BETWEEN 1 AND 12 AND {hh} < 24 AND {mm} < 60 AND {ss} < 60 "
                f"THEN TRY_CAST({text} AS TIMESTAMP) END)")

    # -- the final row --------------------------------------------------
    def _final(self, state: dict[str, _Field], src: str, base: list[str]) -> None:
        fmt = self.fmt
        p = self.p
        from forensics.ingest.declarative import _KEY_CONSUMED, _KEY_DETAIL, _KEY_DETAIL_FIELD, _KEY_PREFIXED, _KEY_ROW
        # timestamp
        ts_extra = {}
        if fmt.ts_field:
            tf = state.get(fmt.ts_field)
            tfield = self._pystr(tf) if tf is not None else "NULL::VARCHAR"
            src, state = self._materialise(state, {"_tstext": tfield}, base, src)
            pre, aware, naive, py = self.ts_sql("_tstext")
            src, state = self._materialise(state, pre, base + ["_tstext"], src)
            empty = "(_tstext IS NULL OR _tstext = '')"
            reason_empty = p(f"no timestamp (field {fmt.ts_field!r} is empty)")
            reason_bad = (f"'unparseable timestamp ' || {_py_repr_sql('_tstext')} || "
                          f"{p(' (formats tried: ' + ', '.join(f.spec for f in fmt.ts_formats) + ')')}")
            ts_cols = {
                "_ts": f"CASE WHEN NOT {empty} THEN {aware} END",
                "_tl": f"CASE WHEN NOT {empty} THEN {naive} END",
                "_tspy": f"coalesce(CASE WHEN NOT {empty} THEN {py} END, false)",
                "_tsreject": (f"CASE WHEN {empty} THEN {reason_empty if fmt.ts_required else 'NULL'} "
                              f"ELSE {reason_bad} END"),
                "_tsraw": f"CASE WHEN NOT {empty} THEN _tstext END",
            }
        else:
            ts_cols = {"_ts": "NULL::TIMESTAMPTZ", "_tl": "NULL::TIMESTAMP", "_tspy": "false",
                       "_tsreject": "NULL::VARCHAR", "_tsraw": "NULL::VARCHAR"}
        src, state = self._materialise(state, ts_cols, base, src)
        # the row: canonical columns and detail
        columns: dict[str, str] = {}
        detail: dict[str, str] = {}   # detail key -> JSON fragment SQL (NULL when absent)
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
                    t = f"trim({self._pystr(f)}, {p(_PY_SPACE)})"
                    ok = f"regexp_full_match({t}, {p('[0-9]{1,18}')})"
                    columns[key] = f"CASE WHEN {ok} THEN TRY_CAST({t} AS BIGINT) END"
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
        for key, f in int_text.items():
            name = f"{key}_text"
            frag = self._json_fragment(f, integer=name in fmt.integer_fields)
            if name in detail:
                detail[name] = f"coalesce({frag}, {detail[name]})"
            else:
                detail[name] = frag
        parts = [f"CASE WHEN ({frag}) IS NOT NULL THEN {p(json.dumps(name) + ': ')} || ({frag}) END"
                 for name, frag in sorted(detail.items())]
        body = f"concat_ws(', ', {', '.join(parts)})" if parts else "''"
        columns["detail"] = f"(CASE WHEN {body} = '' THEN NULL ELSE '{{' || {body} || '}}' END)"
        # Python rows: odd lines, ambiguous empty groups, timestamps SQL cannot read
        py = "(_odd OR _amb OR _tspy)"
        cont = p("continuation line (starts with white space; part of the message above, which is kept as an event)")
        nomatch = p(f"not a {fmt.name} line (no pattern matched)")
        comment = p(f"comment line (starts with {fmt.comment_prefix!r})") if fmt.comment_prefix else "NULL"
        reject = (f"CASE WHEN _comment THEN {comment} "
                  f"WHEN _v IS NULL THEN CASE WHEN starts_with(line, ' ') OR starts_with(line, chr(9)) "
                  f"THEN {cont} ELSE {nomatch} END "
                  f"WHEN _ts IS NULL AND _tl IS NULL AND _tsraw IS NOT NULL THEN _tsreject "
                  f"WHEN _tsraw IS NULL THEN _tsreject END")
        pre = {"_py": py, "_pj": f"CASE WHEN {py} THEN forensics_decl_line({p(self.key)}, line) END"}
        cols_out = {"_rj": reject, "_ts": "_ts", "_tl": "_tl", "_tsraw": "_tsraw"}
        for col in CANONICAL_COLUMNS:
            cols_out[f'"c_{col}"'] = columns.get(col, "NULL")
        src = self._layer(pre | cols_out, ["line_no", "line"], src)
        out = [
            "line_no",
            f"CASE WHEN _py THEN json_extract_string(_pj, '$.reject') ELSE _rj END AS reject_reason",
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

    def _json_fragment(self, f: _Field, integer: bool) -> str:
        """SQL: the value as `_dumps` writes it (NULL when absent)."""
        s = f.expr
        escaped = f"'\"' || replace(replace(replace({s}, '\\', '\\\\'), '\"', '\\\"'), chr(9), '\\t') || '\"'"
        if integer:
            string = (f"CASE WHEN regexp_full_match({s}, {self.p('[0-9]{1,18}')}) "
                      f"THEN CAST(CAST({s} AS BIGINT) AS VARCHAR) ELSE {escaped} END")
        else:
            string = escaped
        if f.consts:
            return f"CASE WHEN {s} IS NULL THEN NULL WHEN starts_with({s}, chr(1)) THEN substr({s}, 2) ELSE {string} END"
        return f"CASE WHEN {s} IS NOT NULL THEN {string} END"

    # -- what the engine calls --------------------------------------------
    def select_sql(self, table: str) -> tuple[str, dict]:
        layers = [layer.replace("__TABLE__", table) for layer in self.layers]
        sql = "WITH " + ",\n".join(layers) + "\n" + self.final_select
        return sql, _used(sql, self.p.values)

    def local_ts_select(self, source: str) -> tuple[str, dict]:
        """SELECT line_no, ts_local: the naive times of `source(line_no, ts_raw)` read again.

        The engine fills `ingest_local` with it after inserting a chunk's
        events (a time is a function of its text alone, so reading `ts_raw`
        again gives the value the parse gave).
        """
        sub = CompiledDefinition.__new__(CompiledDefinition)
        sub.fmt, sub.key, sub.p, sub._n = self.fmt, self.key, _Params(), 0
        pre, _, naive, py = sub.ts_sql("ts_raw")
        cols = ", ".join(f"{e} AS {c}" for c, e in pre.items())
        inner = f"SELECT line_no, ts_raw{', ' + cols if cols else ''} FROM {source}"
        expr = (f"CASE WHEN {py} THEN TRY_CAST(forensics_decl_ts({sub.p(self.key)}, ts_raw) AS TIMESTAMP) "
                f"ELSE {naive} END")
        sql = f"SELECT line_no, {expr} AS ts_local FROM ({inner})"
        return sql, _used(sql, sub.p.values)


def _used(sql: str, values: dict) -> dict:
    """The parameters the SQL names (DuckDB refuses unused ones)."""
    names = set(re.findall(r"\$(p\d+)\b", sql))
    return {k: v for k, v in values.items() if k in names}


def _py_repr_sql(column: str) -> str:
    """SQL: Python's repr() of a printable-ASCII text (quotes chosen as repr does)."""
    esc = f"replace(replace({column}, '\\', '\\\\'), chr(9), '\\t')"
    return (f"CASE WHEN contains({column}, '''') AND NOT contains({column}, '\"') "
            f"THEN '\"' || {esc} || '\"' "
            f"ELSE '''' || replace({esc}, '''', '\\''') || '''' END")


_RE2_CHECK = None


def _check_re2(pattern: str) -> None:
    """Refuse a pattern RE2 does not compile (it would fail the whole chunk later)."""
    global _RE2_CHECK
    if _RE2_CHECK is None:
        _RE2_CHECK = duckdb.connect()
    try:
        _RE2_CHECK.execute("SELECT regexp_matches('', $p)", {"p": pattern}).fetchall()
    except duckdb.Error as exc:
        raise NotCompilable(f"RE2 refuses the pattern: {exc}") from None


# --------------------------------------------------------------------------
# The Python side: UDFs for the rows and conditions SQL leaves to Python

_FORMATS: dict[str, Any] = {}


def compile_definition(fmt) -> CompiledDefinition:
    """The compiled SELECT of a definition; raises NotCompilable."""
    key = f"{fmt.name}@{id(fmt):x}"
    compiled = CompiledDefinition(fmt, key)
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
