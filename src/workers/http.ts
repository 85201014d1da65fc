// The HTTP endpoint of a worker-only process (`--worker`, on WORKER_METRICS_PORT): `/metrics`
// for Prometheus (vendor calls, outcomes, queue depths: a worker process has no API to serve
// them) and `/healthz` for liveness probes, 200 while the process is alive and every BullMQ
// worker is running, 503 (naming the stopped queues) otherwise.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { registry } from "../observability/metrics.js";
import { bearerMatches } from "../domain/crypto.js";

export interface RunningWorker {
  readonly name: string;
  isRunning(): boolean;
}

export interface WorkerHttp {
  server: Server;
  port: number;
  close(): Promise<void>;
}

export function workerHealth(workers: readonly RunningWorker[]): {
  ok: boolean;
  body: { status: "ok" | "unhealthy"; workers: Record<string, "running" | "stopped"> };
} {
  const states = Object.fromEntries(workers.map((w) => [w.name, w.isRunning() ? "running" : "stopped"] as const));
  const ok = workers.length > 0 && Object.values(states).every((s) => s === "running");
  return { ok, body: { status: ok ? "ok" : "unhealthy", workers: states } };
}

/** Listens on `port` (0: any free port); rejects when the port cannot be bound. */
export function startWorkerHttp(opts: {
  port: number;
  host?: string;
  log: Logger;
  workers: () => readonly RunningWorker[] /** when set, /metrics answers only `Authorization: Bearer <metricsToken>` */;
  metricsToken?: string;
}): Promise<WorkerHttp> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
    } else if (path === "/healthz") {
      const h = workerHealth(opts.workers());
      res.writeHead(h.ok ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(h.body));
    } else if (path === "/metrics" && opts.metricsToken && !bearerMatches(req.headers.authorization, opts.metricsToken)) {
      res.writeHead(401, { "content-type": "application/problem+json", "www-authenticate": 'Bearer realm="metrics"' }).end(
        JSON.stringify({
          type: "https://kyc-gateway.dev/problems/unauthorized",
          title: "Unauthorized",
          status: 401,
          detail: "send Authorization: Bearer $METRICS_TOKEN",
        }),
      );
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
    } else {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ status: 404, title: "Not Found" }));
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      opts.log.info({ port }, "worker metrics and health listening");
      resolve({
        server,
        port,
        close: () => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())),
      });
    });
  });
}
