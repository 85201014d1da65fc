import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import multer from "multer";
import nock from "nock";
import pino from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { shareidAdapter } from "../../../../src/adapters/shareid/index.js";
import type { VerificationInputData } from "../../../../src/adapters/types.js";
import { VendorError } from "../../../../src/domain/errors.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { jpeg, pdf, png, webp } from "./images.js";

const BASE = "https://api.shareid.test";
const PATH = "/flow/authenticity/photo";
const creds = { apiKey: "test-api-key", businessHash: "test-business-hash" };
const fixture = (name: string) => readFileSync(new URL(`../../../../src/adapters/shareid/fixtures/${name}`, import.meta.url), "utf8");

const input = (extra: Partial<VerificationInputData> = {}): VerificationInputData => ({
  subject: { firstName: "Jean", lastName: "Dupont", documentNumber: "X4RTBPFW4" },
  document: {
    type: "residence_permit",
    country: "FR",
    images: [
      { side: "front", contentType: "image/png", data: png(320, 240) },
      { side: "back", contentType: "image/jpeg", data: jpeg(640, 480) },
    ],
  },
  tags: ["onboarding", "web_flow"],
  ...extra,
});

/** A 200 answer written as the doc writes its samples: the security block is the doc's own text. */
const docStyleAnswer = (reason: string, verdict: boolean) => `{
  "doc_type": "residency_permit",
  "country_code": "fr",
  "doc_model": "2011",
  "ocr": {"name": "JEAN", "surname": "DUPONT", "sex": "M", "nationality": "FRA", "birth_date": "1980-01-02",
          "birth_place": "PARIS", "doc_num": "X4RTBPFW4", "expiration_date": "2030-06-30", "issuance_date": "2020-07-01",
          "address": "1 RUE DE LA PAIX 75002 PARIS"},
  ${fixture("security-example.txt")},
  "reason": "${reason}",
  "verdict": ${verdict ? "true" : "false"},
  "flow_id": "6f1c0b8e-flow"
}`;

/** nock only, for the tests of one describe */
function withNock() {
  beforeEach(() => {
    nock.cleanAll();
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
    nock.enableNetConnect();
  });
}

describe("ShareID adapter against recorded answers (nock)", () => {
  withNock();

  it("maps a doc-style pass answer, records the payload and keeps flow_id", async () => {
    const scope = nock(BASE).post(PATH).reply(200, docStyleAnswer("", true), { "content-type": "application/json" });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    const out = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(out).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {
        document: {
          outcome: "pass",
          type: "residence_permit",
          model: "2011",
          country: "FR",
          fields: {
            firstName: "JEAN",
            lastName: "DUPONT",
            sex: "M",
            nationality: "FR",
            dateOfBirth: "1980-01-02",
            placeOfBirth: "PARIS",
            documentNumber: "X4RTBPFW4",
            expiryDate: "2030-06-30",
            issueDate: "2020-07-01",
            address: "1 RUE DE LA PAIX 75002 PARIS",
            issuingCountry: "FR",
          },
          security: { mrz_vs_viz: true, printing_technique: false, integrated_photo: null, streaks_around_the_card: true, info_coherence: true },
        },
      },
      vendorReference: "6f1c0b8e-flow",
    });
    expect(h.payloads).toHaveLength(1);
    expect(h.payloads[0]).toMatchObject({ kind: "authenticity_photo", body: { flow_id: "6f1c0b8e-flow", verdict: true } });
    expect(h.calls.map((c) => [c.endpoint, c.httpStatus, c.outcome])).toEqual([["authenticity_photo", 200, "ok"]]);
  });

  it("declines on verdict false with the doc's reasons", async () => {
    nock(BASE).post(PATH).reply(200, docStyleAnswer("doc_print or inversed_name", false));
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const out = await shareidAdapter.start(makeVerification(input(), ["document"]), account, makeHarness(account).ctx);
    expect(out).toMatchObject({ status: "completed", decision: "declined" });
    if (out.status !== "completed") throw new Error("unreachable");
    expect(out.reasons.map((r) => [r.code, r.category, r.vendorCode])).toEqual([
      ["document_printed_copy", "document", "doc_print"],
      ["names_inverted", "data", "inversed_name"],
    ]);
  });

  it("a free-text reason is kept in the resource but never written to the logs (it may name the person)", async () => {
    nock(BASE).post(PATH).reply(200, docStyleAnswer("Name JEAN DUPONT does not match", false));
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    const lines: string[] = [];
    h.ctx.log = pino({ level: "debug" }, { write: (line: string) => void lines.push(line) });
    const out = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx);
    if (out.status !== "completed") throw new Error("unreachable");
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["document_suspicious", "Name JEAN DUPONT does not match"]]);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join("\n")).not.toMatch(/JEAN|DUPONT/);
  });

  it("a 408 (ShareID's timeout) is not resent by default: one upload, a retryable vendor_timeout", async () => {
    const scope = nock(BASE).post(PATH).reply(408, "");
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: "timeout", retryable: true });
    expect((err as VendorError).toReason()).toMatchObject({ code: "vendor_timeout", vendorCode: "408" });
    expect(h.calls).toHaveLength(1);
  });

  it("no answer within the account's timeoutMs: the upload is not sent again (ShareID may still be analysing it)", async () => {
    const scope = nock(BASE).post(PATH).delay(1_500).reply(200, { verdict: true, reason: "", flow_id: "late" });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds, settings: { timeoutMs: 1_000 } });
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(scope.isDone()).toBe(true);
    expect(err).toMatchObject({ kind: "timeout", retryable: true });
    expect(h.calls.map((c) => [c.httpStatus, c.errorKind])).toEqual([[null, "timeout"]]);
  });

  it("with resendUpload: true, a 408 is sent again and then succeeds", async () => {
    const scope = nock(BASE).post(PATH).reply(408, "").post(PATH).reply(200, { verdict: true, reason: "", flow_id: "after-408" });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds, settings: { resendUpload: true } });
    const h = makeHarness(account);
    const out = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx);
    expect(scope.isDone()).toBe(true);
    expect(out).toMatchObject({ status: "completed", decision: "approved", vendorReference: "after-408" });
    expect(h.calls.map((c) => [c.httpStatus, c.errorKind])).toEqual([
      [408, "timeout"],
      [200, null],
    ]);
  });

  it("with resendUpload: true, repeated 408s give up after the retries with a retryable vendor_timeout", async () => {
    nock(BASE).post(PATH).times(3).reply(408, "");
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds, settings: { resendUpload: true } });
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "timeout", retryable: true });
    expect(h.calls).toHaveLength(3);
  });

  it("invalid account settings are a VendorError before any call", async () => {
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds, settings: { timeoutMs: "soon" } });
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "rejected", retryable: false });
    expect((err as Error).message).toContain("timeoutMs");
    expect(h.calls).toHaveLength(0);
  });

  it.each([
    [401, "auth", "vendor_auth_failed", 1],
    [403, "auth", "vendor_auth_failed", 1],
    [400, "rejected", "vendor_rejected_request", 1],
    [413, "rejected", "vendor_rejected_request", 1],
    // a 5xx is resent only when the account allows it (resendUpload)
    [503, "unavailable", "vendor_unavailable", 1],
  ] as const)("HTTP %i -> %s (%s) after %i call(s)", async (status, kind, code, calls) => {
    nock(BASE).post(PATH).times(calls).reply(status, { error: "x" });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, h.ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind });
    expect((err as VendorError).toReason().code).toBe(code);
    expect(h.calls).toHaveLength(calls);
  });

  it.each([
    ["truncated JSON", '{"truncated": ', "not JSON"],
    ["HTML", "<html>oops</html>", "not JSON"],
    ["no verdict", JSON.stringify({ reason: "", flow_id: "x" }), "verdict"],
  ])("a 200 with %s is a parse error (vendor_error), not a crash", async (_label, body, inMessage) => {
    nock(BASE).post(PATH).reply(200, body);
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const err = await shareidAdapter.start(makeVerification(input(), ["document"]), account, makeHarness(account).ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: "parse", retryable: false });
    expect((err as VendorError).message).toContain(inMessage);
    expect((err as VendorError).toReason().code).toBe("vendor_error");
  });

  // a request that breaks a limit is refused by the core before start (test/unit/core/request-guard.test.ts)
  it("does not call ShareID when the account lacks credentials", async () => {
    const scope = nock(BASE).post(PATH).reply(200, { verdict: true });
    const noCreds = makeAccount("shareid", { baseUrl: BASE, credentials: { apiKey: "only-key" } });
    await expect(shareidAdapter.start(makeVerification(input(), ["document"]), noCreds, makeHarness(noCreds).ctx)).rejects.toMatchObject({ kind: "auth" });
    expect(scope.isDone()).toBe(false);
  });
});

describe("ShareID request shape (seen by a multipart server)", () => {
  let server: Server;
  let baseUrl: string;
  const seen: { headers: Record<string, unknown>; body: Record<string, unknown>; files: Express.Multer.File[] }[] = [];

  beforeAll(async () => {
    nock.enableNetConnect("127.0.0.1");
    const app = express();
    app.post(PATH, multer({ storage: multer.memoryStorage() }).any(), (req, res) => {
      seen.push({ headers: req.headers, body: req.body as Record<string, unknown>, files: req.files as Express.Multer.File[] });
      res.json({ doc_type: "id_card", country_code: "fr", doc_model: "", ocr: {}, security: {}, reason: "", verdict: true, flow_id: "shape-1" });
    });
    server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("sends one multipart POST: a data JSON part and one photos part per image, extensions matching MIME types", async () => {
    seen.length = 0;
    const account = makeAccount("shareid", { baseUrl: `${baseUrl}/`, credentials: creds });
    const images = [
      { side: "front" as const, contentType: "image/png", data: png(320, 240) },
      { contentType: "application/pdf", data: pdf() },
    ];
    const out = await shareidAdapter.start(
      makeVerification(input({ document: { type: "driving_license", country: "fra", images } }), ["document"]),
      account,
      makeHarness(account).ctx,
    );
    expect(out).toMatchObject({ status: "completed", vendorReference: "shape-1" });
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(String(req.headers["content-type"])).toMatch(/^multipart\/form-data; boundary=/);
    expect(Object.keys(req.body)).toEqual(["data"]);
    expect(JSON.parse(String(req.body.data))).toEqual({
      api_key: "test-api-key",
      business_hash: "test-business-hash",
      doc_type: "driver_permit",
      country_code: "fr",
      first_name: "Jean",
      last_name: "Dupont",
      tags: ["onboarding", "web_flow"],
    });
    expect(req.files.map((f) => [f.fieldname, f.originalname, f.mimetype, f.size])).toEqual([
      ["photos", "document_1_front.png", "image/png", images[0]!.data.length],
      ["photos", "document_2_page.pdf", "application/pdf", images[1]!.data.length],
    ]);
    expect(req.files[0]!.buffer.equals(images[0]!.data)).toBe(true);
  });

  it.each([
    ["image/jpeg", ".jpg", jpeg(300, 300)],
    ["image/png", ".png", png(300, 300)],
    ["image/webp", ".webp", webp(300, 300)],
    ["application/pdf", ".pdf", pdf()],
  ])("a %s image is sent with a %s file name and never a name from the person's data", async (mime, ext, data) => {
    seen.length = 0;
    const account = makeAccount("shareid", { baseUrl, credentials: creds });
    const v = makeVerification(input({ document: { type: "other", images: [{ side: "back", contentType: mime, data }] }, tags: [] }), ["document"]);
    await shareidAdapter.start(v, account, makeHarness(account).ctx);
    const file = seen[0]!.files[0]!;
    expect(file.originalname).toBe(`document_1_back${ext}`);
    expect(file.mimetype).toBe(mime);
    expect(file.originalname).not.toMatch(/jean|dupont|X4RT/i);
    // "other" has no ShareID doc_type and no country was given: both optional, both left out; tags [] left out
    expect(Object.keys(JSON.parse(String(seen[0]!.body.data))).sort()).toEqual(["api_key", "business_hash", "first_name", "last_name"]);
  });
});

describe("ShareID adapter declaration", () => {
  it("is document-only and synchronous, with both credentials secret", () => {
    expect(shareidAdapter.vendor).toBe("shareid");
    expect(shareidAdapter.capabilities).toEqual({ document: true, liveness: false, faceMatch: false, hosted: false, webhooks: false, polling: false });
    expect(shareidAdapter.credentials.secretKeys).toEqual(["apiKey", "businessHash"]);
    expect(shareidAdapter.credentials.parse({ apiKey: "a", businessHash: "b", extra: 1 })).toEqual({ apiKey: "a", businessHash: "b" });
    expect(() => shareidAdapter.credentials.parse({ apiKey: "a" })).toThrow();
    // its own timeout (the doc gives none: ours, a minute) and no automatic resend of the upload
    const defaults = { path: "/flow/authenticity/photo", timeoutMs: 60_000, resendUpload: false };
    expect(shareidAdapter.settings.parse({})).toEqual(defaults);
    expect(shareidAdapter.settings.parse(undefined)).toEqual(defaults);
    expect(() => shareidAdapter.settings.parse({ path: "no-slash" })).toThrow();
    // the core's keys are kept, not stripped
    expect(shareidAdapter.settings.parse({ concurrency: 2, timeoutMs: 90_000, maxRetries: 1, resendUpload: true })).toEqual({
      ...defaults,
      concurrency: 2,
      timeoutMs: 90_000,
      maxRetries: 1,
      resendUpload: true,
    });
  });
});

describe("ShareID renormalize: the recorded answer read again, no vendor call", () => {
  withNock();

  /** what the pipeline keeps: redacted of images and credentials, JSON in Postgres */
  const stored = (payloads: { kind: string; body: unknown }[]) =>
    payloads.map((p) => ({ kind: p.kind, body: JSON.parse(JSON.stringify(redactPayload(p.body))) as unknown, receivedAt: new Date() }));

  const reasonRows = [...fixture("reasons-table.txt").matchAll(/^([a-z_0-9]+)\s/gm)].map((m) => m[1]!).filter((r) => r !== "reason");
  const samples: [string, string | Record<string, unknown>][] = [
    ["the doc-style pass (Python literals, // comment)", docStyleAnswer("", true)],
    ["the doc-style answer with two reasons", docStyleAnswer("doc_print or inversed_name", false)],
    ["verdict true with a rejection reason", docStyleAnswer("doc_expired_5y", true)],
    ["verdict false, no reason", { verdict: false, reason: "", flow_id: "f" }],
    ["reason_id only", { verdict: false, reason: "", reason_id: [7, 42], flow_id: "f" }],
    ["an empty ocr", { doc_type: "passport", country_code: "es", ocr: {}, security: {}, reason: "", verdict: true, flow_id: "f" }],
    ...reasonRows.map((r): [string, string] => [`the doc's reason ${r}`, docStyleAnswer(r, r === "doc_auth")]),
  ];

  it("the doc's reasons table gave its rows", () => {
    expect(reasonRows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(samples)("%s", async (_name, answer) => {
    nock(BASE).post(PATH).reply(200, answer, { "content-type": "application/json" });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    const v = makeVerification(input(), ["document", "liveness"]);
    const out = await shareidAdapter.start(v, account, h.ctx);
    expect(shareidAdapter.renormalize!(stored(h.payloads), v)).toEqual(out);
  });

  it("nothing recorded, or a recorded body that is not a ShareID result (start failed on it), is null", async () => {
    const v = makeVerification(input(), ["document"]);
    expect(shareidAdapter.renormalize!([], v)).toBeNull();
    nock(BASE).post(PATH).reply(200, { unexpected: true });
    const account = makeAccount("shareid", { baseUrl: BASE, credentials: creds });
    const h = makeHarness(account);
    await expect(shareidAdapter.start(v, account, h.ctx)).rejects.toThrow();
    expect(h.payloads).toHaveLength(1);
    expect(shareidAdapter.renormalize!(stored(h.payloads), v)).toBeNull();
  });

  it("mapping version shareid-2026.12.3", () => {
    expect(shareidAdapter.mappingVersion).toBe("shareid-2026.12.3");
  });
});
