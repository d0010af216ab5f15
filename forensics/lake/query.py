"""`forensics lake sql`: read-only ad-hoc SQL over a lake on a local path or NFS.

The lake's datasets become four views: `sources` (the custody rows),
`events` (with the Hive partition columns `source_kind` and `day`),
`rejects` and `coverage`, each holding only the rows of files that are in
the lake (a file is in when its `sources` row is; an interrupted ingest's
parts are never read).  The statements are judged as for `forensics sql`
(`forensics.adhoc.run_read_only`), and the connection reads nothing but the
lake's own directory: external access is off except for it, and the
configuration is locked.
"""

from __future__ import annotations

import os

from forensics.errors import ForensicsError
from forensics.lake.store import Lake

_VIEWS = {
    "events": "read_parquet('{root}/events/**/*.parquet', hive_partitioning = true, union_by_name = true)",
    "rejects": "read_parquet('{root}/rejects/*.parquet', union_by_name = true)",
    "coverage": "read_parquet('{root}/coverage/*.parquet', union_by_name = true)",
}


def lake_sql(lake_url: str, sql: str):
    """Run read-only SQL on a local lake; the last statement's rows as a DataFrame.

    Args:
        lake_url: the lake's directory (a local path or an NFS mount).
        sql: one or more queries over `sources`, `events`, `rejects`, `coverage`.

    Raises:
        ForensicsError: the lake is remote or empty, a statement would write,
            or the SQL fails.
    """
    import duckdb

    from forensics.adhoc import run_read_only

    lake = Lake(str(lake_url))
    if not lake.local:
        raise ForensicsError(f"forensics lake sql reads a lake on a local path or NFS, not {lake_url}; "
                             "for one account use `forensics lake pull` and `forensics sql` on the case")
    if not lake.files("sources"):
        raise ForensicsError(f"{lake_url}: no file in the lake yet (use `forensics lake ingest`)")
    root = os.path.realpath(lake.root)
    if "'" in root:
        raise ForensicsError(f"{lake_url}: a lake path with a quote is not supported")
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"CREATE VIEW sources AS SELECT * FROM read_parquet('{root}/sources/*.parquet', "
                    "union_by_name = true)")
        has_run = "lake_run" in {r[0] for r in con.execute("DESCRIBE sources").fetchall()}
        for name, scan in _VIEWS.items():
            if lake.files(name) and not has_run:   # a lake written before runs were named
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM {scan.format(root=root)} "
                            "WHERE source_sha256 IN (SELECT sha256 FROM sources)")
            elif lake.files(name):
                # the parts of the run the file's sources row names (an
                # interrupted run's leftovers are never read)
                con.execute(f"CREATE VIEW {name} AS SELECT * FROM {scan.format(root=root)} "
                            "WHERE (source_sha256, coalesce(lake_run, '')) IN "
                            "(SELECT sha256, coalesce(lake_run, '') FROM sources)")
        con.execute(f"SET allowed_directories = ['{root}/']")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        return run_read_only(con, sql, what="the lake is evidence")
    finally:
        con.close()
