-- AlterTable: the origins whose pages may call the tenant's IDENTY SDK proxy from a browser (CORS); [] = none
ALTER TABLE "tenants" ADD COLUMN     "allowed_origins" TEXT[] DEFAULT ARRAY[]::TEXT[];
