import { constants, createCipheriv, generateKeyPairSync, publicEncrypt, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptTemplate, openTemplates } from "../../../../src/adapters/identy/client.js";
import { IdentyCredentialsSchema } from "../../../../src/adapters/identy/schemas.js";

// Our own RSA 2048 key pair, as the doc asks integrators to make ("IDENTY ... does not undertake the
// generation or storage of customer RSA keys").
const pair = generateKeyPairSync("rsa", { modulusLength: 2048 });
const privatePem = pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
const privatePkcs1 = pair.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
const publicPem = pair.publicKey.export({ type: "spki", format: "pem" }).toString();
const other = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();

/** What the IWS does with TEMPLATE_ENCRYPTION_ENABLED: the inverse of the doc's Java sample. */
function encryptLikeIws(plain: Buffer, opts: { keyBytes?: number; ivBytes?: number } = {}) {
  const key = randomBytes(opts.keyBytes ?? 32);
  const iv = randomBytes(opts.ivBytes ?? 12);
  const cipher = createCipheriv(`aes-${key.length * 8}-gcm` as "aes-256-gcm", key, iv, { authTagLength: 16 });
  // Java's AES/GCM/NoPadding doFinal output: ciphertext || 128-bit tag
  const data = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  const wrap = (b: Buffer) => publicEncrypt({ key: publicPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, b).toString("base64");
  return { data: data.toString("base64"), key1: wrap(key), key2: wrap(iv) };
}

const jpeg = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xfe, 0x00, 0x06]),
  Buffer.from("face"),
  Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x02, 0x80, 0x01, 0xe0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xff, 0xd9]),
]);
const png = Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64");

describe("encrypted_templates decryption (RSA-OAEP SHA-1 + AES-GCM, as the doc's Java sample)", () => {
  it("decrypts with key1 = wrapped AES key and key2 = wrapped IV", () => {
    expect(decryptTemplate(encryptLikeIws(jpeg), privatePem).equals(jpeg)).toBe(true);
  });

  it("accepts a PKCS#1 PEM, AES-128 keys and 16-byte IVs", () => {
    const t = encryptLikeIws(png, { keyBytes: 16, ivBytes: 16 });
    expect(decryptTemplate(t, privatePkcs1).equals(png)).toBe(true);
  });

  it("fails on the wrong private key, on swapped key1/key2 and on a tampered tag", () => {
    const t = encryptLikeIws(jpeg);
    expect(() => decryptTemplate(t, other)).toThrow();
    expect(() => decryptTemplate({ ...t, key1: t.key2, key2: t.key1 }, privatePem)).toThrow();
    const sealed = Buffer.from(t.data, "base64");
    sealed[sealed.length - 1]! ^= 0x01;
    expect(() => decryptTemplate({ ...t, data: sealed.toString("base64") }, privatePem)).toThrow();
  });

  it("describes opened templates by size and format only", () => {
    const opened = openTemplates(undefined, { JPEG: encryptLikeIws(jpeg), PNG: encryptLikeIws(png) }, privatePem);
    expect(opened.bytes.get("JPEG")!.equals(jpeg)).toBe(true);
    expect(opened.info).toEqual([
      { format: "JPEG", encrypted: true, decrypted: true, bytes: jpeg.length, detectedType: "image/jpeg", width: 480, height: 640 },
      { format: "PNG", encrypted: true, decrypted: true, bytes: png.length, detectedType: "image/png", width: 1, height: 1 },
    ]);
    expect(JSON.stringify(opened.info)).not.toContain(png.toString("base64").slice(0, 16));
  });

  it("without a key, or with the wrong one, records why and keeps no bytes", () => {
    const enc = { JPEG: encryptLikeIws(jpeg) };
    const none = openTemplates(undefined, enc, undefined);
    expect(none.bytes.size).toBe(0);
    expect(none.info[0]).toMatchObject({ format: "JPEG", decrypted: false, bytes: null, error: "no templatePrivateKey configured" });
    const wrong = openTemplates(undefined, enc, other);
    expect(wrong.bytes.size).toBe(0);
    expect(wrong.info[0]!.error).toMatch(/decryption failed/);
  });

  it("plain templates are decoded and described too", () => {
    const opened = openTemplates({ PNG: png.toString("base64") }, undefined, undefined);
    expect(opened.info).toEqual([{ format: "PNG", encrypted: false, decrypted: false, bytes: png.length, detectedType: "image/png", width: 1, height: 1 }]);
  });
});

describe("credentials", () => {
  it("accepts an RSA private key PEM or nothing", () => {
    expect(IdentyCredentialsSchema.parse({})).toEqual({});
    expect(IdentyCredentialsSchema.parse({ templatePrivateKey: privatePem }).templatePrivateKey).toBe(privatePem);
  });

  it("refuses a public key or junk without echoing the value", () => {
    for (const bad of [publicPem, "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----"]) {
      const r = IdentyCredentialsSchema.safeParse({ templatePrivateKey: bad });
      expect(r.success).toBe(false);
      expect(JSON.stringify(r.error?.issues)).not.toContain("BEGIN");
    }
  });
});
