// The adapter against Identomat answers in the doc's format, intercepted with nock.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identomatAdapter } from "../../../../src/adapters/identomat/index.js";
import { PersonSchema, ResultAnswerSchema } from "../../../../src/adapters/identomat/schemas.js";
import { VendorError } from "../../../../src/domain/errors.js";
import { redactPayload } from "../../../../src/core/redact.js";
import type { AdapterAccount } from "../../../../src/adapters/types.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const BASE = "https://identomat.vendor.test";
const TOKEN = "47fjzxvvzapi4ztasth3c2ozfucli3l0qx13hisc"; // the API reference's sample token
const COMPANY_KEY = "ck_live_0123456789";
const SECRET = "hmac-secret-for-tests";
const fixture = (name: string) => readFileSync(new URL(`../../../../src/adapters/identomat/fixtures/${name}`, import.meta.url), "utf8");

const b64hmac = (key: string, body: string) => createHmac("sha256", key).update(body).digest("base64");

function account(over: Partial<AdapterAccount> = {}): AdapterAccount {
  return makeAccount("identomat", { baseUrl: BASE, credentials: { companyKey: COMPANY_KEY }, ...over });
}

/** the doc's result format with values filled in */
function resultDoc(over: Record<string, unknown> = {}) {
  return {
    result: "APPROVED",
    live: true,
    similarity: 0.9027283530404249,
    document_type: "id",
    generalDocuments: [],
    reject_reason: null,
    person: {
      first_name: "SPECIMEN",
      last_name: "SPECIMEN",
      local_first_name: "АРЯНА",
      birthday: "11/25/1979",
      birthday_time: "1979-11-25T00:00:00.000Z",
      nationality: "HRV",
      document_number: "001122333",
      document_expires: "8/2/2031",
      document_expires_time: "2031-08-02T00:00:00.000Z",
      issuing_state: "HRV",
      sex: "F",
    },
    configId: "62412c096c4b39ba845d4bf2",
    trustedDatabaseRecord: null,
    result_comment: "",
    questionnaires: [],
    ...over,
  };
}

const json = { "content-type": "application/json" };

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
});

describe("doc fixtures", () => {
  it("every result member and person member of the doc's format is known to the schema", () => {
    const doc = fixture("result-format.txt");
    const keys = [...doc.matchAll(/^"([A-Za-z_]+)":/gm)].map((m) => m[1]!);
    const personStart = doc.indexOf('"person": {') + '"person": {'.length;
    const personBlock = doc.slice(personStart, doc.indexOf("},", personStart));
    const personKeys = [...personBlock.matchAll(/^"([A-Za-z_]+)":/gm)].map((m) => m[1]!);
    expect(personKeys).toContain("local_first_name");
    expect(personKeys).toContain("document_expires_time");
    for (const k of personKeys) expect(Object.keys(PersonSchema.shape)).toContain(k);
    const topLevel = [
      "result",
      "live",
      "similarity",
      "document_type",
      "generalDocuments",
      "reject_reason",
      "person",
      "configId",
      "trustedDatabaseRecord",
      "result_comment",
      "questionnaires",
    ];
    for (const k of topLevel) expect(keys).toContain(k);
    for (const k of topLevel) expect(Object.keys(ResultAnswerSchema.shape)).toContain(k);
  });

  it("every flag the adapter may send is a documented flag", () => {
    const documented = [...fixture("begin-flags-format.txt").matchAll(/^"([a-z_]+)":/gm)].map((m) => m[1]!);
    for (const flag of ["return_url", "liveness", "language", "document_types", "document_countries", "skip_document", "skip_face"]) {
      expect(documented).toContain(flag);
    }
  });

  it("the doc names the delete answers the adapter reports", () => {
    const text = fixture("delete-answers.txt");
    expect(text).toContain("SESSION_NOT_FOUND");
    expect(text).toContain("SESSION_INVALID");
  });
});

describe("start", () => {
  it("POSTs company_key and flags as JSON to begin/ and answers a redirect to the widget", async () => {
    let sent: unknown;
    let headers = new Headers();
    nock(BASE)
      .post("/external-api/begin/")
      .reply(async (req: Request) => {
        sent = JSON.parse(await req.text());
        headers = req.headers;
        return [200, JSON.stringify(TOKEN), json];
      });
    const acc = account({ settings: { flags: { skip_agreement: true } } });
    // the verification waited 3 minutes for a worker: the session's deadline counts from the session
    const h = makeHarness(acc, null, {}, () => new Date("2025-03-01T12:03:00Z"));
    const created = new Date("2025-03-01T12:00:00Z");
    const v = makeVerification(
      { document: { type: "passport", country: "ES", images: [] }, hosted: { returnUrl: "https://tenant.example/done", language: "es" } },
      ["document", "liveness", "face_match"],
      { createdAt: created },
    );
    const out = await identomatAdapter.start(v, acc, h.ctx);
    expect(sent).toEqual({
      company_key: COMPANY_KEY,
      flags: {
        skip_agreement: true,
        liveness: true,
        language: "es",
        return_url: "https://tenant.example/done",
        document_types: ["passport"],
        document_countries: ["ESP"],
      },
    });
    expect(headers.get("content-type")).toBe("application/json");
    expect(headers.get("authorization")).toBeNull();
    expect(out).toEqual({
      status: "awaiting_user",
      nextAction: { type: "redirect", url: `${BASE}/?session_token=${TOKEN}` },
      vendorReference: TOKEN,
      pollAfterMs: 5000,
      expiresAt: new Date("2025-03-01T12:23:00Z"),
      step: "session_created",
    });
    expect(h.payloads).toEqual([{ kind: "identomat.begin", body: { session_token: TOKEN } }]);
  });

  it("uses the account's widgetUrl, paths and base URL (trailing slash tolerated)", async () => {
    const scope = nock("https://kyc.example.org").post("/custom/begin").reply(200, JSON.stringify(TOKEN), json);
    const acc = account({ baseUrl: "https://kyc.example.org/", settings: { beginPath: "/custom/begin", widgetUrl: "https://widget.example.org/" } });
    const out = await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx);
    expect(scope.isDone()).toBe(true);
    expect(out.status === "awaiting_user" && out.nextAction).toEqual({ type: "redirect", url: `https://widget.example.org/?session_token=${TOKEN}` });
  });

  it("accepts a begin answer as an object holding session_token", async () => {
    nock(BASE).post("/external-api/begin/").reply(200, { session_token: TOKEN });
    const acc = account();
    const out = await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx);
    expect(out).toMatchObject({ status: "awaiting_user", vendorReference: TOKEN });
  });

  it('with a secretKey signs the exact body: Authorization: signature="base64(HMAC-SHA256(secret, body))"', async () => {
    let raw = "";
    let auth: string | null = null;
    nock(BASE)
      .post("/external-api/begin/")
      .reply(async (req: Request) => {
        raw = await req.text();
        auth = req.headers.get("authorization");
        const answer = JSON.stringify(TOKEN);
        return [200, answer, { ...json, authorization: `signature="${b64hmac(SECRET, answer)}"` }];
      });
    const acc = account({ credentials: { companyKey: COMPANY_KEY, secretKey: SECRET } });
    const out = await identomatAdapter.start(makeVerification({ hosted: { language: "en" } }, ["liveness"]), acc, makeHarness(acc).ctx);
    expect(raw).toBe(JSON.stringify({ company_key: COMPANY_KEY, flags: { liveness: true, language: "en", skip_document: true } }));
    expect(auth).toBe(`signature="${b64hmac(SECRET, raw)}"`);
    expect(out.status).toBe("awaiting_user");
  });

  it("refuses an answer whose signature does not match (not trusted)", async () => {
    nock(BASE)
      .post("/external-api/begin/")
      .reply(200, JSON.stringify(TOKEN), { ...json, authorization: `signature="${b64hmac("another-secret", JSON.stringify(TOKEN))}"` });
    const acc = account({ credentials: { companyKey: COMPANY_KEY, secretKey: SECRET } });
    const h = makeHarness(acc);
    const err = await identomatAdapter.start(makeVerification({}, ["document"]), acc, h.ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VendorError);
    expect((err as VendorError).kind).toBe("auth");
    expect((err as VendorError).message).toContain("signature");
    expect(h.payloads).toEqual([]);
  });

  it("accepts an unsigned answer unless requireAnswerSignature", async () => {
    nock(BASE).post("/external-api/begin/").twice().reply(200, JSON.stringify(TOKEN), json);
    const lenient = account({ credentials: { companyKey: COMPANY_KEY, secretKey: SECRET } });
    expect((await identomatAdapter.start(makeVerification({}, ["document"]), lenient, makeHarness(lenient).ctx)).status).toBe("awaiting_user");
    const strict = account({ credentials: { companyKey: COMPANY_KEY, secretKey: SECRET }, settings: { requireAnswerSignature: true } });
    const err = await identomatAdapter.start(makeVerification({}, ["document"]), strict, makeHarness(strict).ctx).catch((e: unknown) => e);
    expect((err as VendorError).kind).toBe("auth");
  });

  it('401 "INVALID_COMPANY_KEY" is an auth failure, not retried, company_key not in the message', async () => {
    const scope = nock(BASE).post("/external-api/begin/").reply(401, JSON.stringify("INVALID_COMPANY_KEY"), json);
    const acc = account();
    const h = makeHarness(acc);
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, h.ctx).catch((e: unknown) => e)) as VendorError;
    expect(scope.isDone()).toBe(true);
    expect(err.kind).toBe("auth");
    expect(err.toReason()).toMatchObject({ code: "vendor_auth_failed", vendorCode: "INVALID_COMPANY_KEY" });
    expect(err.message).not.toContain(COMPANY_KEY);
    expect(h.calls).toHaveLength(1);
  });

  it("503 is retried, then unavailable", async () => {
    nock(BASE).post("/external-api/begin/").times(3).reply(503, "down");
    const acc = account();
    const h = makeHarness(acc);
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, h.ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.kind).toBe("unavailable");
    expect(h.calls.map((c) => c.httpStatus)).toEqual([503, 503, 503]);
  });

  it("an answer that is not a token is a parse error", async () => {
    nock(BASE).post("/external-api/begin/").reply(200, '{"truncated": ', json);
    const acc = account();
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.kind).toBe("parse");
    expect(err.toReason().code).toBe("vendor_error");
  });

  it("a 200 carrying an error code is not taken for a token", async () => {
    nock(BASE).post("/external-api/begin/").reply(200, JSON.stringify("INVALID_PARAMETERS"), json);
    const acc = account();
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.toReason()).toMatchObject({ code: "vendor_rejected_request", vendorCode: "INVALID_PARAMETERS" });
  });

  it("a bare upper-case word on a 200 (UNAUTHORIZED) is never taken for a session token: an auth VendorError (issue 10)", async () => {
    nock(BASE).post("/external-api/begin/").reply(200, JSON.stringify("UNAUTHORIZED"), json);
    const acc = account();
    const h = makeHarness(acc);
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, h.ctx).catch((e: unknown) => e)) as VendorError;
    expect(err).toBeInstanceOf(VendorError);
    expect(err).toMatchObject({ kind: "auth", retryable: false, vendorCode: "UNAUTHORIZED" });
    expect(err.toReason()).toMatchObject({ code: "vendor_auth_failed", vendorCode: "UNAUTHORIZED" });
    expect(h.payloads).toEqual([{ kind: "identomat.begin", body: { error: "UNAUTHORIZED" } }]);
  });

  it("any other bare upper-case word on a 200 is a refused request keeping its code; a lower-case token still passes", async () => {
    nock(BASE).post("/external-api/begin/").reply(200, JSON.stringify("FORBIDDEN"), json);
    const acc = account();
    const err = (await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err).toMatchObject({ kind: "rejected", retryable: false, vendorCode: "FORBIDDEN" });
    nock(BASE).post("/external-api/begin/").reply(200, JSON.stringify(TOKEN), json);
    const out = await identomatAdapter.start(makeVerification({}, ["document"]), acc, makeHarness(acc).ctx);
    expect(out).toMatchObject({ status: "awaiting_user", vendorReference: TOKEN });
  });
});

describe("poll", () => {
  const created = new Date("2025-03-01T12:00:00Z");
  const at = (minutes: number) => () => new Date(created.getTime() + minutes * 60_000);
  const polled = (checks: ("document" | "liveness" | "face_match")[] = ["document", "liveness", "face_match"], over = {}) =>
    makeVerification({ document: { country: "HR", images: [] } }, checks, { createdAt: created, vendorReference: TOKEN, status: "awaiting_user", ...over });

  it("POSTs company_key + session_token to result/; IN_PROGRESS stays awaiting_user with the scheduled delay", async () => {
    let sent: unknown;
    nock(BASE)
      .post("/external-api/result/", (b) => {
        sent = b;
        return true;
      })
      .reply(200, resultDoc({ result: "IN_PROGRESS", live: false, similarity: 0, person: {} }));
    const acc = account();
    const h = makeHarness(acc, null, {}, at(3));
    const out = await identomatAdapter.poll!(polled(undefined, { pollCount: 2 }), acc, h.ctx);
    expect(sent).toEqual({ company_key: COMPANY_KEY, session_token: TOKEN });
    expect(out).toEqual({
      status: "awaiting_user",
      nextAction: { type: "redirect", url: `${BASE}/?session_token=${TOKEN}` },
      vendorReference: TOKEN,
      pollAfterMs: 30_000,
      expiresAt: new Date("2025-03-01T12:20:00Z"),
      step: "IN_PROGRESS",
    });
    expect(h.payloads[0]?.kind).toBe("identomat.result");
  });

  it("IN_PROGRESS past expiresAt -> expired with user_abandoned", async () => {
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, resultDoc({ result: "IN_PROGRESS" }));
    const acc = account();
    const out = await identomatAdapter.poll!(polled(), acc, makeHarness(acc, null, {}, at(21)).ctx);
    expect(out).toEqual({
      status: "expired",
      reasons: [{ code: "user_abandoned", category: "user", vendor: "identomat", vendorCode: "IN_PROGRESS", message: expect.any(String) }],
      vendorReference: TOKEN,
    });
  });

  it("SESSION_INVALID once the token is past its 15 minutes -> expired with user_abandoned", async () => {
    nock(BASE).post("/external-api/result/").reply(400, JSON.stringify("SESSION_INVALID"), json);
    const acc = account();
    const out = await identomatAdapter.poll!(polled(), acc, makeHarness(acc, null, {}, at(16)).ctx);
    expect(out).toMatchObject({ status: "expired", reasons: [{ code: "user_abandoned", vendorCode: "SESSION_INVALID" }] });
  });

  it("SESSION_INVALID within the token's life, and SESSION_NOT_FOUND, are refused requests", async () => {
    nock(BASE).post("/external-api/result/").reply(400, JSON.stringify("SESSION_INVALID"), json);
    nock(BASE).post("/external-api/result/").reply(400, JSON.stringify("SESSION_NOT_FOUND"), json);
    const acc = account();
    const e1 = (await identomatAdapter.poll!(polled(), acc, makeHarness(acc, null, {}, at(2)).ctx).catch((e: unknown) => e)) as VendorError;
    const e2 = (await identomatAdapter.poll!(polled(), acc, makeHarness(acc, null, {}, at(2)).ctx).catch((e: unknown) => e)) as VendorError;
    expect(e1.toReason()).toMatchObject({ code: "vendor_rejected_request", vendorCode: "SESSION_INVALID" });
    expect(e2.toReason()).toMatchObject({ code: "vendor_rejected_request", vendorCode: "SESSION_NOT_FOUND" });
  });

  it("APPROVED -> completed approved with normalized checks", async () => {
    nock(BASE).post("/external-api/result/").reply(200, resultDoc());
    const acc = account();
    const out = await identomatAdapter.poll!(polled(), acc, makeHarness(acc, null, {}, at(4)).ctx);
    expect(out).toEqual({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {
        document: {
          outcome: "pass",
          type: "id_card",
          country: "HR",
          fields: {
            firstName: "SPECIMEN",
            lastName: "SPECIMEN",
            dateOfBirth: "1979-11-25",
            placeOfBirth: null,
            documentNumber: "001122333",
            personalNumber: null,
            expiryDate: "2031-08-02",
            issueDate: null,
            issuingCountry: "HR",
            sex: "F",
            nationality: "HR",
            address: null,
          },
        },
        liveness: { outcome: "pass", score: null, level: null },
        // the file gives no vendor threshold; the gateway no longer applies one of its own
        faceMatch: { outcome: "pass", similarity: 0.9027283530404249, threshold: null },
      },
      vendorReference: TOKEN,
      pollAfterMs: null,
    });
  });

  it("the recorded public-client answer shape (lower-case result, face_mismatch) -> declined face_mismatch", async () => {
    nock(BASE)
      .post("/external-api/result/")
      .reply(
        200,
        resultDoc({
          result: "rejected",
          similarity: 0.6550394743680953,
          reject_reason: { value: "face_mismatch", description: "" },
          name: "SPECIMEN SPECIMEN",
          face_images: 1,
        }),
      );
    const acc = account();
    const out = await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx);
    expect(out).toMatchObject({ status: "completed", decision: "declined" });
    if (out.status !== "completed") return;
    // only the vendor's reason: the gateway's own 0.8 threshold (which added face_similarity_low) is gone
    expect(out.reasons.map((r) => [r.code, r.vendorCode])).toEqual([["face_mismatch", "face_mismatch"]]);
    expect(out.checks.faceMatch?.outcome).toBe("fail");
  });

  it("MANUAL_CHECK keeps polling, slower", async () => {
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, resultDoc({ result: "MANUAL_CHECK" }));
    const acc = account({ settings: { manualCheckPollSeconds: 900 } });
    const out = await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx);
    expect(out).toMatchObject({ status: "completed", decision: "review", pollAfterMs: 900_000 });
  });

  it("an unknown result value or a body off the documented format is a parse error", async () => {
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, resultDoc({ result: "PENDING_SOMETHING" }));
    nock(BASE).post("/external-api/result/").reply(200, { hello: "world" });
    const acc = account();
    const e1 = (await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    const e2 = (await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(e1.kind).toBe("parse");
    expect(e2.kind).toBe("parse");
  });

  it("checks the result answer's signature", async () => {
    const body = JSON.stringify(resultDoc());
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, body, { ...json, authorization: `signature="${b64hmac(SECRET, body)}"` });
    nock(BASE)
      .post("/external-api/result/")
      .reply(200, body, { ...json, authorization: `signature="${b64hmac(SECRET, `${body} `)}"` });
    const acc = account({ credentials: { companyKey: COMPANY_KEY, secretKey: SECRET } });
    expect((await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx)).status).toBe("completed");
    const err = (await identomatAdapter.poll!(polled(), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.kind).toBe("auth");
  });

  it("keeps questionnaires, screeningMatches and the person members no check has a place for in the stored payload, as answered (issue 10)", async () => {
    // the file: "questionnaires": [{ "key", "questions": [{ "key", "answer": <String, Boolean, Array[String]> }] }],
    // screening matches carry a personId ("get-screening-person-details with personId")
    const body = resultDoc({
      result_comment: "Approved after a video call",
      questionnaires: [
        {
          key: "source-of-funds",
          questions: [
            { key: "employment", answer: "salaried" },
            { key: "pep", answer: false },
            { key: "countries", answer: ["GEO", "HRV"] },
          ],
        },
      ],
      screeningMatches: [{ personId: "5f2b7c1e", name: "SPECIMEN SPECIMEN", score: 0.71 }],
      person: {
        ...resultDoc().person,
        age: 46,
        authority: "4601",
        email: "a@example.com",
        phone: "+385911234567",
        status: "citizen",
        local_last_name: "СПЕЦИМЕН",
      },
    });
    nock(BASE).post("/external-api/result/").reply(200, body);
    const acc = account();
    const h = makeHarness(acc);
    const out = await identomatAdapter.poll!(polled(), acc, h.ctx);
    if (out.status !== "completed") throw new Error("expected completed");
    expect(out.checks.session).toEqual({ operatorComment: "Approved after a video call" });
    const stored = h.payloads.find((p) => p.kind === "identomat.result");
    // what the pipeline keeps is the redacted answer: nothing of these is lost to redaction
    expect(redactPayload(stored?.body)).toEqual(body);
  });

  it("a verification without a session token cannot be polled", async () => {
    const acc = account();
    const err = (await identomatAdapter.poll!(polled(undefined, { vendorReference: null }), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err).toBeInstanceOf(VendorError);
    expect(err.kind).toBe("rejected");
  });
});

describe("erase", () => {
  const v = () => makeVerification({}, ["document"], { vendorReference: TOKEN, status: "completed" });

  it("asks delete/ with company_key + session_token; a deleted answer is ok, recording nothing personal", async () => {
    let sent: unknown;
    nock(BASE)
      .post("/external-api/delete/", (b) => {
        sent = b;
        return true;
      })
      .reply(200, resultDoc());
    const acc = account();
    const h = makeHarness(acc);
    const out = await identomatAdapter.erase!(v(), acc, h.ctx);
    expect(sent).toEqual({ company_key: COMPANY_KEY, session_token: TOKEN });
    expect(out).toEqual({ ok: true, detail: "identomat deleted the session data" });
    expect(h.payloads).toEqual([{ kind: "identomat.delete", body: { deleted: true, result: "APPROVED" } }]);
    expect(JSON.stringify(h.payloads)).not.toContain("SPECIMEN");
  });

  it.each(["SESSION_NOT_FOUND", "SESSION_INVALID"])("%s is reported: ok false with that detail", async (code) => {
    nock(BASE).post("/external-api/delete/").reply(400, JSON.stringify(code), json);
    const acc = account();
    const h = makeHarness(acc);
    expect(await identomatAdapter.erase!(v(), acc, h.ctx)).toEqual({ ok: false, detail: `identomat answered ${code}` });
    expect(h.payloads).toEqual([{ kind: "identomat.delete", body: { error: code } }]);
  });

  it("the doc's SESSION_NOT_FOUND also when answered with 200", async () => {
    nock(BASE).post("/external-api/delete/").reply(200, JSON.stringify("SESSION_NOT_FOUND"), json);
    const acc = account();
    expect(await identomatAdapter.erase!(v(), acc, makeHarness(acc).ctx)).toEqual({ ok: false, detail: "identomat answered SESSION_NOT_FOUND" });
  });

  it("an auth failure throws", async () => {
    nock(BASE).post("/external-api/delete/").reply(401, JSON.stringify("INVALID_COMPANY_KEY"), json);
    const acc = account();
    const err = (await identomatAdapter.erase!(v(), acc, makeHarness(acc).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.kind).toBe("auth");
  });

  it("no session token: nothing to delete, no call", async () => {
    const acc = account();
    const h = makeHarness(acc);
    const out = await identomatAdapter.erase!(makeVerification({}, ["document"]), acc, h.ctx);
    expect(out.ok).toBe(true);
    expect(h.calls).toEqual([]);
  });
});

describe("health", () => {
  it("a refused session with an accepted company_key is healthy; a refused company_key is not", async () => {
    nock(BASE).post("/external-api/result/").reply(400, JSON.stringify("SESSION_INVALID"), json);
    nock(BASE).post("/external-api/result/").reply(401, JSON.stringify("INVALID_COMPANY_KEY"), json);
    const acc = account();
    expect(await identomatAdapter.health!(acc, makeHarness(acc).ctx)).toEqual({ ok: true, detail: "company_key accepted" });
    expect(await identomatAdapter.health!(acc, makeHarness(acc).ctx)).toEqual({ ok: false, detail: "identomat answered INVALID_COMPANY_KEY" });
  });
});
