"""Stage package: investigate.

One package per dispute kind, over shared machinery:

- `action/`: who did a disputed action (sessions, indicators, assessment);
- `notices/`: was the customer told, and answered (contact attempts traced
  through the mail log, provider actions, waits against the promise);
- `outage/`: was a service down, when, why, was the customer told, and the
  availability per SLA period (`investigate_outage`);
- shared: `run.py` (period, settings, the account's events, queries run),
  `evidence.py` (event references and enrichment facts), `claims.py` (the
  customer's own dates and words), `coverage.py` (what the logs cover, gaps),
  `model.py` (the result objects the report renders), `timeline.py` (all
  sources merged for an account).

Thresholds are in `forensics/thresholds.toml`.
"""

from forensics.investigate.action import investigate, reconcile_claims
from forensics.investigate.timeline import timeline

__all__ = ["investigate", "investigate_notices", "reconcile_claims", "timeline"]


def __getattr__(name):
    # Lazy: `forensics investigate` (the action dispute) and `timeline` do not
    # load the notices machinery.  (`timeline` stays eager: the submodule of
    # the same name would otherwise shadow the function once imported.)
    if name == "investigate_notices":
        from forensics.investigate.notices import investigate_notices

        return investigate_notices
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
