// Every vendor call goes through here: timeout, retry with jitter on retryable
// failures (5xx, timeouts, 429 honouring Retry-After), a circuit breaker per vendor
// account and a concurrency limit per vendor account (calls beyond it queue).
// Each HTTP attempt is reported to `onCall` (persisted as a vendor_calls row and
// metrics) with no body, header values or URL query: nothing personal.
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import axios, { type AxiosRequestConfig } from "axios";
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  bulkhead,
  circuitBreaker,
  handleWhen,
  type BulkheadPolicy,
  type CircuitBreakerPolicy,
} from "cockatiel";
import { VendorError, type VendorErrorKind } from "../domain/errors.js";
import { defaultClassify, type VendorCallRecord, type VendorHttp, type VendorRequest, type VendorResponse } from "../adapters/kit/http.js";
import type { VendorId } from "../domain/model.js";
import { SlotWaitTimeout, type AccountSlots } from "./account-slots.js";
import { localAccountRate, type AccountRate } from "./account-rate.js";
import type { AccountHealthBoard, CircuitStateName } from "./account-health.js";
import { inSpan, SpanKind } from "../observability/tracing.js";

export { defaultClassify, type VendorCallRecord, type VendorHttp, type VendorRequest, type VendorResponse };

export interface ResilienceSettings {
  concurrency: number;
  timeoutMs: number;
  maxRetries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** a Retry-After longer than this is not waited for: the call fails as rate limited */
  maxRetryAfterMs: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  /** how long a call may wait for a shared slot of its account before failing as unavailable */
  maxSlotWaitMs: number;
}

export const DEFAULT_RESILIENCE: ResilienceSettings = {
  concurrency: 8,
  timeoutMs: 20_000,
  maxRetries: 2,
  retryBaseMs: 300,
  retryMaxMs: 5_000,
  maxRetryAfterMs: 30_000,
  breakerThreshold: 5,
  breakerHalfOpenMs: 30_000,
  maxSlotWaitMs: 5 * 60_000,
};

interface AccountPolicies {
  breaker: CircuitBreakerPolicy;
  bulkhead: BulkheadPolicy;
  concurrency: number;
  /** where the breaker's transitions are told to the other processes (the first caller that has one) */
  shared: { board: AccountHealthBoard | null };
}

const policiesByAccount = new Map<string, AccountPolicies>();

/** Counts against the breaker: the vendor is down or slow, not "your request was bad". */
class VendorFault extends Error {
  constructor(readonly error: VendorError) {
    super(error.message);
  }
}

function policiesFor(accountId: string, s: ResilienceSettings, board: AccountHealthBoard | undefined): AccountPolicies {
  const existing = policiesByAccount.get(accountId);
  const policies =
    existing && existing.concurrency === s.concurrency
      ? existing
      : {
          breaker: existing?.breaker ?? newBreaker(accountId, s),
          bulkhead: bulkhead(s.concurrency, 100_000),
          concurrency: s.concurrency,
          shared: existing?.shared ?? { board: null },
        };
  policiesByAccount.set(accountId, policies);
  if (board && !policies.shared.board) {
    policies.shared.board = board;
    // a new breaker is closed: said where no process has said anything yet, never over another's transition
    void board
      .circuitChanged(accountId, stateName(policies.breaker.state), new Date(), { initial: policies.breaker.state === CircuitState.Closed })
      .catch(() => undefined);
  }
  return policies;
}

function newBreaker(accountId: string, s: ResilienceSettings): CircuitBreakerPolicy {
  const breaker = circuitBreaker(
    handleWhen((e) => e instanceof VendorFault),
    { halfOpenAfter: s.breakerHalfOpenMs, breaker: new ConsecutiveBreaker(s.breakerThreshold) },
  );
  breaker.onStateChange((state) => {
    // Redis unreachable: this process still has its breaker; the shared view catches up at the next transition
    void policiesByAccount
      .get(accountId)
      ?.shared.board?.circuitChanged(accountId, stateName(state), new Date())
      .catch(() => undefined);
  });
  return breaker;
}

function stateName(state: CircuitState): CircuitStateName {
  switch (state) {
    case CircuitState.Closed:
      return "closed";
    case CircuitState.Open:
      return "open";
    case CircuitState.HalfOpen:
      return "half_open";
    case CircuitState.Isolated:
      return "isolated";
  }
}

/** This process's own breaker state for the account ("unknown" when it never called it); other processes' is in account-health. */
export function circuitStateOf(accountId: string): CircuitStateName | "unknown" {
  const p = policiesByAccount.get(accountId);
  return p ? stateName(p.breaker.state) : "unknown";
}

export function concurrencyOf(accountId: string): { executing: number; queued: number } | null {
  const p = policiesByAccount.get(accountId);
  if (!p) return null;
  return { executing: p.concurrency - p.bulkhead.executionSlots, queued: p.bulkhead.queueSlots === Infinity ? 0 : 100_000 - p.bulkhead.queueSlots };
}

/** For tests: forget breaker and bulkhead state. */
export function resetResilience(): void {
  policiesByAccount.clear();
}

function toResponse(status: number, headers: Record<string, unknown>, body: unknown): VendorResponse {
  const rawBody = Buffer.isBuffer(body) ? body : body instanceof ArrayBuffer ? Buffer.from(body) : Buffer.from(String(body ?? ""));
  const text = rawBody.toString("utf8");
  let json: unknown;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const flatHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && v !== null) flatHeaders[k.toLowerCase()] = String(v);
  return { status, headers: flatHeaders, rawBody, text, json };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Vendor hosts are the operators' choice and may well be private (a self-hosted IDENTY Web Server on the internal
// network), so the tenant-webhook guard does not apply. What no vendor is: the cloud metadata service and
// link-local addresses, the unspecified address, multicast and reserved space. The sockets check the very addresses
// they connect to, so a vendor host renamed to 169.254.169.254 (DNS rebinding) is refused at connect time.
const neverVendor = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["169.254.0.0", 16],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  neverVendor.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  neverVendor.addSubnet(net, prefix, "ipv6");

/** Whether a vendor call may connect to this address (IPv4-mapped IPv6 judged by its IPv4 address). */
export function vendorAddressAllowed(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return !neverVendor.check(mapped[1]!, "ipv4");
  return !neverVendor.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");
}

const vendorLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
    if (err) return callback(err, "", 4);
    if (addresses.length === 0 || addresses.some((a) => !vendorAddressAllowed(a.address))) {
      const e = Object.assign(new Error("connection refused: the vendor host resolves to a link-local, metadata or reserved address"), {
        code: "EBLOCKED",
      }) as NodeJS.ErrnoException;
      return callback(e, "", 4);
    }
    if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};
const vendorAgents = { http: new http.Agent({ lookup: vendorLookup, keepAlive: false }), https: new https.Agent({ lookup: vendorLookup, keepAlive: false }) };

export interface CreateVendorHttpOptions {
  vendor: VendorId;
  vendorAccountId: string;
  verificationId: string | null;
  settings?: Partial<ResilienceSettings>;
  onCall?: (record: VendorCallRecord) => void;
  /** the same concurrency limit across every gateway process (Redis); without it the limit is per process */
  sharedSlots?: AccountSlots;
  /** the account's call rate across every gateway process (Redis), for requests that carry `costMs` */
  sharedRate?: AccountRate;
  /** the account key of the shared slots and rate, when this client's own key differs (the IDENTY SDK proxy) */
  sharedKey?: string;
  /** where this account's circuit transitions are published for the other processes (Redis) */
  healthBoard?: AccountHealthBoard;
  /** the request id of the work making the calls, recorded with each */
  requestId?: string | null;
}

// while Redis is unreachable the rate still holds in this process
const localRate = localAccountRate();

export function createVendorHttp(opts: CreateVendorHttpOptions): VendorHttp {
  const s: ResilienceSettings = { ...DEFAULT_RESILIENCE, ...stripUndefined(opts.settings ?? {}) };
  const policies = policiesFor(opts.vendorAccountId, s, opts.healthBoard);

  // one span per HTTP attempt: ids, vendor, endpoint label, status and outcome (no URL, header or body)
  const attemptOnce = (req: VendorRequest, attempt: number): Promise<VendorResponse> =>
    inSpan(
      `vendor ${opts.vendor} ${req.endpoint}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          "kyc.vendor": opts.vendor,
          "kyc.vendor_account_id": opts.vendorAccountId,
          "kyc.vendor.endpoint": req.endpoint,
          "kyc.attempt": attempt,
          ...(opts.verificationId ? { "kyc.verification_id": opts.verificationId } : {}),
          ...(opts.requestId ? { "kyc.request_id": opts.requestId } : {}),
        },
      },
      (span) =>
        attemptTraced(req, attempt, (r) => {
          if (r.httpStatus !== null) span.setAttribute("http.response.status_code", r.httpStatus);
          span.setAttribute("kyc.outcome", r.outcome);
          if (r.errorKind) span.setAttribute("kyc.error_kind", r.errorKind);
        }),
    );

  async function attemptTraced(req: VendorRequest, attempt: number, onReport: (r: VendorCallRecord) => void): Promise<VendorResponse> {
    const classify = req.classify ?? defaultClassify(opts.vendor, req.endpoint);
    const started = performance.now();
    let httpStatus: number | null = null;
    const report = (outcome: "ok" | "error", errorKind: VendorErrorKind | null) => {
      const record: VendorCallRecord = {
        vendor: opts.vendor,
        vendorAccountId: opts.vendorAccountId,
        verificationId: opts.verificationId,
        endpoint: req.endpoint,
        httpStatus,
        latencyMs: Math.round(performance.now() - started),
        attempt,
        outcome,
        errorKind,
        requestId: opts.requestId ?? null,
      };
      onReport(record);
      opts.onCall?.(record);
    };
    let res: VendorResponse;
    try {
      const timeoutMs = req.timeoutMs ?? s.timeoutMs;
      // an address written in the URL is connected to without a lookup: checked here
      const literal = new URL(req.url).hostname.replace(/^\[|\]$/g, "");
      if (isIP(literal) && !vendorAddressAllowed(literal))
        throw Object.assign(new Error("connection refused: the vendor host is a link-local, metadata or reserved address"), { code: "EBLOCKED" });
      const config: AxiosRequestConfig = {
        method: req.method ?? "POST",
        url: req.url,
        headers: req.headers,
        data: req.data,
        responseType: "arraybuffer",
        validateStatus: () => true,
        signal: AbortSignal.timeout(timeoutMs),
        timeout: timeoutMs,
        maxBodyLength: 64 * 1024 * 1024,
        maxContentLength: 64 * 1024 * 1024,
        maxRedirects: 0,
        transformResponse: [(d: unknown) => d],
        httpAgent: vendorAgents.http,
        httpsAgent: vendorAgents.https,
      };
      const r = await axios.request(config);
      httpStatus = r.status;
      res = toResponse(r.status, r.headers as Record<string, unknown>, r.data);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const timedOut =
        code === "ECONNABORTED" ||
        code === "ERR_CANCELED" ||
        code === "ETIMEDOUT" ||
        (e as Error).name === "AbortError" ||
        (e as Error).name === "CanceledError";
      // a host the gateway may never reach is its configuration's fault: technical, never retried
      const blockedHost = code === "EBLOCKED";
      const err = new VendorError({
        kind: timedOut ? "timeout" : blockedHost ? "rejected" : "unavailable",
        vendor: opts.vendor,
        endpoint: req.endpoint,
        retryable: !blockedHost,
        message: timedOut
          ? `no answer from vendor within the timeout (${req.endpoint})`
          : blockedHost
            ? "vendor host refused: a link-local, metadata or reserved address (EBLOCKED)"
            : `vendor unreachable (${code ?? "network error"})`,
      });
      report("error", err.kind);
      throw new VendorFault(err);
    }
    const err = classify(res);
    if (err) {
      report("error", err.kind);
      if (err.kind === "unavailable" || err.kind === "timeout") throw new VendorFault(err);
      throw err;
    }
    report("ok", null);
    return res;
  }

  return {
    async call(req: VendorRequest): Promise<VendorResponse> {
      const maxAttempts = req.retry === false ? 1 : s.maxRetries + 1;
      for (let attempt = 1; ; attempt++) {
        let error: VendorError;
        try {
          return await policies.bulkhead.execute(async () => {
            // the in-process bulkhead queues first; the shared slot keeps other processes in the count
            const sharedKey = opts.sharedKey ?? opts.vendorAccountId;
            // a slot is held while waiting for the rate (below): the lease covers that wait too, at most one
            // share per slot of the account ahead of this one
            const rateWaitMs = req.costMs !== undefined && opts.sharedRate ? Math.ceil(s.concurrency * req.costMs) : 0;
            const release = opts.sharedSlots
              ? await opts.sharedSlots
                  .acquire(sharedKey, s.concurrency, (req.timeoutMs ?? s.timeoutMs) + 5_000 + rateWaitMs, s.maxSlotWaitMs)
                  // Redis unreachable: the per-process limit still holds; a lost shared count is better than no call
                  .catch((e: unknown) => (e instanceof SlotWaitTimeout ? Promise.reject(e) : null))
              : null;
            try {
              // slot first, then the rate: the few callers holding a slot take consecutive moments of the schedule
              if (req.costMs !== undefined && opts.sharedRate) {
                const wait = await opts.sharedRate.reserve(sharedKey, req.costMs).catch(() => localRate.reserve(sharedKey, req.costMs!));
                if (wait > 0) await sleep(wait);
              }
              return await policies.breaker.execute(() => attemptOnce(req, attempt));
            } finally {
              // not waited for (issue 13: a Redis round trip between every vendor answer and its outcome): the release
              // goes out on the slots' connection ahead of any later acquire on it, and a lost one lapses with its lease
              if (release) void release().catch(() => undefined);
            }
          });
        } catch (e) {
          if (e instanceof VendorFault) error = e.error;
          else if (e instanceof VendorError) error = e;
          else if (e instanceof BrokenCircuitError)
            throw new VendorError({
              kind: "unavailable",
              vendor: opts.vendor,
              endpoint: req.endpoint,
              retryable: true,
              message: "circuit open: vendor account failing, call not attempted",
            });
          else if (e instanceof SlotWaitTimeout)
            throw new VendorError({
              kind: "unavailable",
              vendor: opts.vendor,
              endpoint: req.endpoint,
              retryable: true,
              message: "vendor account busy: no free call slot in time",
            });
          else if (e instanceof BulkheadRejectedError)
            throw new VendorError({
              kind: "unavailable",
              vendor: opts.vendor,
              endpoint: req.endpoint,
              retryable: true,
              message: "vendor account call queue full",
            });
          else throw e;
        }
        if (!error.retryable || attempt >= maxAttempts) throw error;
        const backoff = Math.min(s.retryMaxMs, s.retryBaseMs * 2 ** (attempt - 1));
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        if (error.retryAfterMs !== null && error.retryAfterMs > s.maxRetryAfterMs) throw error;
        await sleep(Math.max(jittered, error.retryAfterMs ?? 0));
      }
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The client for a vendor route's calls (the IDENTY SDK proxy): on its own breaker/bulkhead key
 * (`<account>#<route>`), so that browser traffic never resizes the account's processing bulkhead, but in
 * the account's in-flight limit and call rate shared with every process.
 */
export function vendorRouteHttp(vendor: VendorId, route: string, shared: { slots?: AccountSlots; rate?: AccountRate } = {}) {
  return (call: { accountId: string; verificationId: string; concurrency: number; maxRetries: number; timeoutMs?: number }): VendorHttp =>
    createVendorHttp({
      vendor,
      vendorAccountId: `${call.accountId}#${route}`,
      sharedKey: call.accountId,
      sharedSlots: shared.slots,
      sharedRate: shared.rate,
      verificationId: call.verificationId,
      settings: { concurrency: call.concurrency, maxRetries: call.maxRetries, ...(call.timeoutMs ? { timeoutMs: call.timeoutMs } : {}) },
    });
}
