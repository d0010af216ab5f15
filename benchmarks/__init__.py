"""The benchmark suite: speed and memory of forensics at hosting-provider scale.

Run it as ``python -m benchmarks --scale small|medium|large``.  It generates
its input with the demo data generator (`forensics.demo.generator`), times
each pipeline stage through the product's own CLI and library API, runs the
peers (GoAccess, lnav, DuckDB's bare ``read_csv`` + ``regexp_extract``) on the
same access log, prints a table with the targets as pass/fail and writes the
figures as JSON.

Modules:

* `scales`   — what each scale generates and how often each figure repeats
* `machine`  — CPU, cores, memory, Python and library versions for the JSON
* `measure`  — wall time and peak RSS of a child process (``os.wait4``)
* `inputs`   — the generated sample (cached) and the enrichment input
* `peers`    — GoAccess, lnav and bare DuckDB on the same access log
* `stages`   — ingest, enrich, investigate and report measurements
* `results`  — targets, the printed table and the JSON document
* `runner`   — the order in which it all runs
"""
