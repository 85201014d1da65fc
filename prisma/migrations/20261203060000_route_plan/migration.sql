-- One routing decision per verification, taken when it is created (issue 9): the capable accounts in
-- fall-over order. Verifications accepted before this have none and are routed by the worker as before.
ALTER TABLE "verifications" ADD COLUMN "route_plan" JSONB;
