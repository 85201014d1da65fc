-- AlterTable: the tenant's decision policy (DESIGN.md "Contract additions"); '{}' = the defaults
ALTER TABLE "tenants" ADD COLUMN     "policy" JSONB NOT NULL DEFAULT '{}',
ADD COLUMN     "policy_version" INTEGER NOT NULL DEFAULT 1;

-- AlterTable: what decided a verification, and the vendor's own verdict before the policy
ALTER TABLE "verifications" ADD COLUMN     "decided_mapping" TEXT,
ADD COLUMN     "decided_policy" INTEGER,
ADD COLUMN     "vendor_decision" TEXT,
ADD COLUMN     "human_decision" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "retake_count" INTEGER NOT NULL DEFAULT 0;

-- CreateTable: every version of every tenant's policy
CREATE TABLE "tenant_policies" (
    "id" BIGSERIAL NOT NULL,
    "tenant_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "policy" JSONB NOT NULL,
    "actor" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "tenant_policies_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "tenant_policies_tenant_id_version_key" ON "tenant_policies"("tenant_id", "version");

-- AddForeignKey
ALTER TABLE "tenant_policies" ADD CONSTRAINT "tenant_policies_tenant_id_fkey" FOREIGN KEY ("tenant_id") REFERENCES "tenants"("id") ON DELETE CASCADE ON UPDATE CASCADE;
