import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decryptBytes,
  decryptJson,
  encryptBytes,
  encryptJson,
  isUnderCurrentKey,
  masterKeyId,
  sealedKeyId,
  UnknownKeyError,
} from "../../../src/domain/crypto.js";
import { loadEnv } from "../../../src/config/env.js";

// what the gateway wrote before key ids: [0x01][iv][tag][ciphertext]
function sealV1(key: Buffer, value: unknown, aad: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([c.update(JSON.stringify(value)), c.final()]);
  return `v1.${Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), ct]).toString("base64url")}`;
}

describe("key ids and rotation", () => {
  const a = randomBytes(32);
  const b = randomBytes(32);

  it("every ciphertext names the key it was written under; the id is derived from the key", () => {
    expect(masterKeyId(a)).toMatch(/^[0-9a-f]{8}$/);
    expect(masterKeyId(a)).not.toBe(masterKeyId(b));
    expect(masterKeyId(Buffer.from(a))).toBe(masterKeyId(a));
    const text = encryptJson(a, { x: 1 }, "row");
    expect(text.startsWith("v2.")).toBe(true);
    expect(sealedKeyId(text)).toBe(masterKeyId(a));
    expect(sealedKeyId(encryptBytes({ current: b, previous: [a] }, Buffer.from("x"), "row"))).toBe(masterKeyId(b));
    expect(sealedKeyId(sealV1(a, 1, "row"))).toBeNull();
  });

  it("B current with A previous: new writes use B, A's ciphertexts still open; without A they do not", () => {
    const underA = encryptJson(a, { secret: "s" }, "row");
    const ring = { current: b, previous: [a] };
    expect(decryptJson(ring, underA, "row")).toEqual({ secret: "s" });
    expect(isUnderCurrentKey(ring, underA)).toBe(false);
    const underB = encryptJson(ring, { secret: "s" }, "row");
    expect(isUnderCurrentKey(ring, underB)).toBe(true);
    expect(decryptJson(b, underB, "row")).toEqual({ secret: "s" });
    expect(() => decryptJson(b, underA, "row")).toThrow(UnknownKeyError);
    expect(() => decryptJson(b, underA, "row")).toThrow(new RegExp(masterKeyId(a)));
    const bytesUnderA = encryptBytes(a, Buffer.from("pdf"), "art");
    expect(decryptBytes(ring, bytesUnderA, "art").toString()).toBe("pdf");
  });

  it("a v1 ciphertext (no key id) opens with whichever configured key wrote it, current or previous", () => {
    const old = sealV1(a, { k: "v" }, "row");
    expect(decryptJson(a, old, "row")).toEqual({ k: "v" });
    expect(decryptJson({ current: b, previous: [a] }, old, "row")).toEqual({ k: "v" });
    expect(() => decryptJson(b, old, "row")).toThrow();
    expect(() => decryptJson({ current: b, previous: [a] }, old, "other-row")).toThrow();
  });

  it("the AAD still binds a v2 ciphertext to its row, and a tampered one is refused", () => {
    const sealed = encryptJson(a, { a: 1 }, "row-1");
    expect(() => decryptJson(a, sealed, "row-2")).toThrow();
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[raw.length - 1]! ^= 1;
    expect(() => decryptJson(a, `v2.${raw.toString("base64url")}`, "row-1")).toThrow();
  });

  it("MASTER_KEY_PREVIOUS: a comma-separated list, each key checked; the current key is not repeated", () => {
    const base = { ADMIN_TOKEN: "x".repeat(16), MASTER_KEY: a.toString("base64") };
    const env = loadEnv({ ...base, MASTER_KEY_PREVIOUS: `${b.toString("hex")}, ${a.toString("base64")}` });
    expect(env.keys.current.equals(a)).toBe(true);
    expect(env.keys.previous.map((k) => masterKeyId(k))).toEqual([masterKeyId(b)]);
    expect(loadEnv(base).keys.previous).toEqual([]);
    expect(() => loadEnv({ ...base, MASTER_KEY_PREVIOUS: `${b.toString("hex")},short` })).toThrow(/MASTER_KEY_PREVIOUS/);
  });
});
