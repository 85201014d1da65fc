// The simulated IWS's capacity, from the benchmark section of ../shared/vendors/identy-web-solution-v6.txt
// ("Benchmarked throughput for JUST /process requests, expressed as processed requests per second ... measured on
// AWS c5a ec2 instances"). Written from the file for the simulator alone (the gateway's own reading is not used).
//
// Model: every request brings 1000 / rps ms of work; the server works off 1000 ms of work per second. A request
// that arrives while work is queued waits for it (the IWS slows down); when more than `maxQueueMs` of work is
// already queued the server answers HTTP 503 (a Tomcat "Service Unavailable" page, no IWS `code`): the release
// notes list "The IWS now properly manages concurrent requests on its GPU image" and "an issue ... that could cause
// random corner-case crashes" among fixes, i.e. a server pushed past its capacity stops answering normally.
// The SDK bootstrap paths (models, pub_key, time) and face_health are not benchmarked and take no work.

export type SimHardware = "cpu-4" | "cpu-8" | "cpu-16" | "cpu-32" | "gpu";
export type SimDevice = "mobile" | "desktop";
export type SimEndpoint =
  | "process"
  | "verifyWithPictureId"
  | "secure/face/as"
  | "face/as"
  | "matchWithSelfie"
  | "matchWithPictureId"
  | "face/generateTemplateFromImage";

/** One column of the tables per instance size: "4 cores/8 GB RAM (c5a.xlarge)" ... "32 cores/64 GB RAM (c5a.8xlarge)". */
interface Column {
  // "/Process requests" rows "<= HIGH", "≥ BVH", "HIGHEST", each "(Mobile / Desktop)"
  process: { upToHigh: [number, number]; bvh: [number, number]; highest: [number, number] };
  matchWithSelfie: number;
  matchWithPictureId: number;
  secureFaceAs: number;
  faceAs: number;
  generateTemplate: number;
}

const CPU_4: Column = {
  process: { upToHigh: [1.34, 1.24], bvh: [0.83, 0.46], highest: [0.83, 0.27] },
  matchWithSelfie: 2.13,
  matchWithPictureId: 1.47,
  secureFaceAs: 0.7,
  faceAs: 0.45,
  generateTemplate: 4.04,
};
const CPU_8: Column = {
  process: { upToHigh: [2.98, 2.73], bvh: [1.81, 1.03], highest: [1.81, 1.0] },
  matchWithSelfie: 4.2,
  matchWithPictureId: 3.02,
  secureFaceAs: 1.49,
  faceAs: 0.9,
  generateTemplate: 8.24,
};
const CPU_16: Column = {
  process: { upToHigh: [4.35, 5.11], bvh: [3.05, 1.76], highest: [3.05, 1.69] },
  matchWithSelfie: 8.2,
  matchWithPictureId: 5.88,
  secureFaceAs: 2.5,
  faceAs: 1.73,
  generateTemplate: 16.25,
};
const CPU_32: Column = {
  process: { upToHigh: [9.0, 7.49], bvh: [5.12, 2.95], highest: [5.12, 2.28] },
  matchWithSelfie: 15.96,
  matchWithPictureId: 11.29,
  secureFaceAs: 5.11,
  faceAs: 3.26,
  generateTemplate: 31.45,
};

// "Generally, a single GPU delivers performance equivalent 16 CPU cores"
const COLUMNS: Record<SimHardware, Column> = { "cpu-4": CPU_4, "cpu-8": CPU_8, "cpu-16": CPU_16, "cpu-32": CPU_32, gpu: CPU_16 };

export interface CapacityConfig {
  hardware: SimHardware;
  /** the device the simulated captures come from (the /process table's "Mobile / Desktop") */
  device: SimDevice;
  /** the AS level the simulated Face SDKs are configured with (asThreshold): picks the /process row */
  level: string;
  /** work already queued beyond which the server answers 503 (default 1000 ms) */
  maxQueueMs?: number;
}

function processRate(c: Column, device: SimDevice, level: string): number {
  const row = level === "HIGHEST" ? c.process.highest : level === "BALANCED_VERY_HIGH" || level === "VERY_HIGH" ? c.process.bvh : c.process.upToHigh;
  return row[device === "mobile" ? 0 : 1];
}

/** Requests per second the simulated server does for one endpoint. */
export function simRate(endpoint: SimEndpoint, cfg: CapacityConfig): number {
  const c = COLUMNS[cfg.hardware];
  switch (endpoint) {
    case "process":
      return processRate(c, cfg.device, cfg.level);
    // "fuses the capabilities of the /process and /matchWithPictureId endpoints": both pieces of work
    case "verifyWithPictureId":
      return 1 / (1 / processRate(c, cfg.device, cfg.level) + 1 / c.matchWithPictureId);
    case "secure/face/as":
      return c.secureFaceAs;
    case "face/as":
      return c.faceAs;
    case "matchWithSelfie":
      return c.matchWithSelfie;
    case "matchWithPictureId":
      return c.matchWithPictureId;
    case "face/generateTemplateFromImage":
      return c.generateTemplate;
  }
}

export interface CapacityStats {
  config: CapacityConfig | null;
  requests: number;
  /** answered 503 because too much work was queued */
  rejected: number;
  /** requests that found more than maxQueueMs of work queued (= rejected) or any wait over one request's work */
  delayed: number;
  peakQueueMs: number;
  /** most requests received within any 1-second window */
  peakRequestsPerSecond: number;
  /** the capacity for /process at the configured level and device, requests per second */
  processCapacity: number | null;
  /** most modelled requests being served at once */
  peakInFlight: number;
}

export class SimCapacity {
  private cfg: CapacityConfig | null = null;
  private queueMs = 0;
  private last = 0;
  private arrivals: number[] = [];
  private inFlight = 0;
  private stats = { requests: 0, rejected: 0, delayed: 0, peakQueueMs: 0, peakRequestsPerSecond: 0, peakInFlight: 0 };

  constructor(
    cfg: CapacityConfig | null = null,
    private readonly now: () => number = Date.now,
  ) {
    this.configure(cfg);
  }

  configure(cfg: CapacityConfig | null): void {
    this.cfg = cfg;
    this.reset();
  }

  reset(): void {
    this.queueMs = 0;
    this.last = this.now();
    this.arrivals = [];
    this.stats = { requests: 0, rejected: 0, delayed: 0, peakQueueMs: 0, peakRequestsPerSecond: 0, peakInFlight: 0 };
  }

  /** A request arrives: how long it waits for the work ahead of it, or "reject" (503). null: capacity not modelled. */
  arrive(endpoint: SimEndpoint): { waitMs: number } | "reject" | null {
    if (!this.cfg) return null;
    const t = this.now();
    this.queueMs = Math.max(0, this.queueMs - (t - this.last));
    this.last = t;
    this.stats.requests += 1;
    this.arrivals.push(t);
    while (this.arrivals.length && this.arrivals[0]! <= t - 1000) this.arrivals.shift();
    this.stats.peakRequestsPerSecond = Math.max(this.stats.peakRequestsPerSecond, this.arrivals.length);
    this.stats.peakQueueMs = Math.max(this.stats.peakQueueMs, this.queueMs);
    const cost = 1000 / simRate(endpoint, this.cfg);
    if (this.queueMs > (this.cfg.maxQueueMs ?? 1000)) {
      this.stats.rejected += 1;
      return "reject";
    }
    const waitMs = this.queueMs;
    if (waitMs > cost) this.stats.delayed += 1;
    this.queueMs += cost;
    return { waitMs };
  }

  enter(): () => void {
    this.inFlight += 1;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.inFlight);
    let done = false;
    return () => {
      if (!done) this.inFlight -= 1;
      done = true;
    };
  }

  snapshot(): CapacityStats {
    return { config: this.cfg, ...this.stats, processCapacity: this.cfg ? simRate("process", this.cfg) : null };
  }
}

/** IDENTY_SIM_CAPACITY="cpu-32:desktop:HIGH" (hardware:device:level): the sandbox models that server. */
export function capacityFromEnv(value: string | undefined): CapacityConfig | null {
  if (!value) return null;
  const [hardware, device = "desktop", level = "HIGH"] = value.split(":");
  if (!hardware || !(hardware in COLUMNS) || (device !== "mobile" && device !== "desktop")) return null;
  return { hardware: hardware as SimHardware, device, level };
}
