"""What each scale generates and how often each figure is repeated.

``small`` is CI's smoke run (seconds; no targets asserted); ``medium`` is a
quick check by hand (~1.5 M events); ``large`` is the provider scale the
targets are set for: 10,000 accounts and 20 million events across the panel
audit log, the panel's access log and the sshd log (a few GB of text).

The generator's ``events_per_account_month`` is approximate: 133 (= 20 M /
(10,000 accounts x 15 months)) gave 16.0 M lines and 167 gave 17.8 M, so large asks for 190;
each run reports the lines actually generated.  The sshd figure reads, at
medium and large, the auth.log of the story's server facing the internet's
SSH bots (`sshd_lines`, written by `inputs.write_busy_auth_log`): the story's
own auth.log has some 25,000 lines at every scale.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    accounts: int
    months: int
    events_per_account_month: int | None   # generator density (None: its natural ~40)
    repeat: int                     # runs per figure (median shown)
    peer_repeat: int                # GoAccess/lnav/DuckDB runs (slow peers at large scale)
    cheap_repeat: int               # enrichment and report runs (seconds each)
    investigate_accounts: int       # random accounts timed for investigate latency
    enrich_user_agents: int         # dedicated enrichment input: distinct UAs ...
    enrich_ips: int                 # ... and distinct IPs
    timeout_s: float                # per child process
    targets_apply: bool             # only at provider scale are the targets meaningful
    outage_days: int = 365          # the outage investigation's input: days of one-minute checks
    format_lines: int = 20_000      # lines per declarative format (benchmarks/formats.py)
    format_repeat: int | None = None  # its runs per format (None: cheap_repeat)
    sshd_lines: int | None = None   # the sshd figure's busy-server auth.log (inputs.write_busy_auth_log);
                                    # None: the story's own auth.log


SCALES = {
    # 15 months even at small: the sample's scripted disputes need the period.
    "small": Scale("small", accounts=20, months=15, events_per_account_month=None, repeat=1, peer_repeat=1,
                   cheap_repeat=1, investigate_accounts=3, enrich_user_agents=500, enrich_ips=2_000,
                   timeout_s=120, targets_apply=False, outage_days=31, format_lines=3_000),
    "medium": Scale("medium", accounts=1_000, months=15, events_per_account_month=100, repeat=3,
                    peer_repeat=3, cheap_repeat=3, investigate_accounts=20, enrich_user_agents=20_000,
                    enrich_ips=100_000, timeout_s=1_800, targets_apply=False, sshd_lines=200_000),
    "large": Scale("large", accounts=10_000, months=15, events_per_account_month=190, repeat=3,
                   peer_repeat=2, cheap_repeat=3, investigate_accounts=20, enrich_user_agents=20_000,
                   enrich_ips=100_000, timeout_s=3_600, targets_apply=True, sshd_lines=2_000_000,
                   # 100,000 lines a format: a file's planning and writing are amortised as in a
                   # provider's log (at 20,000 they were a third of the time); one run each (~4 min)
                   format_lines=100_000, format_repeat=1),
}
