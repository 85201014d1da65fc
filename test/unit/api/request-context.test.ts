// The request's id, span and access line (src/api/request-context.ts): one line per request in the shape pino-http
// wrote, error level for a 5xx, none for the probes; the request's own lines name it and keep the redaction.
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../../src/observability/logger.js";
import { requestContext } from "../../../src/api/request-context.js";
import { currentRequestId } from "../../../src/observability/work-context.js";

const lines: Record<string, unknown>[] = [];
const log = createLogger("info", { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) });
let base = "";
let close: () => void = () => {};

beforeAll(async () => {
  const app = express();
  app.use(requestContext(log));
  app.get("/healthz", (_req, res) => void res.json({ ok: true }));
  app.get("/v1/things/:id", (req, res) => void res.json({ id: req.params.id, requestId: currentRequestId() }));
  app.post("/boom", (req, res) => {
    req.log.error({ credentials: { apiKey: "sk-live-secret" } }, "it broke");
    res.status(500).json({});
  });
  const server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

const settle = () => new Promise((r) => setTimeout(r, 20));

describe("requestContext", () => {
  it("one access line per request: id, method, path without the query, status, response time", async () => {
    const before = lines.length;
    const r = await fetch(`${base}/v1/things/t1?token=query-secret`, { headers: { "x-request-id": "abc.1" } });
    expect(r.headers.get("x-request-id")).toBe("abc.1");
    expect(await r.json()).toEqual({ id: "t1", requestId: "abc.1" });
    await settle();
    const mine = lines.slice(before);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      level: 30,
      msg: "request completed",
      req: { id: "abc.1", method: "GET", path: "/v1/things/t1" },
      res: { statusCode: 200 },
      requestId: "abc.1",
    });
    expect(typeof mine[0]!.responseTime).toBe("number");
    expect(JSON.stringify(mine)).not.toContain("query-secret");
  });

  it("a request id that is not a plain token is replaced by a fresh one", async () => {
    const r = await fetch(`${base}/v1/things/t2`, { headers: { "x-request-id": "no spaces <allowed>" } });
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a 5xx is logged at error level; the request's own line names it and is redacted", async () => {
    const before = lines.length;
    await fetch(`${base}/boom`, { method: "POST" });
    await settle();
    const mine = lines.slice(before);
    const own = mine.find((l) => l.msg === "it broke");
    expect(own).toMatchObject({ level: 50, req: { method: "POST", path: "/boom" }, credentials: { apiKey: "[redacted]" } });
    expect(mine.find((l) => l.msg === "request errored")).toMatchObject({ level: 50, res: { statusCode: 500 } });
    expect(JSON.stringify(mine)).not.toContain("sk-live-secret");
  });

  it("probes are not logged", async () => {
    const before = lines.length;
    await fetch(`${base}/healthz`);
    await settle();
    expect(lines.slice(before)).toHaveLength(0);
  });
});
