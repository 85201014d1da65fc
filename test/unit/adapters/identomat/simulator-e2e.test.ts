// The adapter end to end against the sandbox simulator on an ephemeral port:
// start, then poll until terminal, for every magic input.
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { identomatAdapter } from "../../../../src/adapters/identomat/index.js";
import type { AdapterAccount, AdapterVerification, Outcome, StoredVendorPayload } from "../../../../src/adapters/types.js";
import { redactPayload } from "../../../../src/core/redact.js";
import type { CheckName } from "../../../../src/domain/model.js";
import type { VendorError } from "../../../../src/domain/errors.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { SANDBOX_COMPANY_KEY, SANDBOX_SECRET_KEY, buildIdentomatSimulator } from "../../../../src/sandbox/identomat/simulator.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const T0 = new Date("2025-06-01T08:00:00Z");
let clock = T0;
const now = () => clock;
const faults = new FaultInjector(200);
let server: Server;
let baseUrl = "";

beforeAll(async () => {
  const app = express().use("/identomat", buildIdentomatSimulator({ faults, log: pino({ level: "silent" }), now }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/identomat`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  clock = T0;
  faults.clear();
});

const ALL: CheckName[] = ["document", "liveness", "face_match"];

function sandboxAccount(over: Partial<AdapterAccount> = {}): AdapterAccount {
  return makeAccount("identomat", { baseUrl, credentials: { companyKey: SANDBOX_COMPANY_KEY }, ...over });
}

interface Run {
  start: Outcome;
  polls: Outcome[];
  final: Outcome;
  v: AdapterVerification;
  /** what the adapter recorded, as the core stores it (redacted, through JSON) */
  payloads: StoredVendorPayload[];
}

/** start, then poll (as the pipeline would: carrying status and pollCount) until terminal or `maxPolls` */
async function run(returnUrl: string, opts: { account?: AdapterAccount; checks?: CheckName[]; maxPolls?: number; untilSettled?: boolean } = {}): Promise<Run> {
  const account = opts.account ?? sandboxAccount();
  const h = makeHarness(account, null, {}, now);
  const v = makeVerification({ document: { type: "id_card", country: "GE", images: [] }, hosted: { returnUrl, language: "en" } }, opts.checks ?? ALL, {
    createdAt: clock,
  });
  const start = await identomatAdapter.start(v, account, h.ctx);
  v.vendorReference = start.status === "awaiting_user" ? (start.vendorReference ?? null) : null;
  v.status = start.status;
  const polls: Outcome[] = [];
  for (let i = 0; i < (opts.maxPolls ?? 10); i++) {
    const out = await identomatAdapter.poll!(v, account, h.ctx);
    polls.push(out);
    v.pollCount += 1;
    v.status = out.status;
    if (out.status === "completed") v.decision = out.decision;
    const settled = out.status === "completed" && !(opts.untilSettled && out.decision === "review");
    if (settled || out.status === "expired" || out.status === "failed") break;
  }
  const payloads = h.payloads.map((p) => ({ kind: p.kind, body: JSON.parse(JSON.stringify(redactPayload(p.body))) as unknown, receivedAt: clock }));
  return { start, polls, final: polls[polls.length - 1]!, v, payloads };
}

describe("start against the sandbox", () => {
  it("answers a redirect to the sandbox widget with the session token", async () => {
    const { start } = await run("https://tenant.example/done", { maxPolls: 0 });
    expect(start.status).toBe("awaiting_user");
    if (start.status !== "awaiting_user") return;
    expect(start.vendorReference).toMatch(/^[a-z0-9]{40}$/);
    expect(start.nextAction).toEqual({ type: "redirect", url: `${baseUrl}/?session_token=${start.vendorReference}` });
    const page = await fetch(start.nextAction!.type === "redirect" ? start.nextAction!.url : "");
    expect(page.status).toBe(200);
  });

  it("a wrong company_key fails as vendor_auth_failed", async () => {
    const account = sandboxAccount({ credentials: { companyKey: "not-the-sandbox-key" } });
    const err = (await identomatAdapter.start(makeVerification({}, ALL), account, makeHarness(account).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.toReason()).toMatchObject({ code: "vendor_auth_failed", vendorCode: "INVALID_COMPANY_KEY" });
  });

  it("with the sandbox secret_key every call is signed and every answer's signature checked", async () => {
    const account = sandboxAccount({
      credentials: { companyKey: SANDBOX_COMPANY_KEY, secretKey: SANDBOX_SECRET_KEY },
      settings: { requireAnswerSignature: true },
    });
    const r = await run("https://tenant.example/done", { account });
    expect(r.final).toMatchObject({ status: "completed", decision: "approved" });
  });

  it("the flags the checks set are honoured: a document-only session reports no face data, a liveness-only one no document (issue 10)", async () => {
    // the adapter skips the face step (skip_face) and sends liveness false; the sandbox then answers no live and no similarity
    const doc = await run("https://tenant.example/done?magic=SPOOF", { checks: ["document"] });
    expect(doc.final).toMatchObject({
      status: "completed",
      decision: "approved",
      checks: { document: { outcome: "pass", fields: { documentNumber: "SBX000001" } } },
    });
    const docAnswer = doc.payloads.filter((p) => p.kind === "identomat.result").at(-1)?.body as Record<string, unknown>;
    expect(docAnswer).not.toHaveProperty("live");
    expect(docAnswer).not.toHaveProperty("similarity");
    // skip_document: no person, no document_type, no similarity; the liveness check ran
    const live = await run("https://tenant.example/done", { checks: ["liveness"] });
    expect(live.final).toMatchObject({ status: "completed", decision: "approved", checks: { liveness: { outcome: "pass" } } });
    const liveAnswer = live.payloads.filter((p) => p.kind === "identomat.result").at(-1)?.body as Record<string, unknown>;
    expect(liveAnswer).toMatchObject({ live: true, person: {}, document_type: "" });
    expect(liveAnswer).not.toHaveProperty("similarity");
  });

  it("a wrong secret_key is refused as INVALID_SIGNATURE", async () => {
    const account = sandboxAccount({ credentials: { companyKey: SANDBOX_COMPANY_KEY, secretKey: "wrong" } });
    const err = (await identomatAdapter.start(makeVerification({}, ALL), account, makeHarness(account).ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.toReason()).toMatchObject({ code: "vendor_auth_failed", vendorCode: "INVALID_SIGNATURE" });
  });
});

describe("each magic input, start then poll until terminal", () => {
  it("no magic: IN_PROGRESS once, then approved with normalized checks", async () => {
    const r = await run("https://tenant.example/done");
    expect(r.polls.map((p) => p.status)).toEqual(["awaiting_user", "completed"]);
    expect(r.polls[0]).toMatchObject({ pollAfterMs: 10_000, step: "IN_PROGRESS" });
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: {
        document: {
          outcome: "pass",
          type: "id_card",
          country: "GE",
          // document_issued "2/8/2021" has no ISO twin and either order is a date: not guessed
          fields: {
            firstName: "SANDBOX",
            lastName: "SPECIMEN",
            dateOfBirth: "1979-11-25",
            expiryDate: "2031-08-02",
            issueDate: null,
            nationality: "GE",
            sex: "M",
          },
        },
        liveness: { outcome: "pass" },
        faceMatch: { outcome: "pass", similarity: 0.93, threshold: null },
      },
      pollAfterMs: null,
    });
  });

  it("polls=3: three IN_PROGRESS answers with the growing schedule", async () => {
    const r = await run("https://tenant.example/done?polls=3");
    expect(r.polls.map((p) => (p.status === "awaiting_user" ? p.pollAfterMs : p.status))).toEqual([10_000, 20_000, 30_000, "completed"]);
  });

  it("REJECTED:DOCUMENT_EXPIRED -> declined document_expired", async () => {
    const r = await run("https://tenant.example/done?magic=REJECTED:DOCUMENT_EXPIRED");
    expect(r.final).toMatchObject({ status: "completed", decision: "declined" });
    if (r.final.status !== "completed") return;
    expect(r.final.reasons.map((x) => [x.code, x.vendorCode])).toEqual([["document_expired", "DOCUMENT_EXPIRED"]]);
    expect(r.final.checks.document).toMatchObject({ outcome: "fail", fields: { expiryDate: "2020-03-01" } });
  });

  it("REJECTED:FACE_MISMATCH -> declined face_mismatch, face match failed", async () => {
    const r = await run("https://tenant.example/done?magic=REJECTED:FACE_MISMATCH");
    if (r.final.status !== "completed") throw new Error(`unexpected ${r.final.status}`);
    expect(r.final.decision).toBe("declined");
    expect(r.final.reasons.map((x) => x.code)).toEqual(["face_mismatch"]);
    expect(r.final.checks.faceMatch).toEqual({ outcome: "fail", similarity: 0.31, threshold: null });
  });

  it("REJECTED:<unknown value> -> declined with the generic code, vendorCode kept", async () => {
    const r = await run("https://tenant.example/done?magic=REJECTED:SANCTIONS_HIT");
    if (r.final.status !== "completed") throw new Error(`unexpected ${r.final.status}`);
    expect(r.final.reasons[0]).toMatchObject({ code: "document_suspicious", vendorCode: "SANCTIONS_HIT" });
  });

  it("REJECTED with no reason -> declined, still one reason", async () => {
    const r = await run("https://tenant.example/done?magic=REJECTED");
    expect(r.final).toMatchObject({ status: "completed", decision: "declined", reasons: [{ code: "document_suspicious", vendorCode: "REJECTED" }] });
  });

  it("MANUAL_CHECK -> review, manual_review_required, polled again after 10 minutes", async () => {
    const r = await run("https://tenant.example/done?magic=MANUAL_CHECK");
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "review",
      pollAfterMs: 600_000,
      reasons: [{ code: "manual_review_required", vendorCode: "MANUAL_CHECK" }],
    });
  });

  it("MANUAL_CHECK_THEN_APPROVED -> review, then the operator's APPROVED settles it", async () => {
    const r = await run("https://tenant.example/done?magic=MANUAL_CHECK_THEN_APPROVED&settle=2", { untilSettled: true });
    expect(r.polls.map((p) => (p.status === "completed" ? p.decision : p.status))).toEqual(["awaiting_user", "review", "review", "approved"]);
    expect(r.final).toMatchObject({ pollAfterMs: null, reasons: [], humanDecision: true });
    expect(r.polls.slice(1, 3).every((p) => !("humanDecision" in p))).toBe(true);
  });

  it("MANUAL_CHECK_THEN_APPROVED_LOW -> the operator's approval after a low similarity stands: approved, humanDecision, 0.62 as a fact", async () => {
    const r = await run("https://tenant.example/done?magic=MANUAL_CHECK_THEN_APPROVED_LOW&settle=2", { untilSettled: true });
    expect(r.polls.map((p) => (p.status === "completed" ? p.decision : p.status))).toEqual(["awaiting_user", "review", "review", "approved"]);
    expect(r.polls[1]).toMatchObject({ checks: { faceMatch: { outcome: "inconclusive", similarity: 0.62, threshold: null } } });
    expect(r.final).toMatchObject({
      decision: "approved",
      humanDecision: true,
      reasons: [],
      checks: { faceMatch: { outcome: "pass", similarity: 0.62, threshold: null } },
    });
  });

  it("MEDIUM_SIMILARITY -> a plain APPROVED at 0.75 is approved, not a human decision", async () => {
    const r = await run("https://tenant.example/done?magic=MEDIUM_SIMILARITY");
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: { faceMatch: { outcome: "pass", similarity: 0.75, threshold: null } },
    });
    expect(r.final).not.toHaveProperty("humanDecision");
  });

  it("comment= -> an APPROVED with the operator's comment is a human decision", async () => {
    const r = await run("https://tenant.example/done?comment=verified%20by%20video%20call");
    expect(r.final).toMatchObject({ status: "completed", decision: "approved", humanDecision: true });
  });

  it("doc=MISMATCH -> the other person's data reported as given (the core compares it with the subject)", async () => {
    const r = await run("https://tenant.example/done?doc=MISMATCH");
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "approved",
      checks: {
        document: {
          type: "id_card",
          country: "GE",
          fields: { firstName: "NINO", lastName: "BERIDZE", dateOfBirth: "1990-01-02", documentNumber: "SBX999999", expiryDate: "2031-08-02" },
        },
      },
    });
  });

  it("doc=NO_EXPIRY -> expiryDate null, the document check kept", async () => {
    const r = await run("https://tenant.example/done?doc=NO_EXPIRY");
    if (r.final.status !== "completed") throw new Error(`unexpected ${r.final.status}`);
    expect(r.final.checks.document).toMatchObject({ outcome: "pass", fields: { expiryDate: null, documentNumber: "SBX000001" } });
  });

  it.each([
    ["RU", "ИВАН", "ПЕТРОВ"],
    ["UK", "ОЛЕНА", "ШЕВЧЕНКО"],
    ["GR", "ΓΕΩΡΓΙΟΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ"],
  ])("doc=%s -> names exactly in the document's script", async (doc, firstName, lastName) => {
    const r = await run(`https://tenant.example/done?doc=${doc}`);
    expect(r.final).toMatchObject({ status: "completed", checks: { document: { fields: { firstName, lastName } } } });
  });

  it("MANUAL_CHECK_THEN_REJECTED -> review, then declined", async () => {
    const r = await run("https://tenant.example/done?magic=MANUAL_CHECK_THEN_REJECTED", { untilSettled: true });
    expect(r.polls.map((p) => (p.status === "completed" ? p.decision : p.status))).toEqual(["awaiting_user", "review", "declined"]);
    if (r.final.status !== "completed") return;
    expect(r.final.reasons[0]).toMatchObject({ code: "face_mismatch", vendorCode: "FACE_MISMATCH" });
  });

  it("DISAGREED_WITH_TERMS -> declined user_declined_terms, nothing performed", async () => {
    const r = await run("https://tenant.example/done?magic=DISAGREED_WITH_TERMS");
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "user_declined_terms", category: "user", vendorCode: "DISAGREED_WITH_TERMS" }],
      checks: { liveness: { outcome: "not_performed" }, faceMatch: { outcome: "not_performed" }, document: { outcome: "not_performed" } },
    });
  });

  it("SPOOF -> declined liveness_failed, liveness check failed", async () => {
    const r = await run("https://tenant.example/done?magic=SPOOF");
    if (r.final.status !== "completed") throw new Error(`unexpected ${r.final.status}`);
    expect(r.final.decision).toBe("declined");
    expect(r.final.reasons.map((x) => [x.code, x.vendorCode])).toEqual([["liveness_failed", "LIVENESS_FAILED"]]);
    expect(r.final.checks.liveness?.outcome).toBe("fail");
  });

  it("LOW_SIMILARITY -> the vendor approves and its verdict stands (no gateway threshold), similarity 0.62 as a fact", async () => {
    const r = await run("https://tenant.example/done?magic=LOW_SIMILARITY");
    expect(r.final).toMatchObject({
      status: "completed",
      decision: "approved",
      reasons: [],
      checks: { faceMatch: { outcome: "pass", similarity: 0.62, threshold: null } },
    });
    // the legacy setting is accepted and changes nothing
    const strict = await run("https://tenant.example/done?magic=LOW_SIMILARITY", { account: sandboxAccount({ settings: { similarityThreshold: 0.9 } }) });
    expect(strict.final).toMatchObject({ status: "completed", decision: "approved" });
  });

  it("NEVER -> awaiting_user until past expiresAt, then expired user_abandoned", async () => {
    const r = await run("https://tenant.example/done?magic=NEVER", { maxPolls: 3 });
    expect(r.polls.every((p) => p.status === "awaiting_user")).toBe(true);
    expect(r.start).toMatchObject({ expiresAt: new Date(T0.getTime() + 20 * 60_000) });
    // past the token's 15 minutes Identomat refuses the token: the user abandoned
    clock = new Date(T0.getTime() + 16 * 60_000);
    const account = sandboxAccount();
    const out = await identomatAdapter.poll!(r.v, account, makeHarness(account, null, {}, now).ctx);
    expect(out).toMatchObject({ status: "expired", reasons: [{ code: "user_abandoned", vendorCode: "SESSION_INVALID" }] });
  });

  it("NEVER with a longer sessionTtl: IN_PROGRESS past expiresAt -> expired user_abandoned", async () => {
    const account = sandboxAccount({ settings: { sessionTtlMinutes: 10, expiryMarginMinutes: 1 } });
    const r = await run("https://tenant.example/done?magic=NEVER", { account, maxPolls: 1 });
    clock = new Date(T0.getTime() + 12 * 60_000); // past 11 minutes, still within the sandbox token's 15
    const out = await identomatAdapter.poll!(r.v, account, makeHarness(account, null, {}, now).ctx);
    expect(out).toMatchObject({ status: "expired", reasons: [{ code: "user_abandoned", vendorCode: "IN_PROGRESS" }] });
  });

  it("a session finished by hand through the control route", async () => {
    const r = await run("https://tenant.example/done?magic=NEVER", { maxPolls: 1 });
    const token = r.v.vendorReference!;
    const c = await fetch(`${baseUrl}/_control/sessions/${token}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ result: "REJECTED", reject_reason: { value: "UNDERAGE", description: "Under 18" } }),
    });
    expect(c.status).toBe(200);
    const account = sandboxAccount();
    const out = await identomatAdapter.poll!(r.v, account, makeHarness(account, null, {}, now).ctx);
    expect(out).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "underage", category: "data", vendorCode: "UNDERAGE", message: "Under 18" }],
    });
    const state = await (await fetch(`${baseUrl}/_control/sessions/${token}`)).json();
    expect(state).toMatchObject({ resultCalls: 2, state: "REJECTED", completedByHand: true });
  });
});

describe("erase and faults against the sandbox", () => {
  it("erase deletes the session; a second erase reports SESSION_NOT_FOUND", async () => {
    const r = await run("https://tenant.example/done");
    const account = sandboxAccount();
    const h = makeHarness(account, null, {}, now);
    expect(await identomatAdapter.erase!(r.v, account, h.ctx)).toEqual({ ok: true, detail: "identomat deleted the session data" });
    expect(await identomatAdapter.erase!(r.v, account, h.ctx)).toEqual({ ok: false, detail: "identomat answered SESSION_NOT_FOUND" });
    expect(JSON.stringify(h.payloads)).not.toContain("SANDBOX");
  });

  it("erase of an abandoned session reports SESSION_INVALID", async () => {
    const r = await run("https://tenant.example/done?magic=NEVER", { maxPolls: 1 });
    clock = new Date(T0.getTime() + 30 * 60_000);
    const account = sandboxAccount();
    expect(await identomatAdapter.erase!(r.v, account, makeHarness(account, null, {}, now).ctx)).toEqual({
      ok: false,
      detail: "identomat answered SESSION_INVALID",
    });
  });

  it("a 503 is retried through the resilient path; a malformed body is a parse error", async () => {
    const account = sandboxAccount();
    faults.add({ vendor: "identomat", endpoint: "begin/", fault: "http_503", times: 1, latencyMs: 0 });
    const h = makeHarness(account);
    const out = await identomatAdapter.start(makeVerification({}, ALL), account, h.ctx);
    expect(out.status).toBe("awaiting_user");
    expect(h.calls.map((c) => c.httpStatus)).toEqual([503, 200]);
    faults.add({ vendor: "identomat", endpoint: "result/", fault: "malformed", times: 1, latencyMs: 0 });
    const v = makeVerification({}, ALL, { vendorReference: out.status === "awaiting_user" ? (out.vendorReference ?? null) : null });
    const err = (await identomatAdapter.poll!(v, account, h.ctx).catch((e: unknown) => e)) as VendorError;
    expect(err.kind).toBe("parse");
  });

  it("health: the sandbox accepts the company_key", async () => {
    const account = sandboxAccount();
    expect(await identomatAdapter.health!(account, makeHarness(account).ctx)).toEqual({ ok: true, detail: "company_key accepted" });
  });
});

describe("renormalize over what each magic input recorded equals the last poll", () => {
  it.each([
    "",
    "?magic=REJECTED:DOCUMENT_EXPIRED",
    "?magic=REJECTED:FACE_MISMATCH",
    "?magic=REJECTED",
    "?magic=MANUAL_CHECK",
    "?magic=MANUAL_CHECK_THEN_APPROVED&settle=2",
    "?magic=MANUAL_CHECK_THEN_APPROVED_LOW",
    "?magic=MANUAL_CHECK_THEN_REJECTED",
    "?magic=DISAGREED_WITH_TERMS",
    "?magic=SPOOF",
    "?magic=LOW_SIMILARITY",
    "?magic=MEDIUM_SIMILARITY",
    "?comment=ok&doc=MISMATCH",
    "?doc=GR&similarity=0.7",
    "?doc=NO_EXPIRY",
  ])("done%s", async (query) => {
    const r = await run(`https://tenant.example/done${query}`, { untilSettled: !query.endsWith("=MANUAL_CHECK") });
    expect(r.final.status).toBe("completed");
    expect(identomatAdapter.renormalize!(r.payloads, r.v)).toEqual(r.final);
  });
});
