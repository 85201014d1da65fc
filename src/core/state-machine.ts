// Status only moves forward (DESIGN.md): a late or repeated vendor event never
// takes a verification back. The one change after `completed` is a `review`
// decision settled into `approved`/`declined` by the vendor's own operator.
import type { Decision, VerificationStatus } from "../domain/model.js";

const RANK: Record<VerificationStatus, number> = {
  pending: 0,
  awaiting_user: 1,
  processing: 2,
  completed: 3,
  failed: 3,
  expired: 3,
  cancelled: 3,
};

export interface StatusSnapshot {
  status: VerificationStatus;
  decision: Decision | null;
}

export type TransitionVerdict = { allowed: true; kind: "advance" | "settle_review" | "same_status_update" } | { allowed: false; why: string };

export function judgeTransition(from: StatusSnapshot, to: StatusSnapshot): TransitionVerdict {
  if (from.status === "completed" && to.status === "completed") {
    if (from.decision === "review" && (to.decision === "approved" || to.decision === "declined")) {
      return { allowed: true, kind: "settle_review" };
    }
    return { allowed: false, why: `completed(${from.decision}) is final` };
  }
  const fromRank = RANK[from.status];
  const toRank = RANK[to.status];
  if (fromRank === 3) return { allowed: false, why: `${from.status} is terminal` };
  if (toRank > fromRank) return { allowed: true, kind: "advance" };
  // the same non-terminal status may carry new facts (a user step, partial checks)
  if (toRank === fromRank && from.status === to.status) return { allowed: true, kind: "same_status_update" };
  return { allowed: false, why: `${to.status} would move ${from.status} back` };
}

export function isTerminal(status: VerificationStatus): boolean {
  return RANK[status] === 3;
}
