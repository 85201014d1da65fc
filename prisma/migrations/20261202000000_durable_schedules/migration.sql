-- Durable schedules: Postgres knows when every piece of open work is next due, BullMQ is the fast path.

-- AlterTable: the outbox row names what its job is about, and is done only once its job finished
ALTER TABLE "outbox" ADD COLUMN     "subject_id" TEXT,
ADD COLUMN     "done_at" TIMESTAMP(3);

-- AlterTable: when a verification next needs a worker (a poll, its deadline, a start), null once it has ended
ALTER TABLE "verifications" ADD COLUMN     "next_due_at" TIMESTAMP(3),
ADD COLUMN     "erasure" JSONB;

-- AlterTable: a received vendor webhook is due until ingested; once ingested it is linked to its verification
ALTER TABLE "inbound_webhooks" ADD COLUMN     "next_due_at" TIMESTAMP(3),
ADD COLUMN     "verification_id" TEXT,
ADD COLUMN     "query" JSONB NOT NULL DEFAULT '{}';

-- CreateTable: work after a decision (a certificate to fetch), each with its attempts and next due time
CREATE TABLE "follow_ups" (
    "id" TEXT NOT NULL,
    "verification_id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_due_at" TIMESTAMP(3),
    "last_error" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "follow_ups_pkey" PRIMARY KEY ("id")
);

-- CreateTable: erasure at a vendor, a receipt per vendor account
CREATE TABLE "vendor_erasures" (
    "id" TEXT NOT NULL,
    "verification_id" TEXT NOT NULL,
    "vendor" TEXT NOT NULL,
    "vendor_account_id" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_due_at" TIMESTAMP(3),
    "detail" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "vendor_erasures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "outbox_subject_id_done_at_idx" ON "outbox"("subject_id", "done_at");

-- CreateIndex
CREATE INDEX "outbox_done_at_available_at_idx" ON "outbox"("done_at", "available_at");

-- CreateIndex
CREATE INDEX "verifications_next_due_at_idx" ON "verifications"("next_due_at");

-- CreateIndex
CREATE INDEX "inbound_webhooks_next_due_at_idx" ON "inbound_webhooks"("next_due_at");

-- CreateIndex
CREATE INDEX "webhook_deliveries_status_next_attempt_at_idx" ON "webhook_deliveries"("status", "next_attempt_at");

-- CreateIndex
CREATE INDEX "follow_ups_next_due_at_idx" ON "follow_ups"("next_due_at");

-- CreateIndex
CREATE UNIQUE INDEX "follow_ups_verification_id_name_key" ON "follow_ups"("verification_id", "name");

-- CreateIndex
CREATE INDEX "vendor_erasures_next_due_at_idx" ON "vendor_erasures"("next_due_at");

-- CreateIndex
CREATE UNIQUE INDEX "vendor_erasures_verification_id_vendor_account_id_key" ON "vendor_erasures"("verification_id", "vendor_account_id");

-- AddForeignKey
ALTER TABLE "follow_ups" ADD CONSTRAINT "follow_ups_verification_id_fkey" FOREIGN KEY ("verification_id") REFERENCES "verifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "vendor_erasures" ADD CONSTRAINT "vendor_erasures_verification_id_fkey" FOREIGN KEY ("verification_id") REFERENCES "verifications"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex
CREATE INDEX "outbox_job_id_idx" ON "outbox"("job_id");

-- Existing work: rows published before this migration count as done (their jobs ran or are in
-- Redis under the old rules), and every open verification is due now so the sweeper looks at it once.
UPDATE "outbox" SET "done_at" = "published_at" WHERE "published_at" IS NOT NULL;
UPDATE "outbox" SET "subject_id" = COALESCE("payload"->>'verificationId', "payload"->>'inboundWebhookId', "payload"->>'deliveryId') WHERE "done_at" IS NULL;
UPDATE "verifications" SET "next_due_at" = CURRENT_TIMESTAMP WHERE "status" IN ('pending', 'awaiting_user', 'processing');
UPDATE "inbound_webhooks" SET "next_due_at" = "received_at" WHERE "status" = 'received';
