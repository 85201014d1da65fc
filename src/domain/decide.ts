// Turning check outcomes and reasons into a decision, shared by every adapter.
import type { Checks, Decision, Reason } from "./model.js";

/**
 * declined when a performed check failed or a non-review, non-technical reason is present;
 * review when a review reason is present or a check is inconclusive; approved otherwise.
 */
export function decide(checks: Checks, reasons: Reason[]): Decision {
  const outcomes = [checks.document?.outcome, checks.liveness?.outcome, checks.faceMatch?.outcome].filter((o): o is NonNullable<typeof o> => o !== undefined);
  const blocking = reasons.filter((r) => r.category !== "review" && r.category !== "technical");
  if (outcomes.includes("fail") || blocking.length > 0) return "declined";
  if (reasons.some((r) => r.category === "review") || outcomes.includes("inconclusive")) return "review";
  return "approved";
}

/** Keeps the first of each (code, vendorCode) pair, in order. */
export function uniqueReasons(reasons: Reason[]): Reason[] {
  const seen = new Set<string>();
  return reasons.filter((r) => {
    const key = `${r.code}|${r.vendorCode ?? ""}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
