import type { Router } from "express";
import type { Logger } from "pino";
import type { FaultInjector } from "./faults.js";

export interface SimulatorOptions {
  faults: FaultInjector;
  log: Logger;
}

/** Each vendor simulator is an express Router mounted at /<vendor> on the sandbox server. */
export type SimulatorFactory = (opts: SimulatorOptions) => Router;
