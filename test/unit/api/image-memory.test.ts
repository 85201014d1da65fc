// Issue 13: the accept's image bytes in memory are bounded per process (src/api/image-memory.ts).
import { describe, expect, it } from "vitest";
import { ImageMemoryBudget } from "../../../src/api/image-memory.js";

const KiB = 1024;
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
const settle = () => new Promise((r) => setImmediate(r));

describe("image memory budget", () => {
  it("starts an accept only when its bytes fit beside those already held, and gives them back when it ends", async () => {
    const budget = new ImageMemoryBudget(256 * KiB);
    const started: string[] = [];
    const first = deferred();
    const second = deferred();
    const a = budget.hold(150 * KiB, async () => (started.push("a"), first.promise));
    const b = budget.hold(150 * KiB, async () => (started.push("b"), second.promise));
    const c = budget.hold(10 * KiB, async () => void started.push("c"));
    await settle();
    // a holds 3 of the 4 units; b needs 3 more and waits; c is queued behind b (first come, first served)
    expect(started).toEqual(["a"]);
    expect(budget.heldBytes()).toBe(192 * KiB);
    first.resolve();
    await a;
    await settle();
    expect(started).toEqual(["a", "b", "c"]);
    second.resolve();
    await Promise.all([b, c]);
    expect(budget.heldBytes()).toBe(0);
  });

  it("gives the bytes back when the accept fails", async () => {
    const budget = new ImageMemoryBudget(128 * KiB);
    await expect(budget.hold(128 * KiB, async () => Promise.reject(new Error("refused")))).rejects.toThrow("refused");
    expect(budget.heldBytes()).toBe(0);
    expect(await budget.hold(128 * KiB, async () => "next")).toBe("next");
  });

  it("runs an accept larger than the whole budget alone, rather than never", async () => {
    const budget = new ImageMemoryBudget(128 * KiB);
    const small = deferred();
    const held = budget.hold(64 * KiB, async () => small.promise);
    let bigRan = false;
    const big = budget.hold(50 * 1024 * KiB, async () => {
      bigRan = true;
    });
    await settle();
    expect(bigRan).toBe(false);
    small.resolve();
    await Promise.all([held, big]);
    expect(bigRan).toBe(true);
  });

  it("counts in units few enough that a release stays cheap whatever the budget", () => {
    // async-mutex walks every unit on each release: a budget counted in bytes made a 2 MB accept 4× slower
    expect(new ImageMemoryBudget(32 * 1024 * KiB).units).toBe(512);
    expect(new ImageMemoryBudget(1).units).toBe(1);
  });
});
