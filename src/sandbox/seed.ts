// The local default: a demo tenant whose vendor accounts all point at the sandbox.
import axios from "axios";
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { ADAPTERS } from "../adapters/registry.js";
import { sealCredentials, webhookUrlOf } from "../core/accounts.js";
import { generateApiKey, newId } from "../domain/crypto.js";
import type { VendorId } from "../domain/model.js";

export const SANDBOX_CREDENTIALS: Record<VendorId, Record<string, unknown>> = {
  dms: { apiKey: "sandbox-dms-key", webhookSecrets: ["sandbox-dms-webhook-secret"] },
  shareid: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" },
  identomat: { companyKey: "sandbox-identomat-key" },
  verificaridentidad: { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "vi-webhook", webhookPassword: "sandbox-webhook-password" },
  identy: {},
};

export async function seedDemo(deps: { db: Db; env: Env; sandboxBaseUrl: string; tenantName?: string }) {
  const name = deps.tenantName ?? "Demo tenant (sandbox)";
  let tenant = await deps.db.tenant.findFirst({ where: { name }, include: { vendorAccounts: true } });
  if (!tenant) {
    const id = newId("ten");
    await deps.db.tenant.create({ data: { id, name } });
    for (const vendor of Object.keys(ADAPTERS) as VendorId[]) {
      const accountId = newId("va");
      await deps.db.vendorAccount.create({
        data: {
          id: accountId,
          tenantId: id,
          vendor,
          name: `${vendor} sandbox`,
          baseUrl: `${deps.sandboxBaseUrl}/${vendor}`,
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
    const baseUrl = `${deps.sandboxBaseUrl}/${a.vendor}`;
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
