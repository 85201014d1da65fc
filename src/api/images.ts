// Images arrive as base64 in JSON or as multipart parts; both end here: strict
// decoding, per-image size limit, and the declared type checked against the bytes.
import { Problem } from "./problem.js";

export const ACCEPTED_IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp", "application/pdf"] as const;
export type AcceptedImageType = (typeof ACCEPTED_IMAGE_TYPES)[number];

export function sniffType(bytes: Buffer): AcceptedImageType | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString("latin1") === "RIFF" && bytes.subarray(8, 12).toString("latin1") === "WEBP") return "image/webp";
  if (bytes.length >= 5 && bytes.subarray(0, 5).toString("latin1") === "%PDF-") return "application/pdf";
  return null;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function decodeBase64Image(data: string, path: string, maxBytes: number): Buffer {
  const clean = data.replace(/^data:[^;,]+;base64,/, "").replace(/\s+/g, "");
  if (clean.length === 0 || clean.length % 4 !== 0 || !BASE64.test(clean)) throw new Problem(400, "Invalid image", `${path} is not valid base64`, [{ path, message: "not valid base64" }]);
  if ((clean.length / 4) * 3 > maxBytes + 2) throw new Problem(413, "Image too large", `${path} is larger than ${maxBytes} bytes`, [{ path, message: `larger than ${maxBytes} bytes` }]);
  return Buffer.from(clean, "base64");
}

export function checkImageBytes(bytes: Buffer, declared: string, path: string, maxBytes: number): void {
  if (bytes.length > maxBytes) throw new Problem(413, "Image too large", `${path} is larger than ${maxBytes} bytes`, [{ path, message: `larger than ${maxBytes} bytes` }]);
  const actual = sniffType(bytes);
  if (actual === null) throw new Problem(415, "Unsupported image", `${path} is not a JPEG, PNG, WEBP or PDF`, [{ path, message: "bytes are not JPEG, PNG, WEBP or PDF" }]);
  if (actual !== declared) throw new Problem(415, "Image type mismatch", `${path} is declared ${declared} but its bytes are ${actual}`, [{ path, message: `declared ${declared}, bytes are ${actual}` }]);
}
