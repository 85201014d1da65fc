// Browser origins a tenant lets call the gateway's browser-facing paths (the IDENTY SDK proxy): CORS.
// An origin is what a browser sends in `Origin`: scheme "://" host [":" port], nothing after it.
// "*" (any origin) is accepted outside production only.
import { z } from "./zod.js";

export const ANY_ORIGIN = "*";

/** The origin as a browser serializes it (lower-case scheme and host, default port dropped), or null when it is not one. */
export function canonicalOrigin(value: string): string | null {
  if (!/^https?:\/\/[^/?#\s]+$/i.test(value)) return null;
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return null;
  }
  if (u.username || u.password) return null;
  return u.origin;
}

export function allowedOriginsSchema(production: boolean) {
  const origin = z.string().superRefine((s, ctx) => {
    if (s === ANY_ORIGIN) {
      if (production) ctx.addIssue({ code: "custom", message: '"*" (any origin) is refused when NODE_ENV=production: list the tenant\'s origins' });
      return;
    }
    if (canonicalOrigin(s) === null) ctx.addIssue({ code: "custom", message: "must be an origin: http(s)://host[:port], no path, query or trailing slash" });
  });
  return z
    .strictObject({ allowedOrigins: z.array(origin).max(50) })
    .transform((v) => ({ allowedOrigins: [...new Set(v.allowedOrigins.map((o) => (o === ANY_ORIGIN ? o : canonicalOrigin(o)!)))] }));
}

/**
 * The `Access-Control-Allow-Origin` to answer a browser whose page is at `origin`, or null when the tenant does not
 * allow it. A "*" stored before production is ignored in production.
 */
export function allowOriginFor(origin: string, allowed: readonly string[], production: boolean): string | null {
  const o = canonicalOrigin(origin);
  if (o === null) return null;
  if (allowed.includes(o)) return o;
  if (!production && allowed.includes(ANY_ORIGIN)) return ANY_ORIGIN;
  return null;
}
