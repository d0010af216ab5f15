"""The case file's schema: one DuckDB file per case.

Every table is created here, so a reader finds the whole data model in one
place.  Each stage owns its tables:

* ingest:       sources, event_rows, http_events, rejects, account_maps,
                account_map_entries, source_hours
* enrich:       user_agents, ip_info, geoip_databases, enrich_runs,
                account_rows (a copy of the events that carry an account,
                sorted by account: `forensics.account_rows`)
* (case-wide):  case_meta (key/value: created_at, tool version, notes)
* (views):      events (every event: `event_rows` and `http_events` as one
                table), evidence_events, the shape every finding's evidence rows share

Events are stored by kind: a format whose rows leave columns empty by
construction (the combined access log has no result, actor, auth, session,
port or target) writes a table without them (`http_events`), because DuckDB
pays for every stored NULL (0.6-1.0 CPU-µs per access-log line for those six,
measured 2026-12-03).  Everything reads the `events` view; only the ingest,
the account map and `lake pull` write the tables.

Columns are documented in README.md ("The case file"); tests/test_docs.py
checks that every column here is documented there.
"""

SCHEMA_VERSION = 2

# The columns of `events`, in order; `http_events` has all but _NOT_HTTP.
EVENT_COLUMNS = (
    "event_id", "source_id", "line_no", "ts", "ts_raw", "source_kind", "event", "result",
    "account", "actor", "user", "auth", "session", "ip", "port", "user_agent", "method", "path",
    "status", "bytes", "referrer", "target", "host", "detail", "raw", "raw_bytes", "integrity",
)
_NOT_HTTP = {"result": "VARCHAR", "actor": "VARCHAR", "auth": "VARCHAR", "session": "VARCHAR",
             "port": "INTEGER", "target": "VARCHAR"}
HTTP_COLUMNS = tuple(c for c in EVENT_COLUMNS if c not in _NOT_HTTP)
# The tables behind `events` (what an UPDATE or DELETE of events must touch).
EVENT_TABLES = ("event_rows", "http_events")


def _q(column: str) -> str:
    return f'"{column}"' if column == "user" else column


_EVENTS_VIEW = (
    "CREATE OR REPLACE VIEW events AS\n"
    f"    SELECT {', '.join(_q(c) for c in EVENT_COLUMNS)} FROM event_rows\n"
    "    UNION ALL\n"
    "    SELECT " + ", ".join(f"NULL::{_NOT_HTTP[c]} AS {c}" if c in _NOT_HTTP else _q(c) for c in EVENT_COLUMNS)
    + " FROM http_events\n"
)


def migrate(con) -> None:
    """A case made with schema 1 (one `events` table) gets the layout of schema 2:
    its table, with every row, becomes `event_rows` (a rename: nothing is copied)."""
    kind = con.execute("SELECT table_type FROM information_schema.tables "
                       "WHERE table_name = 'events' AND table_schema = 'main'").fetchall()
    if kind and kind[0][0] == "BASE TABLE":
        con.execute("ALTER TABLE events ADD COLUMN IF NOT EXISTS integrity VARCHAR")
        con.execute("DROP VIEW IF EXISTS evidence_events")
        con.execute("ALTER TABLE events RENAME TO event_rows")
        con.execute("UPDATE case_meta SET value = $v WHERE key = 'schema_version'", {"v": str(SCHEMA_VERSION)})

_EVENT_ROWS = """
    CREATE TABLE IF NOT EXISTS event_rows (
        event_id    BIGINT,
        source_id   INTEGER NOT NULL,
        line_no     BIGINT NOT NULL,           -- 1-based line in the (decompressed) file
        ts          TIMESTAMPTZ,               -- UTC instant
        ts_raw      VARCHAR USING COMPRESSION zstd,  -- the timestamp text as written
        source_kind VARCHAR,                   -- panel | http | ssh | syslog | ...
        event       VARCHAR,                   -- canonical vocabulary (README)
        result      VARCHAR,                   -- success | failure | NULL
        account     VARCHAR,
        actor       VARCHAR,                   -- customer | staff | api | system
        "user"      VARCHAR,
        auth        VARCHAR,
        session     VARCHAR,
        ip          VARCHAR,                   -- normalised text (IPv4-mapped IPv6 -> IPv4)
        port        INTEGER,
        user_agent  VARCHAR,
        method      VARCHAR,
        path        VARCHAR,
        status      INTEGER,
        bytes       BIGINT,
        referrer    VARCHAR,
        target      VARCHAR,
        host        VARCHAR,
        detail      JSON,
        raw         VARCHAR USING COMPRESSION zstd,  -- the line, decoded (invalid UTF-8 replaced by U+FFFD)
        raw_bytes   BLOB,                      -- the original bytes, only where the line was not valid UTF-8
        integrity   VARCHAR                    -- NULL: verified or plain; unverified | cut (damaged archive)
    )
"""


def _without(ddl: str, table: str, columns) -> str:
    """`ddl`'s CREATE TABLE for `table`, without the lines of `columns`."""
    lines = [line for line in ddl.splitlines()
             if line.split()[:1] == [] or line.split()[0].strip('"') not in columns]
    return "\n".join(lines).replace("event_rows (", f"{table} (", 1) + "\n"


_HTTP_EVENTS = _without(_EVENT_ROWS, "http_events", _NOT_HTTP)
# The events that carry an account, without their text, sorted by account
# (written by enrich, read by the investigations while it is current).
ACCOUNT_ROWS_OMITS = ("ts_raw", "raw", "raw_bytes")
ACCOUNT_ROWS_COLUMNS = tuple(c for c in EVENT_COLUMNS if c not in ACCOUNT_ROWS_OMITS)
_ACCOUNT_ROWS = _without(_EVENT_ROWS, "account_rows", ACCOUNT_ROWS_OMITS)

DDL = [
    """
    CREATE TABLE IF NOT EXISTS case_meta (
        key   VARCHAR PRIMARY KEY,
        value VARCHAR
    )
    """,
    # Chain of custody: one row per ingested file.
    """
    CREATE TABLE IF NOT EXISTS sources (
        source_id          INTEGER PRIMARY KEY,
        path               VARCHAR NOT NULL,   -- as given on the command line
        abs_path           VARCHAR,
        size_bytes         BIGINT,
        sha256             VARCHAR NOT NULL,   -- of the file's bytes as stored (compressed if compressed)
        mtime              TIMESTAMPTZ,
        format             VARCHAR NOT NULL,
        source_kind        VARCHAR,            -- panel | http | ssh | syslog | ...
        host               VARCHAR,
        compression        VARCHAR,            -- gzip | bz2 | xz | NULL
        tz                 VARCHAR,            -- zone applied to naive timestamps
        tz_decision        VARCHAR,            -- how tz was chosen (option, format, assumed UTC, in-line offsets)
        tz_assumed         BOOLEAN,            -- true when UTC was assumed for lack of any information
        year_decision      VARCHAR,            -- for year-less formats: how the year was inferred
        lines_read         BIGINT,
        events_parsed      BIGINT,
        lines_rejected     BIGINT,
        lines_blank        BIGINT,
        invalid_utf8_lines BIGINT,
        truncated          BOOLEAN,
        truncation_reason  VARCHAR,
        first_ts           TIMESTAMPTZ,
        last_ts            TIMESTAMPTZ,
        ingested_at        TIMESTAMPTZ,
        tool_version       VARCHAR,
        assumptions        JSON,               -- list of sentences, each an assumption made
        content_sha256     VARCHAR,            -- of the decompressed content (= sha256 for a plain file)
        encoding           VARCHAR,            -- UTF-8 | UTF-8 with BOM | UTF-16-LE with BOM | ...
        unverified_from_line BIGINT            -- damaged archive: first line no checksum confirmed
    )
    """,
    _EVENT_ROWS,
    # The combined access log's events: the columns it can fill (see the module's docstring).
    _HTTP_EVENTS,
    _EVENTS_VIEW,
    """
    CREATE TABLE IF NOT EXISTS rejects (
        source_id INTEGER NOT NULL,
        line_no   BIGINT NOT NULL,
        reason    VARCHAR NOT NULL,
        raw       VARCHAR USING COMPRESSION zstd,
        raw_bytes BLOB,
        integrity VARCHAR                      -- as events.integrity
    )
    """,
    # Case files made before these columns existed get them (NULL: not recorded then).
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS content_sha256 VARCHAR",
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS encoding VARCHAR",
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS unverified_from_line BIGINT",
    "ALTER TABLE event_rows ADD COLUMN IF NOT EXISTS integrity VARCHAR",
    "ALTER TABLE rejects ADD COLUMN IF NOT EXISTS integrity VARCHAR",
    # Each source's activity per UTC hour, written when the file is ingested:
    # the coverage gaps ("the sshd log is silent from ... to ...") are found
    # in this small table instead of a pass over every event of the case.
    """
    CREATE TABLE IF NOT EXISTS source_hours (
        source_id  INTEGER NOT NULL,
        hour_start TIMESTAMPTZ NOT NULL,       -- the UTC hour
        first_ts   TIMESTAMPTZ NOT NULL,       -- the first and last event in that hour
        last_ts    TIMESTAMPTZ NOT NULL,
        events     BIGINT NOT NULL             -- events (lines) with a time in that hour
    )
    """,
    # Account maps (`forensics ingest --accounts`): kept like sources, each
    # entry with its line, so that every account they set can be cited.
    """
    CREATE TABLE IF NOT EXISTS account_maps (
        map_id       INTEGER PRIMARY KEY,
        path         VARCHAR NOT NULL,
        abs_path     VARCHAR,
        size_bytes   BIGINT,
        sha256       VARCHAR NOT NULL,
        entries      BIGINT,
        loaded_at    TIMESTAMPTZ,
        tool_version VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS account_map_entries (
        map_id  INTEGER NOT NULL,
        line_no BIGINT NOT NULL,
        field   VARCHAR NOT NULL,              -- account | user | target
        value   VARCHAR NOT NULL,
        account VARCHAR NOT NULL
    )
    """,
    # An event as evidence: its columns plus the file it came from, so that
    # every finding can cite `path:line_no` with the raw text.  The named
    # queries that return evidence rows select from it (DuckDB inlines a
    # view, so their filters still reach the events tables).
    """
    CREATE OR REPLACE VIEW evidence_events AS
    SELECT e.event_id, e.source_id, s.path, e.line_no, e.ts, e.ts_raw, e.source_kind,
           e.event, e.result, e.account, e.actor, e."user", e.auth, e.session, e.ip,
           e.user_agent, e.method, e.path AS http_path, e.status, e.referrer, e.target,
           e.host, CAST(e.detail AS VARCHAR) AS detail, e.raw, e.integrity
    FROM events e
    JOIN sources s USING (source_id)
    """,
    # A copy, never a source: the events that carry an account (both tables
    # behind `events`), every column but the text, ordered by account, time,
    # file and line, so that one account's events lie in a few blocks.
    # `forensics.account_rows` writes it and records in case_meta the state
    # of the case it was built from; it is read only while that state holds.
    _ACCOUNT_ROWS,
    # Enrichment: one row per distinct value.
    """
    CREATE TABLE IF NOT EXISTS user_agents (
        user_agent       VARCHAR PRIMARY KEY,   -- the exact string
        browser_family   VARCHAR,
        browser_version  VARCHAR,
        browser_major    VARCHAR,
        os_family        VARCHAR,
        os_version       VARCHAR,
        device_family    VARCHAR,
        device_brand     VARCHAR,
        device_model     VARCHAR,
        device_class     VARCHAR,               -- pc | mobile | tablet | bot | other
        is_bot           BOOLEAN,
        automation_class VARCHAR,               -- browser | headless | library | crawler | unknown | empty
        automation_tool  VARCHAR,               -- e.g. HeadlessChrome, curl, python-requests
        fingerprint_exact VARCHAR,              -- the full string
        fingerprint_family VARCHAR,             -- browser family + OS family + device class (drift-tolerant)
        parser_version   VARCHAR
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS geoip_databases (
        db_id         INTEGER PRIMARY KEY,
        path          VARCHAR NOT NULL,
        database_type VARCHAR NOT NULL,         -- from the file's metadata, e.g. GeoLite2-ASN
        build_epoch   BIGINT,
        build_date    TIMESTAMPTZ,
        sha256        VARCHAR NOT NULL,
        ip_version    INTEGER,
        description   VARCHAR,
        added_at      TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS ip_info (
        ip              VARCHAR PRIMARY KEY,    -- normalised address, exactly as in events.ip (the join key)
        address         VARCHAR,                -- canonical form (IPv4-mapped IPv6 folded); NULL when invalid
        ip_version      INTEGER,
        is_valid        BOOLEAN,
        is_private      BOOLEAN,
        is_reserved     BOOLEAN,
        is_loopback     BOOLEAN,
        prefix          VARCHAR,                -- /24 (IPv4) or /48 (IPv6) by default
        asn             BIGINT,
        as_org          VARCHAR,
        asn_network     VARCHAR,                -- the network that matched in the ASN database
        isp             VARCHAR,
        organization    VARCHAR,
        isp_network     VARCHAR,
        country_iso     VARCHAR,
        country_name    VARCHAR,
        city            VARCHAR,
        latitude        DOUBLE,
        longitude       DOUBLE,
        accuracy_radius INTEGER,
        time_zone       VARCHAR,
        geo_network     VARCHAR,
        is_anonymous_vpn     BOOLEAN,
        is_hosting_provider  BOOLEAN,
        is_tor_exit_node     BOOLEAN,
        is_public_proxy      BOOLEAN,
        is_anonymous         BOOLEAN,
        is_residential_proxy BOOLEAN,
        anon_network    VARCHAR,
        asn_db_id       INTEGER,                -- which geoip_databases row answered each part
        isp_db_id       INTEGER,
        geo_db_id       INTEGER,
        anon_db_id      INTEGER,
        looked_up_db_ids INTEGER[],             -- every geoip_databases row this address was looked up in
        run_id          INTEGER,                -- enrich_runs row that last wrote this row
        enriched_at     TIMESTAMPTZ
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS enrich_runs (
        run_id          INTEGER PRIMARY KEY,
        started_at      TIMESTAMPTZ,
        finished_at     TIMESTAMPTZ,
        new_user_agents BIGINT,
        new_ips         BIGINT,
        updated_ips     BIGINT,                 -- known addresses looked up again in databases added since
        invalid_ips     BIGINT,
        geoip_db_ids    VARCHAR,                -- comma-separated db_id list used in this run
        note            VARCHAR                 -- e.g. "no GeoIP database: ISP data unavailable"
    )
    """,
]
