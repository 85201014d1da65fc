// The IDENTY capture in a real browser (Debian's chromium, headless): the tenant's page on another origin loads a
// stand-in for the Face Web SDK (test/browser/identy/stand-in-face-sdk.js) that makes the SDK's preInitialize calls
// (models, pub_key, time: POST with the LogAPITrigger and requestID headers, so the browser sends CORS preflights)
// through the verification's sdkBaseUrl; the tenant backend then posts the BLOB to /v1/verifications/:id/capture and
// the verification completes. A page on an origin the tenant has not allowed gets nothing.
import { readFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import express from "express";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, waitUntil, type TestGateway } from "../support/gateway.js";
import { launchChromium, watchPage } from "./helpers.js";

const asset = (name: string) => readFileSync(new URL(`./identy/${name}`, import.meta.url), "utf8");

/** A tenant's web server on its own port: a page and two scripts, with a strict CSP that allows connecting anywhere. */
async function tenantSite(): Promise<{ server: Server; origin: string }> {
  const app = express();
  app.get("/", (_req, res) => {
    res.setHeader("Content-Security-Policy", "default-src 'self'; connect-src *");
    res
      .type("html")
      .send(
        '<!doctype html><html><head><script src="/stand-in-face-sdk.js" defer></script><script src="/page.js" defer></script></head><body><output id="result" data-state="pending"></output></body></html>',
      );
  });
  app.get("/stand-in-face-sdk.js", (_req, res) => void res.type("text/javascript").send(asset("stand-in-face-sdk.js")));
  app.get("/page.js", (_req, res) => void res.type("text/javascript").send(asset("page.js")));
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let gw: TestGateway;
let browser: Browser;
let allowed: Awaited<ReturnType<typeof tenantSite>>;
let other: Awaited<ReturnType<typeof tenantSite>>;

beforeAll(async () => {
  gw = await startTestGateway();
  [allowed, other] = await Promise.all([tenantSite(), tenantSite()]);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  for (const s of [allowed, other]) if (s) await new Promise((r) => s.server.close(r));
  await gw?.close();
});

async function awaitingCapture() {
  const t = await createTenantWithAccounts(gw, [{ vendor: "identy", credentials: {}, settings: { livenessLevel: "HIGH" } }]);
  const set = await gw.admin("PUT", `/admin/tenants/${t.tenantId}/allowed-origins`, { allowedOrigins: [allowed.origin] });
  expect(set.status).toBe(200);
  const created = await gw.tenant(t.apiKey, "POST", "/v1/verifications", { checks: ["liveness"] });
  const waiting = await waitUntil(
    async () => {
      const r = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${created.body.id}`);
      return r.body.status === "awaiting_user" ? r.body : null;
    },
    20_000,
    "awaiting_user",
  );
  expect(waiting.nextAction.type).toBe("identy_capture");
  return { t, id: created.body.id as string, sdk: waiting.nextAction.sdkBaseUrl as string };
}

async function runPage(origin: string, sdk: string, session: string) {
  const page = await browser.newPage();
  const problems = watchPage(page);
  const methods: string[] = [];
  page.on("request", (r) => {
    if (r.url().startsWith(sdk)) methods.push(`${r.method()} ${new URL(r.url()).pathname.split("/api/v1/")[1]}`);
  });
  await page.goto(`${origin}/?sdk=${encodeURIComponent(sdk)}&session=${encodeURIComponent(session)}`);
  const out = page.locator("#result");
  await waitUntil(async () => ((await out.getAttribute("data-state")) !== "pending" ? true : null), 20_000, "the page to finish");
  const result = {
    state: await out.getAttribute("data-state"),
    blob: await out.getAttribute("data-blob"),
    error: await out.getAttribute("data-error"),
    models: await out.getAttribute("data-models"),
  };
  await page.close();
  return { ...result, methods, problems };
}

describe("IDENTY Face Web SDK in a real browser, on the tenant's origin", () => {
  it("preflights pass for the tenant's origin, the SDK bootstraps through sdkBaseUrl, and the posted BLOB completes the verification", async () => {
    const { t, id, sdk } = await awaitingCapture();
    const r = await runPage(allowed.origin, sdk, id);
    expect(r.error).toBeNull();
    expect(r.state).toBe("captured");
    expect(r.problems.errors).toEqual([]);
    // the simulator's models bytes, unchanged through the proxy
    expect(Number(r.models)).toBeGreaterThan(0);
    // the browser made the SDK's three POSTs (preflights are not reported as page requests by Chromium)
    expect(r.methods.filter((m) => m.startsWith("POST"))).toEqual(["POST models", "POST pub_key", "POST time"]);
    const capture = await gw.tenant(t.apiKey, "POST", `/v1/verifications/${id}/capture`, { identyBlob: r.blob });
    expect(capture.status).toBe(202);
    const done = await waitUntil(
      async () => {
        const v = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${id}`);
        return v.body.status === "completed" ? v.body : null;
      },
      20_000,
      "completed",
    );
    expect(done).toMatchObject({ decision: "approved", checks: { liveness: { outcome: "pass", level: "HIGHEST" } } });
  });

  it("a page on an origin the tenant has not allowed cannot reach the IWS through the proxy", async () => {
    const { sdk, id } = await awaitingCapture();
    const r = await runPage(other.origin, sdk, id);
    expect(r.state).toBe("failed");
    expect(r.blob).toBeNull();
  });

  it("the preflight answer: the tenant's origin, POST, the SDK's headers; another origin or resource gets no CORS headers", async () => {
    const { sdk } = await awaitingCapture();
    const preflight = (path: string, origin: string) =>
      fetch(`${sdk}${path}`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "logapitrigger,requestid" },
      });
    for (const path of ["/api/v1/models", "/api/v1/pub_key", "/api/v1/time"]) {
      const ok = await preflight(path, allowed.origin);
      expect(ok.status, path).toBe(204);
      expect(ok.headers.get("access-control-allow-origin")).toBe(allowed.origin);
      expect(ok.headers.get("access-control-allow-methods")).toBe("POST");
      expect(ok.headers.get("access-control-allow-headers")).toBe("Content-Type, LogAPITrigger, requestID");
      expect(ok.headers.get("vary")).toContain("Origin");
    }
    const refused = await preflight("/api/v1/models", other.origin);
    expect(refused.status).toBe(403);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
    for (const path of ["/api/v1/process", "/api/v1/face_health", "/api/v1/secure/face/as"]) {
      const r = await preflight(path, allowed.origin);
      expect(r.status, path).toBe(404);
      expect(r.headers.get("access-control-allow-origin"), path).toBeNull();
    }
  });
});
