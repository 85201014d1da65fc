// The sandbox: simulators of all five vendor APIs on one port, each under /<vendor>.
import type { Server } from "node:http";
import express from "express";
import type { Logger } from "pino";
import { FaultInjector } from "./faults.js";
import { createDmsSimulator } from "./dms/simulator.js";
import { createShareidSimulator } from "./shareid/simulator.js";
import { createIdentomatSimulator } from "./identomat/simulator.js";
import { createVerificaridentidadSimulator } from "./verificaridentidad/simulator.js";
import { createIdentySimulator } from "./identy/simulator.js";

export function createSandboxApp(log: Logger, faults = new FaultInjector()) {
  const app = express();
  app.disable("x-powered-by");
  app.use(faults.controlRouter());
  const opts = { faults, log };
  app.use("/dms", createDmsSimulator(opts));
  app.use("/shareid", createShareidSimulator(opts));
  app.use("/identomat", createIdentomatSimulator(opts));
  app.use("/verificaridentidad", createVerificaridentidadSimulator(opts));
  app.use("/identy", createIdentySimulator(opts));
  app.get("/", (_req, res) => void res.json({ sandbox: "kyc-gateway vendor simulators", vendors: ["dms", "shareid", "identomat", "verificaridentidad", "identy"] }));
  return { app, faults };
}

export async function startSandbox(opts: { port: number; log: Logger; host?: string }): Promise<Server> {
  const { app } = createSandboxApp(opts.log);
  return new Promise((resolve) => {
    const server = app.listen(opts.port, opts.host ?? "127.0.0.1", () => {
      opts.log.info({ port: opts.port }, "vendor sandbox listening");
      resolve(server);
    });
  });
}
