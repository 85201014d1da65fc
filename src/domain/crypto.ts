// Secrets and personal data at rest: AES-256-GCM under a master key that every ciphertext
// names by its key id, so MASTER_KEY can be rotated (MASTER_KEY_PREVIOUS still decrypts and
// `npm run rekey` re-encrypts); API keys stored as sha256 hashes; comparisons in constant time.
//
// Binary form:  v2 = [0x02][key id: 4 bytes][iv: 12][tag: 16][ciphertext]
//               v1 = [0x01][iv: 12][tag: 16][ciphertext]   (before key ids; still read)
// Text form:    "v2.<base64url of the binary v2>", "v1.<base64url of the binary v1>".
// `aad` binds a ciphertext to its row: moved to another row it does not decrypt.
import { createCipheriv, createDecipheriv, createHash, hash, hkdfSync, randomBytes, randomFillSync, timingSafeEqual } from "node:crypto";

const KEY_ID_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key new writes use, and the keys that still decrypt what an earlier key wrote (Env.keys). */
export interface KeyRing {
  current: Buffer;
  previous: readonly Buffer[];
}

/** A key ring, or a single key (a ring with no previous keys). */
export type Keys = KeyRing | Buffer;

const keyIds = new WeakMap<Buffer, string>();

/** A master key's id: the first 4 bytes of a labelled sha256 of the key (no registry to keep; reveals nothing of the key). */
export function masterKeyId(key: Buffer): string {
  let id = keyIds.get(key);
  if (!id) keyIds.set(key, (id = createHash("sha256").update("kyc-gateway:key-id:").update(key).digest().subarray(0, KEY_ID_BYTES).toString("hex")));
  return id;
}

const ringOf = (keys: Keys): KeyRing => (Buffer.isBuffer(keys) ? { current: keys, previous: [] } : keys);
const allKeys = (ring: KeyRing) => [ring.current, ...ring.previous];

export class UnknownKeyError extends Error {
  constructor(readonly keyId: string) {
    super(`the ciphertext was written under key ${keyId}, which is neither MASTER_KEY nor in MASTER_KEY_PREVIOUS`);
    this.name = "UnknownKeyError";
  }
}

function gcmOpen(key: Buffer, iv: Buffer, tag: Buffer, body: Buffer, aad: string): Buffer {
  const decipher = createDecipheriv("aes-256-gcm", key, iv);
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(tag);
  const plain = decipher.update(body);
  // GCM is a stream cipher: final() only checks the tag and gives nothing more (no second copy of megabytes)
  const rest = decipher.final();
  return rest.length === 0 ? plain : Buffer.concat([plain, rest]);
}

/**
 * Seals bytes given whole or in parts (the parts are enciphered in order, as if concatenated: a sealed input's JSON
 * and its images without first copying them into one buffer). The output is one copy of the plaintext's size.
 */
export function encryptBytes(keys: Keys, plain: Buffer | readonly Buffer[], aad = ""): Buffer {
  const { current } = ringOf(keys);
  const iv = pooledRandom(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", current, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = (Buffer.isBuffer(plain) ? [plain] : plain).map((part) => cipher.update(part));
  const last = cipher.final();
  return Buffer.concat([Buffer.from([2]), Buffer.from(masterKeyId(current), "hex"), iv, cipher.getAuthTag(), ...ct, last]);
}

export function decryptBytes(keys: Keys, sealed: Buffer, aad = ""): Buffer {
  const ring = ringOf(keys);
  if (sealed[0] === 2 && sealed.length >= 1 + KEY_ID_BYTES + IV_BYTES + TAG_BYTES) {
    const id = sealed.subarray(1, 1 + KEY_ID_BYTES).toString("hex");
    const key = allKeys(ring).find((k) => masterKeyId(k) === id);
    if (!key) throw new UnknownKeyError(id);
    const at = 1 + KEY_ID_BYTES;
    return gcmOpen(
      key,
      sealed.subarray(at, at + IV_BYTES),
      sealed.subarray(at + IV_BYTES, at + IV_BYTES + TAG_BYTES),
      sealed.subarray(at + IV_BYTES + TAG_BYTES),
      aad,
    );
  }
  if (sealed[0] === 1 && sealed.length >= 1 + IV_BYTES + TAG_BYTES) {
    // written before key ids: whichever configured key authenticates it, the current one first
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const body = sealed.subarray(1 + IV_BYTES + TAG_BYTES);
    let failure: unknown;
    for (const k of allKeys(ring)) {
      try {
        return gcmOpen(k, iv, tag, body, aad);
      } catch (e) {
        failure = e;
      }
    }
    throw failure;
  }
  throw new Error("unknown ciphertext format");
}

/** The key id a binary or text ciphertext was written under; null for a v1 ciphertext (no key id) or anything else. */
export function sealedKeyId(sealed: Buffer | Uint8Array | string): string | null {
  const bytes =
    typeof sealed === "string"
      ? sealed.startsWith("v2.")
        ? Buffer.from(sealed.slice(3, 3 + 8), "base64url")
        : null
      : Buffer.from(sealed.buffer, sealed.byteOffset, Math.min(sealed.byteLength, 1 + KEY_ID_BYTES));
  if (bytes?.[0] !== 2 || bytes.length < 1 + KEY_ID_BYTES) return null;
  return bytes.subarray(1, 1 + KEY_ID_BYTES).toString("hex");
}

/** Whether a ciphertext is already under the ring's current key (what `npm run rekey` skips). */
export function isUnderCurrentKey(keys: Keys, sealed: Buffer | Uint8Array | string): boolean {
  return sealedKeyId(sealed) === masterKeyId(ringOf(keys).current);
}

/**
 * The same plaintext sealed again under the current key, for `npm run rekey`; null when it
 * already is. Text and binary forms are kept as they are.
 */
export function resealed<T extends string | Uint8Array>(keys: Keys, sealed: T, aad = ""): T | null {
  if (isUnderCurrentKey(keys, sealed)) return null;
  if (typeof sealed === "string") {
    const [version, body] = sealed.split(".");
    if ((version !== "v1" && version !== "v2") || !body) throw new Error("unknown ciphertext format");
    return `v2.${encryptBytes(keys, decryptBytes(keys, Buffer.from(body, "base64url"), aad), aad).toString("base64url")}` as T;
  }
  return new Uint8Array(encryptBytes(keys, decryptBytes(keys, Buffer.from(sealed), aad), aad)) as T;
}

/** Text form, for credentials, webhook secrets and sealed JSON columns. `aad` binds it to its row. */
export function encryptJson(keys: Keys, value: unknown, aad = ""): string {
  return `v2.${encryptBytes(keys, Buffer.from(JSON.stringify(value)), aad).toString("base64url")}`;
}

export function decryptJson<T = unknown>(keys: Keys, text: string, aad = ""): T {
  const [version, body, extra] = text.split(".");
  if ((version !== "v1" && version !== "v2") || !body || extra !== undefined) throw new Error("unknown ciphertext format");
  const sealed = Buffer.from(body, "base64url");
  if (sealed[0] !== Number(version.slice(1))) throw new Error("unknown ciphertext format");
  return JSON.parse(decryptBytes(keys, sealed, aad).toString("utf8")) as T;
}

/** Whether a text column holds a ciphertext (rather than legacy plaintext JSON, which never starts with "v"). */
export function isSealedText(text: string): boolean {
  return text.startsWith("v1.") || text.startsWith("v2.");
}

export function deriveKey(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", master, Buffer.alloc(0), Buffer.from(`kyc-gateway:${purpose}`), 32));
}

export function sha256Hex(value: string | Buffer): string {
  return createHash("sha256").update(value).digest("hex");
}

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const ha = hash("sha256", a, "buffer");
  const hb = hash("sha256", b, "buffer");
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

/** Whether an Authorization header is `Bearer <expected>`, compared in constant time. */
export function bearerMatches(authorization: string | undefined, expected: string): boolean {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? "");
  return m !== null && constantTimeEqual(m[1]!, expected);
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
  return `${prefix}_${Date.now().toString(16).padStart(12, "0")}${pooledRandom(10).toString("hex")}`;
}

// Random bytes for ids and IVs taken from a pool filled 4 KB at a time, as node's randomUUID does for its own: each
// randomBytes(10) call was a synchronous job into OpenSSL, 18 µs of every accept and webhook (issue 13's profile). The
// bytes are the same CSPRNG's, and no byte is handed out twice.
const RANDOM_POOL_BYTES = 4096;
let randomPool = Buffer.alloc(0);
let randomAt = 0;
function pooledRandom(n: number): Buffer {
  if (randomAt + n > randomPool.length) {
    // a new buffer each time: slices already handed out keep their bytes
    randomPool = randomFillSync(Buffer.allocUnsafe(RANDOM_POOL_BYTES));
    randomAt = 0;
  }
  const out = randomPool.subarray(randomAt, randomAt + n);
  randomAt += n;
  return out;
}
