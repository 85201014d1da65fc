import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiKeyIdOf, constantTimeEqual, decryptJson, encryptJson, generateApiKey, sha256Hex } from "../../../src/domain/crypto.js";

describe("secrets at rest", () => {
  const key = randomBytes(32);

  it("AES-256-GCM round-trips and hides the plaintext", () => {
    const sealed = encryptJson(key, { apiKey: "sk_live_very_secret" }, "vendor-account:va_1");
    expect(sealed).not.toContain("sk_live_very_secret");
    expect(decryptJson(key, sealed, "vendor-account:va_1")).toEqual({ apiKey: "sk_live_very_secret" });
  });

  it("refuses another key, another row (AAD) or a tampered ciphertext", () => {
    const sealed = encryptJson(key, { a: 1 }, "row-1");
    expect(() => decryptJson(randomBytes(32), sealed, "row-1")).toThrow();
    expect(() => decryptJson(key, sealed, "row-2")).toThrow();
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[raw.length - 1]! ^= 1;
    expect(() => decryptJson(key, `v1.${raw.toString("base64url")}`, "row-1")).toThrow();
  });

  it("API keys carry their id and are stored as a sha256 hash", () => {
    const k = generateApiKey();
    expect(apiKeyIdOf(k.key)).toBe(k.id);
    expect(k.hash).toBe(sha256Hex(k.key));
    expect(k.hash).not.toContain(k.key);
    expect(apiKeyIdOf("kyc_nothex_abc")).toBeNull();
  });

  it("constant-time comparison answers like equality", () => {
    expect(constantTimeEqual("abc", "abc")).toBe(true);
    expect(constantTimeEqual("abc", "abd")).toBe(false);
    expect(constantTimeEqual("abc", "abcd")).toBe(false);
  });
});
