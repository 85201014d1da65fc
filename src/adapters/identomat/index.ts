// Identomat hosted widget (../shared/vendors/identomat.txt): begin/ gives a session_token, the end
// user is redirected to the widget, result/ is polled until the result leaves IN_PROGRESS
// ("No result webhook is documented: poll"), delete/ erases the session data.
import type { AdapterContext, AdapterVerification, HealthResult, Outcome, RequestProblem, VerificationInputData } from "../types.js";
import { defineAdapter } from "../kit/define.js";
import { manifest } from "./manifest.js";
import { toAlpha2, toAlpha3 } from "../../domain/countries.js";
import { isVendorError, type VendorError } from "../../domain/errors.js";
import { reason, type CheckName } from "../../domain/model.js";
import {
  accountConfig,
  callIdentomat,
  errorFromCode,
  languageFlagOf,
  vendorError,
  widgetUrlFor,
  type IdentomatAccount,
  type IdentomatAccountConfig,
} from "./client.js";
import { DOCUMENT_TYPE_OUT, type ERROR_CODES } from "./mapping.js";
import { RESULT_PAYLOAD_KIND, completedOutcome, mapInputOf, mapResult, renormalizeResults } from "./outcome.js";
import { BeginAnswerSchema, DeleteAnswerSchema, IdentomatSettingsSchema, ResultAnswerSchema, type IdentomatSettings } from "./schemas.js";

/** every setting's default: what the schedule helpers read where an account says nothing */
const DEFAULT_SETTINGS: IdentomatSettings = IdentomatSettingsSchema.parse({});

const VENDOR = "identomat" as const;
const MINUTE_MS = 60_000;

// ---------------------------------------------------------------------------
// pure helpers the pipeline (and the tests) can call

/**
 * Delay before the next result/ call once `pollCount` polls have been made (0 right after begin/):
 * the account's schedule (default 5s, 10s, 20s, 30s, then 60s), stretched so that `activePolls`
 * sessions of one account polled together stay within settings.maxPollsPerMinute.
 */
export function nextPollDelayMs(pollCount: number, settings: Partial<IdentomatSettings> = {}, load: { activePolls?: number } = {}): number {
  const s = { ...DEFAULT_SETTINGS, ...settings };
  const schedule = s.pollScheduleSeconds;
  const index = Math.min(Math.max(0, Math.floor(pollCount)), schedule.length - 1);
  const scheduled = Math.round(schedule[index]! * 1000);
  return Math.max(scheduled, pollBudgetDelayMs(load.activePolls ?? 1, s.maxPollsPerMinute));
}

/** The smallest per-session delay that keeps `activePolls` sessions under `maxPollsPerMinute` calls a minute. */
export function pollBudgetDelayMs(activePolls: number, maxPollsPerMinute: number): number {
  const sessions = Math.max(1, Math.floor(activePolls));
  return Math.ceil((sessions * MINUTE_MS) / Math.max(1, maxPollsPerMinute));
}

/** Past this, a session still IN_PROGRESS is `expired` with `user_abandoned`: token life + margin. */
export function expiresAtOf(createdAt: Date, settings: Partial<IdentomatSettings> = {}): Date {
  const s = { ...DEFAULT_SETTINGS, ...settings };
  return new Date(createdAt.getTime() + (s.sessionTtlMinutes + s.expiryMarginMinutes) * MINUTE_MS);
}

/**
 * The begin/ `flags`: the account's settings.flags, overridden by what this request says
 * (liveness from the checks, language, return_url, document_types, document_countries).
 * Steps the requested checks do not need are skipped.
 */
export function buildFlags(input: VerificationInputData, checks: CheckName[], settings: Pick<IdentomatSettings, "flags">): Record<string, unknown> {
  const derived: Record<string, unknown> = { liveness: checks.includes("liveness") };
  const language = languageFlagOf(input.hosted?.language);
  if (language) derived.language = language;
  if (input.hosted?.returnUrl) derived.return_url = input.hosted.returnUrl;
  const documentType = input.document?.type ? DOCUMENT_TYPE_OUT[input.document.type] : null;
  if (documentType) derived.document_types = [documentType];
  // "Limit document scanning by country codes. Possible item values: "USA", "DEU", "ITA""
  const alpha3 = toAlpha3(toAlpha2(input.document?.country));
  if (alpha3) derived.document_countries = [alpha3];
  // face match compares the selfie with the document portrait: it needs both steps
  if (!checks.includes("document") && !checks.includes("face_match")) derived.skip_document = true;
  if (!checks.includes("liveness") && !checks.includes("face_match")) derived.skip_face = true;
  return { ...settings.flags, ...derived };
}

export function buildBeginParams(input: VerificationInputData, checks: CheckName[], settings: IdentomatSettings): Record<string, unknown> {
  const params: Record<string, unknown> = { flags: buildFlags(input, checks, settings) };
  if (settings.steps) params.steps = settings.steps;
  if (settings.configId) params.config_id = settings.configId;
  return params;
}

// ---------------------------------------------------------------------------

function parseError(endpoint: string, message: string): VendorError {
  return vendorError({ kind: "parse", retryable: false, endpoint, message });
}

function redirectTo(cfg: IdentomatAccountConfig, token: string) {
  return { type: "redirect" as const, url: widgetUrlFor(cfg, token) };
}

function validateRequest(input: VerificationInputData): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const country = input.document?.country;
  if (country && !toAlpha3(toAlpha2(country))) {
    problems.push({ path: "document.country", message: "not an ISO 3166-1 country Identomat can restrict the scan to", status: 422 });
  }
  const returnUrl = input.hosted?.returnUrl;
  if (returnUrl) {
    let valid = false;
    try {
      valid = ["http:", "https:"].includes(new URL(returnUrl).protocol);
    } catch {
      valid = false;
    }
    if (!valid) problems.push({ path: "hosted.returnUrl", message: "must be an http(s) URL", status: 400 });
  }
  return problems;
}

async function start(v: AdapterVerification, account: IdentomatAccount, ctx: AdapterContext): Promise<Outcome> {
  const cfg = accountConfig(account);
  const answer = await callIdentomat(ctx, cfg, "begin", buildBeginParams(v.input, v.checks, cfg.settings));
  if (answer.errorCode) {
    ctx.recordPayload("identomat.begin", { error: answer.errorCode });
    throw errorFromCode(answer.errorCode, "begin", answer.httpStatus);
  }
  const parsed = BeginAnswerSchema.safeParse(answer.json);
  const token = parsed.success ? parsed.data.trim() : "";
  if (!/^[A-Za-z0-9_-]{8,256}$/.test(token)) throw parseError("begin", "identomat begin answer holds no session_token");
  ctx.recordPayload("identomat.begin", { session_token: token });
  return {
    status: "awaiting_user",
    nextAction: redirectTo(cfg, token),
    vendorReference: token,
    pollAfterMs: nextPollDelayMs(0, cfg.settings),
    // the deadline counts from the session's creation (now), not the verification's: it may have waited for a worker
    expiresAt: expiresAtOf(ctx.now(), cfg.settings),
    step: "session_created",
  };
}

async function poll(v: AdapterVerification, account: IdentomatAccount, ctx: AdapterContext): Promise<Outcome> {
  const cfg = accountConfig(account);
  const token = v.vendorReference;
  if (!token) throw vendorError({ kind: "rejected", retryable: false, endpoint: "result", message: "no identomat session_token to poll" });
  const answer = await callIdentomat(ctx, cfg, "result", { session_token: token });
  const now = ctx.now();
  // the deadline the store kept from the session's creation (older rows: from the verification's)
  const expiresAt = v.sessionExpiresAt ?? expiresAtOf(v.createdAt, cfg.settings);
  const sessionCreatedAt = expiresAt.getTime() - (cfg.settings.sessionTtlMinutes + cfg.settings.expiryMarginMinutes) * MINUTE_MS;

  if (answer.errorCode) {
    ctx.recordPayload(RESULT_PAYLOAD_KIND, { error: answer.errorCode });
    const tokenDead = now.getTime() >= sessionCreatedAt + cfg.settings.sessionTtlMinutes * MINUTE_MS;
    // the token outlived its 15 minutes before the user finished: the user abandoned the widget
    if (answer.errorCode === "SESSION_INVALID" && tokenDead && v.status !== "completed") {
      return {
        status: "expired",
        reasons: [reason("user_abandoned", VENDOR, "SESSION_INVALID", "the session token expired before the user finished")],
        vendorReference: token,
      };
    }
    throw errorFromCode(answer.errorCode, "result", answer.httpStatus);
  }

  const parsed = ResultAnswerSchema.safeParse(answer.json);
  if (!parsed.success) throw parseError("result", "identomat result answer does not match the documented format");
  // the whole answer as received (questionnaires, screeningMatches, every person member, configId...)
  // is what renormalize reads back and what the tenant's vendor-data shows (redaction keeps every member it needs)
  ctx.recordPayload(RESULT_PAYLOAD_KIND, answer.json);

  // polled again after a MANUAL_CHECK reported as review: an APPROVED/REJECTED now is the vendor's operator
  const settlesReview = v.status === "completed" && v.decision === "review";
  const mapped = mapResult(parsed.data, mapInputOf(v, cfg.settings, settlesReview));

  if (mapped.status === "awaiting_user") {
    // IN_PROGRESS covers "undergoing check or has quit the process before completion": nothing
    // in the answer tells a submitted session from an open widget, so it stays awaiting_user
    if (now.getTime() > expiresAt.getTime()) {
      return {
        status: "expired",
        reasons: [reason("user_abandoned", VENDOR, "IN_PROGRESS", "the user did not finish the identification in time")],
        vendorReference: token,
      };
    }
    return {
      status: "awaiting_user",
      nextAction: redirectTo(cfg, token),
      vendorReference: token,
      pollAfterMs: nextPollDelayMs(v.pollCount + 1, cfg.settings),
      expiresAt,
      step: "IN_PROGRESS",
    };
  }
  return completedOutcome(mapped, token);
}

const ERASE_REPORTED_CODES: ReadonlySet<string> = new Set(["SESSION_NOT_FOUND", "SESSION_INVALID"] satisfies (keyof typeof ERROR_CODES)[]);

async function erase(v: AdapterVerification, account: IdentomatAccount, ctx: AdapterContext): Promise<{ ok: boolean; detail: string }> {
  const token = v.vendorReference;
  if (!token) return { ok: true, detail: "no identomat session was created: nothing to delete" };
  const cfg = accountConfig(account);
  const answer = await callIdentomat(ctx, cfg, "delete", { session_token: token });
  if (answer.errorCode) {
    ctx.recordPayload("identomat.delete", { error: answer.errorCode });
    if (ERASE_REPORTED_CODES.has(answer.errorCode)) return { ok: false, detail: `identomat answered ${answer.errorCode}` };
    throw errorFromCode(answer.errorCode, "delete", answer.httpStatus);
  }
  const parsed = DeleteAnswerSchema.safeParse(answer.json);
  if (!parsed.success) throw parseError("delete", "identomat delete answer does not match the documented format");
  // the answer holds "all the information about the deleted session": keeping it would undo the
  // erasure, so only the non-personal outcome is recorded
  const result = typeof parsed.data === "string" ? parsed.data : (parsed.data.result ?? null);
  ctx.recordPayload("identomat.delete", { deleted: true, result });
  return { ok: true, detail: "identomat deleted the session data" };
}

async function health(account: IdentomatAccount, ctx: AdapterContext): Promise<HealthResult> {
  try {
    const cfg = accountConfig(account);
    // a result/ call for a token that cannot exist: the company_key check comes first
    const answer = await callIdentomat(ctx, cfg, "result", { session_token: "gateway-health-check" });
    if (answer.errorCode === "SESSION_NOT_FOUND" || answer.errorCode === "SESSION_INVALID") return { ok: true, detail: "company_key accepted" };
    if (answer.errorCode) return { ok: false, detail: `identomat answered ${answer.errorCode}` };
    return { ok: true, detail: "identomat answered" };
  } catch (e) {
    return { ok: false, detail: isVendorError(e) ? e.message : "identomat health check failed" };
  }
}

export const identomatAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "identomat-2026.12.3",
  renormalize: (payloads, v) => renormalizeResults(payloads, v),
  validateRequest: (input) => validateRequest(input),
  start,
  poll,
  erase,
  health,
});
