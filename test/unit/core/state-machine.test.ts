import { describe, expect, it } from "vitest";
import { judgeTransition } from "../../../src/core/state-machine.js";
import type { Decision, VerificationStatus } from "../../../src/domain/model.js";

const s = (status: VerificationStatus, decision: Decision | null = null) => ({ status, decision });

describe("status only moves forward", () => {
  it.each([
    ["pending", "awaiting_user"],
    ["pending", "processing"],
    ["pending", "completed"],
    ["pending", "failed"],
    ["awaiting_user", "processing"],
    ["awaiting_user", "expired"],
    ["awaiting_user", "cancelled"],
    ["processing", "completed"],
  ] as const)("%s -> %s is allowed", (from, to) => {
    expect(judgeTransition(s(from), s(to, to === "completed" ? "approved" : null)).allowed).toBe(true);
  });

  it.each([
    ["processing", "awaiting_user"],
    ["completed", "processing"],
    ["completed", "awaiting_user"],
    ["failed", "completed"],
    ["expired", "processing"],
    ["cancelled", "completed"],
  ] as const)("%s -> %s is refused", (from, to) => {
    const v = judgeTransition(s(from, from === "completed" ? "approved" : null), s(to, to === "completed" ? "approved" : null));
    expect(v.allowed).toBe(false);
  });

  it("a repeated webhook of the same step is an update, not a move", () => {
    expect(judgeTransition(s("awaiting_user"), s("awaiting_user"))).toEqual({ allowed: true, kind: "same_status_update" });
  });

  it("a review may be settled into approved or declined, once", () => {
    expect(judgeTransition(s("completed", "review"), s("completed", "approved"))).toEqual({ allowed: true, kind: "settle_review" });
    expect(judgeTransition(s("completed", "review"), s("completed", "declined"))).toEqual({ allowed: true, kind: "settle_review" });
    expect(judgeTransition(s("completed", "approved"), s("completed", "declined")).allowed).toBe(false);
    expect(judgeTransition(s("completed", "declined"), s("completed", "review")).allowed).toBe(false);
  });
});
