-- Issue 14: the price of every vendor call, and shadow runs beside the verifications they re-decide.
ALTER TABLE "vendor_calls" ADD COLUMN "cost" DECIMAL(12,4);
ALTER TABLE "vendor_calls" ADD COLUMN "currency" TEXT;
ALTER TABLE "vendor_calls" ADD COLUMN "shadow_run_id" TEXT;
CREATE INDEX "vendor_calls_shadow_run_id_idx" ON "vendor_calls"("shadow_run_id");

CREATE TABLE "shadow_runs" (
    "id" TEXT NOT NULL,
    "verification_id" TEXT NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "rule_id" TEXT NOT NULL,
    "vendor_account_id" TEXT NOT NULL,
    "vendor" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "primary_vendor" TEXT,
    "primary_decision" TEXT,
    "primary_reasons" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "decision" TEXT,
    "reasons" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "latency_ms" INTEGER,
    "detail" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMP(3),

    CONSTRAINT "shadow_runs_pkey" PRIMARY KEY ("id")
);
CREATE UNIQUE INDEX "shadow_runs_verification_id_key" ON "shadow_runs"("verification_id");
CREATE INDEX "shadow_runs_tenant_id_rule_id_created_at_idx" ON "shadow_runs"("tenant_id", "rule_id", "created_at");
