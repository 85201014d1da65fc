// Personal data at rest and key rotation, against the real Postgres: the raw columns hold no name
// or document number; `rekey` moves every ciphertext to a new key (resumable, idempotent) and seals
// rows written before encryption at rest; after it the old key can go and everything still reads.
import { createCipheriv, randomBytes } from "node:crypto";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAdapterContext } from "../../src/core/adapter-runtime.js";
import { toAdapterAccount } from "../../src/core/accounts.js";
import { checksOf, eventPayloadOf } from "../../src/core/at-rest.js";
import { decryptJson, masterKeyId, sealedKeyId } from "../../src/domain/crypto.js";
import { rekey, REKEYED_TABLES } from "../../src/core/rekey.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { signHillogy } from "../../src/adapters/dms/webhooks.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  startWebhookReceiver,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";

let gw: TestGateway;
const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const img = (tag: string) => fakeJpeg(tag).toString("base64");
const request = () => ({
  checks: ["document", "liveness", "face_match"],
  subject: { ...DMS_SANDBOX_SUBJECT, phone: "+34600000001" },
  document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
  selfie: { contentType: "image/jpeg", data: img("selfie") },
});
// what the DMS sandbox's document says (names, number, date of birth), in the forms a column could hold it
const PERSONAL = [DMS_SANDBOX_SUBJECT.firstName, "García", "garc\\u00eda", DMS_SANDBOX_SUBJECT.documentNumber, DMS_SANDBOX_SUBJECT.dateOfBirth].map((p) =>
  p.toLowerCase(),
);
const PDF = Buffer.from(`%PDF-1.4 certificate of ${DMS_SANDBOX_SUBJECT.firstName} ${DMS_SANDBOX_SUBJECT.documentNumber}`);

async function waitFinal(apiKey: string, id: string) {
  return waitUntil(
    async () => {
      const r = await gw.tenant(apiKey, "GET", `/v1/verifications/${id}`);
      return ["completed", "failed", "expired", "cancelled"].includes(r.body.status) ? r.body : null;
    },
    20_000,
    `verification ${id} to finish`,
  );
}

/** Every raw column that can hold personal data or a secret, as Postgres returns it, as text. */
async function rawColumns(): Promise<Record<string, string>> {
  const q = (sql: string) =>
    gw.db.$queryRawUnsafe<{ t: string | null }[]>(sql).then((rows) =>
      rows
        .map((r) => r.t ?? "")
        .join("\n")
        .toLowerCase(),
    );
  return {
    "verifications.checks": await q(`SELECT checks::text || coalesce(checks_enc, '') AS t FROM verifications`),
    "webhook_events.payload": await q(`SELECT payload::text || coalesce(payload_enc, '') AS t FROM webhook_events`),
    "vendor_payloads.body": await q(`SELECT body AS t FROM vendor_payloads`),
    "verification_artifacts.data": await q(`SELECT encode(data, 'escape') AS t FROM verification_artifacts`),
    "verification_inputs.payload_enc": await q(`SELECT encode(payload_enc, 'escape') AS t FROM verification_inputs`),
    "vendor_accounts.credentials_enc": await q(`SELECT credentials_enc AS t FROM vendor_accounts`),
  };
}

/** The key ids every ciphertext column is under (null: plaintext or a v1 ciphertext). */
async function keyIdsInUse(): Promise<Set<string | null>> {
  const ids = new Set<string | null>();
  const add = (rows: { c: string | Uint8Array | null }[]) => {
    for (const r of rows) if (r.c !== null) ids.add(sealedKeyId(r.c));
  };
  add(await gw.db.$queryRawUnsafe(`SELECT credentials_enc AS c FROM vendor_accounts`));
  add(await gw.db.$queryRawUnsafe(`SELECT secrets_enc AS c FROM webhook_endpoints`));
  add(await gw.db.$queryRawUnsafe(`SELECT payload_enc AS c FROM verification_inputs`));
  add(await gw.db.$queryRawUnsafe(`SELECT checks_enc AS c FROM verifications WHERE checks_enc IS NOT NULL`));
  add(await gw.db.$queryRawUnsafe(`SELECT payload_enc AS c FROM webhook_events WHERE payload_enc IS NOT NULL`));
  add(await gw.db.$queryRawUnsafe(`SELECT body AS c FROM vendor_payloads`));
  add(await gw.db.$queryRawUnsafe(`SELECT data AS c FROM verification_artifacts`));
  add(await gw.db.$queryRawUnsafe(`SELECT raw_body AS c FROM inbound_webhooks WHERE length(raw_body) > 0`));
  return ids;
}

let tenant: Awaited<ReturnType<typeof createTenantWithAccounts>>;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
let done: any;
const KEY_A = Buffer.from("0000000000000000000000000000000000000000000000000000000000000001", "hex"); // vitest.config.ts MASTER_KEY
const KEY_B = randomBytes(32);
const KEY_C = randomBytes(32);

beforeAll(async () => {
  gw = await startTestGateway();
  expect(gw.env.keys.current.equals(KEY_A)).toBe(true);
  tenant = await createTenantWithAccounts(gw, [DMS]);
  rx = await startWebhookReceiver();
  const ep = await gw.tenant(tenant.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url });
  rx.setSecrets([ep.body.secret]);
  const created = await gw.tenant(tenant.apiKey, "POST", "/v1/verifications", request());
  done = await waitFinal(tenant.apiKey, created.body.id);
  await rx.waitFor((r) => r.json.type === "verification.completed");
  // a certificate, as the VerificarIdentidad follow-up stores one
  const account = toAdapterAccount(gw.env.keys, gw.env.PUBLIC_BASE_URL, await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: tenant.accounts[0].id } }));
  const { ctx } = buildAdapterContext({ db: gw.db, env: gw.env, log: pino({ level: "silent" }) }, account, done.id);
  await ctx.saveArtifact!({ kind: "certificate", contentType: "text/html", data: PDF });
}, 60_000);
afterAll(async () => {
  await rx?.close();
  await gw?.close();
});

describe("personal data at rest", () => {
  it("the API answers the document fields, the delivered webhook carries them, and no raw column holds them", async () => {
    expect(done.status).toBe("completed");
    expect(done.checks.document.fields).toMatchObject({ firstName: expect.stringMatching(/^carlos$/i), documentNumber: DMS_SANDBOX_SUBJECT.documentNumber });
    const hook = rx.received.find((r) => r.json.type === "verification.completed")!;
    expect(hook.json.data.checks.document.fields.documentNumber).toBe(DMS_SANDBOX_SUBJECT.documentNumber);
    expect(rx.verify(rx.received.indexOf(hook))).toBe(true);
    const vendorData = await gw.tenant(tenant.apiKey, "GET", `/v1/verifications/${done.id}/vendor-data`);
    expect(vendorData.body.data.length).toBeGreaterThan(0);
    expect(JSON.stringify(vendorData.body)).toContain(DMS_SANDBOX_SUBJECT.documentNumber);

    const raw = await rawColumns();
    for (const [column, text] of Object.entries(raw)) {
      expect(text.length, column).toBeGreaterThan(0);
      for (const p of PERSONAL) expect(text, `${column} holds ${p}`).not.toContain(p);
    }
    expect(raw["verification_artifacts.data"]).not.toContain("%pdf");
  });

  it("what stays in clear: outcomes and scores, document type and country; fields empty, no session", async () => {
    const [row] = await gw.db.$queryRawUnsafe<{ checks: any; checks_enc: string }[]>(`SELECT checks, checks_enc FROM verifications WHERE id = $1`, done.id);
    expect(row!.checks.document).toMatchObject({ outcome: "pass", type: DMS_SANDBOX_DOCUMENT.type, country: DMS_SANDBOX_DOCUMENT.country, fields: {} });
    expect(row!.checks.faceMatch.similarity).toBe(done.checks.faceMatch.similarity);
    expect(row!.checks_enc.startsWith("v2.")).toBe(true);
    const events = await gw.db.webhookEvent.findMany({ where: { verificationId: done.id } });
    const completed = events.find((e) => e.type === "verification.completed")!;
    expect((completed.payload as any).data.checks.document.fields).toEqual({});
    expect((completed.payload as any).data.decision).toBe("approved");
    expect((eventPayloadOf(gw.env.keys, completed) as any).data.checks.document.fields.firstName).toBe(done.checks.document.fields.firstName);
  });

  it("the certificate is served decrypted, as application/pdf (never the vendor's type) with nosniff", async () => {
    const res = await fetch(`${gw.url}/v1/verifications/${done.id}/certificate`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/pdf");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await res.arrayBuffer()).equals(PDF)).toBe(true);
  });
});

describe("vendor webhooks' raw bodies", () => {
  it("are sealed from receipt until ingested (a legacy plaintext one still ingests), then emptied", async () => {
    await gw.stopWorkers();
    try {
      const send = async (deliveryId: string) => {
        const body = JSON.stringify({
          event: "test",
          deliveryId,
          timestamp: new Date().toISOString(),
          data: { name: DMS_SANDBOX_SUBJECT.firstName, documentNumber: DMS_SANDBOX_SUBJECT.documentNumber },
        });
        const ts = Math.floor(Date.now() / 1000);
        const res = await fetch(tenant.accounts[0].webhookUrl, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "x-hillogy-delivery-id": deliveryId,
            "x-hillogy-timestamp": String(ts),
            "x-hillogy-signature": `t=${ts},v1=${signHillogy("dms-secret-one", ts, body)}`,
          },
          body,
        });
        expect(res.status).toBe(200);
        return { id: ((await res.json()) as { id: string }).id, body };
      };
      const sealed = await send(`sealed-${Date.now()}`);
      const legacy = await send(`legacy-${Date.now()}`);
      await gw.db.$executeRawUnsafe(`UPDATE inbound_webhooks SET raw_body = $1 WHERE id = $2`, Buffer.from(legacy.body), legacy.id);
      const [row] = await gw.db.$queryRawUnsafe<{ t: string; raw_body: Uint8Array }[]>(
        `SELECT lower(encode(raw_body, 'escape')) AS t, raw_body FROM inbound_webhooks WHERE id = $1`,
        sealed.id,
      );
      for (const p of PERSONAL) expect(row!.t).not.toContain(p);
      expect(sealedKeyId(row!.raw_body)).toBe(masterKeyId(gw.env.keys.current));
    } finally {
      gw.startWorkers();
    }
    await waitUntil(
      async () => (await gw.db.inboundWebhook.count({ where: { vendorAccountId: tenant.accounts[0].id, status: { not: "processed" } } })) === 0,
      15_000,
      "ingested",
    );
    const hooks = await gw.db.inboundWebhook.findMany({ where: { vendorAccountId: tenant.accounts[0].id } });
    expect(hooks.length).toBe(2);
    expect(hooks.every((h) => h.rawBody.length === 0 && h.error === null)).toBe(true);
    expect(await gw.db.vendorEvent.count({ where: { vendorAccountId: tenant.accounts[0].id, type: "test" } })).toBe(2);
  });
});

describe("rekey", () => {
  it("A to B: every ciphertext moves to B, a second run changes nothing, and without A everything still reads", async () => {
    expect(await keyIdsInUse()).toEqual(new Set([masterKeyId(KEY_A)]));
    gw.env.keys = { current: KEY_B, previous: [KEY_A] };
    const first = await rekey({ db: gw.db, keys: gw.env.keys });
    expect(Object.keys(first)).toEqual(REKEYED_TABLES);
    for (const table of [
      "vendor_accounts",
      "webhook_endpoints",
      "verification_inputs",
      "verifications",
      "webhook_events",
      "vendor_payloads",
      "verification_artifacts",
    ]) {
      expect(first[table]!.rekeyed, table).toBeGreaterThan(0);
      expect(first[table]!.unreadable, table).toBe(0);
    }
    expect(await keyIdsInUse()).toEqual(new Set([masterKeyId(KEY_B)]));
    const second = await rekey({ db: gw.db, keys: gw.env.keys });
    expect(Object.values(second).reduce((n, c) => n + c.rekeyed, 0)).toBe(0);

    gw.env.keys = { current: KEY_B, previous: [] };
    const again = await gw.tenant(tenant.apiKey, "GET", `/v1/verifications/${done.id}`);
    expect(again.body).toEqual(done);
    const cert = await fetch(`${gw.url}/v1/verifications/${done.id}/certificate`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(Buffer.from(await cert.arrayBuffer()).equals(PDF)).toBe(true);
    // credentials (the vendor call), the sealed input, the webhook secret (a signed delivery): all under B only
    const next = await gw.tenant(tenant.apiKey, "POST", "/v1/verifications", request());
    const v = await waitFinal(tenant.apiKey, next.body.id);
    expect(v).toMatchObject({ status: "completed", decision: "approved" });
    const hook = await rx.waitFor((r) => r.json.data?.id === v.id && r.json.type === "verification.completed");
    expect(rx.verify(rx.received.indexOf(hook))).toBe(true);
    expect(hook.json.data.checks.document.fields.documentNumber).toBe(DMS_SANDBOX_SUBJECT.documentNumber);
  }, 60_000);

  it("a run stopped after one batch is run again and completes; a key not configured is reported, not guessed", async () => {
    gw.env.keys = { current: KEY_C, previous: [KEY_B] };
    await expect(rekey({ db: gw.db, keys: gw.env.keys }, { batchSize: 1, onBatch: () => Promise.reject(new Error("killed")) })).rejects.toThrow("killed");
    const halfway = await keyIdsInUse();
    expect(halfway).toEqual(new Set([masterKeyId(KEY_B), masterKeyId(KEY_C)]));
    const rerun = await rekey({ db: gw.db, keys: gw.env.keys }, { batchSize: 1 });
    expect(rerun.vendor_accounts!.rekeyed).toBe(0); // its one row was the batch the stopped run committed
    expect(Object.values(rerun).reduce((n, c) => n + c.rekeyed, 0)).toBeGreaterThan(0);
    expect(await keyIdsInUse()).toEqual(new Set([masterKeyId(KEY_C)]));
    expect(Object.values(await rekey({ db: gw.db, keys: gw.env.keys })).reduce((n, c) => n + c.rekeyed, 0)).toBe(0);
    // C dropped too early (MASTER_KEY_PREVIOUS forgot it): every row is reported unreadable and left as it is
    const before = (await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: tenant.accounts[0].id } })).credentialsEnc;
    const blind = await rekey({ db: gw.db, keys: { current: randomBytes(32), previous: [] } });
    expect(blind.vendor_accounts).toMatchObject({ scanned: 1, rekeyed: 0, unreadable: 1 });
    expect(blind.verifications!.unreadable).toBeGreaterThan(0);
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: tenant.accounts[0].id } })).credentialsEnc).toBe(before);
    gw.env.keys = { current: KEY_C, previous: [] };
  }, 60_000);

  it("rows from before encryption at rest (plaintext JSON, a plaintext PDF, a v1 credential) still read, and rekey seals them", async () => {
    const keys = gw.env.keys;
    const row = await gw.db.verification.findUniqueOrThrow({ where: { id: done.id } });
    const fullChecks = checksOf(keys, row);
    const events = await gw.db.webhookEvent.findMany({ where: { verificationId: done.id } });
    const payloads = await gw.db.vendorPayload.findMany({ where: { verificationId: done.id } });
    const account = await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: tenant.accounts[0].id } });
    const creds = decryptJson(keys, account.credentialsEnc, `vendor-account:${account.id}`);
    // as the previous release wrote them
    await gw.db.$executeRawUnsafe(`UPDATE verifications SET checks = $1::jsonb, checks_enc = NULL WHERE id = $2`, JSON.stringify(fullChecks), done.id);
    for (const e of events)
      await gw.db.$executeRawUnsafe(
        `UPDATE webhook_events SET payload = $1::jsonb, payload_enc = NULL WHERE id = $2`,
        JSON.stringify(eventPayloadOf(keys, e)),
        e.id,
      );
    const { vendorPayloadOf } = await import("../../src/core/at-rest.js");
    for (const p of payloads)
      await gw.db.$executeRawUnsafe(`UPDATE vendor_payloads SET body = $1 WHERE id = $2`, JSON.stringify(vendorPayloadOf(keys, p)), p.id);
    await gw.db.$executeRawUnsafe(`UPDATE verification_artifacts SET data = $1 WHERE verification_id = $2`, PDF, done.id);
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", keys.current, iv);
    c.setAAD(Buffer.from(`vendor-account:${account.id}`));
    const ct = Buffer.concat([c.update(JSON.stringify(creds)), c.final()]);
    await gw.db.vendorAccount.update({
      where: { id: account.id },
      data: { credentialsEnc: `v1.${Buffer.concat([Buffer.from([1]), iv, c.getAuthTag(), ct]).toString("base64url")}` },
    });
    expect(Object.values(await rawColumns()).join("\n")).toContain(DMS_SANDBOX_SUBJECT.documentNumber.toLowerCase());

    const legacy = await gw.tenant(tenant.apiKey, "GET", `/v1/verifications/${done.id}`);
    expect(legacy.body).toEqual(done);
    const vendorData = await gw.tenant(tenant.apiKey, "GET", `/v1/verifications/${done.id}/vendor-data`);
    expect(JSON.stringify(vendorData.body)).toContain(DMS_SANDBOX_SUBJECT.documentNumber);
    const cert = await fetch(`${gw.url}/v1/verifications/${done.id}/certificate`, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
    expect(Buffer.from(await cert.arrayBuffer()).equals(PDF)).toBe(true);

    const report = await rekey({ db: gw.db, keys });
    expect(report.verifications!.rekeyed).toBe(1);
    expect(report.webhook_events!.rekeyed).toBeGreaterThanOrEqual(1);
    expect(report.vendor_payloads!.rekeyed).toBe(payloads.length);
    expect(report.verification_artifacts!.rekeyed).toBe(1);
    expect(report.vendor_accounts!.rekeyed).toBe(1);
    const raw = await rawColumns();
    for (const [column, text] of Object.entries(raw)) for (const p of PERSONAL) expect(text, `${column} holds ${p}`).not.toContain(p);
    expect(await keyIdsInUse()).toEqual(new Set([masterKeyId(keys.current)]));
    expect((await gw.tenant(tenant.apiKey, "GET", `/v1/verifications/${done.id}`)).body).toEqual(done);
  });

  it("erasure deletes the ciphertexts: no sealed checks or events are left, the clear parts stay", async () => {
    const erased = await gw.tenant(tenant.apiKey, "DELETE", `/v1/verifications/${done.id}/personal-data`);
    expect(erased.status).toBe(200);
    expect(erased.body.checks.document).toMatchObject({ outcome: "pass", fields: {} });
    const [row] = await gw.db.$queryRawUnsafe<{ checks_enc: string | null }[]>(`SELECT checks_enc FROM verifications WHERE id = $1`, done.id);
    expect(row!.checks_enc).toBeNull();
    const sealedEvents = await gw.db.$queryRawUnsafe<{ n: bigint }[]>(
      `SELECT count(*) AS n FROM webhook_events WHERE verification_id = $1 AND payload_enc IS NOT NULL`,
      done.id,
    );
    expect(Number(sealedEvents[0]!.n)).toBe(0);
    expect(await gw.db.verificationArtifact.count({ where: { verificationId: done.id } })).toBe(0);
  });
});
