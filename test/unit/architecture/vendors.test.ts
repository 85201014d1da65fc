// Issue 9 points 4 and 5: every vendor folder has the same shape, its manifest is data, and the sandbox's own list of
// simulators (src/sandbox/simulators.ts: simulators never import adapters) agrees with the adapter registry.
import { readdirSync, readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADAPTERS, VENDOR_IDS } from "../../../src/adapters/registry.js";
import { createSandboxApp } from "../../../src/sandbox/server.js";
import { SIMULATED_VENDORS } from "../../../src/sandbox/simulators.js";

const root = path.resolve(import.meta.dirname, "../../..");
const REQUIRED = ["client.ts", "index.ts", "manifest.ts", "mapping.ts", "outcome.ts", "schemas.ts"];
const OPTIONAL = ["webhooks.ts", "routes.ts", "fixtures"];

describe("one shape per vendor folder", () => {
  it.each(VENDOR_IDS)("src/adapters/%s holds the same files as every other", (vendor) => {
    const files = readdirSync(path.join(root, "src/adapters", vendor)).sort();
    expect(files.filter((f) => !OPTIONAL.includes(f))).toEqual(REQUIRED);
  });

  it.each(VENDOR_IDS)("%s: mapping.ts is tables only (no function among its exports)", async (vendor) => {
    const mapping = (await import(/* @vite-ignore */ path.join(root, "src/adapters", vendor, "mapping.ts"))) as Record<string, unknown>;
    expect(
      Object.entries(mapping)
        .filter(([, v]) => typeof v === "function")
        .map(([k]) => k),
    ).toEqual([]);
  });

  it.each(VENDOR_IDS)("%s: the manifest is data, reading only its schemas and the kit", (vendor) => {
    const text = readFileSync(path.join(root, "src/adapters", vendor, "manifest.ts"), "utf8");
    const imports = [...text.matchAll(/from "([^"]+)"/g)].map((m) => m[1]).sort();
    expect(imports).toEqual(["../kit/manifest.js", "./schemas.js"]);
    expect(ADAPTERS[vendor].manifest.id).toBe(vendor);
  });
});

describe("the sandbox's simulators and the adapters' manifests agree", () => {
  const faults = createSandboxApp(pino({ level: "silent" }));
  let url = "";
  let close = () => {};
  beforeAll(async () => {
    await new Promise<void>((resolve) => {
      const server = faults.app.listen(0, "127.0.0.1", () => {
        url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        close = () => server.close();
        resolve();
      });
    });
  });
  afterAll(() => close());

  it("every registered vendor has its simulator, and the sandbox simulates no other", () => {
    expect([...SIMULATED_VENDORS].sort()).toEqual([...VENDOR_IDS].sort());
  });

  it.each(VENDOR_IDS)("%s: mounted at its manifest's sandbox path", (vendor) => {
    expect(ADAPTERS[vendor].manifest.sandbox.path).toBe(`/${vendor}`);
  });

  it.each(VENDOR_IDS.flatMap((v) => ADAPTERS[v].manifest.faultPoints.map((p) => [v, p] as const)))(
    "%s fault point %s is a path its simulator serves, and a fault aimed at it lands",
    async (vendor, point) => {
      const at = `${url}${ADAPTERS[vendor].manifest.sandbox.path}${point}`;
      const statuses = [(await fetch(at, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status, (await fetch(at)).status];
      expect(
        statuses.some((s) => s !== 404),
        `${at} answered ${statuses.join(", ")}`,
      ).toBe(true);
      faults.faults.add({ vendor, endpoint: point, fault: "http_503", times: 1, latencyMs: 0 });
      expect((await fetch(at, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).toBe(503);
    },
  );

  it("the fault control API takes the sandbox's vendors and no other", async () => {
    const post = (vendor: string) =>
      fetch(`${url}/_control/faults`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ vendor, fault: "latency", times: 1 }),
      });
    expect((await post("identy")).status).toBe(201);
    expect((await post("nobody")).status).toBe(400);
    await fetch(`${url}/_control/faults`, { method: "DELETE" });
  });

  it.each(VENDOR_IDS)("%s: the sandbox credentials are an account its manifest accepts", (vendor) => {
    const m = ADAPTERS[vendor].manifest;
    expect(() => ADAPTERS[vendor].credentials.parse(m.sandbox.credentials)).not.toThrow();
  });
});
