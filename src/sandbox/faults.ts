// Fault and latency injection shared by every vendor simulator.
// Control API (on the sandbox server, never on the gateway; `vendor` is one of the simulators mounted, src/sandbox/simulators.ts):
//   POST   /_control/faults  { vendor, endpoint?, fault, times?, latencyMs?, retryAfterSeconds?, rate? }
//   DELETE /_control/faults  clears every fault
// `endpoint` matches when the request path ends with it; without it every path of the vendor matches.
import type { NextFunction, Request, Response, Router } from "express";
import express from "express";
import { z } from "zod";

/** A fault for one of `vendors` (the sandbox's simulators). */
export function faultSchema(vendors: readonly [string, ...string[]]) {
  return FaultSchema.extend({ vendor: z.enum(vendors) });
}

export const FaultSchema = z.object({
  vendor: z.string().min(1),
  endpoint: z.string().optional(),
  fault: z.enum(["http_500", "http_502", "http_503", "http_429", "timeout", "malformed", "latency", "reset"]),
  /** how many matching requests the fault applies to (default 1; 0 = until cleared) */
  times: z.number().int().min(0).default(1),
  latencyMs: z.number().int().min(0).max(120_000).default(0),
  retryAfterSeconds: z.number().int().min(0).optional(),
  /** applies to each matching request with this probability (chaos runs: 0.1 = one in ten); every request when absent */
  rate: z.number().min(0).max(1).optional(),
});
export type Fault = z.infer<typeof FaultSchema>;

export class FaultInjector {
  private faults: (Fault & { remaining: number })[] = [];
  /** requests in flight per vendor right now, and the most seen at once since the last reset */
  private load = new Map<string, { inFlight: number; peak: number; total: number }>();
  /** a hung "timeout" answer waits this long before closing the socket */
  constructor(private readonly timeoutHangMs = 60_000) {}

  add(f: Fault): void {
    this.faults.push({ ...f, remaining: f.times === 0 ? Infinity : f.times });
  }

  clear(): void {
    this.faults = [];
  }

  private take(vendor: string, path: string): Fault | null {
    const i = this.faults.findIndex(
      (f) => f.vendor === vendor && (!f.endpoint || path.endsWith(f.endpoint)) && f.remaining > 0 && (f.rate === undefined || Math.random() < f.rate),
    );
    if (i < 0) return null;
    const f = this.faults[i]!;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }

  loadOf(vendor: string) {
    let l = this.load.get(vendor);
    if (!l) this.load.set(vendor, (l = { inFlight: 0, peak: 0, total: 0 }));
    return l;
  }

  middleware(vendor: string) {
    return (req: Request, res: Response, next: NextFunction) => {
      if (!req.path.includes("/_control/")) {
        const l = this.loadOf(vendor);
        l.inFlight += 1;
        l.total += 1;
        l.peak = Math.max(l.peak, l.inFlight);
        let done = false;
        const end = () => {
          if (!done) (done = true), (l.inFlight -= 1);
        };
        res.once("finish", end);
        res.once("close", end);
      }
      const f = this.take(vendor, req.path);
      if (!f) return next();
      const act = () => {
        switch (f.fault) {
          case "latency":
            return next();
          case "http_500":
          case "http_502":
          case "http_503":
            return res.status(Number(f.fault.slice(5))).json({ error: "injected fault" });
          case "http_429":
            if (f.retryAfterSeconds !== undefined) res.setHeader("Retry-After", String(f.retryAfterSeconds));
            return res.status(429).json({ error: "too many requests" });
          case "malformed":
            return res.status(200).type("application/json").send('{"truncated": ');
          case "reset":
            return req.socket.destroy();
          case "timeout": {
            const t = setTimeout(() => req.socket.destroy(), this.timeoutHangMs);
            req.socket.once("close", () => clearTimeout(t));
            return;
          }
        }
      };
      if (f.latencyMs > 0) setTimeout(act, f.latencyMs);
      else act();
    };
  }

  /** the control API; `vendors`: the simulators mounted beside it (any vendor name when not given: one simulator on its own) */
  controlRouter(vendors?: readonly [string, ...string[]]): Router {
    const r = express.Router();
    const schema = vendors ? faultSchema(vendors) : FaultSchema;
    r.post("/_control/faults", express.json(), (req, res) => {
      const parsed = schema.safeParse(req.body);
      if (!parsed.success) return res.status(400).json({ errors: parsed.error.issues });
      this.add(parsed.data);
      res.status(201).json({ ok: true });
    });
    r.delete("/_control/faults", (_req, res) => {
      this.clear();
      res.status(204).end();
    });
    // how hard each simulated vendor is being hit: { vendor: { inFlight, peak, total } }
    r.get("/_control/load", (_req, res) => void res.json(Object.fromEntries(this.load)));
    r.delete("/_control/load", (_req, res) => {
      this.load.clear();
      res.status(204).end();
    });
    return r;
  }
}
