// What the bench needs around its measurements: child processes (the gateway, the raw baseline,
// the vendor sandbox) with their peak memory and CPU time read from /proc, databases of its own,
// the admin API, test images.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import sharp from "sharp";
import { ensureDatabase, migrate } from "../src/db/migrate.js";
import { dropDatabase } from "../test/support/gateway.js";

export { databaseUrlNamed, dropDatabase, freePort } from "../test/support/gateway.js";

export const ROOT = new URL("..", import.meta.url).pathname;
const CLOCK_TICKS = 100; // USER_HZ on Linux

export interface NodeProcess {
  name: string;
  child: ChildProcess;
  pid: number;
  /** the last lines it wrote on stderr (shown when it dies) */
  stderr: string[];
  /** starts a CPU profile (BENCH_PROFILE: only processes started with the profile hook) */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  stop(): Promise<void>;
}

/** A node process running `args` from the repository's root, stdout discarded, stderr kept, an IPC channel for the profile hook. */
export function spawnNode(name: string, args: string[], env: Record<string, string>, opts: { profileHook?: boolean; logFile?: string } = {}): NodeProcess {
  // the hook is TypeScript: tsx loads first, once
  const rest = args[0] === "--import" && args[1] === "tsx" ? args.slice(2) : args;
  const nodeArgs = opts.profileHook ? ["--import", "tsx", "--import", `${ROOT}bench/profile-hook.ts`, ...rest] : args;
  // stdout (the JSON logs) to a file: the kernel's cost, not the bench's, and there to read when something failed
  const stdout = opts.logFile ? openSync(opts.logFile, "w") : "ignore";
  const child = spawn(process.execPath, nodeArgs, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", stdout, "pipe", "ipc"] });
  if (typeof stdout === "number") closeSync(stdout);
  const stderr: string[] = [];
  child.stderr!.on("data", (d: Buffer) => {
    stderr.push(...d.toString().split("\n").filter(Boolean));
    if (stderr.length > 40) stderr.splice(0, stderr.length - 40);
  });
  const reply = (type: string) =>
    new Promise<void>((resolve, reject) => {
      const onMessage = (m: { type?: string; error?: string }) => {
        if (m.type === type) child.off("message", onMessage), resolve();
        else if (m.type === "profile:error") child.off("message", onMessage), reject(new Error(`${name}: ${m.error}`));
      };
      child.on("message", onMessage);
    });
  return {
    name,
    child,
    pid: child.pid!,
    stderr,
    async startProfile() {
      const started = reply("profile:started");
      child.send({ type: "profile:start" });
      await started;
    },
    async stopProfile(file: string) {
      const written = reply("profile:written");
      child.send({ type: "profile:stop", file });
      await written;
    },
    stop() {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), 15_000);
        child.once("exit", () => (clearTimeout(kill), resolve()));
        child.kill("SIGTERM");
      });
    },
  };
}

export async function waitForHttp(url: string, proc: NodeProcess, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (proc.child.exitCode !== null) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.stderr.join("\n")}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > until) throw new Error(`${proc.name} did not answer ${url} within ${timeoutMs} ms:\n${proc.stderr.join("\n")}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function statusMb(pid: number, field: "VmHWM" | "VmRSS"): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

/** Peak resident memory in MB since the last reset (VmHWM). */
export const peakRssMb = (pid: number) => statusMb(pid, "VmHWM");
/** Resident memory in MB now (VmRSS): a reset peak starts from it. */
export const rssMb = (pid: number) => statusMb(pid, "VmRSS");

/** Resets VmHWM to the current RSS (Linux clear_refs "5"); false where the kernel or permissions refuse. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** CPU seconds of every process whose command is `comm` (Postgres backends, redis-server), children included. */
export function cpuSecondsOfCommand(comm: string): number {
  let total = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      if (name !== comm && !name.startsWith(`${comm}:`)) continue;
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(f[11]) + Number(f[12])) / CLOCK_TICKS;
    } catch {
      /* gone meanwhile */
    }
  }
  return total;
}

/** Machine-wide busy CPU seconds (all cores) from /proc/stat, and the number of cores. */
export function machineCpu(): { busy: number; cores: number } {
  const lines = readFileSync("/proc/stat", "utf8").split("\n");
  const f = lines[0]!.split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLOCK_TICKS, cores: lines.filter((l) => /^cpu\d+ /.test(l)).length };
}

/** A fresh, migrated database (dropped first if a previous run left it). Named kyc_e2e_bench_*: the test support's dropDatabase drops it. */
export async function freshDatabase(url: string): Promise<void> {
  await dropDatabase(url);
  await ensureDatabase(url);
  await migrate(url);
}

export async function call(base: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : null;
}

/** A tenant with the given vendor accounts (default routing in that order), made through the admin API. */
export async function createTenant(
  gatewayUrl: string,
  adminToken: string,
  accounts: { vendor: string; baseUrl: string; credentials: Record<string, unknown>; settings?: Record<string, unknown> }[],
) {
  const t = await call(gatewayUrl, adminToken, "POST", "/admin/tenants", { name: `bench-${Date.now().toString(36)}` });
  const created: { id: string; vendor: string }[] = [];
  for (const a of accounts)
    created.push(await call(gatewayUrl, adminToken, "POST", `/admin/tenants/${t.id}/vendor-accounts`, { name: `${a.vendor} bench`, settings: {}, ...a }));
  await call(gatewayUrl, adminToken, "PUT", `/admin/tenants/${t.id}/routing`, { default: created.map((c) => c.id), rules: [] });
  return { tenantId: t.id as string, apiKey: t.apiKey as string, accounts: created };
}

/** A real JPEG (readable pixels, so image-size and the ShareID sandbox accept it) padded after its end marker to `bytes`. */
export async function jpegOf(bytes: number, seed = 0): Promise<Buffer> {
  const img = await sharp({ create: { width: 400, height: 300, channels: 3, background: { r: 90 + seed, g: 120, b: 150 } } })
    .jpeg({ quality: 80 })
    .toBuffer();
  if (img.length >= bytes) return img;
  const pad = Buffer.alloc(bytes - img.length);
  for (let i = 0; i < pad.length; i += 1) pad[i] = (i * 131 + seed) & 0xff;
  return Buffer.concat([img, pad]);
}

export function median(values: number[]): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  // an even count's middle pair averaged, rounded to the figures' own precision (no 1005.9000000000001)
  return s.length % 2 ? s[mid]! : Math.round(((s[mid - 1]! + s[mid]!) / 2) * 1000) / 1000;
}

export function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
