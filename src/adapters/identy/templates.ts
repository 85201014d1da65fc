// Decryption of IWS `encrypted_templates` (TEMPLATE_ENCRYPTION_ENABLED=true), exactly as the doc's
// Java sample does it:
//   Cipher.getInstance("RSA/ECB/OAEPWithSHA1AndMGF1Padding")  -> key = rsa(key1), iv = rsa(key2)
//   Cipher.getInstance("AES/GCM/NoPadding"); new GCMParameterSpec(128, iv)
//   data = cipher.doFinal(Base64.decode(output.getData()))    -> Java appends the 128-bit tag to the ciphertext
// Only sizes and formats of the result ever leave this module for logs or payload records.
import { constants, createDecipheriv, createPrivateKey, privateDecrypt, type KeyObject } from "node:crypto";
import { imageSize } from "image-size";

export interface EncryptedTemplate {
  data: string;
  key1: string;
  key2: string;
}

const GCM_TAG_BYTES = 16;

function rsaOaepSha1Decrypt(key: KeyObject, b64: string): Buffer {
  return privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from(b64, "base64"));
}

export function decryptTemplate(t: EncryptedTemplate, privateKeyPem: string | KeyObject): Buffer {
  const key = typeof privateKeyPem === "string" ? createPrivateKey(privateKeyPem) : privateKeyPem;
  const aesKey = rsaOaepSha1Decrypt(key, t.key1);
  const iv = rsaOaepSha1Decrypt(key, t.key2);
  if (![16, 24, 32].includes(aesKey.length)) throw new Error(`unwrapped AES key has ${aesKey.length} bytes`);
  if (iv.length === 0) throw new Error("unwrapped IV is empty");
  const sealed = Buffer.from(t.data, "base64");
  if (sealed.length < GCM_TAG_BYTES) throw new Error("encrypted template shorter than its GCM tag");
  const decipher = createDecipheriv(`aes-${aesKey.length * 8}-gcm` as "aes-256-gcm", aesKey, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
}

/** Non-personal description of a template: what the audit record and logs may hold. */
export interface TemplateInfo {
  format: string;
  encrypted: boolean;
  decrypted: boolean;
  bytes: number | null;
  detectedType: "image/jpeg" | "image/png" | "unknown" | null;
  width: number | null;
  height: number | null;
  error?: string;
}

export function describeTemplate(format: string, bytes: Buffer, encrypted: boolean): TemplateInfo {
  const detectedType = bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))
    ? "image/jpeg"
    : bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
      ? "image/png"
      : "unknown";
  let width: number | null = null;
  let height: number | null = null;
  try {
    const d = imageSize(bytes);
    width = d.width ?? null;
    height = d.height ?? null;
  } catch {
    // not an image with readable dimensions (ISO_19794_5, or truncated)
  }
  return { format, encrypted, decrypted: encrypted, bytes: bytes.length, detectedType, width, height };
}

export interface OpenedTemplates {
  /** format -> bytes, for a later match call; never logged */
  bytes: Map<string, Buffer>;
  info: TemplateInfo[];
}

/**
 * Opens the templates of a /process answer: plain base64 ones are decoded, encrypted ones are
 * decrypted when a private key is configured. A template that cannot be opened is described, not thrown.
 */
export function openTemplates(
  plain: Record<string, string> | undefined,
  encrypted: Record<string, EncryptedTemplate> | undefined,
  privateKeyPem: string | undefined,
): OpenedTemplates {
  const bytes = new Map<string, Buffer>();
  const info: TemplateInfo[] = [];
  for (const [format, b64] of Object.entries(plain ?? {})) {
    const buf = Buffer.from(b64, "base64");
    bytes.set(format, buf);
    info.push({ ...describeTemplate(format, buf, false), decrypted: false });
  }
  const key = privateKeyPem ? createPrivateKey(privateKeyPem) : null;
  for (const [format, t] of Object.entries(encrypted ?? {})) {
    if (!key) {
      info.push({ format, encrypted: true, decrypted: false, bytes: null, detectedType: null, width: null, height: null, error: "no templatePrivateKey configured" });
      continue;
    }
    try {
      const buf = decryptTemplate(t, key);
      bytes.set(format, buf);
      info.push(describeTemplate(format, buf, true));
    } catch {
      // the crypto error text carries no template bytes, but keep the record generic anyway
      info.push({ format, encrypted: true, decrypted: false, bytes: null, detectedType: null, width: null, height: null, error: "decryption failed (wrong key or corrupted template)" });
    }
  }
  return { bytes, info };
}
