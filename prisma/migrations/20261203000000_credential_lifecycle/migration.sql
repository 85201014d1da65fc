-- Credential lifecycle (issue 11): named operators, the operator on every audit row, daily quotas
-- and their usage counters, per-tenant retention.
ALTER TABLE "tenants" ADD COLUMN "verifications_per_day" INTEGER,
                      ADD COLUMN "sms_per_day" INTEGER,
                      ADD COLUMN "erase_after_days" INTEGER;

ALTER TABLE "audit_log" ADD COLUMN "operator_id" TEXT;

CREATE TABLE "tenant_usage" (
    "tenant_id" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "used" INTEGER NOT NULL DEFAULT 0,
    "refused" INTEGER NOT NULL DEFAULT 0,
    "exhausted_at" TIMESTAMP(3),
    CONSTRAINT "tenant_usage_pkey" PRIMARY KEY ("tenant_id", "day", "kind")
);
ALTER TABLE "tenant_usage" ADD CONSTRAINT "tenant_usage_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TABLE "operators" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "token_hash" TEXT NOT NULL,
    "created_by" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMP(3),
    CONSTRAINT "operators_pkey" PRIMARY KEY ("id")
);

-- retention: a tenant's not yet erased verifications by when they ended
CREATE INDEX "verifications_tenant_id_erased_at_completed_at_idx" ON "verifications"("tenant_id", "erased_at", "completed_at");
