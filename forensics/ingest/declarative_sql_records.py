"""Declarative CSV definitions compiled to one DuckDB SELECT (issue 14, item 3).

The regex definitions are compiled by `forensics.ingest.declarative_sql`; a
CSV definition differs only in how a line becomes raw fields, so
`CompiledCsvDefinition` replaces that first step (`_raw_fields`) and keeps
the rest ([fields], defaults, rules, value maps, timestamps, `detail`, the
Python rows).  Each line of the engine's `(line_no, line)` table is cut into
its cells in SQL, not with `read_csv` on the file (which drops invalid UTF-8
lines and splits on a lone `\\r`, so line numbers would drift):

* a line without `"` is split on the delimiter (`string_split`);
* a line of whole-quoted and unquoted cells (`""` for a quote inside) is
  checked by one regex and cut with string functions (`quoted_cells_sql`;
  `regexp_extract_all` over `delimiter || line` where the line holds chr(31));
* every other line, a line whose cell count is not the definition's, a line
  that reads as the header, lines longer than `csv`'s field limit and lines
  outside printable ASCII (as for the regex definitions) are parsed by the
  Python path (`DefinitionFormat.parse_line`), one UDF call per such line,
  which also gives their exact reject reasons.

Not compiled: a `[csv] escape` character (backslash escapes: `csv`'s own
reading), a delimiter that is not one printable ASCII character, `[split]`,
timestamp patterns without a regex reader.

JSON-lines definitions (`CompiledJsonlDefinition`, `keep_unmapped` too) and
MySQL dumps (`CompiledSqlDumpDefinition`, one INSERT row per line) are
compiled the same way: the first layer cuts a line into its fields, the
regex compiler does the rest.  `jsonl multiline` (journald-json) is compiled
for its lines one by one: a file where a line that did not parse alone holds
`{` (a record pretty-printed over several lines could start there) is parsed
again by the Python path (`records_span_lines`).  Not compiled: dotted JSON paths.
"""

from __future__ import annotations

import re

from forensics.ingest.base import CANONICAL_COLUMNS
from forensics.ingest.declarative_sql import (_FORMATS, _ODD_LINE, CompiledDefinition, NotCompilable, _Field,
                                               names_read)

_CSV_FIELD_LIMIT = 131072   # csv.field_size_limit(): a longer line may hold a longer cell


# SQL: a cell as regexp_extract_all cuts it (`x`), unquoted
_UNQUOTE = "CASE WHEN starts_with(x, '\"') THEN replace(substr(x, 2, length(x) - 2), '\"\"', '\"') ELSE x END"


def quoted_cells_sql(line: str, delim: str, quote: str = '"') -> str:
    """SQL: the cells, unquoted, of a well-formed CSV line with quotes and without chr(31).

    Split on `"`, the pieces alternate outside/inside a quoted cell (odd/even
    positions); an empty outside piece between two others is an escaped `""`
    (a closing and an opening quote of different cells have a delimiter
    between them).  Inside pieces are kept, escaped quotes become `"`, the
    delimiters outside become chr(31), and the text is split on chr(31).
    About 1 µs a line where `regexp_extract_all` took 9-12 µs.  The line is
    split with a chr(30) after it (taken off the joined text at the end), so
    the last piece is never empty and "an empty piece between two others"
    needs no count of the pieces (which split the line again for every
    piece: 4.7 against 3.6 µs a line on WHMCS tickets' 300-character rows);
    the cells are the same for every line.
    """
    q = "''" if quote == "'" else quote
    return (f"string_split(left(array_to_string(list_transform(string_split({line} || chr(30), '{q}'), lambda x, i: "
            f"CASE WHEN i % 2 = 0 THEN x WHEN x = '' AND i > 1 THEN '{q}' "
            f"ELSE replace(x, {delim}, chr(31)) END), ''), -1), chr(31))")


class CompiledCsvDefinition(CompiledDefinition):
    """The SELECT of a CSV definition."""

    def _raw_fields(self):
        fmt, p = self.fmt, self.p
        self._check_compilable("csv")
        dialect = fmt._csv_dialect
        if dialect["escapechar"] is not None or not dialect["doublequote"]:
            raise NotCompilable("a CSV escape character is read by Python's csv")
        delim = dialect["delimiter"]
        if len(delim) != 1 or delim == '"' or not (delim == "\t" or 0x20 <= ord(delim) < 0x7f):
            raise NotCompilable("a CSV delimiter that is not one printable ASCII character")
        columns = fmt.csv_spec["columns"]
        d = re.escape(delim) if delim != "\t" else "\\t"
        quoted = r'"(?:[^"]|"")*"'
        line_rx = rf'^(?:{quoted}|[^"{d}]*)(?:{d}(?:{quoted}|[^"{d}]*))*$'
        cell_rx = rf'{d}({quoted}|[^"{d}]*)'
        plain_rx = rf'^(?:"[^"{d}]*"|[^"{d}]*)(?:{d}(?:"[^"{d}]*"|[^"{d}]*))*$'
        cut = (f"CASE WHEN length(line) > {_CSV_FIELD_LIMIT} THEN NULL "
               f"WHEN NOT contains(line, '\"') THEN string_split(line, {p(delim)}) "
               # quotes around whole cells only, none holding a quote or the delimiter: the cells
               # are the line's pieces without their quotes (no lambda over the pieces)
               f"WHEN regexp_matches(line, {p(plain_rx)}) THEN string_split(replace(line, '\"', ''), {p(delim)}) "
               f"WHEN NOT regexp_matches(line, {p(line_rx)}) THEN NULL "
               f"WHEN NOT contains(line, chr(31)) THEN {quoted_cells_sql('line', p(delim))} "
               f"ELSE list_transform(regexp_extract_all({p(delim)} || line, {p(cell_rx)}, 1), lambda x: {_UNQUOTE}) END")
        self.layers.append(f"l0c AS (SELECT line_no, line, {cut} AS _c FROM __TABLE__)")
        # Outside printable ASCII, RE2's classes (\\d \\w \\s) and Python's part: such text goes to
        # Python only in the cells a regex reads (rule conditions, the time, integer columns and
        # fields, and the cells [fields] copies into them); elsewhere it is copied as it is.
        # Control characters (json.dumps and DuckDB escape them differently) anywhere do.
        read = _regex_read(fmt)
        odd = [f"regexp_matches(line, {p(_CONTROL)})", "_c IS NULL", f"len(_c) <> {len(columns)}"]
        odd += [f"regexp_matches(_c[{i}], {p(_ODD_LINE)})" for i, name in enumerate(columns, 1) if name in read]
        if fmt.csv_spec.get("header") and fmt._header_probe:
            # a header line with non-ASCII text (Python's lower() decides): Python says
            odd.append(f"(regexp_matches(line, {p(_ODD_LINE)}) AND contains(lower(line), {p(fmt._header_probe)}))")
        elif fmt.csv_spec.get("header"):
            odd.append(f"regexp_matches(line, {p(_ODD_LINE)})")
        if fmt.csv_spec.get("header"):
            # the header line (cells, stripped and lower-cased, are the column names): Python says so
            cells = "list_transform(_c, lambda x: lower(trim(x, ' ' || chr(9))))"
            test = f"{cells} = {p([c.lower() for c in columns])}::VARCHAR[]"
            if fmt._header_probe:   # as the Python path: a line without the longest name is no header
                test = f"(CASE WHEN contains(lower(line), {p(fmt._header_probe)}) THEN {test} ELSE false END)"
            odd.append(test)
        comment = f"starts_with(line, {p(fmt.comment_prefix)})" if fmt.comment_prefix else "false"
        self.layers.append(f"l0 AS (SELECT line_no, line, _c, coalesce({' OR '.join(odd)}, true) AS _odd, "
                           f"1 AS _v, {comment} AS _comment FROM l0c)")
        src = "l0"
        nulls = sorted(fmt.null_values)
        cells: dict[str, str] = {}   # each cell decoded once, as a column of its own
        for i, name in enumerate(columns, 1):
            expr = f"_c[{i}]"   # cut and unquoted
            if nulls:
                expr = f"(CASE WHEN {expr} IN ({', '.join(p(v) for v in nulls)}) THEN NULL ELSE {expr} END)"
            cells[f"_k{i}"] = expr
        src = self._layer(cells, src)
        state = {name: _Field(f"_k{i}") for i, name in enumerate(columns, 1)}
        self.amb_terms = ["false"]
        return self._settle(state, {}, src)


# JSON numbers whose text yyjson and Python's str() write alike: integers of up
# to 15 digits, decimals of up to 15+15 digits at or above 0.001 (Python's
# repr turns to exponents below 1e-4 and from 1e16).
_JSON_NUMBER = r"^-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?$"
_JSON_TINY = r"^-?0(?:\.0*)?$|^-?0\.00"
_TRAILING_COMMA = r",[ \t\n\r]*[}\]]"


class CompiledJsonlDefinition(CompiledDefinition):
    """The SELECT of a JSON-lines definition without `multiline` or dotted paths.

    A line is answered in SQL when yyjson reads it as an object without a
    trailing comma or a key twice (where Python's json differs), and every
    field the definition reads is absent, null, a string, a boolean or a
    plain number (`_JSON_NUMBER`); else the Python path answers it.

    `keep_unmapped` (`DefinitionFormat._json_fields`: every other non-null
    key kept, a canonical column's name as `json_<key>`): the keys some part
    of the definition reads (rules, [fields] targets, defaults, value maps,
    integer fields) are extracted like the paths, under the name the record
    gives them; the others (`_u`: the object's keys (`json_keys`) zipped with its JSON
    values, `$.*`) only go to `detail`, merged in key order with the rest there
    (`_final`).  Python answers a line with a backslash (escapes), with
    `"json_` or `"detail` in it (keys whose record names could collide), or
    with an unmapped value that is an object, an array or an unusual number
    (Python keeps those as nested JSON or writes them with its own repr).
    """

    def _raw_fields(self):
        fmt, p = self.fmt, self.p
        if fmt.kind != "jsonl":
            raise NotCompilable(f"{fmt.kind} definitions are parsed in Python")
        # `multiline` (a record pretty-printed over several lines): `DefinitionFormat._parse_json_records`
        # joins lines only from a line that did not parse alone and starts with `{`; the engine
        # parses a file in which such a line is left in Python (`records_span_lines`)
        self.records_span_lines = bool(fmt.jsonl_spec.get("multiline"))
        keep = bool(fmt.jsonl_spec.get("keep_unmapped"))
        if keep and fmt.null_values:
            raise NotCompilable("jsonl keep_unmapped with null_values is parsed in Python")
        if fmt.split:
            raise NotCompilable("[split] is parsed in Python")
        if fmt.regex_warnings:
            raise NotCompilable("a pattern nests one loop in another: parsed in Python, with its time budget")
        paths = list(fmt._json_paths)
        if not paths or any("." in path or not path.isidentifier() for path in paths):
            raise NotCompilable("a JSON path that is not a plain key is read by Python")
        for tf in fmt.ts_formats:
            if "%" in tf.spec and not tf.spec.startswith("epoch"):
                from forensics.ingest.declarative import _fast_strptime
                if _fast_strptime(tf.spec) is None:
                    raise NotCompilable(f"timestamp pattern {tf.spec!r} has no regex reader")
        names = list(paths)      # the record's name of each extracted key
        keys = list(paths)       # its JSON key
        if keep:
            for name, key in _unmapped_read(fmt, set(paths)):
                names.append(name)
                keys.append(key)
        obj = (f"CASE WHEN json_valid(line) THEN starts_with(ltrim(line, ' ' || chr(9)), '{{') "
               f"AND NOT regexp_matches(line, {p(_TRAILING_COMMA)}) ELSE false END")
        self.layers.append(f"l0a AS (SELECT line_no, line, {obj} AS _obj FROM __TABLE__)")
        self.layers.append(f"l0b AS (SELECT *, CASE WHEN _obj THEN json_extract(line, {p(['$.' + x for x in keys])}) END AS _j, "
                           f"CASE WHEN _obj THEN json_keys(line) END AS _k FROM l0a)")
        frags = [f"_j[{i}]::VARCHAR" for i in range(1, len(keys) + 1)]
        # most lines hold strings without escapes (and null, true, false) alone: one pass over
        # the list says so (0.5 us a line); the others are asked per field (2 us)
        simple = ("len(list_filter(_j, lambda f: f IS NOT NULL AND f::VARCHAR NOT IN ('null', 'true', 'false') "
                  "AND NOT (starts_with(f::VARCHAR, '\"') AND NOT contains(f::VARCHAR, '\\')))) = 0")
        plain = (f"CASE WHEN {simple} THEN true ELSE "
                 f"{' AND '.join(f'({f} IS NULL OR {_plain_json(f, p)})' for f in frags)} END")
        # `_ODD_LINE` (a character outside printable ASCII and tab) asked only of an object yyjson
        # read (any other line is odd anyway): its only such characters can be the white space
        # LF and CR, DEL inside a string, and non-ASCII (more bytes than characters); yyjson
        # takes no other control character anywhere (tests/test_declarative_sql_records.py).
        # The regex scanned the whole line: 0.7 us a line on contacts' 250 characters, this 0.01
        odd_text = ("(contains(line, chr(10)) OR contains(line, chr(13)) OR contains(line, chr(127)) "
                    "OR strlen(line) <> length(line))")
        odd = f"NOT coalesce(_obj AND len(list_distinct(_k)) = len(_k) AND {plain}, false) OR {odd_text}"
        comment = f"starts_with(line, {p(fmt.comment_prefix)})" if fmt.comment_prefix else "false"
        if keep:
            # the unmapped keys and their JSON values (`$.*` gives the values in json_keys'
            # order): a JSON null is left out as Python leaves it out.  A MAP of the object
            # (json_transform) costs 4.3 us a line, this 0.9.
            v = "e[2]::VARCHAR"
            unmapped = (f"CASE WHEN _obj AND NOT list_has_all({p(keys)}::VARCHAR[], _k) THEN "
                        f"list_filter(list_zip(_k, json_extract(line, '$.*')), "
                        f"lambda e: {v} <> 'null' AND NOT list_contains({p(keys)}::VARCHAR[], e[1])) END")
            self.layers.append(f"l0u AS (SELECT *, {unmapped} AS _u FROM l0b)")
            # a value other than a string or a boolean is asked the number test (rare: a
            # regular expression inside a lambda costs ~10 us a line); so is a key with a space
            # or `!` (it would not sort as Python sorts it: `_final`)
            odd_key = "contains(e[1], ' ') OR contains(e[1], '!')"
            other = f"list_filter(_u, lambda e: {odd_key} OR NOT (starts_with({v}, '\"') OR {v} IN ('true', 'false')))"
            odd = (f"{odd} OR contains(line, '\\') OR contains(line, '\"json_') OR contains(line, '\"detail') "
                   f"OR CASE WHEN _u IS NULL OR len(_u) = 0 OR len({other}) = 0 THEN false "
                   f"ELSE len(list_filter(_u, lambda e: {odd_key} OR NOT {_plain_json(v, p)})) > 0 END")
            base = "l0u"
            self.unmapped_known = keys
            # `"name": value` (`_final` sorts them with the other members): a key without
            # escapes (the line has no backslash) is written as it is
            name = f"CASE WHEN e[1] IN ({', '.join(p(c) for c in CANONICAL_COLUMNS)}) THEN 'json_' || e[1] ELSE e[1] END"
            self.unmapped = (f"list_transform(_u, lambda e: '\"' || ({name}) || '\": ' || "
                             f"CASE WHEN starts_with({v}, '\"') THEN {v} ELSE '\"' || {v} || '\"' END)")
        else:
            base = "l0b"
        cols = "_j, _u" if keep else "_j"
        self.layers.append(f"l0 AS (SELECT line_no, line, {cols}, {odd} AS _odd, 1 AS _v, {comment} AS _comment FROM {base})")
        state: dict[str, _Field] = {}
        nulls = sorted(fmt.null_values)
        for i, name in enumerate(names, 1):
            f = f"_j[{i}]::VARCHAR"
            expr = (f"(CASE WHEN {f} IS NULL OR {f} = 'null' THEN NULL "
                    f"WHEN starts_with({f}, '\"') THEN substr({f}, 2, length({f}) - 2) ELSE {f} END)")
            if nulls:
                expr = f"(CASE WHEN {expr} IN ({', '.join(p(v) for v in nulls)}) THEN NULL ELSE {expr} END)"
            state[name] = _Field(expr)
        self.amb_terms = ["false"]
        return self._settle(state, {}, "l0")


def _plain_json(f: str, p) -> str:
    """SQL: the JSON text `f` is null, a boolean, a string without escapes or a number whose
    text Python's str() writes alike."""
    return (f"({f} IN ('null', 'true', 'false') OR (starts_with({f}, '\"') AND NOT contains({f}, '\\')) "
            f"OR (regexp_matches({f}, {p(_JSON_NUMBER)}) AND NOT regexp_matches({f}, {p(_JSON_TINY)})))")


def _unmapped_read(fmt, paths: set[str]) -> list[tuple[str, str]]:
    """(record name, JSON key) of the unmapped keys a keep_unmapped definition reads by name:
    rule conditions, captures and values set, [fields] targets, defaults, value maps and
    integer fields.  A JSON key named like a canonical column is `json_<key>` in the record."""
    wanted = set(fmt.fields) | set(fmt.defaults) | set(fmt.value_maps) | set(fmt.integer_fields)
    for rule in fmt.rules:
        wanted |= set(rule.match) | set(rule.set)
        for pattern in rule.match.values():
            wanted |= set(pattern.groupindex)
    out = []
    for name in sorted(wanted - paths):
        if name.startswith("json_") and name[5:] in CANONICAL_COLUMNS:
            key = name[5:]
        elif name in CANONICAL_COLUMNS or name.startswith("detail"):
            continue    # no JSON key gives a record this name (an unmapped one is json_<key>)
        else:
            key = name
        if key in paths:
            continue    # a path's value is kept under its own name, never as json_<key>
        if not key.isidentifier():
            raise NotCompilable(f"a JSON key {key!r} read by name that is not a plain key")
        out.append((name, key))
    return out


def _printable(refused: str) -> str:
    """RE2: a class of the characters `_ODD_LINE` lets through (printable ASCII and tab) but `refused`."""
    kept = [c for c in [chr(9), *map(chr, range(0x20, 0x7F))] if c not in refused]
    return "[" + "".join(f"\\x{ord(c):02x}" for c in kept) + "]"


def _dump_shape(plain: str, escaped: str, word: str, listed: str, space: str) -> str:
    """RE2: a dump line's shape from its character classes: a quoted value's `plain` characters
    and the `escaped` ones after a backslash, a bare value's `word` characters, the column
    list's `listed` ones, and the `space` after the row."""
    quoted = rf"'(?:{plain}|\\{escaped})*'"
    return (rf"INSERT INTO `[A-Za-z0-9_$.]+` (?:\({listed}*\) )?VALUES "
            rf"\((?:{quoted}|{word}+)(?:,(?:{quoted}|{word}+))*\){space}*;?{space}*")


class CompiledSqlDumpDefinition(CompiledDefinition):
    r"""The SELECT of a MySQL-dump definition (`[sql]`, one `INSERT` row per line).

    mysqldump --skip-extended-insert's common line, ``INSERT INTO `t` [(cols)]
    VALUES (v,...);`` with every value a quoted string or a bare word other
    than NULL, is cut in SQL.  Inside a quoted string a backslash escape
    other than `\0 \b \n \r \t \Z` (which MySQL reads as control characters)
    is read as the character escaped, as `sqldump.one_row` reads it: `\\` and
    `\'` become placeholders (chr(1), chr(2): no line cut here holds one),
    any other `\x` becomes `x`; then the row's text is split on `'` as a CSV
    line is on `"` (`quoted_cells_sql`), and the placeholders become `\` and
    `'` again.  A column list other than the definition's is read by name:
    each of the definition's columns from its place in the list, the others
    (plain names the definition does not mention) kept in `detail` in key
    order, as the Python path keeps a record's other keys (`unmapped`).
    Every other line (NULL, doubled quotes inside a value, those control
    escapes, another table, a name twice or one the definition reads, several
    rows, schema lines, text outside printable ASCII) is answered by the
    Python path, one UDF call per line, with its exact reject reason.
    """

    # (a full match without captures: RE2's DFA, 0.5 us a line where the extraction of the three
    # parts took 4-7; the parts are then cut by position)
    _SHAPE = _dump_shape(r"[^'\\]", r"[^0bnrtZ]", r"[^,()\s'\\]", r"[^)]", r"\s")
    # The same shape over printable ASCII and tab only (`_ODD_LINE` leaves the line to Python):
    # each class is the printable one less what the class above refuses (`\s` is tab, LF, FF,
    # CR and blank; only tab and blank are printable), so a line matches it exactly when it
    # matches `_SHAPE` and holds no odd character; one scan of the line, where `_ODD_LINE` and
    # the shape took two
    _SHAPE_PRINTABLE = _dump_shape(_printable(chr(39) + chr(92)), _printable("0bnrtZ"),
                                   _printable(",()' " + chr(9) + chr(92)), _printable(")"), r"[ \t]")

    def _raw_fields(self):
        fmt, p = self.fmt, self.p
        self._check_compilable("sql")
        columns = list(fmt.sql_spec["columns"])
        table = fmt.sql_spec["table"]
        # in the shape: the table up to the next backquote; after "` " a column list (no `)` in
        # it) or "VALUES ("; the row up to the line's last `)` (only blanks and `;` after it)
        rest = "substr(line, length(split_part(line, '`', 2)) + 16)"
        listed = f"starts_with({rest}, '(')"
        start = f"CASE WHEN {listed} THEN strpos({rest}, ')') + 10 ELSE 9 END"
        end = f"length({rest}) - strpos(reverse({rest}), ')') + 1"
        cut = (f"struct_pack(t := split_part(line, '`', 2), "
               f"c := CASE WHEN {listed} THEN substr({rest}, 2, strpos({rest}, ')') - 2) END, "
               f"r := substr({rest}, {start}, {end} - ({start})))")
        self.layers.append(f"l0s AS (SELECT line_no, line, CASE WHEN regexp_full_match(line, {p(self._SHAPE_PRINTABLE)}) THEN {cut} "
                           f"ELSE struct_pack(t := '', c := NULL::VARCHAR, r := '') END AS _s FROM __TABLE__)")
        # escapes resolved (placeholders for `\\` and `\'`): no quote is left inside a value
        bs = "chr(92)"
        unescaped = (f"regexp_replace(replace(replace(_s.r, {bs} || {bs}, chr(1)), {bs} || chr(39), chr(2)), "
                     f"{p(chr(92) * 2 + '(.)')}, {p(chr(92) + '1')}, 'g')")
        row = f"CASE WHEN contains(_s.r, {bs}) THEN {unescaped} ELSE _s.r END"
        # the shape has no quote inside a value: split on the quote, the pieces alternate
        # outside/inside strictly (`''` is an empty value)
        cells = (f"CASE WHEN NOT contains(_r, chr(39)) THEN string_split(_r, ',') "
                 f"ELSE {quoted_cells_sql('_r', p(','), quote=chr(39))} END")
        back = f"list_transform({cells}, lambda x: replace(replace(x, chr(1), {bs}), chr(2), chr(39)))"
        cells = f"CASE WHEN contains(_s.r, {bs}) THEN {back} ELSE {cells} END"
        own = "list_transform(string_split(_s.c, ','), lambda x: trim(trim(x, ' ' || chr(9)), '`\"'))"
        self.layers.append(f"l0r AS (SELECT line_no, line, _s, CASE WHEN _s.t <> '' THEN {row} END AS _r, "
                           f"CASE WHEN _s.c IS NOT NULL THEN {own} END AS _own FROM l0s)")
        self.layers.append(f"l0c AS (SELECT *, CASE WHEN _s.t <> '' THEN {cells} END AS _c, "
                           f"coalesce(_own = {p(columns)}::VARCHAR[], true) AS _same FROM l0r)")
        # another column list: plain names, each once, none the definition mentions other than its columns
        mentioned = sorted(_mentioned(fmt) - set(columns))
        other_ok = (f"(len(list_distinct(_own)) = len(_own) "
                    f"AND len(list_filter(_own, lambda x: NOT regexp_full_match(x, '[A-Za-z_][A-Za-z0-9_]*'))) = 0 "
                    f"AND NOT list_has_any(_own, {p(mentioned)}::VARCHAR[]))")
        ok = ["_s.t <> ''",
              f"(_s.t = {p(table)} OR ends_with(_s.t, {p('.' + table)}))",
              f"(_same OR {other_ok})",
              f"len(_c) = CASE WHEN _same THEN {len(columns)} ELSE len(_own) END",
              # a bare NULL (or a quoted value that reads like one: Python decides)
              f"NOT regexp_matches(_s.r, {p('(?i)(^|,)null(,|$)')})"]
        odd = f"NOT coalesce({' AND '.join(ok)}, false)"
        comment = f"starts_with(line, {p(fmt.comment_prefix)})" if fmt.comment_prefix else "false"
        nulls = sorted(fmt.null_values)
        keep = f"NOT list_contains({p(columns)}::VARCHAR[], e[1])"
        if nulls:
            keep += f" AND NOT list_contains({p(nulls)}::VARCHAR[], e[2])"
        unread = (f"CASE WHEN NOT _same THEN list_transform(list_filter(list_zip(_own, _c), lambda e: {keep}), "
                  f"lambda e: [e[1], e[2]]) END")
        self.layers.append(f"l0 AS (SELECT line_no, line, _c, _own, _same, {unread} AS _u, {odd} AS _odd, "
                           f"1 AS _v, {comment} AS _comment FROM l0c)")
        cells_cols: dict[str, str] = {}
        for i, name in enumerate(columns, 1):
            expr = f"CASE WHEN _same THEN _c[{i}] ELSE _c[list_position(_own, {p(name)})] END"
            if nulls:
                expr = f"(CASE WHEN {expr} IN ({', '.join(p(v) for v in nulls)}) THEN NULL ELSE {expr} END)"
            cells_cols[f"_k{i}"] = expr
        src = self._layer(cells_cols, "l0")
        state = {name: _Field(f"_k{i}") for i, name in enumerate(columns, 1)}
        self.amb_terms = ["false"]
        self.unmapped = "list_transform(_u, lambda e: '\"' || e[1] || '\": ' || to_json(e[2])::VARCHAR)"
        self.unmapped_known = list(columns)
        return self._settle(state, {}, src)


def _mentioned(fmt) -> set[str]:
    """Every record key a definition names: [fields], defaults, value maps, integer fields, the time
    field, rule conditions, captures and values set (`detail.x` as `x` too), and the canonical columns."""
    names = names_read(fmt)
    names |= {n[7:] for n in names if n.startswith("detail.")}
    return names | set(CANONICAL_COLUMNS) | {"detail", "variant"}


_CONTROL = "[\\x00-\\x08\\x0a-\\x1f\\x7f]"


def _regex_read(fmt) -> set[str]:
    """Record keys some regex or Python str test reads: rule conditions, the time field, integer
    columns and fields, and (closed over [fields]) the keys copied into them."""
    read = {key for rule in fmt.rules for key in rule.match} | {"port", "status", "bytes"}
    read |= set(fmt.integer_fields) | {f"detail.{name}" for name in fmt.integer_fields}
    read |= {fmt.ts_field} if fmt.ts_field else set()
    while True:
        more = {source for target, sources in fmt.fields.items() if target in read for source in sources}
        if more <= read:
            return read
        read |= more


def compile_definition(fmt) -> CompiledDefinition:
    """The compiled SELECT of a CSV, JSON-lines or SQL-dump definition; raises NotCompilable."""
    classes = {"csv": CompiledCsvDefinition, "jsonl": CompiledJsonlDefinition, "sql": CompiledSqlDumpDefinition}
    if fmt.kind not in classes:
        raise NotCompilable(f"{fmt.kind} definitions are parsed in Python")
    key = f"{fmt.name}@{id(fmt):x}"
    compiled = classes[fmt.kind](fmt, key)
    _FORMATS[key] = (fmt, compiled)
    return compiled
