// Redaction of vendor payloads before they are kept for audit or logged:
// images, base64 blobs, biometric templates and credentials never leave this function.
const SECRET_KEY_PATTERN = /(api_?key|apikey|token|secret|password|authorization|business_hash|company_key|credential)/i;
const BINARY_KEY_PATTERN = /(image|photo|portrait|template|base64|selfie|blob|picture|pdf|certificate|landmarks)/i;
const LONG_BASE64 = /^[A-Za-z0-9+/=_-]{200,}$/;

export function redactPayload(value: unknown, depth = 0): unknown {
  if (depth > 12) return "[truncated]";
  if (typeof value === "string") {
    if (LONG_BASE64.test(value.replace(/\s+/g, "")) || value.startsWith("data:")) return `[redacted ${value.length} chars]`;
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => redactPayload(v, depth + 1));
  if (value && typeof value === "object") {
    if (Buffer.isBuffer(value)) return `[redacted ${value.length} bytes]`;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (SECRET_KEY_PATTERN.test(key)) out[key] = "[redacted]";
      else if (BINARY_KEY_PATTERN.test(key) && (typeof v === "string" || Array.isArray(v))) out[key] = "[redacted]";
      else out[key] = redactPayload(v, depth + 1);
    }
    return out;
  }
  return value;
}
