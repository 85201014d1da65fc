-- Correlation across processes: the request id (and W3C trace context) of the work that asked for a job,
-- made a vendor call or caused an outbound webhook event. Ids only, never personal data.
ALTER TABLE "vendor_calls" ADD COLUMN "request_id" TEXT;
ALTER TABLE "outbox" ADD COLUMN "request_id" TEXT, ADD COLUMN "traceparent" TEXT;
ALTER TABLE "webhook_events" ADD COLUMN "request_id" TEXT;
