// The Identomat simulator speaks the vendor's protocol: paths, company_key, HMAC, error codes,
// token life, result progression, delete, control routes, faults.
import { createHmac } from "node:crypto";
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FaultInjector } from "../../../src/sandbox/faults.js";
import {
  DOCUMENT_VARIANTS,
  MAGIC_INPUTS,
  SANDBOX_COMPANY_KEY,
  SANDBOX_SECRET_KEY,
  buildIdentomatSimulator,
  createIdentomatSimulator,
  planFromReturnUrl,
} from "../../../src/sandbox/identomat/simulator.js";

const T0 = new Date("2025-05-01T09:00:00Z");
let clock = T0;
const faults = new FaultInjector(200);
let server: Server;
let base = "";

const hmac64 = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data).digest("base64");

beforeAll(async () => {
  const app = express();
  app.use(faults.controlRouter());
  app.use("/identomat", buildIdentomatSimulator({ faults, log: pino({ level: "silent" }), now: () => clock }));
  server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/identomat`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  clock = T0;
  faults.clear();
});

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: text });
  const raw = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, raw, headers: res.headers };
}

async function begin(flags: Record<string, unknown> = {}): Promise<string> {
  const r = await post("/external-api/begin/", { company_key: SANDBOX_COMPANY_KEY, flags });
  expect(r.status).toBe(200);
  return r.json as string;
}
const result = (token: string) => post("/external-api/result/", { company_key: SANDBOX_COMPANY_KEY, session_token: token });

describe("begin/", () => {
  it("answers a session_token as a bare JSON string", async () => {
    const r = await post("/external-api/begin/", { company_key: SANDBOX_COMPANY_KEY, flags: { liveness: true, language: "es" } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toContain("application/json");
    expect(r.json).toMatch(/^[a-z0-9]{40}$/);
    expect(r.raw).toBe(JSON.stringify(r.json));
  });

  it.each([["wrong-key"], [""]])('company_key %j -> 401 "INVALID_COMPANY_KEY"', async (key) => {
    const r = await post("/external-api/begin/", { company_key: key, flags: {} });
    expect(r.status).toBe(401);
    expect(r.json).toBe("INVALID_COMPANY_KEY");
  });

  it("takes parameters as URL-encoded form data, query string (GET) and multipart", async () => {
    const form = new URLSearchParams({ company_key: SANDBOX_COMPANY_KEY, flags: JSON.stringify({ return_url: "https://t.example/x" }) });
    const r1 = await fetch(`${base}/external-api/begin/`, { method: "POST", body: form });
    expect(r1.status).toBe(200);
    const r2 = await fetch(`${base}/external-api/begin/?${form.toString()}`);
    expect(r2.status).toBe(200);
    const fd = new FormData();
    fd.set("company_key", SANDBOX_COMPANY_KEY);
    fd.set("flags", JSON.stringify({ liveness: false }));
    const r3 = await fetch(`${base}/external-api/begin/`, { method: "POST", body: fd });
    expect(r3.status).toBe(200);
    expect(await r3.json()).toMatch(/^[a-z0-9]{40}$/);
  });

  it('refuses flags off the documented format with 400 "INVALID_PARAMETERS"', async () => {
    for (const flags of [{ document_countries: ["ES"] }, { document_types: ["id_card"] }, { liveness: "yes" }]) {
      const r = await post("/external-api/begin/", { company_key: SANDBOX_COMPANY_KEY, flags });
      expect(r.status).toBe(400);
      expect(r.json).toBe("INVALID_PARAMETERS");
    }
    const bad = await post("/external-api/begin/", '{"company_key": ');
    expect(bad.status).toBe(400);
    expect(bad.json).toBe("INVALID_PARAMETERS");
  });
});

describe("HMAC authorization", () => {
  it("a correctly signed request gets a signed answer", async () => {
    const body = JSON.stringify({ company_key: SANDBOX_COMPANY_KEY, flags: {} });
    const r = await post("/external-api/begin/", body, { authorization: `signature="${hmac64(SANDBOX_SECRET_KEY, body)}"` });
    expect(r.status).toBe(200);
    expect(r.headers.get("authorization")).toBe(`signature="${hmac64(SANDBOX_SECRET_KEY, r.raw)}"`);
  });

  it('a wrong signature -> 401 "INVALID_SIGNATURE", unsigned', async () => {
    const body = JSON.stringify({ company_key: SANDBOX_COMPANY_KEY, flags: {} });
    const r = await post("/external-api/begin/", body, { authorization: `signature="${hmac64("not-the-secret", body)}"` });
    expect(r.status).toBe(401);
    expect(r.json).toBe("INVALID_SIGNATURE");
    expect(r.headers.get("authorization")).toBeNull();
  });

  it("an unsigned request gets an unsigned answer", async () => {
    const r = await post("/external-api/begin/", { company_key: SANDBOX_COMPANY_KEY });
    expect(r.status).toBe(200);
    expect(r.headers.get("authorization")).toBeNull();
  });

  it("a GET is signed over its query string", async () => {
    const q = new URLSearchParams({ company_key: SANDBOX_COMPANY_KEY, flags: "{}" }).toString();
    const ok = await fetch(`${base}/external-api/begin/?${q}`, { headers: { authorization: `signature="${hmac64(SANDBOX_SECRET_KEY, q)}"` } });
    expect(ok.status).toBe(200);
    const bad = await fetch(`${base}/external-api/begin/?${q}`, { headers: { authorization: `signature="${hmac64(SANDBOX_SECRET_KEY, `${q}x`)}"` } });
    expect(bad.status).toBe(401);
  });

  it("a multipart request is signed iteratively over its text parts", async () => {
    const flags = JSON.stringify({ liveness: true });
    const k1 = createHmac("sha256", SANDBOX_SECRET_KEY).update(SANDBOX_COMPANY_KEY).digest();
    const code = createHmac("sha256", k1).update(flags).digest("base64");
    const fd = new FormData();
    fd.set("company_key", SANDBOX_COMPANY_KEY);
    fd.set("flags", flags);
    const r = await fetch(`${base}/external-api/begin/`, { method: "POST", body: fd, headers: { authorization: `signature="${code}"` } });
    expect(r.status).toBe(200);
  });
});

describe("result/", () => {
  it("moves from IN_PROGRESS to the final result after `polls` calls, in the doc's format", async () => {
    const token = await begin({ return_url: "https://t.example/done?polls=2", liveness: true, document_types: ["passport"], document_countries: ["ESP"] });
    expect((await result(token)).json).toMatchObject({ result: "IN_PROGRESS", reject_reason: null });
    expect((await result(token)).json).toMatchObject({ result: "IN_PROGRESS" });
    const done = await result(token);
    expect(done.status).toBe(200);
    expect(done.json).toMatchObject({
      result: "APPROVED",
      live: true,
      similarity: 0.93,
      document_type: "passport",
      reject_reason: null,
      person: { first_name: "SANDBOX", issuing_state: "ESP", nationality: "ESP", birthday_time: "1979-11-25T00:00:00.000Z" },
    });
    for (const k of ["generalDocuments", "configId", "trustedDatabaseRecord", "result_comment", "questionnaires"]) expect(done.json).toHaveProperty(k);
  });

  /** the final answer of a session begun with `flags` (after the one IN_PROGRESS answer) */
  async function finalOf(flags: Record<string, unknown>): Promise<Record<string, unknown>> {
    const token = await begin(flags);
    await result(token);
    return (await result(token)).json as Record<string, unknown>;
  }

  it('liveness: "Whether or not to check liveness of the user. Default: false": no check, no live member (issue 10)', async () => {
    expect(await finalOf({ liveness: true })).toMatchObject({ result: "APPROVED", live: true, similarity: 0.93 });
    for (const flags of [{}, { liveness: false }]) {
      const a = await finalOf(flags);
      expect(a).toMatchObject({ result: "APPROVED", similarity: 0.93 });
      expect(a).not.toHaveProperty("live");
    }
  });

  it("magic=SPOOF is a liveness rejection only where a liveness check ran", async () => {
    expect(await finalOf({ liveness: true, return_url: "https://t.example/done?magic=SPOOF" })).toMatchObject({
      result: "REJECTED",
      live: false,
      reject_reason: { value: "LIVENESS_FAILED" },
    });
    const unchecked = await finalOf({ return_url: "https://t.example/done?magic=SPOOF" });
    expect(unchecked).toMatchObject({ result: "APPROVED", reject_reason: null });
    expect(unchecked).not.toHaveProperty("live");
  });

  it('skip_document: "Skip document scanning step completely": no document data, no similarity (issue 10)', async () => {
    const a = await finalOf({ liveness: true, skip_document: true, document_types: ["passport"] });
    expect(a).toMatchObject({ result: "APPROVED", live: true, document_type: "", person: {} });
    expect(a).not.toHaveProperty("similarity");
  });

  it('skip_face: "Skip face scanning step completely": no live, no similarity, the document still read (issue 10)', async () => {
    const a = await finalOf({ liveness: true, skip_face: true, document_types: ["passport"] });
    expect(a).toMatchObject({ result: "APPROVED", document_type: "passport", person: { first_name: "SANDBOX", document_number: "SBX000001" } });
    expect(a).not.toHaveProperty("live");
    expect(a).not.toHaveProperty("similarity");
  });

  it("refuses skip flags that are not booleans", async () => {
    for (const flags of [{ skip_document: "yes" }, { skip_face: 1 }]) {
      const r = await post("/external-api/begin/", { company_key: SANDBOX_COMPANY_KEY, flags });
      expect([r.status, r.json]).toEqual([400, "INVALID_PARAMETERS"]);
    }
  });

  it('unknown token -> 400 "SESSION_NOT_FOUND"; malformed token -> 400 "SESSION_INVALID"', async () => {
    const unknown = await result("a".repeat(40));
    expect([unknown.status, unknown.json]).toEqual([400, "SESSION_NOT_FOUND"]);
    const malformed = await result("not a token");
    expect([malformed.status, malformed.json]).toEqual([400, "SESSION_INVALID"]);
  });

  it("checks company_key before the session", async () => {
    const token = await begin();
    const r = await post("/external-api/result/", { company_key: "other", session_token: token });
    expect([r.status, r.json]).toEqual([401, "INVALID_COMPANY_KEY"]);
  });

  it("a token older than 15 minutes whose session never finished -> SESSION_INVALID; a finished one stays readable", async () => {
    const open = await begin({ return_url: "https://t.example/?magic=NEVER" });
    const finished = await begin({ return_url: "https://t.example/?polls=0" });
    expect((await result(finished)).json).toMatchObject({ result: "APPROVED" });
    clock = new Date(T0.getTime() + 14 * 60_000);
    expect((await result(open)).json).toMatchObject({ result: "IN_PROGRESS" });
    clock = new Date(T0.getTime() + 15 * 60_000 + 1000);
    expect(await result(open)).toMatchObject({ status: 400, json: "SESSION_INVALID" });
    expect((await result(finished)).json).toMatchObject({ result: "APPROVED" });
  });
});

describe("delete/", () => {
  it("answers the deleted session's document, then the session is gone", async () => {
    const token = await begin({ return_url: "https://t.example/?polls=0" });
    await result(token);
    const del = await post("/external-api/delete/", { company_key: SANDBOX_COMPANY_KEY, session_token: token });
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ result: "APPROVED" });
    expect(await result(token)).toMatchObject({ status: 400, json: "SESSION_NOT_FOUND" });
    const again = await post("/external-api/delete/", { company_key: SANDBOX_COMPANY_KEY, session_token: token });
    expect(again).toMatchObject({ status: 400, json: "SESSION_NOT_FOUND" });
  });

  it("an expired unfinished session -> SESSION_INVALID", async () => {
    const token = await begin({ return_url: "https://t.example/?magic=NEVER" });
    clock = new Date(T0.getTime() + 16 * 60_000);
    expect(await post("/external-api/delete/", { company_key: SANDBOX_COMPANY_KEY, session_token: token })).toMatchObject({
      status: 400,
      json: "SESSION_INVALID",
    });
  });
});

describe("control routes", () => {
  it("GET /_control/sessions/:token reads the poll count", async () => {
    const token = await begin({ return_url: "https://t.example/?polls=5" });
    await result(token);
    await result(token);
    const r = await fetch(`${base}/_control/sessions/${token}`);
    expect(await r.json()).toMatchObject({ token, resultCalls: 2, state: "IN_PROGRESS", tokenExpired: false, completedByHand: false });
    expect((await fetch(`${base}/_control/sessions/${"b".repeat(40)}`)).status).toBe(404);
  });

  it("POST /_control/sessions/:token/complete finishes a session by hand", async () => {
    const token = await begin({ return_url: "https://t.example/?magic=MANUAL_CHECK&polls=0" });
    expect((await result(token)).json).toMatchObject({ result: "MANUAL_CHECK" });
    const c = await fetch(`${base}/_control/sessions/${token}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ result: "REJECTED", reject_reason: "DOCUMENT_FORGED", result_comment: "operator" }),
    });
    expect(c.status).toBe(200);
    expect((await result(token)).json).toMatchObject({ result: "REJECTED", reject_reason: { value: "DOCUMENT_FORGED" }, result_comment: "operator" });
    const bad = await fetch(`${base}/_control/sessions/${token}/complete`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ result: "MAYBE" }),
    });
    expect(bad.status).toBe(400);
  });
});

describe("faults and widget page", () => {
  it("applies injected faults to the vendor routes", async () => {
    faults.add({ vendor: "identomat", endpoint: "result/", fault: "http_503", times: 1, latencyMs: 0 });
    const token = await begin();
    expect((await result(token)).status).toBe(503);
    expect((await result(token)).status).toBe(200);
  });

  it("serves a stand-in widget page for a live session", async () => {
    const token = await begin({ return_url: "https://t.example/?magic=SPOOF" });
    const page = await fetch(`${base}/?session_token=${token}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("SPOOF");
    expect((await fetch(`${base}/?session_token=nope`)).status).toBe(404);
  });

  it("the SimulatorFactory export mounts the same API", async () => {
    const app = express().use("/identomat", createIdentomatSimulator({ faults, log: pino({ level: "silent" }) }));
    const s = app.listen(0, "127.0.0.1");
    await new Promise((r) => s.once("listening", r));
    try {
      const r = await fetch(`http://127.0.0.1:${(s.address() as AddressInfo).port}/identomat/external-api/begin/`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ company_key: SANDBOX_COMPANY_KEY }),
      });
      expect(r.status).toBe(200);
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});

describe("magic inputs", () => {
  it("are documented", () => {
    expect(MAGIC_INPUTS.length).toBeGreaterThanOrEqual(10);
    for (const m of [
      "REJECTED:<VALUE>",
      "MANUAL_CHECK_THEN_APPROVED",
      "MANUAL_CHECK_THEN_APPROVED_LOW",
      "MEDIUM_SIMILARITY",
      "DISAGREED_WITH_TERMS",
      "NEVER",
      "SPOOF",
      "polls=<n>",
      "similarity=",
      "comment=",
      "doc=MISMATCH",
      "doc=INVERTED",
      "doc=NO_EXPIRY",
      "doc=RU | UK | GR",
    ]) {
      expect(MAGIC_INPUTS.some((x) => x.input.includes(m))).toBe(true);
    }
  });

  it.each([
    ["https://t.example/done", { final: "APPROVED", live: true, similarity: 0.93, inProgressPolls: 1 }],
    ["https://t.example/done?magic=REJECTED:DOCUMENT_EXPIRED", { final: "REJECTED", rejectReason: "DOCUMENT_EXPIRED" }],
    ["https://t.example/done?magic=REJECTED", { final: "REJECTED", rejectReason: null }],
    ["https://t.example/done?magic=MANUAL_CHECK", { final: "MANUAL_CHECK", settleTo: null }],
    ["https://t.example/done?magic=manual_check_then_approved&settle=3", { final: "MANUAL_CHECK", settleTo: "APPROVED", settlePolls: 3 }],
    ["https://t.example/done?magic=MANUAL_CHECK_THEN_REJECTED", { final: "MANUAL_CHECK", settleTo: "REJECTED" }],
    ["https://t.example/done?magic=DISAGREED_WITH_TERMS", { final: "DISAGREED_WITH_TERMS" }],
    ["https://t.example/done?magic=NEVER", { final: "NEVER" }],
    ["https://t.example/done?magic=SPOOF", { final: "REJECTED", live: false, rejectReason: "LIVENESS_FAILED" }],
    ["https://t.example/done?magic=LOW_SIMILARITY", { final: "APPROVED", similarity: 0.62 }],
    ["https://t.example/done?polls=4", { final: "APPROVED", inProgressPolls: 4 }],
    ["https://t.example/done?magic=MANUAL_CHECK_THEN_APPROVED_LOW", { final: "MANUAL_CHECK", settleTo: "APPROVED", similarity: 0.62, settlePolls: 1 }],
    ["https://t.example/done?magic=MEDIUM_SIMILARITY", { final: "APPROVED", similarity: 0.75, settleTo: null }],
    ["https://t.example/done?magic=APPROVED&similarity=0.75", { final: "APPROVED", similarity: 0.75, similarityGiven: true }],
    ["https://t.example/done?similarity=1.5", { similarity: 0.93, similarityGiven: false }],
    ["https://t.example/done?comment=checked%20by%20phone", { final: "APPROVED", comment: "checked by phone" }],
    ["https://t.example/done?doc=mismatch", { final: "APPROVED", doc: "MISMATCH" }],
    ["https://t.example/done?doc=UNKNOWN", { doc: "SANDBOX" }],
  ])("%s", (url, plan) => {
    expect(planFromReturnUrl(url)).toMatchObject(plan);
  });
});

describe("document data variants (doc=)", () => {
  const finalAnswer = async (returnUrl: string, flags: Record<string, unknown> = {}) => {
    const token = await begin({ return_url: returnUrl, ...flags });
    await result(token);
    return (await result(token)).json as { person: Record<string, unknown>; result: string; similarity: number; result_comment: string };
  };

  it("every variant of DOCUMENT_VARIANTS is documented", () => {
    for (const k of Object.keys(DOCUMENT_VARIANTS).filter((k) => k !== "SANDBOX")) expect(MAGIC_INPUTS.some((x) => x.input.includes(k))).toBe(true);
  });

  it("the default is the fixed sandbox document", async () => {
    const a = await finalAnswer("https://t.example/done", { document_countries: ["UKR"] });
    expect(a.person).toMatchObject({
      first_name: "SANDBOX",
      last_name: "SPECIMEN",
      birthday: "11/25/1979",
      document_number: "SBX000001",
      document_expires: "8/2/2031",
      issuing_state: "UKR",
    });
  });

  it("MISMATCH: another person's document", async () => {
    const a = await finalAnswer("https://t.example/done?doc=MISMATCH");
    expect(a.person).toMatchObject({
      first_name: "NINO",
      last_name: "BERIDZE",
      birthday: "1/2/1990",
      birthday_time: "1990-01-02T00:00:00.000Z",
      document_number: "SBX999999",
    });
  });

  it("INVERTED swaps the names; NO_EXPIRY drops the expiry", async () => {
    expect((await finalAnswer("https://t.example/done?doc=INVERTED")).person).toMatchObject({ first_name: "SPECIMEN", last_name: "SANDBOX" });
    const noExpiry = (await finalAnswer("https://t.example/done?doc=NO_EXPIRY")).person;
    expect(noExpiry).not.toHaveProperty("document_expires");
    expect(noExpiry).not.toHaveProperty("document_expires_time");
  });

  it.each([
    ["RU", "ИВАН", "ПЕТРОВ"],
    ["UK", "ОЛЕНА", "ШЕВЧЕНКО"],
    ["GR", "ΓΕΩΡΓΙΟΣ", "ΠΑΠΑΔΟΠΟΥΛΟΣ"],
  ])("%s: names only in the document's script", async (doc, first, last) => {
    const a = await finalAnswer(`https://t.example/done?doc=${doc}`);
    expect(a.person).toMatchObject({ local_first_name: first, local_last_name: last, first_name: "", last_name: "" });
  });

  it("similarity= and comment= shape the final answer", async () => {
    const a = await finalAnswer("https://t.example/done?magic=REJECTED:FACE_MISMATCH&similarity=0.5&comment=seen");
    expect(a).toMatchObject({ result: "REJECTED", similarity: 0.5, result_comment: "seen" });
  });
});
