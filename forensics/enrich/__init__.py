"""Stage 2 of the pipeline: enrich a case's User-Agents and IP addresses.

* `enrich_case` fills ``user_agents``, ``ip_info``, ``geoip_databases`` and
  ``enrich_runs`` from the distinct values in ``events`` (incrementally).
* `classify_user_agent` and `ip_facts` give the row for one value, for
  notebooks and the investigation.
* `configured_geoip_paths` says which MaxMind DB files are in force
  (``--geoip``, then ``FORENSICS_GEOIP``, then ``[enrich] geoip`` in the config).

Modules: `useragents` (ua-parser + user-agents), `automation` (headless /
library / crawler markers), `addresses` (flags and prefixes), `geoip`
(MaxMind DB files and their provenance), `engine` (the run itself).
"""

from forensics.enrich.addresses import ip_facts
from forensics.enrich.automation import AUTOMATION_CLASSES, MARKERS
from forensics.enrich.engine import DatabaseUsed, EnrichResult, enrich_case
from forensics.enrich.geoip import configured_geoip_paths, open_database
from forensics.enrich.useragents import classify_user_agent, fingerprint_family

__all__ = [
    "AUTOMATION_CLASSES",
    "MARKERS",
    "DatabaseUsed",
    "EnrichResult",
    "classify_user_agent",
    "configured_geoip_paths",
    "enrich_case",
    "fingerprint_family",
    "ip_facts",
    "open_database",
]
