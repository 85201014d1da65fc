// "Queue rather than overload" (../shared/vendors/identy-web-solution-v6.txt, "Hardware requirements"): no BLOB
// resent unless the account allows it, settings validated strictly, and the throughput tables as the defaults.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter, parseIdentySettings } from "../../../../src/adapters/identy/index.js";
import { callCostMs, requestsPerSecond, type ThroughputProfile } from "../../../../src/adapters/identy/client.js";
import { VendorError } from "../../../../src/domain/errors.js";
import { localAccountRate } from "../../../../src/core/account-rate.js";
import { createVendorHttp } from "../../../../src/core/vendor-http.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const BASE = "https://iws-load.identy.test";
const blob = { faceCapture: { identyBlob: Buffer.from("IDENTY-SDK-BLOB slow").toString("base64") } };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("account settings are validated strictly", () => {
  it("refuses an unknown key with its own path, at the top and inside throughput", () => {
    const paths = (x: unknown) => {
      try {
        parseIdentySettings(x);
        return [];
      } catch (e) {
        return (e as { issues: { path: PropertyKey[] }[] }).issues.map((i) => i.path.join("."));
      }
    };
    expect(paths({ concurency: 4 })).toEqual(["concurency"]);
    expect(paths({ throughput: { proces: 3 } })).toEqual(["throughput.proces"]);
    expect(paths({ hardware: "cpu-6" })).toEqual(["hardware"]);
  });

  it("stored settings that no longer parse fail the start as a VendorError naming the key (no IWS call)", async () => {
    const acc = makeAccount("identy", { baseUrl: BASE, settings: { blobLivenessEndpoint: "secure_face_as" } });
    const v = makeVerification(blob, ["liveness"]);
    const err = await identyAdapter.start(v, acc, makeHarness(acc, v.id).ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: "rejected", retryable: false });
    expect((err as VendorError).message).toContain("blobLivenessEndpoint");
  });

  it("keeps concurrency, timeoutMs and maxRetries, which the core reads", () => {
    const s = identyAdapter.settings.parse({ concurrency: 2, timeoutMs: 5000, maxRetries: 1 });
    expect(s).toMatchObject({ concurrency: 2, timeoutMs: 5000, maxRetries: 1, resendBlob: false, hardware: "cpu-4", captureDevice: "either" });
  });
});

describe("no automatic resend of a BLOB", () => {
  it("a /process that times out is called once (it was 3 times: the same BLOB to a slow IWS)", async () => {
    nock(BASE).post("/api/v1/process").times(3).delay(1500).reply(200, { code: 200 });
    const acc = makeAccount("identy", { baseUrl: BASE, settings: { timeoutMs: 1000 } });
    const v = makeVerification(blob, ["liveness"]);
    // as the pipeline builds it: the account's maxRetries (default 2) reaches the core
    const h = makeHarness(acc, v.id, { maxRetries: 2 });
    const err = await identyAdapter.start(v, acc, h.ctx).catch((e: unknown) => e as VendorError);
    expect(err).toBeInstanceOf(VendorError);
    expect((err as VendorError).kind).toBe("timeout");
    expect(h.calls.filter((c) => c.endpoint === "process")).toHaveLength(1);
  });

  it("resendBlob: true lets the core's retries resend it", async () => {
    nock(BASE).post("/api/v1/process").times(3).reply(503, "Service Unavailable");
    const acc = makeAccount("identy", { baseUrl: BASE, settings: { resendBlob: true } });
    const v = makeVerification(blob, ["liveness"]);
    const h = makeHarness(acc, v.id, { maxRetries: 2 });
    await identyAdapter.start(v, acc, h.ctx).catch(() => null);
    expect(h.calls.filter((c) => c.endpoint === "process")).toHaveLength(3);
  });
});

describe("throughput from the file's tables", () => {
  const p = (x: Partial<ThroughputProfile>): ThroughputProfile => ({ hardware: "cpu-4", captureDevice: "either", livenessLevel: "HIGH", ...x });
  it.each([
    // "/Process requests": "<= HIGH: 1.34 / 1.24", "≥ BVH: 0.83 / 0.46", "HIGHEST: 0.83 / 0.27" (4 cores) ... "HIGHEST: 5.12 / 2.28" (32 cores)
    [p({ captureDevice: "mobile" }), 1.34],
    [p({ captureDevice: "desktop" }), 1.24],
    [p({}), 1.24],
    [p({ livenessLevel: "BALANCED_VERY_HIGH", captureDevice: "desktop" }), 0.46],
    [p({ livenessLevel: "HIGHEST", captureDevice: "desktop" }), 0.27],
    [p({ livenessLevel: "HIGHEST", captureDevice: "mobile", hardware: "cpu-32" }), 5.12],
    [p({ hardware: "cpu-32", captureDevice: "mobile" }), 9.0],
    // "a single GPU delivers performance equivalent 16 CPU cores": the 16-core column
    [p({ hardware: "gpu", captureDevice: "desktop" }), 5.11],
  ])("/process %o -> %f req/s", (profile, rps) => {
    expect(requestsPerSecond("process", profile)).toBe(rps);
  });

  it("the single-row tables, by column", () => {
    expect(requestsPerSecond("match_with_selfie", p({ hardware: "cpu-8" }))).toBe(4.2);
    expect(requestsPerSecond("match_with_picture_id", p({ hardware: "cpu-16" }))).toBe(5.88);
    expect(requestsPerSecond("secure_face_as", p({ hardware: "cpu-32" }))).toBe(5.11);
    expect(requestsPerSecond("face_as", p({}))).toBe(0.45);
    // the fused call: both shares, one after the other
    expect(callCostMs("verify_with_picture_id", p({}))).toBeCloseTo(1000 / 1.24 + 1000 / 1.47, 6);
    expect(requestsPerSecond("process", p({ overrides: { process: 20 } }))).toBe(20);
  });

  it("each IWS call carries its share of the server (1000 / rps ms) to the core", async () => {
    nock(BASE)
      .post("/api/v1/process")
      .reply(200, { code: 200, refid: "W-face-process-1", data: { as_highest_security_level_reached: "HIGHEST" } });
    const acc = makeAccount("identy", { baseUrl: BASE, settings: { livenessLevel: "HIGH", captureDevice: "desktop" } });
    const v = makeVerification(blob, ["liveness"]);
    const h = makeHarness(acc, v.id);
    const seen: (number | undefined)[] = [];
    const call = h.ctx.http.call.bind(h.ctx.http);
    h.ctx.http = { call: (req) => (seen.push(req.costMs), call(req)) };
    await identyAdapter.start(v, acc, h.ctx);
    expect(seen).toEqual([1000 / 1.24]);
  });
});

describe("the account's rate in the core", () => {
  it("calls with a cost start no faster than one cost apart", async () => {
    nock(BASE).post("/x").times(5).reply(200, "ok");
    const http = createVendorHttp({
      vendor: "identy",
      vendorAccountId: `va_rate_${Math.random()}`,
      verificationId: null,
      sharedRate: localAccountRate(),
      settings: { concurrency: 5 },
    });
    const started = Date.now();
    const at: number[] = [];
    await Promise.all(Array.from({ length: 5 }, () => http.call({ endpoint: "x", url: `${BASE}/x`, costMs: 100 }).then(() => at.push(Date.now() - started))));
    at.sort((a, b) => a - b);
    // 5 calls at 10 per second: the last starts about 400 ms after the first
    expect(at[4]!).toBeGreaterThanOrEqual(390);
  });
});
