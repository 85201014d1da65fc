-- AlterTable: the submit worker's claim on a verification's vendor start (one start at a time)
ALTER TABLE "verifications" ADD COLUMN     "start_claimed_until" TIMESTAMP(3),
ADD COLUMN     "start_claims" INTEGER NOT NULL DEFAULT 0;
