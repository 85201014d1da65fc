import { describe, expect, it } from "vitest";
import { redactPayload } from "../../../src/core/redact.js";

describe("vendor payload redaction", () => {
  it("removes images, templates, base64 blobs and credentials, keeps the verdicts", () => {
    const longB64 = Buffer.alloc(600, 7).toString("base64");
    const out = redactPayload({
      Portrait: longB64,
      api_key: "sk_live_1",
      business_hash: "bh",
      faces: [{ liveness: "GENUINE", quality: 0.94, template: "abc" }],
      nested: { blob: longB64, note: "ok" },
      FraudCheck: { Result: "GENUINE" },
    }) as Record<string, any>;
    expect(JSON.stringify(out)).not.toContain(longB64);
    expect(out.api_key).toBe("[redacted]");
    expect(out.business_hash).toBe("[redacted]");
    expect(out.faces[0].template).toBe("[redacted]");
    expect(out.faces[0].liveness).toBe("GENUINE");
    expect(out.FraudCheck.Result).toBe("GENUINE");
    expect(out.nested.note).toBe("ok");
  });
});
