"""Stage package: investigate.

`investigate()` attributes an account's disputed actions (sessions,
indicators, assessment) and reconciles the customer's claims with the logs;
`timeline()` merges all sources for an account.  The result objects are in
`model.py`; the rules in `assess.py` and `forensics/thresholds.toml`.
"""

from forensics.investigate.engine import investigate, reconcile_claims, timeline

__all__ = ["investigate", "reconcile_claims", "timeline"]
