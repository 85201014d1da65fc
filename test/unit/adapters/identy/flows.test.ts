import { describe, expect, it } from "vitest";
import { chooseFlow, identyAdapter } from "../../../../src/adapters/identy/index.js";
import { IdentySettingsSchema } from "../../../../src/adapters/identy/schemas.js";
import { verifySdkProxyToken } from "../../../../src/adapters/identy/routes.js";
import type { VerificationInputData } from "../../../../src/adapters/types.js";
import type { CheckName } from "../../../../src/domain/model.js";
import { fakeJpeg, makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const blob = { identyBlob: Buffer.from("blob").toString("base64") };
const selfie = { contentType: "image/jpeg", data: fakeJpeg("s") };
const document = { images: [{ side: "front" as const, contentType: "image/jpeg", data: fakeJpeg("d") }] };
const defaults = IdentySettingsSchema.parse({});

describe("settings", () => {
  it("defaults: BALANCED_VERY_HIGH liveness, HIGH match, 4 in flight, 900 s capture links", () => {
    expect(defaults).toMatchObject({
      livenessLevel: "BALANCED_VERY_HIGH",
      matchLevel: "HIGH",
      concurrency: 4,
      captureTtlSeconds: 900,
      blobLivenessEndpoint: "process",
      // /process then /matchWithPictureId: the only BLOB + portrait flow that reports the liveness level
      blobMatchFlow: "process_then_match",
      logApiTrigger: true,
      enableQuality: true,
      multipleFaces: "review",
    });
    expect(identyAdapter.settings.parse(undefined)).toMatchObject({ concurrency: 4 });
  });

  it("refuses levels the IWS does not know", () => {
    expect(() => IdentySettingsSchema.parse({ livenessLevel: "SUPER" })).toThrow();
    // the match endpoints take MEDIUM | HIGH | VERY_HIGH | HIGHEST only
    expect(() => IdentySettingsSchema.parse({ matchLevel: "LOW" })).toThrow();
    expect(IdentySettingsSchema.parse({ livenessLevel: "MODERATE", matchLevel: "HIGHEST" })).toMatchObject({
      livenessLevel: "MODERATE",
      matchLevel: "HIGHEST",
    });
  });

  it("declares the secret credential", () => {
    expect(identyAdapter.credentials.secretKeys).toEqual(["templatePrivateKey"]);
    expect(identyAdapter.capabilities).toEqual({ document: false, liveness: true, faceMatch: true, hosted: false, webhooks: false, polling: false });
  });
});

describe("flow choice table", () => {
  const rows: [string, VerificationInputData, CheckName[], Partial<typeof defaults>, string][] = [
    ["nothing captured yet", {}, ["liveness"], {}, "await_capture"],
    ["nothing captured yet, match against the portrait", { document }, ["liveness", "face_match"], {}, "await_capture"],
    ["blob + portrait, both checks", { faceCapture: blob, document }, ["liveness", "face_match"], {}, "blob_process_match:picture_id"],
    ["blob + portrait, match only", { faceCapture: blob, document }, ["face_match"], {}, "blob_process_match:picture_id"],
    [
      "blob + portrait, one call",
      { faceCapture: blob, document },
      ["liveness", "face_match"],
      { blobMatchFlow: "verifyWithPictureId" },
      "blob_verify_picture_id",
    ],
    ["blob + selfie, match", { faceCapture: blob, selfie }, ["liveness", "face_match"], {}, "blob_process_match:selfie"],
    ["blob, liveness", { faceCapture: blob }, ["liveness"], {}, "blob_liveness:process"],
    ["blob + portrait, liveness only", { faceCapture: blob, document }, ["liveness"], {}, "blob_liveness:process"],
    ["selfie + portrait, both", { selfie, document }, ["liveness", "face_match"], {}, "image_liveness:match"],
    ["selfie, liveness", { selfie }, ["liveness"], {}, "image_liveness"],
    ["selfie + portrait, match only", { selfie, document }, ["face_match"], {}, "image_match_picture_id"],
  ];

  it.each(rows)("%s -> %s", (_label, input, checks, settings, expected) => {
    const flow = chooseFlow(checks, input, { ...defaults, ...settings });
    const label =
      flow.kind === "blob_liveness"
        ? `${flow.kind}:${flow.endpoint}`
        : flow.kind === "blob_process_match"
          ? `${flow.kind}:${flow.against}`
          : flow.kind === "image_liveness" && flow.thenMatch
            ? `${flow.kind}:match`
            : flow.kind;
    expect(label).toBe(expected);
  });
});

describe("validateRequest", () => {
  const v = identyAdapter.validateRequest!;
  const acc = makeAccount("identy");

  it.each([
    [{ selfie }, ["document", "liveness"], "checks", 422],
    [{ selfie }, [], "checks", 422],
    [{ faceCapture: { identyBlob: "not base64 !!" } }, ["liveness"], "faceCapture.identyBlob", 400],
    [{ faceCapture: { identyBlob: "" } }, ["liveness"], "faceCapture.identyBlob", 400],
    [{ selfie: { contentType: "image/webp", data: Buffer.from("x") } }, ["liveness"], "selfie", 415],
    [{ selfie, document: { images: [{ contentType: "application/pdf", data: Buffer.from("x") }] } }, ["face_match"], "document.images[0]", 415],
    [{ selfie }, ["face_match"], "document.images", 422],
    [{}, ["face_match"], "document.images", 422],
  ] as [VerificationInputData, CheckName[], string, number][])("%j %j -> problem at %s (%i)", (input, checks, path, status) => {
    const problems = v(input, checks, acc);
    expect(problems.map((p) => [p.path, p.status])).toContainEqual([path, status]);
  });

  it.each([
    [{}, ["liveness"]],
    [{ document }, ["liveness", "face_match"]],
    [{ faceCapture: blob, selfie }, ["face_match"]],
    [{ selfie }, ["liveness"]],
  ] as [VerificationInputData, CheckName[]][])("%j %j is acceptable", (input, checks) => {
    expect(v(input, checks, acc)).toEqual([]);
  });
});

describe("awaiting the capture", () => {
  it("answers identy_capture with a signed, expiring SDK proxy link", async () => {
    const acc = makeAccount("identy", { settings: { captureTtlSeconds: 600 } });
    const now = new Date("2025-06-01T10:00:00Z");
    const ver = makeVerification({ document }, ["liveness", "face_match"]);
    const h = makeHarness(acc, ver.id, {}, () => now);
    const o = await identyAdapter.start(ver, acc, h.ctx);
    expect(o.status).toBe("awaiting_user");
    if (o.status !== "awaiting_user" || o.nextAction?.type !== "identy_capture") throw new Error("unexpected");
    expect(o.nextAction.expiresAt).toBe("2025-06-01T10:10:00.000Z");
    expect(o.expiresAt?.toISOString()).toBe("2025-06-01T10:10:00.000Z");
    const prefix = "https://gateway.test/sdk/identy/";
    expect(o.nextAction.sdkBaseUrl.startsWith(prefix)).toBe(true);
    const token = o.nextAction.sdkBaseUrl.slice(prefix.length);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    const key = h.ctx.deriveKey("identy-sdk-proxy");
    expect(verifySdkProxyToken(token, key, now)).toEqual({ verificationId: ver.id, accountId: acc.id, expiresAt: new Date("2025-06-01T10:10:00Z") });
    expect(verifySdkProxyToken(token, key, new Date("2025-06-01T10:10:00Z"))).toBeNull();
    expect(verifySdkProxyToken(token, h.ctx.deriveKey("another-purpose"), now)).toBeNull();
    expect(h.calls).toHaveLength(0);
  });
});

describe("erase", () => {
  it("has nothing to delete at the IWS (it keeps no image)", async () => {
    const acc = makeAccount("identy");
    const ver = makeVerification({}, ["liveness"]);
    expect(await identyAdapter.erase!(ver, acc, makeHarness(acc).ctx)).toMatchObject({ ok: true });
  });
});
