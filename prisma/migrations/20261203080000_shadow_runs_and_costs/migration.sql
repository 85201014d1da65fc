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

-- Vendor calls rolled up per account and hour by the sweeper, for the analytics report.
CREATE TABLE "vendor_call_hourly" (
    "vendor_account_id" TEXT NOT NULL,
    "hour" TIMESTAMP(3) NOT NULL,
    "vendor" TEXT NOT NULL,
    "calls" INTEGER NOT NULL,
    "errors" INTEGER NOT NULL,
    "latency_ms_max" INTEGER NOT NULL,
    "latency_hist" INTEGER[],
    "cost" DECIMAL(14,4),
    "currency" TEXT,

    CONSTRAINT "vendor_call_hourly_pkey" PRIMARY KEY ("vendor_account_id","hour")
);

CREATE TABLE "rollup_state" (
    "name" TEXT NOT NULL,
    "last_id" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "rollup_state_pkey" PRIMARY KEY ("name")
);

-- Credit and quota alerts that act: an account a hard threshold took out of routing, and the level of each metric.
ALTER TABLE "vendor_accounts" ADD COLUMN "paused_at" TIMESTAMP(3);
ALTER TABLE "vendor_accounts" ADD COLUMN "paused_reason" TEXT;
ALTER TABLE "vendor_accounts" ADD COLUMN "alert_state" JSONB NOT NULL DEFAULT '{}';
