"""What each scale generates and how often each figure is repeated.

``small`` is CI's smoke run (seconds; no targets asserted); ``medium`` is a
quick check by hand (~1.5 M events); ``large`` is the provider scale the
targets are set for: 10,000 accounts and 20 million events across the panel
audit log, the panel's access log and the sshd log (a few GB of text).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    accounts: int
    months: int
    target_events: int | None      # None: the generator's own default density
    repeat: int                     # runs per figure (median shown)
    peer_repeat: int                # GoAccess/lnav/DuckDB runs (slow peers at large scale)
    investigate_accounts: int       # random accounts timed for investigate latency
    enrich_user_agents: int         # dedicated enrichment input: distinct UAs ...
    enrich_ips: int                 # ... and distinct IPs
    timeout_s: float                # per child process
    targets_apply: bool             # only at provider scale are the targets meaningful


SCALES = {
    # 15 months even at small: the sample's scripted disputes need the period.
    "small": Scale("small", accounts=20, months=15, target_events=None, repeat=2, peer_repeat=1,
                   investigate_accounts=3, enrich_user_agents=500, enrich_ips=2_000,
                   timeout_s=120, targets_apply=False),
    "medium": Scale("medium", accounts=1_000, months=15, target_events=1_500_000, repeat=3,
                    peer_repeat=3, investigate_accounts=20, enrich_user_agents=20_000,
                    enrich_ips=100_000, timeout_s=1_800, targets_apply=False),
    "large": Scale("large", accounts=10_000, months=15, target_events=20_000_000, repeat=3,
                   peer_repeat=2, investigate_accounts=20, enrich_user_agents=20_000,
                   enrich_ips=100_000, timeout_s=3_600, targets_apply=True),
}
