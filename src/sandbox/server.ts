// The sandbox: every vendor simulator (src/sandbox/simulators.ts) on one port, each under /<vendor>.
import type { Server } from "node:http";
import express from "express";
import type { Logger } from "pino";
import { FaultInjector } from "./faults.js";
import { SIMULATED_VENDORS, SIMULATORS } from "./simulators.js";
import type { SimulatorFactory } from "./types.js";

export function createSandboxApp(log: Logger, faults = new FaultInjector(), simulators: Readonly<Record<string, SimulatorFactory>> = SIMULATORS) {
  const app = express();
  app.disable("x-powered-by");
  const vendors = Object.keys(simulators) as [string, ...string[]];
  app.use(faults.controlRouter(vendors));
  const opts = { faults, log };
  for (const [vendor, create] of Object.entries(simulators)) app.use(`/${vendor}`, create(opts));
  app.get("/", (_req, res) => void res.json({ sandbox: "kyc-gateway vendor simulators", vendors }));
  return { app, faults };
}

export { SIMULATED_VENDORS };

export async function startSandbox(opts: { port: number; log: Logger; host?: string }): Promise<Server> {
  const { app } = createSandboxApp(opts.log);
  return new Promise((resolve) => {
    const server = app.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      opts.log.info({ port: opts.port }, "vendor sandbox listening");
      resolve(server);
    });
  });
}
