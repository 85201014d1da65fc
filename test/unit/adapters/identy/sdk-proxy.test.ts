import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identyAdapter } from "../../../../src/adapters/identy/index.js";
import {
  createIdentySdkProxyRouter,
  inspectSdkProxyToken,
  signSdkProxyToken,
  verifySdkProxyToken,
  type SdkProxyAccount,
} from "../../../../src/adapters/identy/routes.js";
import { vendorRouteHttp } from "../../../../src/core/vendor-http.js";
import { FaultInjector } from "../../../../src/sandbox/faults.js";
import { SIM_MODELS_BYTES, SIM_PUB_KEY_BYTES, createIdentySimulator } from "../../../../src/sandbox/identy/simulator.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";

const key = Buffer.alloc(32, 7);
const otherKey = Buffer.alloc(32, 8);
const listen = (app: express.Express) =>
  new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
const urlOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

interface Seen {
  method: string;
  path: string;
  contentType: string | undefined;
  requestId: string | undefined;
  logApiTrigger: string | undefined;
  body: Buffer;
}

// an IWS stand-in that records what reaches it and answers odd bytes
const seen: Seen[] = [];
const upstreamBytes = Buffer.from([0x00, 0xff, 0x10, 0x80, 0xc3, 0x28, 0x0a, 0x0d, 0x7f]);
const upstream = express();
upstream.use(express.raw({ type: () => true }));
upstream.all(/.*/, (req, res) => {
  seen.push({
    method: req.method,
    path: req.path,
    contentType: req.get("content-type"),
    requestId: req.get("requestID"),
    logApiTrigger: req.get("LogAPITrigger"),
    body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
  });
  // raw headers: express's res.type() would add a charset to text/* types
  if (req.path.endsWith("/time")) return void res.writeHead(503, { "content-type": "text/x-odd" }).end(Buffer.from("busy"));
  res.writeHead(200, { "content-type": "application/x-identy-models; v=6" }).end(upstreamBytes);
});

let upstreamServer: Server;
let simServer: Server;
let proxyServer: Server;
let proxy: string;
let now = new Date("2025-06-01T10:00:00Z");
const accounts = new Map<string, SdkProxyAccount>();

beforeAll(async () => {
  upstreamServer = await listen(upstream);
  const sim = express().use("/identy", createIdentySimulator({ faults: new FaultInjector(), log: pino({ level: "silent" }) }));
  simServer = await listen(sim);
  accounts.set("va_echo", { baseUrl: urlOf(upstreamServer) });
  accounts.set("va_sim", { baseUrl: `${urlOf(simServer)}/identy/` });
  accounts.set("va_cors", { baseUrl: urlOf(upstreamServer), allowedOrigins: ["https://shop.example"] });
  accounts.set("va_any", { baseUrl: urlOf(upstreamServer), allowedOrigins: ["*"] });
  const app = express().use(
    "/sdk/identy",
    createIdentySdkProxyRouter({
      httpFor: vendorRouteHttp("identy", "sdk-proxy"),
      key,
      resolveAccount: async (id) => accounts.get(id) ?? null,
      now: () => now,
    }),
  );
  proxyServer = await listen(app);
  proxy = `${urlOf(proxyServer)}/sdk/identy`;
});

afterAll(async () => {
  for (const s of [upstreamServer, simServer, proxyServer]) await new Promise((r) => s.close(r));
});

const token = (accountId = "va_echo", expiresAt = new Date("2025-06-01T10:15:00Z"), k = key) =>
  signSdkProxyToken({ verificationId: "ver_123", accountId, expiresAt }, k);

describe("SDK proxy tokens", () => {
  it("round-trips its claims and refuses tampering, other keys and expiry", () => {
    const t = token();
    expect(verifySdkProxyToken(t, key, now)).toEqual({ verificationId: "ver_123", accountId: "va_echo", expiresAt: new Date("2025-06-01T10:15:00Z") });
    expect(inspectSdkProxyToken(t, otherKey, now)).toEqual({ ok: false, error: "bad_signature" });
    expect(inspectSdkProxyToken(t, key, new Date("2025-06-01T10:15:00Z"))).toEqual({ ok: false, error: "expired" });
    const [payload, sig] = t.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: "ver_other", a: "va_echo", e: Date.parse("2030-01-01") })).toString("base64url");
    expect(inspectSdkProxyToken(`${forged}.${sig}`, key, now)).toEqual({ ok: false, error: "bad_signature" });
    // a signature of another length is refused without throwing (timingSafeEqual needs equal lengths)
    expect(inspectSdkProxyToken(`${payload}.${sig.slice(0, 10)}`, key, now)).toEqual({ ok: false, error: "bad_signature" });
    expect(inspectSdkProxyToken("garbage", key, now)).toEqual({ ok: false, error: "malformed" });
    expect(inspectSdkProxyToken("a.b.c", key, now)).toEqual({ ok: false, error: "malformed" });
  });

  it("is compact and URL-safe", () => {
    expect(token()).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(token().length).toBeLessThan(160);
  });
});

describe("SDK proxy router", () => {
  it("passes a POST to /api/v1/models byte for byte, both ways", async () => {
    seen.length = 0;
    const body = Buffer.concat([
      Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="file"; filename="m"\r\nContent-Type: application/octet-stream\r\n\r\n'),
      Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a]),
      Buffer.from("\r\n--XyZ--\r\n"),
    ]);
    const res = await fetch(`${proxy}/${token()}/api/v1/models`, {
      method: "POST",
      headers: { "content-type": "multipart/form-data; boundary=XyZ", LogAPITrigger: "true", requestID: "spoofed-by-browser" },
      body,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/x-identy-models; v=6");
    expect(Buffer.from(await res.arrayBuffer()).equals(upstreamBytes)).toBe(true);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe("POST");
    expect(seen[0]!.path).toBe("/api/v1/models");
    expect(seen[0]!.contentType).toBe("multipart/form-data; boundary=XyZ");
    expect(seen[0]!.body.equals(body)).toBe(true);
    expect(seen[0]!.logApiTrigger).toBe("true");
    // the IWS logs the session under the verification id, whatever the browser says
    expect(seen[0]!.requestId).toBe("ver_123");
  });

  it("passes GET /api/v1/pub_key, and an upstream error status and type unchanged", async () => {
    seen.length = 0;
    const res = await fetch(`${proxy}/${token()}/api/v1/pub_key`);
    expect(res.status).toBe(200);
    expect(seen.map((s) => [s.method, s.path])).toEqual([["GET", "/api/v1/pub_key"]]);
    const time = await fetch(`${proxy}/${token()}/api/v1/time`, { method: "POST" });
    expect(time.status).toBe(503);
    expect(time.headers.get("content-type")).toBe("text/x-odd");
    expect(await time.text()).toBe("busy");
  });

  it("serves the simulator's models, pub_key and time", async () => {
    const t = token("va_sim");
    const models = await fetch(`${proxy}/${t}/api/v1/models`, { method: "POST" });
    expect(models.headers.get("content-type")).toBe("application/octet-stream");
    expect(Buffer.from(await models.arrayBuffer()).equals(SIM_MODELS_BYTES)).toBe(true);
    const pub = await fetch(`${proxy}/${t}/api/v1/pub_key`, { method: "POST" });
    expect(Buffer.from(await pub.arrayBuffer()).equals(SIM_PUB_KEY_BYTES)).toBe(true);
    const time = await fetch(`${proxy}/${t}/api/v1/time`, { method: "POST" });
    expect(Number(await time.text())).toBeGreaterThan(1_700_000_000_000);
  });

  it.each([
    ["POST", "/api/v1/process"],
    ["POST", "/api/v1/verifyWithPictureId"],
    ["GET", "/api/v1/face_health"],
    ["POST", "/api/v1/secure/face/as"],
    ["POST", "/api/v1/models/extra"],
    ["GET", "/api/v2/models"],
    ["GET", "/api/v1/%2e%2e%2fprocess"],
    ["GET", "/api/v1/..%2Fprocess"],
    ["PUT", "/api/v1/models"],
    ["DELETE", "/api/v1/pub_key"],
    ["GET", ""],
  ])("%s <token>%s is not reachable (404)", async (method, path) => {
    seen.length = 0;
    const res = await fetch(`${proxy}/${token()}${path}`, { method });
    expect(res.status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it("refuses an expired token (401), a forged or foreign one (404) and an unknown account (404)", async () => {
    seen.length = 0;
    expect((await fetch(`${proxy}/${token("va_echo", new Date("2025-06-01T09:59:59Z"))}/api/v1/models`)).status).toBe(401);
    expect((await fetch(`${proxy}/${token("va_echo", undefined, otherKey)}/api/v1/models`)).status).toBe(404);
    expect((await fetch(`${proxy}/not-a-token/api/v1/models`)).status).toBe(404);
    expect((await fetch(`${proxy}/${token("va_gone")}/api/v1/models`)).status).toBe(404);
    expect(seen).toHaveLength(0);
  });

  it("expires with the clock", async () => {
    const t = token("va_echo", new Date("2025-06-01T10:00:30Z"));
    expect((await fetch(`${proxy}/${t}/api/v1/models`)).status).toBe(200);
    now = new Date("2025-06-01T10:00:31Z");
    try {
      expect((await fetch(`${proxy}/${t}/api/v1/models`)).status).toBe(401);
    } finally {
      now = new Date("2025-06-01T10:00:00Z");
    }
  });

  it("the adapter's identy_capture link works through the router with ctx.deriveKey('identy-sdk-proxy')", async () => {
    const acc = makeAccount("identy", { baseUrl: `${urlOf(simServer)}/identy` });
    const ver = makeVerification({}, ["liveness"]);
    const h = makeHarness(acc, ver.id);
    const o = await identyAdapter.start(ver, acc, h.ctx);
    if (o.status !== "awaiting_user" || o.nextAction?.type !== "identy_capture") throw new Error("expected identy_capture");
    const app = express().use(
      "/sdk/identy",
      createIdentySdkProxyRouter({
        httpFor: vendorRouteHttp("identy", "sdk-proxy"),
        key: h.ctx.deriveKey("identy-sdk-proxy"),
        resolveAccount: async (id) => (id === acc.id ? { baseUrl: acc.baseUrl } : null),
      }),
    );
    const server = await listen(app);
    try {
      const sdkBase = o.nextAction.sdkBaseUrl.replace(h.ctx.publicBaseUrl, urlOf(server));
      const res = await fetch(`${sdkBase}/api/v1/models`, { method: "POST" });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(SIM_MODELS_BYTES)).toBe(true);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("SDK proxy CORS (the Face Web SDK on the tenant's page sends LogAPITrigger and requestID: a preflight first)", () => {
  const preflight = (t: string, path: string, origin: string) =>
    fetch(`${proxy}/${t}${path}`, {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "logapitrigger,requestid" },
    });

  it("answers a preflight from the tenant's origin with it, POST and the SDK's headers (it was 404)", async () => {
    seen.length = 0;
    for (const path of ["/api/v1/models", "/api/v1/pub_key", "/api/v1/time"]) {
      const r = await preflight(token("va_cors"), path, "https://shop.example");
      expect(r.status, path).toBe(204);
      expect(r.headers.get("access-control-allow-origin")).toBe("https://shop.example");
      expect(r.headers.get("access-control-allow-methods")).toBe("POST");
      expect(r.headers.get("access-control-allow-headers")).toBe("Content-Type, LogAPITrigger, requestID");
    }
    // a preflight never reaches the IWS
    expect(seen).toHaveLength(0);
  });

  it("refuses another origin (preflight and request), never passing the request on", async () => {
    seen.length = 0;
    const r = await preflight(token("va_cors"), "/api/v1/models", "https://evil.example");
    expect(r.status).toBe(403);
    expect(r.headers.get("access-control-allow-origin")).toBeNull();
    const post = await fetch(`${proxy}/${token("va_cors")}/api/v1/models`, { method: "POST", headers: { Origin: "https://evil.example" } });
    expect(post.status).toBe(403);
    expect(seen).toHaveLength(0);
    // an account whose tenant allowed no origin
    expect((await preflight(token("va_echo"), "/api/v1/models", "https://shop.example")).status).toBe(403);
  });

  it("the request itself carries the allowed origin; one without Origin (not a browser) passes as before", async () => {
    const ok = await fetch(`${proxy}/${token("va_cors")}/api/v1/models`, { method: "POST", headers: { Origin: "https://shop.example" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe("https://shop.example");
    expect(ok.headers.get("vary")).toContain("Origin");
    expect((await fetch(`${proxy}/${token("va_cors")}/api/v1/models`, { method: "POST" })).status).toBe(200);
  });

  it('"*" answers any origin outside production; other resources get no preflight', async () => {
    expect((await preflight(token("va_any"), "/api/v1/time", "https://anyone.example")).headers.get("access-control-allow-origin")).toBe("*");
    const other = await preflight(token("va_cors"), "/api/v1/process", "https://shop.example");
    expect(other.status).toBe(404);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it('in production a stored "*" is ignored', async () => {
    const app = express().use(
      "/sdk/identy",
      createIdentySdkProxyRouter({
        httpFor: vendorRouteHttp("identy", "sdk-proxy"),
        key,
        production: true,
        resolveAccount: async (id) => accounts.get(id) ?? null,
        now: () => now,
      }),
    );
    const server = await listen(app);
    try {
      const r = await fetch(`${urlOf(server)}/sdk/identy/${token("va_any")}/api/v1/time`, {
        method: "OPTIONS",
        headers: { Origin: "https://anyone.example", "Access-Control-Request-Method": "POST" },
      });
      expect(r.status).toBe(403);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("SDK proxy load: the account's shared in-flight limit and rate", () => {
  it("takes a slot and a share of the rate under the account's own key, sized by its settings", async () => {
    const slotKeys: [string, number][] = [];
    const reserved: [string, number][] = [];
    const app = express().use(
      "/sdk/identy",
      createIdentySdkProxyRouter({
        key,
        resolveAccount: async () => ({ baseUrl: urlOf(upstreamServer), settings: { concurrency: 3, hardware: "cpu-8" } }),
        now: () => now,
        httpFor: vendorRouteHttp("identy", "sdk-proxy", {
          slots: { acquire: async (k, limit) => (slotKeys.push([k, limit]), async () => undefined) },
          rate: { reserve: async (k, cost) => (reserved.push([k, cost]), 0) },
        }),
      }),
    );
    const server = await listen(app);
    try {
      expect((await fetch(`${urlOf(server)}/sdk/identy/${token("va_shared")}/api/v1/models`, { method: "POST" })).status).toBe(200);
      expect(slotKeys).toEqual([["va_shared", 3]]);
      // not benchmarked by the file: counted as its lightest call, /generateTemplateFromImage (8 cores: 8.24 req/s)
      expect(reserved).toEqual([["va_shared", 1000 / 8.24]]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
