// Secrets at rest: AES-256-GCM with MASTER_KEY; API keys stored as sha256 hashes;
// comparisons in constant time.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

const VERSION = "v1";

export function encryptBytes(key: Buffer, plain: Buffer, aad = ""): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([Buffer.from([1]), iv, cipher.getAuthTag(), ct]);
}

export function decryptBytes(key: Buffer, sealed: Buffer, aad = ""): Buffer {
  if (sealed[0] !== 1 || sealed.length < 29) throw new Error("unknown ciphertext format");
  const iv = sealed.subarray(1, 13);
  const tag = sealed.subarray(13, 29);
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(sealed.subarray(29)), decipher.final()]);
}

/** "v1.<base64url>" text form, for credentials and webhook secrets. `aad` binds it to its row. */
export function encryptJson(key: Buffer, value: unknown, aad = ""): string {
  return `${VERSION}.${encryptBytes(key, Buffer.from(JSON.stringify(value)), aad).toString("base64url")}`;
}

export function decryptJson<T = unknown>(key: Buffer, text: string, aad = ""): T {
  const [version, body] = text.split(".");
  if (version !== VERSION || !body) throw new Error("unknown ciphertext format");
  return JSON.parse(decryptBytes(key, Buffer.from(body, "base64url"), aad).toString("utf8")) as T;
}

export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), Buffer.from(`kyc-gateway:${purpose}`), 32));
}

export function sha256Hex(value: string | Buffer): string {
  return createHash("sha256").update(value).digest("hex");
}

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = createHash("sha256").update(a).digest();
  const hb = createHash("sha256").update(b).digest();
  // comparing digests keeps the time independent of where, or whether, lengths differ
  return timingSafeEqual(ha, hb) && Buffer.byteLength(a) === Buffer.byteLength(b);
}

/** A tenant API key: "kyc_<keyId>_<secret>"; the key id finds the row, the hash proves the secret. */
export function generateApiKey(): { id: string; key: string; hash: string; lastFour: string } {
  const id = `key_${randomBytes(8).toString("hex")}`;
  const key = `kyc_${id.slice(4)}_${randomBytes(24).toString("base64url")}`;
  return { id, key, hash: sha256Hex(key), lastFour: key.slice(-4) };
}

export function apiKeyIdOf(key: string): string | null {
  const m = /^kyc_([0-9a-f]{16})_[A-Za-z0-9_-]{20,}$/.exec(key);
  return m ? `key_${m[1]}` : null;
}

export function newId(prefix: string): string {
  // time-ordered: 12 hex chars of milliseconds + 10 random bytes
  return `${prefix}_${Date.now().toString(16).padStart(12, "0")}${randomBytes(10).toString("hex")}`;
}
