-- AlterTable
ALTER TABLE "vendor_accounts" ADD COLUMN     "health_checked_at" TIMESTAMP(3),
ADD COLUMN     "health_detail" TEXT,
ADD COLUMN     "health_ok" BOOLEAN;
