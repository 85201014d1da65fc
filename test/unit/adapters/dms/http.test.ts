// DMS HTTP statuses (the doc's "Error responses" + 402 + the shared defaults), retries, paths and auth.
import nock from "nock";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { dmsAdapter } from "../../../../src/adapters/dms/index.js";
import { HTTP_ERROR_MAP } from "../../../../src/adapters/dms/mapping.js";
import { isVendorError, type VendorError } from "../../../../src/domain/errors.js";
import { makeHarness } from "../../../support/adapter-harness.js";
import { API_KEY, BASE, IDV, LIVE, documentSample, dmsAccount, faceDetectionSample, fixtureJson, input, verification } from "./helpers.js";

const DOC = `${IDV}/idcard_recognition_base64`;
const FACE = `${LIVE}/face_detection`;

beforeEach(() => {
  nock.cleanAll();
  nock.disableNetConnect();
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

async function failing(status: number, path = DOC, headers: Record<string, string> = {}) {
  const account = dmsAccount();
  const h = makeHarness(account);
  nock(BASE).post(path).times(5).reply(status, { error: "x", detail: "y" }, headers);
  const checks = path === DOC ? (["document"] as const) : (["liveness"] as const);
  const err = await dmsAdapter.start(verification([...checks], input({ selfie: path === DOC ? null : undefined })), account, h.ctx).catch((e: unknown) => e);
  return { err: err as VendorError, h };
}

describe("dms HTTP error table (the doc's Error responses + 402)", () => {
  it("lists exactly 400, 401, 402, 422, 500", () => {
    expect(Object.keys(HTTP_ERROR_MAP)).toEqual(["400", "401", "402", "422", "500"]);
  });

  it.each([
    [400, "rejected", false, "vendor_rejected_request", 1],
    [401, "auth", false, "vendor_auth_failed", 1],
    [402, "out_of_credits", false, "vendor_out_of_credits", 1],
    [500, "unavailable", true, "vendor_unavailable", 3],
  ] as const)("%s -> VendorError %s (retryable %s) -> %s after %s call(s)", async (status, kind, retryable, code, calls) => {
    const { err, h } = await failing(status);
    expect(isVendorError(err)).toBe(true);
    expect(err.kind).toBe(kind);
    expect(err.retryable).toBe(retryable);
    expect(err.httpStatus).toBe(status);
    const r = err.toReason();
    expect(r.code).toBe(code);
    expect(r.category).toBe("technical");
    expect(r.vendor).toBe("dms");
    expect(r.vendorCode).toBe(String(status));
    expect(h.calls).toHaveLength(calls);
  });

  it.each([
    [DOC, "document", "document_missing"],
    [FACE, "liveness", "no_face_detected"],
  ] as const)("422 on %s is a business answer: %s fails with %s, no error thrown, no retry", async (path, check, code) => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE).post(path).reply(422, { error: "Unprocessable Entity", detail: "no document or face detected in image" });
    const out = await dmsAdapter.start(verification([check], input({ selfie: check === "document" ? null : undefined })), account, h.ctx);
    expect(out.status).toBe("completed");
    if (out.status !== "completed") return;
    expect(out.decision).toBe("declined");
    expect(out.reasons).toEqual([
      { code, category: code === "document_missing" ? "document" : "face", vendor: "dms", vendorCode: "422", message: expect.any(String) },
    ]);
    expect(h.calls).toHaveLength(1);
    // recorded as { status: 422, body } so that renormalize tells it from an answer
    expect(h.payloads.slice(1)).toEqual([
      { kind: path.split("/").pop(), body: { status: 422, body: { error: "Unprocessable Entity", detail: "no document or face detected in image" } } },
    ]);
  });

  it.each([
    [403, "auth", "vendor_auth_failed", 1],
    [404, "rejected", "vendor_rejected_request", 1],
    [408, "timeout", "vendor_timeout", 3],
    [429, "rate_limited", "vendor_unavailable", 3],
    [502, "unavailable", "vendor_unavailable", 3],
    [503, "unavailable", "vendor_unavailable", 3],
    [504, "timeout", "vendor_timeout", 3],
  ] as const)("%s (not in the doc) -> shared default %s -> %s after %s call(s)", async (status, kind, code, calls) => {
    const { err, h } = await failing(status, FACE);
    expect(isVendorError(err)).toBe(true);
    expect(err.kind).toBe(kind);
    expect(err.toReason().code).toBe(code);
    expect(h.calls).toHaveLength(calls);
  });
});

describe("dms retries", () => {
  it("a 500 is retried, then the answer is used", async () => {
    const account = dmsAccount();
    const h = makeHarness(account, null, {}, () => new Date("2026-05-01T00:00:00Z"));
    const scope = nock(BASE).post(DOC).reply(500, { error: "Internal Server Error" }).post(DOC).reply(200, fixtureJson("idcard-recognition-response.json"));
    const out = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(out.status === "completed" && out.decision).toBe("approved");
    expect(h.calls.map((c) => [c.endpoint, c.httpStatus, c.attempt, c.outcome])).toEqual([
      ["idcard_recognition_base64", 500, 1, "error"],
      ["idcard_recognition_base64", 200, 2, "ok"],
    ]);
  });
});

describe("dms paths, auth and account configuration", () => {
  it("prefix settings: empty prefixes call the unprefixed paths of the doc's curl examples", async () => {
    const account = dmsAccount({ idverifrPrefix: "", liveverifrPrefix: "" });
    const h = makeHarness(account, null, {}, () => new Date("2026-05-01T00:00:00Z"));
    const scope = nock(BASE).post("/idcard_recognition_base64").reply(200, documentSample()).post("/face_detection").reply(200, faceDetectionSample());
    const out = await dmsAdapter.start(verification(["document", "liveness"]), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(out.status === "completed" && out.decision).toBe("approved");
  });

  it("custom prefixes and a base URL with a path are joined without double slashes", async () => {
    const account = dmsAccount({ idverifrPrefix: "/idv/", liveverifrPrefix: "/live" }, { baseUrl: `${BASE}/gw/` });
    const h = makeHarness(account);
    const scope = nock(BASE).post("/gw/live/face_detection").reply(200, faceDetectionSample());
    await dmsAdapter.start(verification(["liveness"]), account, h.ctx);
    expect(scope.isDone()).toBe(true);
  });

  it("settings parse to documented defaults", () => {
    expect(dmsAdapter.settings.parse({})).toEqual({
      idverifrPrefix: "/idcard_recognition_v2",
      liveverifrPrefix: "/v1/livecheck",
      idverifrTimeoutMs: 30_000,
      liveverifrTimeoutMs: 15_000,
      minFaceQuality: 0.5,
    });
    expect(() => dmsAdapter.settings.parse({ minFaceQuality: 1.5 })).toThrow();
    // the core's keys (DESIGN.md "every vendor concurrency, timeoutMs, maxRetries") are kept, not stripped
    expect(dmsAdapter.settings.parse({ concurrency: 3, timeoutMs: 12_000, maxRetries: 0 })).toMatchObject({ concurrency: 3, timeoutMs: 12_000, maxRetries: 0 });
    expect(() => dmsAdapter.settings.parse({ maxRetries: -1 })).toThrow();
    expect(() => dmsAdapter.settings.parse({ idverifrPrefix: "no-leading-slash" })).toThrow();
  });

  it("credentials: apiKey and, for an account that takes webhooks, one or two webhook secrets; both are secret keys", () => {
    expect(dmsAdapter.credentials.secretKeys).toEqual(["apiKey", "webhookSecrets", "webhookSecretNext"]);
    expect(dmsAdapter.credentials.parse({ apiKey: "k", webhookSecrets: ["a"] })).toEqual({ apiKey: "k", webhookSecrets: ["a"] });
    expect(dmsAdapter.credentials.parse({ apiKey: "k" })).toEqual({ apiKey: "k" });
    expect(() => dmsAdapter.credentials.parse({ apiKey: "k", webhookSecrets: [] })).toThrow();
    expect(() => dmsAdapter.credentials.parse({ apiKey: "k", webhookSecrets: ["a", "b", "c"] })).toThrow();
    expect(() => dmsAdapter.credentials.parse({ webhookSecrets: ["a"] })).toThrow();
  });

  it("an account without webhook secrets verifies people (webhooks are for account events only)", async () => {
    const account = dmsAccount({}, { credentials: { apiKey: API_KEY } });
    const h = makeHarness(account, null, {}, () => new Date("2026-05-01T00:00:00Z"));
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${API_KEY}` } })
      .post(`${IDV}/idcard_recognition_base64`)
      .reply(200, documentSample());
    const out = await dmsAdapter.start(verification(["document"], input({ selfie: null })), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(out.status === "completed" && out.decision).toBe("approved");
  });

  it("incomplete credentials: an auth VendorError before any call, the key never in the message", async () => {
    const account = dmsAccount({}, { credentials: { apiKey: "", webhookSecrets: ["whsec_x"] } });
    const h = makeHarness(account);
    const err = await dmsAdapter.start(verification(["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(isVendorError(err) && err.kind).toBe("auth");
    expect((err as Error).message).not.toContain("whsec_x");
    expect(h.calls).toHaveLength(0);
  });

  it("health() calls GET health of both products", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    const scope = nock(BASE, { reqheaders: { authorization: "Bearer sk_test_unit_key" } })
      .get(`${IDV}/health`)
      .reply(200, { status: "ok" })
      .get(`${LIVE}/health`)
      .reply(200, { status: "ok" });
    const res = await dmsAdapter.health!(account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(res.ok).toBe(true);
  });

  it("health() reports a refused key as not ok", async () => {
    const account = dmsAccount();
    const h = makeHarness(account);
    nock(BASE).get(`${IDV}/health`).reply(401, { error: "Unauthorized" });
    const res = await dmsAdapter.health!(account, h.ctx);
    expect(res.ok).toBe(false);
    expect(res.detail).toContain("401");
  });
});
