"""Web access logs: combined (nginx/Apache) and cPanel's `access_log`.

`combined`
    `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-Agent}i"` (= nginx's
    `combined`), with the variations real servers write:

    * a `vhost:port ` prefix (Debian's `vhost_combined`, other_vhosts_access.log)
      or a host name without port (Apache `%v %h ...`, nginx `$host $remote_addr ...`);
    * no `$remote_user` field (nginx formats written `$remote_addr - [$time_local] ...`);
    * the common log format (no referrer and User-Agent);
    * a trailing `"$http_x_forwarded_for"` (nginx `main`) and/or a trailing
      request time (nginx `$request_time` in seconds, Apache `%D` in µs);
    * escapes `\\"`, `\\\\` and `\\xHH` in quoted fields (undone in the columns,
      kept in `raw`), and unescaped quotes inside the request line (old Apache);
    * a request of `"-"` (the client sent nothing): method/path stay NULL.

`cpanel-access`
    `/usr/local/cpanel/logs/access_log`: dates MM/DD/YYYY, then after the
    User-Agent the auth method (`a` API token, `b` Basic, `s` session cookie,
    `o` OpenID), X-Forwarded-For and the server port (2083 cPanel, 2087 WHM,
    2096 webmail); 2015-era lines stop before the port.  The logged user is
    also the `account` (cPanel names customers by login); a WHM/cPanel API
    call keeps its function (`detail.api_function`, e.g. `cpanel`,
    `suspendacct`, `Email/list_pops`) and the account it names
    (`detail.api_user`, from `cpanel_jsonapi_user=` or `user=`).

Both give `event = 'http_request'`.  Extra fields go into `detail`:
`protocol`, `ident`, `vhost`, `x_forwarded_for`, `request_time` (as logged),
and for cPanel `auth_method`, `server_port`.  The cPanel session token in the
URL (`/cpsessNNNNNNNNNN/`) becomes `session`.
"""

from __future__ import annotations

import json
import re

from forensics.ingest.formats.sqlformat import QUOTED, SqlLineFormat, dash_null, unescaped

Q = QUOTED
_CLF_TIME = r"\d{1,2}/[A-Za-z]{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"
_CPANEL_TIME = r"\d{2}/\d{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}"

COMBINED_PATTERN = (
    # The virtual host is optional and tried last (`??`): three fields before
    # the time are `%h %l %u`; four are `%v %h %l %u` (with or without `:port`);
    # two are `$remote_addr -` of an nginx format without `$remote_user`.
    r"^(?:(?P<vhost>\S+) )??(?P<ip>\S+) (?P<ident>\S+) (?:(?P<user>\S+) )?"
    rf"\[(?P<ts>{_CLF_TIME})\] "
    r'"(?P<request>.*?)" (?P<status>\d{3}|-) (?P<bytes>\d+|-)'
    rf'(?: "(?P<referrer>{Q})" "(?P<ua>{Q})")?'
    rf'(?: "(?P<xff>{Q})")?'
    r"(?: (?P<tail>\d+(?:\.\d+)?))?[ \t]*$"
)
COMBINED_GROUPS = ["vhost", "ip", "ident", "user", "ts", "request", "status", "bytes",
                   "referrer", "ua", "xff", "tail"]

# The common case: full combined, no vhost, no backslash, no quote inside a
# field.  Such a line is cut on its quotes (`string_split(line, '"')`, 7 pieces,
# or 9 with X-Forwarded-For) and checked piece by piece: the part before the
# request, the status and size between request and referrer, and the tail
# after the last quote, each against its own short pattern.  Together they say
# what one match-only regex over the whole line said (`_FAST_PATTERN`), at a
# fraction of the cost: the long quoted fields (User-Agent, referrer) are
# never scanned by a regex.  Every other line goes through COMBINED_PATTERN.
_FAST_PATTERN = (
    rf'^\S+ \S+ \S+ \[{_CLF_TIME}\] "[^"]*" (?:\d{{3}}|-) (?:\d+|-) "[^"]*" "[^"]*"'
    r'(?: "[^"]*")?(?: \d+(?:\.\d+)?)?$'
)
_FAST_HEAD = rf"\S+ \S+ \S+ \[{_CLF_TIME}\] "          # before the request's quote
_FAST_MIDDLE = r" (?:\d{3}|-) (?:\d+|-) "                # between request and referrer
_FAST_TAIL = r"(?: \d+(?:\.\d+)?)?"                      # after the last quote
# SQL over `line`, `q` (its pieces between quotes) and `nq` (their number).
FAST_CHECK_SQL = """coalesce((nq = 7 OR nq = 9) AND q[5] = ' ' AND (nq = 7 OR q[7] = ' ')
    AND regexp_full_match(q[1], $fast_head) AND regexp_full_match(q[3], $fast_middle)
    AND regexp_full_match(q[nq], $fast_tail) AND NOT contains(line, '\\'), false)"""
FAST_CHECK_PARAMS = {"fast_head": _FAST_HEAD, "fast_middle": _FAST_MIDDLE, "fast_tail": _FAST_TAIL}

CPANEL_PATTERN = (
    rf"^(?P<ip>\S+) (?P<ident>\S+) (?P<user>\S+) \[(?P<ts>{_CPANEL_TIME})\] "
    r'"(?P<request>.*?)" (?P<status>\d{3}|-) (?P<bytes>\d+|-)'
    rf' "(?P<referrer>{Q})" "(?P<ua>{Q})"'
    rf'(?: "(?P<auth_method>{Q})" "(?P<xff>{Q})")?'
    r"(?: (?P<server_port>\d+))?[ \t]*$"
)
CPANEL_GROUPS = ["ip", "ident", "user", "ts", "request", "status", "bytes", "referrer", "ua",
                 "auth_method", "xff", "server_port"]


def _request_part_exprs(request: str, first: str = "rq_first", last: str = "rq_last") -> dict[str, str]:
    """SQL expressions of method, path and protocol from a request line (`"-"` -> NULLs).

    The request's words are its text split on single spaces: the method is
    the first, the protocol the last when there are three or more and it
    starts with `HTTP/`, the path what lies between (spaces kept).  Cut by
    position (the first space, the last word) rather than by building a list
    of words per line.  Needs `first` (position of the first space, 0 for
    none) and `last` (the text after the last space) beside `request`
    (`_request_words_sql`), or as expressions.
    """
    r = request
    versioned = f"({first} > 0 AND length({r}) - length({last}) > {first} AND starts_with({last}, 'HTTP/'))"
    return {
        "method": f"CASE WHEN {first} > 0 THEN left({r}, {first} - 1) END",
        "path": f"""CASE WHEN {versioned} THEN substr({r}, {first} + 1, length({r}) - length({last}) - {first} - 1)
             WHEN {first} > 0 THEN substr({r}, {first} + 1) END""",
        "protocol": f"CASE WHEN {versioned} THEN {last} END",
    }


def _request_parts_sql(request: str) -> str:
    """SQL columns method, path, protocol (`_request_part_exprs`, over `rq_first` and `rq_last`)."""
    return ",\n".join(f"{expr} AS {name}" for name, expr in _request_part_exprs(request).items())


def _request_words_sql(request: str) -> str:
    """SQL: the columns `_request_parts_sql` needs."""
    return f"strpos({request}, ' ') AS rq_first, split_part({request}, ' ', -1) AS rq_last"


def _request_three_words_sql(request: str, words: str) -> str:
    """SQL columns method, path, protocol as `_request_parts_sql` gives them, read
    from `words` (the request split on single spaces) where there are exactly
    three and the last starts with `HTTP/` (the usual `GET /path HTTP/1.1`):
    then `_request_part_exprs` gives the first word, the second and the third.
    Other requests go through it (its first space and last word computed for
    them only).  One list per line instead of a search for the first space,
    the last word and two lengths (~0.2 µs a line)."""
    three = f"(len({words}) = 3 AND starts_with({words}[3], 'HTTP/'))"
    exprs = _request_part_exprs(request, first=f"strpos({request}, ' ')", last=f"split_part({request}, ' ', -1)")
    return ",\n".join(f"CASE WHEN {three} THEN {words}[{i}] ELSE {expr} END AS {name}"
                      for i, (name, expr) in enumerate(exprs.items(), start=1))


# The combined log's `detail` of almost every line: no ident, virtual host,
# X-Forwarded-For or request time, and a protocol among these (or none, for a
# request of "-").  For such a line the text is one of a few constants, given
# as parameters instead of built by json_object for every line (~0.2 µs a
# line); they are the very bytes json_object gives for those values (tests).
PLAIN_PROTOCOLS = (None, "HTTP/1.0", "HTTP/1.1", "HTTP/2.0")


def plain_detail(protocol: str | None) -> str:
    """The combined log's `detail` (as json_object writes it) for a line with only `protocol`."""
    return ('{"protocol":' + json.dumps(protocol) +
            ',"ident":null,"vhost":null,"x_forwarded_for":null,"request_time":null}')


def _combined_detail_sql(plain_constants: bool) -> tuple[str, dict]:
    """SQL (over `ok`, `protocol`, `ident`, `vhost`, `xff`, `tail`) of the combined
    log's `detail`, and its parameters.  With `plain_constants`, a line whose
    JSON would hold nothing but one of PLAIN_PROTOCOLS takes its constant text;
    every other line (and all of them without) goes through json_object."""
    built = f"""json_object(
                   'protocol', protocol, 'ident', {dash_null('ident')},
                   'vhost', nullif(vhost, ''), 'x_forwarded_for', {dash_null('xff')},
                   'request_time', TRY_CAST(nullif(tail, '') AS DOUBLE))"""
    if not plain_constants:
        return f"CASE WHEN ok THEN {built} END", {}
    params, whens = {}, []
    for i, protocol in enumerate(PLAIN_PROTOCOLS):
        params[f"plain_detail_{i}"] = plain_detail(protocol)
        if protocol is None:
            whens.append(f"WHEN protocol IS NULL THEN $plain_detail_{i}::JSON")
        else:
            params[f"plain_protocol_{i}"] = protocol
            whens.append(f"WHEN protocol = $plain_protocol_{i} THEN $plain_detail_{i}::JSON")
    # Each test below implies the value json_object would write is null
    # (a NULL ident, say, fails it: that line is built, not assumed).
    plain = ("ident IN ('', '-') AND coalesce(vhost, '') = '' AND coalesce(xff, '') IN ('', '-') "
             "AND coalesce(tail, '') = ''")
    sql = f"""CASE WHEN ok THEN coalesce(
                   CASE WHEN {plain} THEN CASE {' '.join(whens)} END END,
                   {built}) END"""
    return sql, params


class CombinedAccessLog(SqlLineFormat):
    name = "combined"
    source_kind = "http"
    description = ("nginx/Apache combined access log (also common format, vhost prefix, "
                   "trailing X-Forwarded-For and/or request time)")
    sniff_pattern = re.compile(COMBINED_PATTERN)
    # Its events have no result, actor, auth, session, port or target: the
    # table without those columns (forensics.schema, `http_events`).
    event_table = "http_events"
    # A rejected line (ok false) has NULL in ts, ts_raw, ip, status, bytes and
    # detail below: the engine need not wrap them (`engine._event_values`).
    values_null_when_rejected = True

    # False sends every line through COMBINED_PATTERN (the tests compare both paths).
    structural_fast_path = True
    # False builds every line's detail with json_object (the tests compare both).
    plain_detail_constants = True

    def select_sql(self, table: str) -> tuple[str, dict]:
        # Fast lines are cut with string_split (one list per line, indexed);
        # the rest go through the full regular expression (CASE evaluates it
        # for those rows only).
        groups = ", ".join(f"'{g}'" for g in COMBINED_GROUPS)
        fast = FAST_CHECK_SQL if self.structural_fast_path else "false"
        detail, detail_params = _combined_detail_sql(self.plain_detail_constants)
        sql = f"""
        WITH quoted AS (
            SELECT line_no, line, string_split(line, '"') AS q FROM {table}
        ), checked AS (
            SELECT line_no, line, q, {fast} AS fast
            FROM (SELECT *, len(q) AS nq FROM quoted)
        ), cut AS (
            SELECT line_no, line, fast, q,
                   CASE WHEN NOT fast THEN regexp_extract(line, $pattern, [{groups}]) END AS m
            FROM checked
        ), cut2 AS (
            SELECT *, CASE WHEN fast THEN string_split(q[1], ' ') END AS sp,
                      CASE WHEN fast THEN string_split(trim(q[3]), ' ') END AS mid
            FROM cut
        ), fields AS (
            SELECT line_no, line,
                   CASE WHEN fast THEN true ELSE m.ip <> '' END AS ok,
                   CASE WHEN fast THEN substr(sp[4], 2) || ' ' || substr(sp[5], 1, 5) ELSE m.ts END AS ts_raw,
                   CASE WHEN fast THEN sp[1] ELSE m.ip END AS ip,
                   CASE WHEN fast THEN sp[2] ELSE m.ident END AS ident,
                   CASE WHEN fast THEN sp[3] ELSE m."user" END AS user_field,
                   CASE WHEN fast THEN NULL ELSE m.vhost END AS vhost,
                   CASE WHEN fast THEN q[2] ELSE {unescaped('m.request')} END AS request,
                   CASE WHEN fast THEN mid[1] ELSE m.status END AS status,
                   CASE WHEN fast THEN mid[2] ELSE m.bytes END AS bytes,
                   CASE WHEN fast THEN q[4] ELSE {unescaped('m.referrer')} END AS referrer,
                   CASE WHEN fast THEN q[6] ELSE {unescaped('m.ua')} END AS ua,
                   CASE WHEN fast THEN q[8] ELSE {unescaped('m.xff')} END AS xff,
                   CASE WHEN fast THEN coalesce(nullif(trim(q[7]), ''), trim(q[9])) ELSE m.tail END AS tail
            FROM cut2
        ), request_parts AS (
            SELECT *, {_request_three_words_sql('request', 'rq_words')}
            FROM (SELECT *, string_split(request, ' ') AS rq_words FROM fields)
        )
        SELECT line_no,
               CASE WHEN NOT ok THEN 'not a combined access log line' END AS reject_reason,
               try_strptime(ts_raw, '%d/%b/%Y:%H:%M:%S %z') AS ts, CASE WHEN ok THEN ts_raw END AS ts_raw,
               'http' AS source_kind, 'http_request' AS event,
               NULL::VARCHAR AS result, NULL::VARCHAR AS account, NULL::VARCHAR AS actor,
               {dash_null('user_field')} AS "user", NULL::VARCHAR AS auth, NULL::VARCHAR AS session,
               CASE WHEN ok THEN ip END AS ip, NULL::INTEGER AS port,
               {dash_null('ua')} AS user_agent,
               method, path,
               TRY_CAST(status AS INTEGER) AS status, TRY_CAST(bytes AS BIGINT) AS bytes,
               {dash_null('referrer')} AS referrer, NULL::VARCHAR AS target, NULL::VARCHAR AS host,
               {detail} AS detail,
               line AS raw
        FROM request_parts
        """
        return sql, {"pattern": COMBINED_PATTERN, **(FAST_CHECK_PARAMS if self.structural_fast_path else {}),
                     **detail_params}


class CpanelAccessLog(SqlLineFormat):
    name = "cpanel-access"
    source_kind = "http"
    description = "cPanel/WHM access_log (MM/DD/YYYY dates, auth method, X-Forwarded-For, server port)"
    sniff_pattern = re.compile(CPANEL_PATTERN)

    def select_sql(self, table: str) -> tuple[str, dict]:
        groups = ", ".join(f"'{g}'" for g in CPANEL_GROUPS)
        sql = f"""
        WITH matched AS (
            SELECT line_no, line, regexp_extract(line, $pattern, [{groups}]) AS m FROM {table}
        ), fields AS (
            SELECT line_no, line, m.ip <> '' AS ok,
                   try_strptime(m.ts, '%m/%d/%Y:%H:%M:%S %z') AS ts, m.ts AS ts_raw,
                   m.ip AS ip, m.ident AS ident,
                   CASE WHEN m."user" IN ('', '-') THEN NULL ELSE m."user" END AS dash_user,
                   {unescaped('m.request')} AS request, m.status AS status, m.bytes AS bytes,
                   {unescaped('m.referrer')} AS referrer, {unescaped('m.ua')} AS ua,
                   m.auth_method AS auth_method, {unescaped('m.xff')} AS xff,
                   m.server_port AS server_port
            FROM matched
        ), request_parts AS (
            SELECT *, {_request_parts_sql('request')} FROM (SELECT *, {_request_words_sql('request')} FROM fields)
        )
        SELECT line_no,
               CASE WHEN NOT ok THEN 'not a cPanel access_log line'
                    WHEN ts IS NULL THEN 'unreadable timestamp: ' || ts_raw END AS reject_reason,
               ts, CASE WHEN ok THEN ts_raw END AS ts_raw,
               'http' AS source_kind, 'http_request' AS event,
               -- cPanel names the customer by its login: the user is the account
               NULL::VARCHAR AS result, dash_user AS account, NULL::VARCHAR AS actor,
               dash_user AS "user",
               CASE auth_method WHEN 'a' THEN 'api_token' WHEN 'b' THEN 'basic'
                                WHEN 's' THEN 'session' WHEN 'o' THEN 'openid' END AS auth,
               nullif(regexp_extract(path, '/(cpsess[0-9]+)', 1), '') AS session,
               CASE WHEN ok THEN ip END AS ip, NULL::INTEGER AS port,
               {dash_null('ua')} AS user_agent, method, path,
               TRY_CAST(status AS INTEGER) AS status, TRY_CAST(bytes AS BIGINT) AS bytes,
               {dash_null('referrer')} AS referrer, NULL::VARCHAR AS target, NULL::VARCHAR AS host,
               CASE WHEN ok THEN json_object(
                   'protocol', protocol, 'ident', {dash_null('ident')},
                   'auth_method', {dash_null('auth_method')},
                   'x_forwarded_for', {dash_null('xff')},
                   'server_port', TRY_CAST(nullif(server_port, '') AS INTEGER),
                   'api_function', nullif(regexp_extract(path, '/(?:json-api|xml-api|execute)/([A-Za-z0-9_]+(?:/[A-Za-z0-9_]+)?)', 1), ''),
                   'api_user', nullif(regexp_extract(path, '[?&](?:cpanel_jsonapi_user|user)=([^&]+)', 1), '')) END AS detail,
               line AS raw
        FROM request_parts
        """
        return sql, {"pattern": CPANEL_PATTERN}


FORMATS = [CpanelAccessLog(), CombinedAccessLog()]
