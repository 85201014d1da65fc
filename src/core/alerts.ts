// Credit and quota alerts that act (issue 14): per account, thresholds on the credits left (VerificarIdentidad
// `Cred`, `GetCreditos`) and on calls per UTC day and month (a DMS scan allowance: "Requests never block when you
// exceed it ... billed post-hoc"; an IWS licence). Evaluated by the durable sweeper. Crossing a threshold (either
// way) writes a vendor event and an audit row and sends the operations webhook; at the hard threshold the account
// leaves routing (paused), so traffic falls over to the next account before the vendor refuses or bills overage;
// when every metric is back under its hard threshold the account returns.
import type { Db } from "../db/client.js";
import { newId } from "../domain/crypto.js";
import { AlertsSchema, type Alerts } from "./accounts.js";
import { recordAccountEvent } from "./adapter-runtime.js";
import { recordAudit, SYSTEM_ACTOR } from "./audit.js";
import { enqueue } from "./jobs.js";

export type AlertLevel = "ok" | "soft" | "hard";
export type AlertMetric = keyof Alerts;
const METRICS: AlertMetric[] = ["credits", "callsPerDay", "callsPerMonth"];

/** The level of a measure against its thresholds: credits alarm when low, call counts when high. */
export function levelOf(metric: AlertMetric, value: number, t: { soft?: number; hard?: number }): AlertLevel {
  const crossed = (threshold: number | undefined) => threshold !== undefined && (metric === "credits" ? value <= threshold : value >= threshold);
  return crossed(t.hard) ? "hard" : crossed(t.soft) ? "soft" : "ok";
}

export interface AlertChange {
  accountId: string;
  metric: AlertMetric;
  from: AlertLevel;
  to: AlertLevel;
  value: number;
  threshold: number | null;
}

/** Evaluates every account that has alert thresholds; returns the level changes it acted on. */
export async function evaluateAlerts(db: Db, now = new Date()): Promise<AlertChange[]> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const accounts = await db.vendorAccount.findMany({ where: { settings: { path: ["alerts"], not: "null" } } });
  const changes: AlertChange[] = [];
  for (const account of accounts) {
    const parsed = AlertsSchema.safeParse((account.settings as Record<string, unknown>).alerts);
    if (!parsed.success) continue;
    const alerts = parsed.data;
    const counted = async (since: Date) =>
      db.vendorCall.count({ where: { vendorAccountId: account.id, createdAt: { gte: since }, httpStatus: { not: null } } });
    const values: Partial<Record<AlertMetric, number>> = {};
    if (alerts.credits && account.credits !== null) values.credits = account.credits;
    if (alerts.callsPerDay) values.callsPerDay = await counted(dayStart);
    if (alerts.callsPerMonth) values.callsPerMonth = await counted(monthStart);
    const before = (account.alertState ?? {}) as Partial<Record<AlertMetric, AlertLevel>>;
    const after: Partial<Record<AlertMetric, AlertLevel>> = { ...before };
    const accountChanges: AlertChange[] = [];
    for (const metric of METRICS) {
      const t = alerts[metric];
      const value = values[metric];
      if (!t || value === undefined) continue;
      const to = levelOf(metric, value, t);
      const from = before[metric] ?? "ok";
      after[metric] = to;
      if (to !== from)
        accountChanges.push({ accountId: account.id, metric, from, to, value, threshold: (to === "ok" ? (from === "hard" ? t.hard : t.soft) : t[to]) ?? null });
    }
    const hard = METRICS.filter((m) => after[m] === "hard");
    const pause = hard.length > 0 && account.pausedAt === null;
    const resume = hard.length === 0 && account.pausedAt !== null;
    if (accountChanges.length === 0 && !pause && !resume) continue;
    await db.$transaction(async (tx) => {
      await tx.vendorAccount.update({
        where: { id: account.id },
        data: {
          alertState: after,
          ...(pause ? { pausedAt: now, pausedReason: `hard alert threshold: ${hard.join(", ")}` } : {}),
          ...(resume ? { pausedAt: null, pausedReason: null } : {}),
          ...(hard.length && !pause ? { pausedReason: `hard alert threshold: ${hard.join(", ")}` } : {}),
        },
      });
      for (const c of accountChanges) {
        const type = c.to === "ok" ? "alert_recovered" : `alert_${c.to}`;
        const detail = { metric: c.metric, from: c.from, to: c.to, value: c.value, threshold: c.threshold };
        await recordAudit(tx, SYSTEM_ACTOR, {
          action: `vendor_account.${type}`,
          entityType: "vendor_account",
          entityId: account.id,
          before: { [c.metric]: c.from },
          after: detail,
        });
        const notification = {
          id: newId("opn"),
          type: `vendor_account.${type}`,
          accountId: account.id,
          vendor: account.vendor,
          tenantId: account.tenantId,
          ...detail,
          at: now.toISOString(),
        };
        await enqueue(tx, "notify", notification.id, { notification });
        // in the same transaction as the new level: a process dying here cannot leave a crossing without its event
        await recordAccountEvent(tx, account.id, account.vendor, type, `alert:${c.metric}:${c.to}:${now.toISOString()}`, detail);
      }
      if (pause)
        await recordAudit(tx, SYSTEM_ACTOR, {
          action: "vendor_account.paused",
          entityType: "vendor_account",
          entityId: account.id,
          before: null,
          after: { reason: `hard alert threshold: ${hard.join(", ")}` },
        });
      if (resume)
        await recordAudit(tx, SYSTEM_ACTOR, {
          action: "vendor_account.resumed",
          entityType: "vendor_account",
          entityId: account.id,
          before: { reason: account.pausedReason },
          after: null,
        });
    });
    changes.push(...accountChanges);
  }
  return changes;
}
