-- name: customer_contacts
-- description: The account's contact history: every ticket message and logged contact (in and out), the panel's notifications, contact/e-mail changes and the provider's actions on the service (block, suspend, unblock), in time order.
-- param account: the customer account id
-- param action_events: LIST of the provider's action event names (thresholds [notices] action_events)
SELECT *
FROM evidence_events e
WHERE e.account = $account
  AND (   e.source_kind = 'ticket'
       OR e.event IN ('notification_sent', 'email_change', 'contact_update')
       OR e.event IN (SELECT unnest(CAST($action_events AS VARCHAR[]))))
ORDER BY e.ts, e.source_id, e.line_no
