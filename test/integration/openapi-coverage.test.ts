// Every route the real app serves is in /openapi.json: the Express 5 router stack of the app
// built by src/api/app.ts is walked (mounted routers included) and each method + path compared
// with the document's operations. A new route without its operation fails here.
import { randomBytes } from "node:crypto";
import type { Express } from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/api/app.js";
import { buildOpenApi } from "../../src/api/openapi.js";
import { loadEnv } from "../../src/config/env.js";
import { createDb, type Db } from "../../src/db/client.js";
import { createQueues, type Queues } from "../../src/core/queues.js";

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string | string[];
}

/** `METHOD /path/{param}` for every route of the router stack, under its mount paths. */
function routesOf(stack: Layer[], prefix = ""): string[] {
  const out: string[] = [];
  const paths = (p: string | string[] | undefined) => (p === undefined ? [""] : Array.isArray(p) ? p : [p]);
  for (const layer of stack) {
    if (layer.route) {
      for (const p of paths(layer.route.path))
        for (const [method, on] of Object.entries(layer.route.methods))
          if (on && method !== "_all") out.push(`${method.toUpperCase()} ${toOpenApiPath(prefix + p)}`);
    } else if (layer.handle.stack) {
      // a mounted router ("/" mounts add nothing)
      for (const p of paths(layer.rawPath)) out.push(...routesOf(layer.handle.stack, prefix + (p === "/" ? "" : p)));
    }
  }
  return out;
}

/** Express `:id` to OpenAPI `{id}`; a router's "/" route is its mount path ("/admin/" is "/admin"). */
function toOpenApiPath(p: string): string {
  const path = p.replace(/:(\w+)/g, "{$1}");
  return path.length > 1 ? path.replace(/\/$/, "") : path;
}

let app: Express;
let db: Db;
let queues: Queues;

beforeAll(() => {
  const env = loadEnv({ ...process.env, PUBLIC_BASE_URL: "http://127.0.0.1:0" });
  db = createDb(env.DATABASE_URL);
  queues = createQueues(env.REDIS_URL, `t${randomBytes(4).toString("hex")}`);
  app = createApp({ env, db, log: pino({ level: "silent" }), queues });
});

afterAll(async () => {
  await queues.close();
  await db.$disconnect();
});

describe("the OpenAPI document covers the app", () => {
  it("finds the app's routes by walking its router (sanity: the walk sees mounted routers)", () => {
    const routes = routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack);
    expect(routes).toContain("POST /v1/verifications");
    expect(routes).toContain("GET /admin/verifications/{id}/events");
    expect(routes).toContain("POST /hooks/{vendor}/{accountId}");
    expect(routes).toContain("OPTIONS /sdk/identy/{token}/api/v1/{resource}");
    expect(routes).toContain("GET /admin");
    expect(routes.length).toBeGreaterThan(45);
  });

  it("has an operation for every route (method + path)", () => {
    const doc = buildOpenApi("http://127.0.0.1:0") as unknown as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)));
    const routes = [...new Set(routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack))];
    expect(routes.filter((r) => !documented.has(r))).toEqual([]);
  });

  it("documents no operation the app does not serve", () => {
    const doc = buildOpenApi("http://127.0.0.1:0") as unknown as { paths: Record<string, Record<string, unknown>> };
    const routes = new Set(routesOf((app as unknown as { router: { stack: Layer[] } }).router.stack));
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.filter((d) => !routes.has(d))).toEqual([]);
  });

  it("gives every operation a unique id, a summary and a security requirement", () => {
    const doc = buildOpenApi("http://127.0.0.1:0") as unknown as {
      paths: Record<string, Record<string, { operationId?: string; summary?: string; security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    expect(ops.filter((o) => !o.operationId || !o.summary || !Array.isArray(o.security))).toEqual([]);
    expect(new Set(ops.map((o) => o.operationId)).size).toBe(ops.length);
  });
});
