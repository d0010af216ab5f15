"""The `outage` dispute kind: "my server was down for days".

Down windows from the monitoring (Nagios/Icinga state logs, the native check
export), corroborated or contradicted by the server's own log and the
site's access log, their causes and announcements from the panel, the
availability per SLA period against `[sla]`, and the customer's claims
reconciled (`supported`, `overstated`, `contradicted`, `not_covered`).
"""

from forensics.investigate.outage.engine import investigate_outage

__all__ = ["investigate_outage"]
