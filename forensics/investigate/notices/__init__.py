"""The `notices` dispute kind: "you never told me", "nobody answered".

`investigate_notices(case, account, since=, until=, claims=, tz=)` lists every
contact attempt of the provider (panel notices, ticket messages, logged calls
and letters) with its delivery traced through the mail log (Message-ID →
queue id → attempts → the recipient server's own words), the address on
record at that time, the provider's actions (block, suspend, unblock) and
what preceded each, the customer's messages and how long each waited against
the promise in `[notices]`, the gaps of the mail and ticket logs, and
reconciles the customer's claims (`claims.py`).  Queries: `queries/notices/`.
"""

from forensics.investigate.notices.engine import investigate_notices

__all__ = ["investigate_notices"]
