-- Hand-offs of signed receipts to the backend (SQLite): a delivered message
-- whose receipt an ap.ReceiptBackend is to get has receipt_delivery
-- 'pending', set by the statement that records the delivery, until the
-- backend took the receipt ('delivered'); '' when there is nothing to hand
-- over (no such backend, a leg without receipts, a delivery recorded before
-- this migration). A pending hand-off is leased and retried like a failure
-- report, in the columns a delivered message no longer uses: lease_owner,
-- lease_until, and next_at for when it is due.
ALTER TABLE ap_outbound ADD COLUMN receipt_delivery TEXT NOT NULL DEFAULT '';
ALTER TABLE ap_outbound ADD COLUMN receipt_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE ap_outbound ADD COLUMN receipt_error TEXT NOT NULL DEFAULT '';
-- Only pending hand-offs have an entry: a delivery without one adds none.
-- The index is on receipt_delivery, which recording a delivery without a
-- hand-off does not change, so that such an update does not consider it.
CREATE INDEX ap_outbound_receipts_due ON ap_outbound (receipt_delivery) WHERE receipt_delivery = 'pending';
