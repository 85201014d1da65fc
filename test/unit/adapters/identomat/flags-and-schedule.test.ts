// begin/ flags built from the request, the poll schedule and budget, expiry, settings and credentials.
import { describe, expect, it } from "vitest";
import { buildBeginParams, buildFlags, expiresAtOf, identomatAdapter, nextPollDelayMs, pollBudgetDelayMs } from "../../../../src/adapters/identomat/index.js";
import { IdentomatSettingsSchema } from "../../../../src/adapters/identomat/schemas.js";
import { makeAccount } from "../../../support/adapter-harness.js";

const settings = (x: unknown = {}) => IdentomatSettingsSchema.parse(x);

describe("buildFlags", () => {
  it("liveness follows the checks", () => {
    expect(buildFlags({}, ["document", "liveness", "face_match"], settings()).liveness).toBe(true);
    expect(buildFlags({}, ["document", "face_match"], settings()).liveness).toBe(false);
  });

  it("language and return_url come from input.hosted", () => {
    const f = buildFlags({ hosted: { language: "es", returnUrl: "https://tenant.example/done" } }, ["document"], settings());
    expect(f.language).toBe("es");
    expect(f.return_url).toBe("https://tenant.example/done");
  });

  it("omits language and return_url when the request has none (return_url omitted = iframe)", () => {
    const f = buildFlags({}, ["document"], settings());
    expect(f).not.toHaveProperty("language");
    expect(f).not.toHaveProperty("return_url");
  });

  it.each([
    ["id_card", ["id"]],
    ["passport", ["passport"]],
    ["driving_license", ["driver_license"]],
    ["residence_permit", ["residence_license"]],
  ] as const)("document type %s -> document_types %j", (type, expected) => {
    expect(buildFlags({ document: { type, images: [] } }, ["document"], settings()).document_types).toEqual(expected);
  });

  it("document type other sets no restriction", () => {
    expect(buildFlags({ document: { type: "other", images: [] } }, ["document"], settings())).not.toHaveProperty("document_types");
  });

  it("document_countries is alpha-3 (from alpha-2 or alpha-3 input)", () => {
    expect(buildFlags({ document: { country: "ES", images: [] } }, ["document"], settings()).document_countries).toEqual(["ESP"]);
    expect(buildFlags({ document: { country: "de", images: [] } }, ["document"], settings()).document_countries).toEqual(["DEU"]);
    expect(buildFlags({ document: { country: "USA", images: [] } }, ["document"], settings()).document_countries).toEqual(["USA"]);
    expect(buildFlags({ document: { country: "ZZ", images: [] } }, ["document"], settings())).not.toHaveProperty("document_countries");
  });

  it("merges the account's flags under the request's", () => {
    const s = settings({ flags: { skip_agreement: true, allow_document_upload: true, language: "ka", liveness: true } });
    const f = buildFlags({ hosted: { language: "en" } }, ["document", "face_match"], s);
    expect(f).toEqual({ skip_agreement: true, allow_document_upload: true, language: "en", liveness: false });
    // account flags alone
    expect(buildFlags({}, ["document", "face_match"], s).language).toBe("ka");
  });

  it("skips the steps the checks do not need", () => {
    expect(buildFlags({}, ["liveness"], settings())).toMatchObject({ skip_document: true, liveness: true });
    expect(buildFlags({}, ["document"], settings())).toMatchObject({ skip_face: true });
    const all = buildFlags({}, ["document", "liveness", "face_match"], settings());
    expect(all).not.toHaveProperty("skip_face");
    expect(all).not.toHaveProperty("skip_document");
  });

  it("begin params carry steps and config_id from the settings only when set", () => {
    expect(buildBeginParams({}, ["document"], settings())).toEqual({ flags: { liveness: false, skip_face: true } });
    const steps = [{ type: "client-questionnaire", key: "q1" }];
    expect(buildBeginParams({}, ["document"], settings({ steps, configId: "62412c096c4b39ba845d4bf2" }))).toEqual({
      flags: { liveness: false, skip_face: true },
      steps,
      config_id: "62412c096c4b39ba845d4bf2",
    });
  });
});

describe("nextPollDelayMs (schedule and budget)", () => {
  it("default schedule 5s, 10s, 20s, 30s, then 60s", () => {
    expect([0, 1, 2, 3, 4, 5, 50].map((n) => nextPollDelayMs(n))).toEqual([5000, 10000, 20000, 30000, 60000, 60000, 60000]);
  });

  it("uses the account's pollScheduleSeconds", () => {
    const s = { pollScheduleSeconds: [2, 3] };
    expect([0, 1, 2, 9].map((n) => nextPollDelayMs(n, s))).toEqual([2000, 3000, 3000, 3000]);
  });

  it("stretches the delay to keep the account under maxPollsPerMinute", () => {
    // 120 sessions polled together, 60 polls a minute: each may be polled every 2 minutes
    expect(nextPollDelayMs(0, {}, { activePolls: 120 })).toBe(120_000);
    // few sessions: the schedule wins
    expect(nextPollDelayMs(0, {}, { activePolls: 3 })).toBe(5000);
    expect(nextPollDelayMs(0, { maxPollsPerMinute: 10 }, { activePolls: 5 })).toBe(30_000);
  });

  it("pollBudgetDelayMs is the per-session share of the budget", () => {
    expect(pollBudgetDelayMs(1, 60)).toBe(1000);
    expect(pollBudgetDelayMs(30, 60)).toBe(30_000);
    expect(pollBudgetDelayMs(7, 3)).toBe(140_000);
    expect(pollBudgetDelayMs(0, 60)).toBe(1000);
  });
});

describe("expiresAtOf", () => {
  it("createdAt + 15 + 5 minutes by default", () => {
    const created = new Date("2025-01-01T10:00:00Z");
    expect(expiresAtOf(created).toISOString()).toBe("2025-01-01T10:20:00.000Z");
  });
  it("follows sessionTtlMinutes and expiryMarginMinutes", () => {
    const created = new Date("2025-01-01T10:00:00Z");
    expect(expiresAtOf(created, { sessionTtlMinutes: 60, expiryMarginMinutes: 0 }).toISOString()).toBe("2025-01-01T11:00:00.000Z");
  });
});

describe("credentials, settings, validateRequest", () => {
  it("credentials need companyKey; secretKey optional; both are secret", () => {
    expect(identomatAdapter.credentials.parse({ companyKey: "k" })).toEqual({ companyKey: "k" });
    expect(identomatAdapter.credentials.parse({ companyKey: "k", secretKey: "s" })).toEqual({ companyKey: "k", secretKey: "s" });
    expect(() => identomatAdapter.credentials.parse({ secretKey: "s" })).toThrow();
    expect(identomatAdapter.credentials.secretKeys).toEqual(["companyKey", "secretKey"]);
  });

  it("settings default to DESIGN.md's paths and the documented limits", () => {
    expect(identomatAdapter.settings.parse({})).toMatchObject({
      beginPath: "/external-api/begin/",
      resultPath: "/external-api/result/",
      deletePath: "/external-api/delete/",
      flags: {},
      pollScheduleSeconds: [5, 10, 20, 30, 60],
      maxPollsPerMinute: 60,
      sessionTtlMinutes: 15,
      expiryMarginMinutes: 5,
      manualCheckPollSeconds: 600,
    });
    // the legacy similarityThreshold has no default any more (accepted, ignored: see schemas.ts)
    expect(identomatAdapter.settings.parse({})).not.toHaveProperty("similarityThreshold");
    expect(identomatAdapter.settings.parse({ similarityThreshold: 0.8 })).toMatchObject({ similarityThreshold: 0.8 });
    expect(identomatAdapter.defaultBaseUrl).toBe("https://widget.identomat.com");
    expect(() => identomatAdapter.settings.parse({ similarityThreshold: 80 })).toThrow();
  });

  it("keeps the core's settings (concurrency, timeoutMs, maxRetries, manualCheckPollSeconds, pollBackoffMaxSeconds): never stripped on write", () => {
    const core = { concurrency: 3, timeoutMs: 8000, maxRetries: 1, manualCheckPollSeconds: 300, pollBackoffMaxSeconds: 120 };
    expect(identomatAdapter.settings.parse(core)).toMatchObject(core);
    for (const bad of [{ concurrency: 0 }, { timeoutMs: "fast" }, { maxRetries: -1 }]) expect(() => identomatAdapter.settings.parse(bad)).toThrow();
  });

  it("refuses a document country Identomat cannot take and a non-http return URL", () => {
    const account = makeAccount("identomat");
    const problems = identomatAdapter.validateRequest!(
      { document: { country: "XX", images: [] }, hosted: { returnUrl: "javascript:alert(1)" } },
      ["document"],
      account,
    );
    expect(problems).toEqual([
      { path: "document.country", message: expect.any(String), status: 422 },
      { path: "hosted.returnUrl", message: "must be an http(s) URL", status: 400 },
    ]);
    expect(
      identomatAdapter.validateRequest!({ document: { country: "ES", images: [] }, hosted: { returnUrl: "https://t.example/x" } }, ["document"], account),
    ).toEqual([]);
  });
});
