// The local default: a demo tenant whose vendor accounts all point at the sandbox.
import axios from "axios";
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { ADAPTERS, VENDOR_IDS } from "../adapters/registry.js";
import { sealCredentials, webhookUrlOf } from "../core/accounts.js";
import { generateApiKey, newId } from "../domain/crypto.js";

/** The sandbox account of each vendor: its manifest's sandbox credentials. */
export const SANDBOX_CREDENTIALS = Object.fromEntries(VENDOR_IDS.map((v) => [v, ADAPTERS[v].manifest.sandbox.credentials as Record<string, unknown>])) as Record<(typeof VENDOR_IDS)[number], Record<string, unknown>>;

const sandboxUrlOf = (sandboxBaseUrl: string, vendor: string) => `${sandboxBaseUrl}${ADAPTERS[vendor as (typeof VENDOR_IDS)[number]]?.manifest.sandbox.path ?? `/${vendor}`}`;

export async function seedDemo(deps: { db: Db; env: Env; sandboxBaseUrl: string; tenantName?: string }) {
  const name = deps.tenantName ?? "Demo tenant (sandbox)";
  let tenant = await deps.db.tenant.findFirst({ where: { name }, include: { vendorAccounts: true } });
  if (!tenant) {
    const id = newId("ten");
    await deps.db.tenant.create({ data: { id, name } });
    for (const vendor of VENDOR_IDS) {
      const accountId = newId("va");
      await deps.db.vendorAccount.create({
        data: {
          id: accountId,
          tenantId: id,
          vendor,
          name: `${vendor} sandbox`,
          baseUrl: sandboxUrlOf(deps.sandboxBaseUrl, vendor),
          credentialsEnc: sealCredentials(deps.env.keys, accountId, ADAPTERS[vendor].credentials.parse(SANDBOX_CREDENTIALS[vendor])),
          settings: ADAPTERS[vendor].settings.parse({}) as Prisma.InputJsonValue,
        },
      });
    }
    tenant = await deps.db.tenant.findUniqueOrThrow({ where: { id }, include: { vendorAccounts: true } });
    const dms = tenant.vendorAccounts.find((a) => a.vendor === "dms")!;
    await deps.db.tenant.update({ where: { id }, data: { routing: { default: [dms.id], rules: [] } } });
  }
  // the sandbox may listen on another port than last time
  for (const a of tenant.vendorAccounts) {
    const baseUrl = sandboxUrlOf(deps.sandboxBaseUrl, a.vendor);
    if (a.baseUrl !== baseUrl) await deps.db.vendorAccount.update({ where: { id: a.id }, data: { baseUrl } });
    a.baseUrl = baseUrl;
  }
  // a fresh key each start: keys are stored hashed, the old one cannot be shown again
  const key = generateApiKey();
  await deps.db.apiKey.create({ data: { id: key.id, tenantId: tenant.id, keyHash: key.hash, lastFour: key.lastFour } });
  const vi = tenant.vendorAccounts.find((a) => a.vendor === "verificaridentidad");
  if (vi) {
    const creds = SANDBOX_CREDENTIALS.verificaridentidad;
    await axios
      .post(`${deps.sandboxBaseUrl}/verificaridentidad/_control/webhook-config`, { apiUser: creds.apiUser, url: webhookUrlOf(deps.env.PUBLIC_BASE_URL, "verificaridentidad", vi.id), user: creds.webhookUser, password: creds.webhookPassword, format: "json" }, { timeout: 5000 })
      .catch(() => undefined);
  }
  return { tenantId: tenant.id, apiKey: key.key, accounts: tenant.vendorAccounts.map((a) => ({ id: a.id, vendor: a.vendor, baseUrl: a.baseUrl })) };
}
