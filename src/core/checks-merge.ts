// Stored data is never lost by a later event: a vendor event without data (a VerificarIdentidad
// 5100 with no Result after the 5001 that carried it) keeps what an earlier event stored.
import type { Checks, Reason } from "../domain/model.js";

const present = <T extends object>(o: T | undefined): Partial<T> =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;

/**
 * `next` over `previous`, check by check and field by field: a value the later event knows
 * replaces the earlier one; a missing or null value, or a check the later event did not
 * perform, keeps what was stored. After erasure no document field is written back.
 */
export function mergeChecks(previous: Checks, next: Checks | undefined, erased = false): Checks {
  const out: Checks = { ...previous };
  for (const name of ["document", "liveness", "faceMatch"] as const) {
    const before = previous[name];
    const after = next?.[name];
    if (!after) continue;
    if (!before || (after.outcome !== "not_performed" && before.outcome === "not_performed")) {
      (out as Record<string, unknown>)[name] = after;
      continue;
    }
    const merged: Record<string, unknown> = { ...before, ...present(after) };
    if (after.outcome === "not_performed") merged.outcome = before.outcome;
    if (name === "document" && previous.document && next?.document) {
      merged.fields = { ...previous.document.fields, ...present(next.document.fields) };
      if (previous.document.security || next.document.security) merged.security = { ...previous.document.security, ...next.document.security };
    }
    (out as Record<string, unknown>)[name] = merged;
  }
  if (next?.session) out.session = { ...previous.session, ...present(next.session) };
  if (erased && out.document) out.document = { ...out.document, fields: {} };
  // the operator's note, device, access and position describe the person: erased with the fields
  if (erased) delete out.session;
  return out;
}

/** Reasons of both lists, the later event's first, each (code, vendor, vendorCode) once. */
export function mergeReasons(earlier: Reason[], later: Reason[]): Reason[] {
  const key = (r: Reason) => `${r.code}|${r.vendor ?? ""}|${r.vendorCode ?? ""}`;
  const seen = new Set(later.map(key));
  return [...later, ...earlier.filter((r) => !seen.has(key(r)))];
}
