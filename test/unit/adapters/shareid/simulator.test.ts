// The ShareID adapter end to end against the ShareID sandbox simulator, one test per magic input.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { shareidAdapter } from "../../../../src/adapters/shareid/index.js";
import type { AdapterAccount, VerificationInputData } from "../../../../src/adapters/types.js";
import type { VendorError } from "../../../../src/domain/errors.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { createShareidSimulator, MAGIC_INPUTS, SANDBOX_API_KEY, SANDBOX_BUSINESS_HASH } from "../../../../src/sandbox/shareid/simulator.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { jpeg, png } from "./images.js";

const faults = new FaultInjector(2_000);
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = express()
    .use(faults.controlRouter())
    .use("/shareid", createShareidSimulator({ faults, log: pino({ level: "silent" }) }))
    .listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/shareid`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});
beforeEach(() => faults.clear());

const sandboxAccount = (): AdapterAccount => makeAccount("shareid", { baseUrl, credentials: { apiKey: SANDBOX_API_KEY, businessHash: SANDBOX_BUSINESS_HASH } });

const resendingAccount = (): AdapterAccount => ({ ...sandboxAccount(), settings: { resendUpload: true } });

let seq = 0;
const input = (lastName: string): VerificationInputData => {
  seq += 1;
  return {
    subject: { firstName: "Jean", lastName },
    document: {
      type: "id_card",
      country: "FR",
      // a distinct image per test, so TIMEOUT_ONCE sees fresh photos
      images: [
        { side: "front", contentType: "image/png", data: png(300, 224, seq % 256) },
        { side: "back", contentType: "image/jpeg", data: jpeg(640, 480) },
      ],
    },
    tags: ["sandbox_test"],
  };
};

async function run(lastName: string, account = sandboxAccount()) {
  const h = makeHarness(account);
  const v = makeVerification(input(lastName), ["document"]);
  const out = await shareidAdapter.start(v, account, h.ctx);
  // what the pipeline keeps (redacted, JSON in Postgres), read again without a vendor call
  const stored = h.payloads.map((p) => ({ kind: p.kind, body: JSON.parse(JSON.stringify(redactPayload(p.body))) as unknown, receivedAt: new Date() }));
  return { out, h, again: shareidAdapter.renormalize!(stored, v) };
}

describe("ShareID adapter x sandbox: magic last names", () => {
  // last_name -> [decision, normalized reason codes, vendor codes]; written out from the doc's table
  const cases: [string, "approved" | "declined", string[], string[]][] = [
    ["DOC_EXPIRED", "declined", ["document_expired"], ["doc_expired"]],
    ["DOC_EXPIRED_5Y", "declined", ["document_expired"], ["doc_expired_5y"]],
    ["MISSING_DOC", "declined", ["document_missing"], ["missing_doc"]],
    ["MISSING_FRONT", "declined", ["document_front_missing"], ["missing_front"]],
    ["MISSING_BACK", "declined", ["document_back_missing"], ["missing_back"]],
    ["SIDES_INCONSISTENCY", "declined", ["document_sides_mismatch"], ["sides_inconsistency"]],
    ["OUT_OF_SCOPE", "declined", ["document_not_supported"], ["out_of_scope"]],
    ["MISSING_MRZ", "declined", ["mrz_missing"], ["missing_mrz"]],
    ["WRONG_MRZ", "declined", ["mrz_invalid"], ["wrong_mrz"]],
    ["DATE_NOT_EXTRACTED", "declined", ["data_not_extracted"], ["date_not_extracted"]],
    ["LOW_QUALITY", "declined", ["image_low_quality"], ["low_quality"]],
    ["BLUR_IMG", "declined", ["image_blurry"], ["blur_img"]],
    ["LOW_RESOLUTION", "declined", ["image_low_resolution"], ["low_resolution"]],
    ["FIRST_NAME_MISMATCH", "declined", ["first_name_mismatch"], ["first_name_mismatch"]],
    ["LAST_NAME_MISMATCH", "declined", ["last_name_mismatch"], ["last_name_mismatch"]],
    ["INVERSED_NAME", "declined", ["names_inverted"], ["inversed_name"]],
    ["DOC_SPOOF", "declined", ["document_screen_capture"], ["doc_spoof"]],
    ["DOC_PRINT", "declined", ["document_printed_copy"], ["doc_print"]],
    ["DOC_NOT_AUTH", "declined", ["document_forged"], ["doc_not_auth"]],
    ["NAME_NOT_EXTRACTED", "declined", ["data_not_extracted"], ["name_not_extracted"]],
    ["SURNAME_NOT_EXTRACTED", "declined", ["data_not_extracted"], ["surname_not_extracted"]],
    ["DOC_AUTH", "approved", [], []],
    ["DOC_EXPIRED+WRONG_MRZ", "declined", ["document_expired", "mrz_invalid"], ["doc_expired", "wrong_mrz"]],
    // a free-text reason: one reason, the generic document code, the text kept whole
    ["FREE_TEXT", "declined", ["document_suspicious"], ["Document expired"]],
    ["APARICIO LOPEZ", "approved", [], []],
  ];

  it.each(cases)("last_name %s -> %s %j", async (lastName, decision, codes, vendorCodes) => {
    const { out, h, again } = await run(lastName);
    if (out.status !== "completed") throw new Error(`expected completed, got ${out.status}`);
    expect(out.decision).toBe(decision);
    expect(out.reasons.map((r) => r.code)).toEqual(codes);
    expect(out.reasons.map((r) => r.vendorCode)).toEqual(vendorCodes);
    expect(out.reasons.map((r) => r.vendor)).toEqual(codes.map(() => "shareid"));
    // the document's type, country and expiry are always said (null when not extracted) for the policy
    expect(out.checks.document).toHaveProperty("fields.expiryDate");
    expect(out.checks.document).toHaveProperty("type");
    expect(again).toEqual(out);
    expect(out.checks.document?.outcome).toBe(decision === "approved" ? "pass" : "fail");
    expect(out.vendorReference).toMatch(/^[0-9a-f-]{36}$/);
    expect(h.payloads).toHaveLength(1);
  });

  it("every simulator magic input has an end-to-end case here", () => {
    const covered = new Set([...cases.map((c) => c[0]), "TIMEOUT", "TIMEOUT_ONCE"]);
    expect(MAGIC_INPUTS.map((m) => m.input).filter((i) => !covered.has(i))).toEqual([]);
  });

  it("no magic: a clean pass with ocr from the names, normalized", async () => {
    const { out } = await run("Dupont");
    expect(out).toMatchObject({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {
        document: {
          outcome: "pass",
          type: "id_card",
          country: "FR",
          fields: { firstName: "JEAN", lastName: "DUPONT", nationality: "FR", sex: "F", dateOfBirth: "1990-04-12", issuingCountry: "FR" },
          security: { mrz_vs_viz: true, printing_technique: true, integrated_photo: null, streaks_around_the_card: true, info_coherence: true },
        },
      },
    });
  });

  it("FIRST_NAME_MISMATCH / LAST_NAME_MISMATCH / INVERSED_NAME: the ocr does not match the claimed Jean <last name>", async () => {
    const first = (await run("FIRST_NAME_MISMATCH")).out;
    const last = (await run("LAST_NAME_MISMATCH")).out;
    const inverted = (await run("INVERSED_NAME")).out;
    if (first.status !== "completed" || last.status !== "completed" || inverted.status !== "completed") throw new Error("unreachable");
    expect(first.checks.document?.fields).toMatchObject({ firstName: "DOMINIQUE", lastName: "FIRST_NAME_MISMATCH" });
    expect(last.checks.document?.fields).toMatchObject({ firstName: "JEAN", lastName: "DURAND" });
    expect(inverted.checks.document?.fields).toMatchObject({ firstName: "INVERSED_NAME", lastName: "JEAN" });
    for (const out of [first, last, inverted]) expect(out.reasons[0]).toMatchObject({ category: "data", vendor: "shareid" });
  });

  it("APARICIO LOPEZ: the README example subject's document, type, country and expiry for the policy", async () => {
    const data = input("Aparicio Lopez");
    data.subject = { firstName: "Juan", lastName: "Aparicio Lopez" };
    data.document = { ...data.document!, country: "ES" };
    const account = sandboxAccount();
    const out = await shareidAdapter.start(makeVerification(data, ["document"]), account, makeHarness(account).ctx);
    if (out.status !== "completed") throw new Error("unreachable");
    expect(out.decision).toBe("approved");
    expect(out.checks.document).toMatchObject({
      type: "id_card",
      country: "ES",
      fields: {
        firstName: "JUAN",
        lastName: "APARICIO LOPEZ",
        dateOfBirth: "1955-12-18",
        documentNumber: "00000000T",
        sex: "M",
        nationality: "ES",
        issuingCountry: "ES",
      },
    });
    expect(out.checks.document!.fields.expiryDate! > new Date().toISOString().slice(0, 10)).toBe(true);
  });

  it("MISSING_DOC: no document type, country or fields", async () => {
    const { out } = await run("MISSING_DOC");
    if (out.status !== "completed") throw new Error("unreachable");
    expect(out.checks.document).toMatchObject({ type: null, country: null, fields: {}, security: {} });
  });

  it("WRONG_MRZ shows in the security checks, DOC_EXPIRED in the expiry date", async () => {
    const wrong = await run("WRONG_MRZ");
    if (wrong.out.status !== "completed") throw new Error("unreachable");
    expect(wrong.out.checks.document?.security?.mrz_vs_viz).toBe(false);
    const expired = await run("DOC_EXPIRED");
    if (expired.out.status !== "completed") throw new Error("unreachable");
    expect(expired.out.checks.document!.fields.expiryDate! < new Date().toISOString().slice(0, 10)).toBe(true);
  });

  it("TIMEOUT: 408, not resent by default: a retryable vendor_timeout after one upload", async () => {
    const account = sandboxAccount();
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input("TIMEOUT"), ["document"]), account, h.ctx).catch((e: unknown) => e as VendorError);
    expect(err).toMatchObject({ kind: "timeout", retryable: true, httpStatus: 408 });
    expect(h.calls.map((c) => c.httpStatus)).toEqual([408]);
  });

  it("TIMEOUT with resendUpload: 408 every time, sent again, then a retryable vendor_timeout", async () => {
    const account = resendingAccount();
    const h = makeHarness(account);
    const err = await shareidAdapter.start(makeVerification(input("TIMEOUT"), ["document"]), account, h.ctx).catch((e: unknown) => e as VendorError);
    expect(err).toMatchObject({ kind: "timeout", retryable: true, httpStatus: 408 });
    expect(h.calls.map((c) => c.httpStatus)).toEqual([408, 408, 408]);
  });

  it("TIMEOUT_ONCE with resendUpload: the 408 is sent again and the second attempt passes", async () => {
    const { out, h } = await run("TIMEOUT_ONCE", resendingAccount());
    expect(out).toMatchObject({ status: "completed", decision: "approved" });
    expect(h.calls.map((c) => c.httpStatus)).toEqual([408, 200]);
  });

  it("credentials other than the sandbox's: 401 -> vendor_auth_failed, not retried", async () => {
    const account = makeAccount("shareid", { baseUrl, credentials: { apiKey: "wrong", businessHash: SANDBOX_BUSINESS_HASH } });
    const h = makeHarness(account);
    const err = (await shareidAdapter.start(makeVerification(input("Dupont"), ["document"]), account, h.ctx).catch((e: unknown) => e)) as VendorError;
    expect(err).toMatchObject({ kind: "auth", httpStatus: 401 });
    expect(err.toReason().code).toBe("vendor_auth_failed");
    expect(h.calls).toHaveLength(1);
  });

  it("an injected 503 is resent when the account allows it; an injected malformed body is a parse error", async () => {
    faults.add({ vendor: "shareid", endpoint: "/flow/authenticity/photo", fault: "http_503", times: 1, latencyMs: 0 });
    const { out, h } = await run("Dupont", resendingAccount());
    expect(out).toMatchObject({ status: "completed", decision: "approved" });
    expect(h.calls.map((c) => c.httpStatus)).toEqual([503, 200]);

    faults.add({ vendor: "shareid", fault: "malformed", times: 1, latencyMs: 0 });
    await expect(run("Dupont")).rejects.toMatchObject({ kind: "parse" });
  });
});
