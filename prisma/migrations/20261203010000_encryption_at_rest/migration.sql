-- Personal data encrypted at rest (src/core/at-rest.ts). SQL cannot encrypt (the key is not in the
-- database): existing rows stay readable as they are, and `npm run rekey` seals them.

-- the whole checks, sealed; `checks` keeps the part without personal data
ALTER TABLE "verifications" ADD COLUMN "checks_enc" TEXT;

-- the whole outbound event, sealed; `payload` keeps it without the personal parts of its checks
ALTER TABLE "webhook_events" ADD COLUMN "payload_enc" TEXT;

-- sealed JSON text from now on; an existing row keeps its JSON as text until rekey seals it
ALTER TABLE "vendor_payloads" ALTER COLUMN "body" TYPE TEXT USING "body"::text;
