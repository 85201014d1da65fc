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

/**
 * A bearer secret whose first part names its row: "<scheme>_<16 hex id>_<secret>". The id finds the
 * row, the sha256 of the whole token proves the secret; only the hash is stored.
 */
function generateIdentifiedToken(scheme: string, idPrefix: string): { id: string; key: string; hash: string; lastFour: string } {
  const hexId = randomBytes(8).toString("hex");
  const key = `${scheme}_${hexId}_${randomBytes(24).toString("base64url")}`;
  return { id: `${idPrefix}_${hexId}`, key, hash: sha256Hex(key), lastFour: key.slice(-4) };
}

function idOfIdentifiedToken(scheme: string, idPrefix: string, token: string): string | null {
  const m = new RegExp(`^${scheme}_([0-9a-f]{16})_[A-Za-z0-9_-]{20,}$`).exec(token);
  return m ? `${idPrefix}_${m[1]}` : null;
}

/** A tenant API key: "kyc_<keyId>_<secret>"; the key id finds the row, the hash proves the secret. */
export function generateApiKey(): { id: string; key: string; hash: string; lastFour: string } {
  return generateIdentifiedToken("kyc", "key");
}

export function apiKeyIdOf(key: string): string | null {
  return idOfIdentifiedToken("kyc", "key", key);
}

/** An operator's admin token: "kop_<operator id>_<secret>". */
export function generateOperatorToken(): { id: string; key: string; hash: string } {
  return generateIdentifiedToken("kop", "op");
}

export function operatorIdOf(token: string): string | null {
  return idOfIdentifiedToken("kop", "op", token);
}

export function newId(prefix: string): string {
  // time-ordered: 12 hex chars of milliseconds + 10 random bytes
  return `${prefix}_${Date.now().toString(16).padStart(12, "0")}${randomBytes(10).toString("hex")}`;
}
