// The committed clients/typescript/openapi.json and src/schema.d.ts are what `npm run openapi`
// writes from the code now: a change to a route's schema without regenerating fails here.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { documentText, generateTypes } from "../../scripts/openapi.js";

const client = join(import.meta.dirname, "../../clients/typescript");
const stale = "is stale: run `npm run openapi` and commit the result";

describe("the typed client's generated files", () => {
  it(`openapi.json is the document the code builds (else it ${stale})`, () => {
    expect(readFileSync(join(client, "openapi.json"), "utf8") === documentText(), `clients/typescript/openapi.json ${stale}`).toBe(true);
  });

  it(`src/schema.d.ts is openapi-typescript's output for that document (else it ${stale})`, () => {
    const dir = mkdtempSync(join(tmpdir(), "kyc-client-types-"));
    try {
      writeFileSync(join(dir, "openapi.json"), documentText());
      expect(
        readFileSync(join(client, "src/schema.d.ts"), "utf8") === generateTypes(join(dir, "openapi.json")),
        `clients/typescript/src/schema.d.ts ${stale}`,
      ).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
