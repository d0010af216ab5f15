"""Dispute kind `action`: who did a disputed action ("you reinstalled my server").

Sessions are built from the panel log (`sessions.py`), each disputed action's
session is compared with the account's own history (`history.py`) through
indicators (`indicators.py`), and explicit rules turn them into an assessment
(`assess.py`).  What each indicator proves, and how hard it is to fake, is
the evidence model in `docs/evidence-model.md`.
"""

from forensics.investigate.action.engine import investigate, reconcile_claims

__all__ = ["investigate", "reconcile_claims"]
