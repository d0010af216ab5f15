-- name: customer_contacts
-- description: The account's contact history: every ticket message and logged contact (in and out), the panel's notifications, contact/e-mail changes and the provider's actions on the service (block, suspend, unblock), in time order.
-- param account: the customer account id
-- param action_events: LIST of the provider's action event names (thresholds [notices] action_events)
-- Two steps: the contacts are found on the narrow columns (account, kind, event) and
-- only they are read whole (the account's other rows' `raw` was decompressed
-- and dropped: 5.2 -> 1.5 CPU-s for the large benchmark's 21 accounts).
SELECT *
FROM evidence_events e
WHERE e.event_id IN (
    SELECT event_id FROM events
    WHERE account = $account
      AND (   source_kind = 'ticket'
           OR event IN ('notification_sent', 'email_change', 'contact_update')
           OR list_contains(CAST($action_events AS VARCHAR[]), event)))
ORDER BY e.ts, e.source_id, e.line_no
