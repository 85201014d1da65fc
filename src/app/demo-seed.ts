// The local default: a demo tenant whose vendor accounts all point at the sandbox.
import axios from "axios";
import type { Prisma } from "../generated/prisma/client.js";
import type { Db } from "../db/client.js";
import type { Env } from "../config/env.js";
import { ADAPTERS, VENDOR_IDS } from "../adapters/registry.js";
import { sealCredentials, webhookUrlOf } from "../core/accounts.js";
import { generateApiKey, newId } from "../domain/crypto.js";

/** The sandbox account of each vendor: its manifest's sandbox credentials. */
export const SANDBOX_CREDENTIALS = Object.fromEntries(
  VENDOR_IDS.map((v) => [v, ADAPTERS[v].manifest.sandbox.credentials as Record<string, unknown>]),
) as Record<(typeof VENDOR_IDS)[number], Record<string, unknown>>;

const sandboxUrlOf = (sandboxBaseUrl: string, vendor: string) =>
  `${sandboxBaseUrl}${ADAPTERS[vendor as (typeof VENDOR_IDS)[number]]?.manifest.sandbox.path ?? `/${vendor}`}`;

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
    // the registry's first vendor serves by default
    const first = tenant.vendorAccounts.find((a) => a.vendor === VENDOR_IDS[0])!;
    await deps.db.tenant.update({ where: { id }, data: { routing: { default: [first.id], rules: [] } } });
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
  // what a simulator needs to know of its account (its manifest says)
  for (const a of tenant.vendorAccounts) {
    const sandbox = ADAPTERS[a.vendor as (typeof VENDOR_IDS)[number]]?.manifest.sandbox;
    const setup = sandbox?.setup?.({ webhookUrl: webhookUrlOf(deps.env.PUBLIC_BASE_URL, a.vendor, a.id), credentials: sandbox.credentials });
    if (setup) await axios.post(`${a.baseUrl}${setup.path}`, setup.body, { timeout: 5000 }).catch(() => undefined);
  }
  return { tenantId: tenant.id, apiKey: key.key, accounts: tenant.vendorAccounts.map((a) => ({ id: a.id, vendor: a.vendor, baseUrl: a.baseUrl })) };
}
