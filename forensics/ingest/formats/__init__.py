"""Built-in formats written in Python (the fast paths and the native panel log).

* `access`: combined access logs (nginx/Apache, vhost prefix, X-Forwarded-For,
  request time) and cPanel's `access_log`, parsed vectorised inside DuckDB;
* `panel`: the product's native panel audit log, JSON Lines and CSV.

Every other format is a declarative TOML definition
(`forensics.ingest.declarative`).  `forensics.ingest.registry` lists them all
in detection order.
"""
