// Each class of bad input the fuzz run (issue 11) turned into a 500 or an empty answer, one
// request each: every one is now a 4xx problem+json naming the field, part or header.
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";
import { httpRequest, rawRequest } from "../support/raw-http.js";

let gw: TestGateway;
let t: Awaited<ReturnType<typeof createTenantWithAccounts>>;
const uploadDir = mkdtempSync(join(tmpdir(), "kyc-bad-input-"));
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["whs-one"] } };

beforeAll(async () => {
  gw = await startTestGateway({ workers: false, envOverrides: { UPLOAD_TMP_DIR: uploadDir } });
  t = await createTenantWithAccounts(gw, [DMS]);
});
afterAll(async () => gw?.close());

const auth = () => ({ authorization: `Bearer ${t.apiKey}`, host: "gateway.test" });
const isProblem = (ct: string | null | undefined) => (ct ?? "").startsWith("application/problem+json");
const multipart = (boundary: string, parts: string) =>
  httpRequest(
    "POST",
    "/v1/verifications",
    { ...auth(), "content-type": `multipart/form-data; boundary=${boundary}`, "content-length": String(Buffer.byteLength(parts)) },
    parts,
  );

describe("multipart the parser refuses is a 400 naming the part, never a 500", () => {
  it.each(["no boundary", "an empty body", "a part header without a colon", "a form cut short"])("%s", async (name) => {
    const requests: Record<string, Buffer> = {
      "no boundary": httpRequest("POST", "/v1/verifications", { ...auth(), "content-type": "multipart/form-data", "content-length": "4" }, "abcd"),
      "an empty body": multipart("b0", ""),
      "a part header without a colon": multipart("b1", `--b1\r\nContent-Disposition form-data; name="request"\r\n\r\n{}\r\n--b1--\r\n`),
      "a form cut short": multipart("b2", `--b2\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"checks":["document"]}`),
    };
    const r = await rawRequest(gw.url, requests[name]!);
    expect(r.status).toBe(400);
    expect(isProblem(r.headers["content-type"])).toBe(true);
    expect(JSON.parse(r.body).errors[0].path).toBeTruthy();
  });

  it('a part named "" is refused naming it', async () => {
    const r = await rawRequest(
      gw.url,
      multipart(
        "b3",
        `--b3\r\nContent-Disposition: form-data; name=""; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nxx\r\n--b3\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"checks":["document"]}\r\n--b3--\r\n`,
      ),
    );
    expect(r.status).toBe(400);
    expect(isProblem(r.headers["content-type"])).toBe(true);
    expect(JSON.parse(r.body).errors[0].path).toMatch(/^\$/);
  });

  it.each(["null", "5", '"str"', "[1]"])("a `request` part that is JSON but not an object (%s) plus a file part is a 400 naming $.request", async (json) => {
    const form = new FormData();
    form.append("request", json);
    form.append("document_front", new Blob([new Uint8Array(fakeJpeg("front"))], { type: "image/jpeg" }), "front.jpg");
    const res = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}` }, body: form });
    expect(res.status).toBe(400);
    expect(isProblem(res.headers.get("content-type"))).toBe(true);
    expect(((await res.json()) as { errors: { path: string }[] }).errors[0]!.path).toBe("$.request");
  });

  it("temporary files are removed after an accepted upload and after a refused one", async () => {
    const ok = new FormData();
    ok.append("request", JSON.stringify({ checks: ["document"], document: { type: "passport", country: "FR" } }));
    ok.append("document_front", new Blob([new Uint8Array(fakeJpeg("front"))], { type: "image/jpeg" }), "front.jpg");
    const accepted = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}` }, body: ok });
    expect(accepted.status).toBe(202);
    const bad = new FormData();
    bad.append("request", JSON.stringify({ checks: ["document"] }));
    bad.append("document_front", new Blob([new Uint8Array(Buffer.from("%PDF-1.4 not a jpeg"))], { type: "image/jpeg" }), "front.jpg");
    const refused = await fetch(`${gw.url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${t.apiKey}` }, body: bad });
    expect(refused.status).toBe(415);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(uploadDir)).toEqual([]);
  });

  it("a form refused after its files were written (too many files, cut short) leaves no file and no crash", async () => {
    const file = (i: number) =>
      `--b4\r\nContent-Disposition: form-data; name="selfie"; filename="${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n${fakeJpeg().toString("latin1")}\r\n`;
    const tooMany = await rawRequest(gw.url, multipart("b4", `${Array.from({ length: 8 }, (_, i) => file(i)).join("")}--b4--\r\n`));
    expect(tooMany.status).toBe(400);
    expect(JSON.parse(tooMany.body).errors[0].message).toBe("too many files");
    // the form ends inside a file part (no closing boundary): multer removes the file, and the
    // cleanup at the end of the response must not trip over it (it threw, uncaught, and took the process down)
    const cut = await rawRequest(
      gw.url,
      multipart("b4", `--b4\r\nContent-Disposition: form-data; name="request"\r\n\r\n{"checks":["document"]}\r\n${file(1)}`),
    );
    expect(cut.status).toBe(400);
    expect(JSON.parse(cut.body).errors[0].message).toMatch(/Unexpected end of form/);
    await new Promise((r) => setTimeout(r, 200));
    expect(readdirSync(uploadDir)).toEqual([]);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it("the same multipart request twice with one Idempotency-Key is one verification (the key covers the image bytes)", async () => {
    const send = (tag: string) => {
      const form = new FormData();
      form.append("request", JSON.stringify({ checks: ["document"], document: { type: "passport", country: "FR" } }));
      form.append("document_front", new Blob([new Uint8Array(fakeJpeg(tag))], { type: "image/jpeg" }), "front.jpg");
      return fetch(`${gw.url}/v1/verifications`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.apiKey}`, "idempotency-key": "mp-idem-1" },
        body: form,
      });
    };
    const a = await send("front");
    const b = await send("front");
    expect([a.status, b.status]).toEqual([202, 202]);
    expect(((await b.json()) as { id: string }).id).toBe(((await a.json()) as { id: string }).id);
    expect((await send("other")).status).toBe(409);
  });
});

describe("strings Postgres cannot store are a 400 naming the field", () => {
  const body = (over: Record<string, unknown>) => ({
    checks: ["document"],
    document: { type: "passport", country: "FR", images: [{ side: "front", contentType: "image/jpeg", data: fakeJpeg().toString("base64") }] },
    ...over,
  });

  it.each([
    ["a NUL in reference", { reference: "ref\u0000x" }, "$.reference"],
    ["a lone surrogate in metadata", { metadata: { note: "a\ud800b" } }, "$.metadata.note"],
    ["a NUL in a metadata key", { metadata: { "k\u0000": 1 } }, "$.metadata.k\u0000"],
    ["a lone low surrogate in a tag", { tags: ["ok", "\udc00"] }, "$.tags[1]"],
  ])("%s", async (_name, over, path) => {
    const r = await gw.tenant(t.apiKey, "POST", "/v1/verifications", body(over));
    expect(r.status).toBe(400);
    expect(isProblem(r.headers.get("content-type"))).toBe(true);
    expect(r.body.errors[0].path).toBe(path);
  });

  it("metadata nested 5,000 levels is a 400 (no stack overflow in the size check)", async () => {
    const deep = `{"checks":["document"],"metadata":{"a":${"[".repeat(5000)}${"]".repeat(5000)}}}`;
    const r = await gw.tenant(t.apiKey, "POST", "/v1/verifications", deep);
    expect(r.status).toBe(400);
    expect(r.body.errors[0].message).toMatch(/nested deeper than 64/);
    expect(r.body.errors[0].path).toMatch(/^\$\.metadata\.a(\[0\])+$/);
  });

  it("a NUL in a path id, a query value, a webhook URL and a vendor baseUrl; bad percent-encoding in a path", async () => {
    const byId = await gw.tenant(t.apiKey, "GET", "/v1/verifications/ver_%00x");
    expect([byId.status, byId.body.errors[0].path]).toEqual([400, "path[2]"]);
    const cancel = await gw.tenant(t.apiKey, "POST", "/v1/verifications/%00/cancel");
    expect([cancel.status, cancel.body.errors[0].path]).toEqual([400, "path[2]"]);
    const list = await gw.tenant(t.apiKey, "GET", "/v1/verifications?reference=a%00b");
    expect([list.status, list.body.errors[0].path]).toEqual([400, "$.query.reference"]);
    const hook = await gw.tenant(t.apiKey, "POST", "/v1/webhook-endpoints", { url: "http://127.0.0.1:9/h\u0000ook" });
    expect([hook.status, hook.body.errors[0].path]).toEqual([400, "$.url"]);
    const account = await gw.admin("POST", `/admin/tenants/${t.tenantId}/vendor-accounts`, {
      vendor: "dms",
      name: "x",
      baseUrl: "http://127.0.0.1:9/\u0000",
      credentials: { apiKey: "k" },
    });
    expect([account.status, account.body.errors[0].path]).toEqual([400, "$.baseUrl"]);
    // not a URL at all (the fuzz run's seed 1122179853): zod's refinement still ran and threw, a 500
    for (const baseUrl of ["not a url", "http://", "//host.example/x", ""]) {
      const notUrl = await gw.admin("POST", `/admin/tenants/${t.tenantId}/vendor-accounts`, {
        vendor: "dms",
        name: "x",
        baseUrl,
        credentials: { apiKey: "k" },
      });
      expect([baseUrl, notUrl.status, notUrl.body.errors?.[0]?.path]).toEqual([baseUrl, 400, "$.baseUrl"]);
    }
    const adminById = await gw.admin("GET", "/admin/tenants/%00/policy");
    expect([adminById.status, adminById.body.errors[0].path]).toEqual([400, "path[2]"]);
    const hooks = await fetch(`${gw.url}/hooks/dms/va_%00`, { method: "POST", body: "{}" });
    expect(hooks.status).toBe(400);
    const bad = await gw.tenant(t.apiKey, "GET", "/v1/verifications/%E0%A4%A");
    expect([bad.status, bad.body.errors[0].path]).toEqual([400, "path[2]"]);
  });
});

describe("what Node refuses before the app is answered as a problem too", () => {
  it.each([
    ["a header with a NUL byte", httpRequest("GET", "/v1/verifications", { host: "h", "x-a": "a\u0000b" }), 400, "headers"],
    ["headers over Node's limit", httpRequest("GET", "/healthz", { host: "h", "x-big": "a".repeat(20_000) }), 431, "headers"],
    ["a request line that is not HTTP", Buffer.from("HELLO there\r\n\r\n"), 400, "request-line"],
    [
      "a broken chunked body",
      Buffer.from(
        "POST /admin/tenants HTTP/1.1\r\nhost: h\r\nauthorization: Bearer test-admin-token-0123456789\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
      ),
      400,
      "$",
    ],
    [
      "Content-Length and chunked together",
      Buffer.from("POST /healthz HTTP/1.1\r\nhost: h\r\ncontent-length: 2\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n"),
      400,
      "headers",
    ],
  ])("%s", async (_name, request, status, path) => {
    const r = await rawRequest(gw.url, request);
    expect(r.status).toBe(status);
    expect(isProblem(r.headers["content-type"])).toBe(true);
    expect(JSON.parse(r.body).errors[0].path).toBe(path);
  });

  it("an Expect other than 100-continue is a 417 naming the header", async () => {
    const r = await rawRequest(gw.url, httpRequest("GET", "/healthz", { host: "h", expect: "something-else" }));
    expect(r.status).toBe(417);
    expect(isProblem(r.headers["content-type"])).toBe(true);
    expect(JSON.parse(r.body).errors[0].path).toBe("header:Expect");
  });

  it("an HTTP/1.1 request without Host is a 400 naming the header", async () => {
    const r = await rawRequest(gw.url, Buffer.from("GET /healthz HTTP/1.1\r\nconnection: close\r\n\r\n"));
    expect(r.status).toBe(400);
    expect(isProblem(r.headers["content-type"])).toBe(true);
    expect(JSON.parse(r.body).errors[0].path).toBe("header:Host");
  });
});

describe("the IDENTY SDK proxy's own refusals", () => {
  it("an unknown token or resource is a 404 problem, not text/plain", async () => {
    for (const path of ["/sdk/identy/nonsense/api/v1/models", "/sdk/identy/a.b/api/v1/other", "/sdk/identy/x"]) {
      const r = await fetch(`${gw.url}${path}`, { method: "POST" });
      expect(r.status).toBe(404);
      expect(isProblem(r.headers.get("content-type"))).toBe(true);
    }
  });
});
