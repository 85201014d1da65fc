// VerificarIdentidad API 3.0: the end user gets an SMS with a link, does a video liveness
// test and shows both sides of the ID document; results arrive only by webhook.
import type { AdapterAccount, AdapterContext, AdapterVerification, HealthResult, Outcome, RequestProblem, VerificationInputData } from "../types.js";
import { defineAdapter } from "../kit/define.js";
import { parseStrict } from "../kit/settings.js";
import { manifest } from "./manifest.js";
import { isVendorError } from "../../domain/errors.js";
import { todayIso } from "../../domain/dates.js";
import { SENDER_MAX_LENGTH, SettingsSchema, type Settings } from "./schemas.js";
import { buildSendBody, getCertificate, getCredits, parseSmsPhone, resError, sendVerification, vendorError, type VerificarIdentidadAccount } from "./client.js";
import { authenticateWebhook, parseWebhook } from "./webhooks.js";
import { SMS_LINK_KIND, renormalize, smsLinkOutcome, type SmsLink } from "./outcome.js";

/**
 * Health checks call GetCreditos at most this often per account. The doc:
 *   "Empty connections: It is important to keep in mind that a repeatedly erroneous connection
 *    will be treated by the system as spam and may end up temporarily blocking the connection."
 *   "It is advisable to avoid making repeated connections with erroneous data or fast 'empty'
 *    connections (without sending anything) with the same data to obtain the number of credits or the same report."
 */
export const MIN_HEALTH_INTERVAL_MS = 15 * 60_000;

/** "[LINK] which will be replaced by the access link" */
export const LINK_PLACEHOLDER = "[LINK]";

function smsMessage(input: VerificationInputData, settings: Settings): string | undefined {
  return input.hosted?.smsMessage ?? settings.defaultMessage;
}

function smsSender(input: VerificationInputData, settings: Settings): string | undefined {
  return input.hosted?.smsSender ?? settings.defaultSender;
}

/**
 * What this vendor cannot take, found before any vendor call (the API answers it 4xx). A
 * `hosted.sendAt` (the send's `Fecha`: "Date on which the sending of the identity verification
 * request is scheduled. By default "" which means send immediately") must be in the future: a
 * past one is refused, naming the field, rather than sent as a date that already went by.
 */
export function validateRequest(input: VerificationInputData, _checks: unknown, account: AdapterAccount, at: Date = new Date()): RequestProblem[] {
  // settings that do not parse are refused (they were silently replaced by the defaults)
  return problemsAt(input, parseStrict(SettingsSchema, account.settings ?? {}), at);
}

function problemsAt(input: VerificationInputData, settings: Settings, now: Date): RequestProblem[] {
  const problems = requestProblems(input, settings);
  const sendAt = input.hosted?.sendAt;
  if (sendAt !== undefined) {
    const at = Date.parse(sendAt);
    if (Number.isNaN(at)) problems.push({ path: "hosted.sendAt", status: 400, message: "not an ISO 8601 date-time" });
    else if (at <= now.getTime()) problems.push({ path: "hosted.sendAt", status: 400, message: "is in the past: omit it to send the SMS now" });
  }
  return problems;
}

/** the problems that do not depend on the time of the check */
function requestProblems(input: VerificationInputData, settings: Settings): RequestProblem[] {
  const problems: RequestProblem[] = [];
  const phone = input.subject?.phone;
  if (!phone?.trim()) problems.push({ path: "subject.phone", status: 400, message: "required: the verification link is sent by SMS" });
  else if (!parseSmsPhone(phone, settings.defaultPhoneCountry))
    problems.push({ path: "subject.phone", status: 400, message: "not a valid mobile phone number (use the international format, e.g. +34600000001)" });
  const message = smsMessage(input, settings);
  if (message === undefined || !message.includes(LINK_PLACEHOLDER))
    problems.push({ path: "hosted.smsMessage", status: 400, message: `required, and must contain the keyword ${LINK_PLACEHOLDER}` });
  const sender = input.hosted?.smsSender;
  if (sender !== undefined && (sender.trim().length === 0 || sender.length > SENDER_MAX_LENGTH))
    problems.push({ path: "hosted.smsSender", status: 400, message: `1 to ${SENDER_MAX_LENGTH} characters` });
  return problems;
}

function recordCreditsLeft(credits: number, settings: Settings, ctx: AdapterContext): void {
  ctx.recordCredits(credits);
  if (credits < settings.lowCreditsThreshold)
    ctx.recordAccountEvent({
      type: "low_credits",
      externalId: `low_credits:${todayIso(ctx.now())}:${credits}`,
      payload: { credits, threshold: settings.lowCreditsThreshold },
    });
}

async function start(v: AdapterVerification, account: VerificarIdentidadAccount, ctx: AdapterContext): Promise<Outcome> {
  const settings = account.settings;
  // the core checked the request with validateRequest, as of its acceptance, before this start (core/request-guard.ts)
  const phone = parseSmsPhone(v.input.subject?.phone, settings.defaultPhoneCountry)!;
  const sendAt = v.input.hosted?.sendAt ? new Date(v.input.hosted.sendAt) : null;
  const body = buildSendBody({
    telefono: phone.digits,
    mensaje: smsMessage(v.input, settings)!,
    remitente: smsSender(v.input, settings) ?? null,
    dni: v.input.subject?.documentNumber?.trim() || null,
    // a scheduled SMS: "Fecha" is read as Spain local time. It was in the future when the request
    // was accepted; one that went by while the start waited for a worker is sent now (no Fecha)
    sendAt: sendAt !== null && sendAt.getTime() > ctx.now().getTime() ? sendAt : null,
  });
  const answer = await sendVerification(ctx, account, body);
  if (answer.Cred !== undefined) recordCreditsLeft(answer.Cred, settings, ctx);
  const err = resError(answer.Res, "VerificarIdentidad", false);
  if (err) throw err;
  if (!answer.ID) throw vendorError({ kind: "parse", endpoint: "VerificarIdentidad", retryable: false, message: "VerificarIdentidad: Res 1 without an ID" });
  const from = v.input.hosted?.sendAt ? Math.max(ctx.now().getTime(), Date.parse(v.input.hosted.sendAt)) : ctx.now().getTime();
  const link: SmsLink = { vendorReference: answer.ID, phone: phone.masked, expiresAt: new Date(from + settings.linkTtlHours * 3_600_000).toISOString() };
  // what renormalize needs to give this outcome again (the send answer itself names no phone nor expiry)
  ctx.recordPayload(SMS_LINK_KIND, link);
  return smsLinkOutcome(link);
}

async function runFollowUp(name: "certificate", v: AdapterVerification, account: VerificarIdentidadAccount, ctx: AdapterContext): Promise<void> {
  if (name !== "certificate") return;
  if (!v.vendorReference)
    throw vendorError({ kind: "rejected", endpoint: "GetCertificadoIdentidad", retryable: false, message: "no vendor reference to fetch a certificate for" });
  const data = await getCertificate(ctx, account, v.vendorReference);
  await ctx.saveArtifact({ kind: "certificate", contentType: "application/pdf", data });
}

const lastHealth = new Map<string, { at: number; result: HealthResult }>();

async function health(account: VerificarIdentidadAccount, ctx: AdapterContext): Promise<HealthResult> {
  const now = ctx.now().getTime();
  const cached = lastHealth.get(account.id);
  if (cached && now - cached.at < MIN_HEALTH_INTERVAL_MS)
    return { ...cached.result, detail: `${cached.result.detail} (cached: GetCreditos is called at most every ${MIN_HEALTH_INTERVAL_MS / 60_000} min)` };
  let result: HealthResult;
  try {
    const credits = await getCredits(ctx, account);
    recordCreditsLeft(credits, account.settings, ctx);
    result = { ok: true, detail: `${credits} credits left`, credits };
  } catch (e) {
    result = { ok: false, detail: isVendorError(e) ? e.message : "GetCreditos failed", credits: null };
  }
  lastHealth.set(account.id, { at: now, result });
  return result;
}

export const verificaridentidadAdapter = defineAdapter({
  manifest,
  // bump when a mapping table or a payload-to-outcome rule changes (recorded on each verification it decides)
  mappingVersion: "verificaridentidad-2026.12.3",
  minHealthIntervalMs: MIN_HEALTH_INTERVAL_MS,
  // POST /VerificarIdentidad sends the SMS: never twice for one verification
  startReachesUser: true,
  sendsSms: true,
  validateRequest: (input, _checks, settings, at) => problemsAt(input, settings, at),
  start,
  authenticateWebhook,
  parseWebhook,
  renormalize,
  runFollowUp,
  health,
});
