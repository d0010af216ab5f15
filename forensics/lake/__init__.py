"""The evidence lake: many log files as Hive-partitioned Parquet on any file system.

A large provider's logs do not fit on the support lead's machine; the
investigation's cost follows the account, so only ingest has to grow with
the fleet, and it parallelises per file (and per byte range of a large plain
file) without a shuffle.

* `forensics.lake.ingest.ingest_to_lake` (`forensics lake ingest`): each file
  is parsed by the ordinary ingest engine into a temporary case (same
  formats, same guarantees: every line an event, a reject or blank, SHA-256,
  line numbers, raw lines, time decisions) and its rows are copied to
  Parquet in the lake.  Tasks run on Dask distributed, a local cluster, or in
  this process.
* `forensics.lake.pull.pull_case` (`forensics lake pull`): one account's
  slice of the lake as an ordinary case file, with the custody rows of every
  file it comes from.

The layout (`forensics.lake.store`)::

    LAKE/sources/<sha256>.parquet                          one row per file: the chain of custody
    LAKE/events/source_kind=<kind>/day=<YYYY-MM-DD>/<sha256>-p<part>-<i>.parquet
    LAKE/rejects/<sha256>-p<part>.parquet
    LAKE/coverage/<sha256>-p<part>.parquet                 first and last event of every hour

A file's `sources` row is written last: a file is in the lake when its row
is, and rows of a file without one (an interrupted ingest) are never read.
"""

from forensics.lake.store import Lake

__all__ = ["Lake"]
