// A vendor account's circuit state and last health probe, shared by every gateway process through
// Redis. Each process keeps its own circuit breaker (src/core/vendor-http.ts) and publishes its
// transitions here; the health probes (periodic in a worker, on demand from the admin API) publish
// their results. Readers (the admin API, the console) read this, so an API process that never called
// a vendor sees the circuit a worker opened. The newest transition of any process is the account's
// state; a record older than one already stored is dropped, so publishes racing across processes
// cannot take the state back in time.
import type { Redis } from "ioredis";

export type CircuitStateName = "closed" | "open" | "half_open" | "isolated";

export interface SharedCircuit {
  state: CircuitStateName;
  /** when the transition happened (ISO 8601) */
  since: string;
}

export interface SharedProbe {
  ok: boolean;
  detail: string;
  checkedAt: string;
}

export interface SharedAccountHealth {
  circuit: SharedCircuit | null;
  probe: SharedProbe | null;
}

export interface AccountHealthBoard {
  /** a breaker transition; `initial` records a new breaker's closed state only where nothing is known yet */
  circuitChanged(accountId: string, state: CircuitStateName, at: Date, opts?: { initial?: boolean }): Promise<void>;
  probed(accountId: string, probe: { ok: boolean; detail: string }, at: Date): Promise<void>;
  /** what is known of each account (accounts Redis knows nothing about are absent) */
  read(accountIds: readonly string[]): Promise<Map<string, SharedAccountHealth>>;
}

// KEYS[1] the account's hash; ARGV: field, its value (JSON), its time (ms), 1 = only when absent, ttl (ms)
const PUBLISH = `
local at = redis.call('HGET', KEYS[1], ARGV[1] .. '_at')
if at and (ARGV[4] == '1' or tonumber(at) > tonumber(ARGV[3])) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], ARGV[1] .. '_at', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/** An account nobody called or probed for this long is forgotten (its next call or probe records it again). */
const RECORD_TTL_MS = 30 * 86_400_000;

const CIRCUIT_STATES: readonly string[] = ["closed", "open", "half_open", "isolated"];

function parseCircuit(raw: string | undefined): SharedCircuit | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<SharedCircuit>;
    return typeof v.state === "string" && CIRCUIT_STATES.includes(v.state) && typeof v.since === "string"
      ? { state: v.state as CircuitStateName, since: v.since }
      : null;
  } catch {
    return null;
  }
}

function parseProbe(raw: string | undefined): SharedProbe | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<SharedProbe>;
    return typeof v.ok === "boolean" && typeof v.detail === "string" && typeof v.checkedAt === "string"
      ? { ok: v.ok, detail: v.detail, checkedAt: v.checkedAt }
      : null;
  } catch {
    return null;
  }
}

export function redisAccountHealth(redis: Redis, prefix = "kyc"): AccountHealthBoard {
  const key = (accountId: string) => `${prefix}:account-health:${accountId}`;
  const publish = async (accountId: string, field: "circuit" | "probe", value: unknown, at: Date, onlyIfAbsent: boolean) => {
    await redis.eval(PUBLISH, 1, key(accountId), field, JSON.stringify(value), String(at.getTime()), onlyIfAbsent ? "1" : "0", String(RECORD_TTL_MS));
  };
  return {
    circuitChanged: (accountId, state, at, opts) => publish(accountId, "circuit", { state, since: at.toISOString() }, at, opts?.initial === true),
    // the detail is the adapter's technical summary (status, vendor code): bounded like the database column
    probed: (accountId, probe, at) => publish(accountId, "probe", { ok: probe.ok, detail: probe.detail.slice(0, 500), checkedAt: at.toISOString() }, at, false),
    async read(accountIds) {
      const out = new Map<string, SharedAccountHealth>();
      if (accountIds.length === 0) return out;
      const pipeline = redis.pipeline();
      for (const id of accountIds) pipeline.hmget(key(id), "circuit", "probe");
      const answers = (await pipeline.exec()) ?? [];
      accountIds.forEach((id, i) => {
        const [err, fields] = answers[i] ?? [null, null];
        if (err || !Array.isArray(fields)) return;
        const circuit = parseCircuit(fields[0] ?? undefined);
        const probe = parseProbe(fields[1] ?? undefined);
        if (circuit || probe) out.set(id, { circuit, probe });
      });
      return out;
    },
  };
}

/**
 * What the admin API shows of accounts: the shared view, or nothing within `timeoutMs` (Redis
 * down: the caller falls back to what it knows itself, never fails the page).
 */
export async function readSharedHealth(board: AccountHealthBoard, accountIds: readonly string[], timeoutMs = 1_000): Promise<Map<string, SharedAccountHealth>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Map<string, SharedAccountHealth>>((resolve) => (timer = setTimeout(() => resolve(new Map()), timeoutMs)));
  return Promise.race([board.read(accountIds).catch(() => new Map<string, SharedAccountHealth>()), timeout]).finally(() => clearTimeout(timer));
}

/** The account's circuit: the newest transition of any process, else this process's own breaker. */
export function circuitView(
  shared: SharedAccountHealth | undefined,
  local: CircuitStateName | "unknown",
): { circuit: CircuitStateName | "unknown"; circuitSince: string | null } {
  return shared?.circuit ? { circuit: shared.circuit.state, circuitSince: shared.circuit.since } : { circuit: local, circuitSince: null };
}

/** The newer of two probe results (the database keeps the periodic probe's; Redis also an operator's on-demand one). */
export function newestProbe(
  stored: { ok: boolean | null; detail: string | null; checkedAt: string | null },
  shared: SharedProbe | null | undefined,
): { ok: boolean | null; detail: string | null; checkedAt: string | null } {
  if (!shared) return stored;
  if (stored.checkedAt && Date.parse(stored.checkedAt) >= Date.parse(shared.checkedAt)) return stored;
  return shared;
}
