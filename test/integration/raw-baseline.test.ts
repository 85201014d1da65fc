// The bench's raw baseline (bench/raw-baseline.ts) must do the gateway's durable work, or its
// ratios say nothing: the same rows in the same tables, a verification the gateway itself reads,
// an input its workers can open, a vendor webhook stored as the gateway stores it.
import pg from "pg";
import { inboundBodyOf } from "../../src/core/at-rest.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRawBaseline, type RawBaseline } from "../../bench/raw-baseline.js";
import { openInput } from "../../src/core/verifications.js";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
let baseline: RawBaseline;
let sql: pg.Client;
let t: Awaited<ReturnType<typeof createTenantWithAccounts>>;
const WEBHOOK_AUTH = `Basic ${Buffer.from("hook-user:hook-pass").toString("base64")}`;

const image = (tag: string) => Buffer.concat([fakeJpeg(tag), Buffer.alloc(600, 3)]).toString("base64");
const body = {
  reference: "same-rows",
  checks: ["document", "liveness", "face_match"],
  subject: { firstName: "Juan", lastName: "Aparicio Lopez", documentNumber: "00000000T" },
  document: { type: "id_card", country: "ES", images: [{ side: "front", contentType: "image/jpeg", data: image("front") }] },
  selfie: { contentType: "image/jpeg", data: image("selfie") },
  metadata: { order: "A-1" },
};

async function post(base: string, path: string, payload: unknown, headers: Record<string, string>) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(payload) });
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  t = await createTenantWithAccounts(gw, [
    { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["s"] } },
    { vendor: "verificaridentidad", credentials: { apiUser: "u", apiToken: "t", webhookUser: "hook-user", webhookPassword: "hook-pass" } },
  ]);
  baseline = await startRawBaseline({ databaseUrl: gw.env.DATABASE_URL, redisUrl: gw.env.REDIS_URL, masterKey: gw.env.masterKey, prefix: gw.queues.prefix });
  sql = new pg.Client({ connectionString: gw.env.DATABASE_URL });
  await sql.connect();
});
afterAll(async () => {
  await sql?.end();
  await gw?.queues.connection.del(`${gw.queues.prefix}:baseline:submit`, `${gw.queues.prefix}:baseline:ingest`);
  await baseline?.close();
  await gw?.close();
});

async function rowsOf(id: string) {
  const one = async (q: string) => (await sql.query(q, [id])).rows;
  return {
    verification: await one(
      "SELECT tenant_id, reference, requested_checks, requested_vendor, vendor, status, metadata, document_country, route_plan, route_index, next_due_at IS NOT NULL AS due, updated_at >= created_at AS dated FROM verifications WHERE id = $1",
    ),
    inputs: await one("SELECT count(*)::int AS n FROM verification_inputs WHERE verification_id = $1"),
    events: await one("SELECT source, type, from_status, to_status, detail FROM verification_events WHERE verification_id = $1"),
    outbox: await one(
      "SELECT queue, job_id = 'submit-' || $1 AS job_id_ok, payload->>'verificationId' = $1 AS payload_ok, subject_id = $1 AS subject_ok, published_at IS NOT NULL AS published, done_at FROM outbox WHERE subject_id = $1",
    ),
  };
}

describe("the raw baseline writes what the gateway writes", () => {
  it("accepts a verification into the same rows, readable by the gateway's GET and openable by its workers", async () => {
    const auth = { authorization: `Bearer ${t.apiKey}` };
    const viaGateway = await post(gw.url, "/v1/verifications", body, auth);
    const viaBaseline = await post(baseline.url, "/v1/verifications", body, auth);
    expect(viaGateway.status).toBe(202);
    expect(viaBaseline.status).toBe(202);

    const g = await rowsOf(viaGateway.body.id);
    const b = await rowsOf(viaBaseline.body.id);
    expect(g.verification).toHaveLength(1);
    expect(b).toEqual(g);
    expect(b.inputs[0].n).toBe(1);
    expect(b.events).toEqual([expect.objectContaining({ type: "created", to_status: "pending" })]);
    expect(b.outbox).toEqual([expect.objectContaining({ queue: "submit", job_id_ok: true, payload_ok: true, subject_ok: true, published: true })]);

    // the gateway reads the baseline's verification as the baseline answered it
    const read = await gw.tenant(t.apiKey, "GET", `/v1/verifications/${viaBaseline.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(viaBaseline.body);
    const { id: _g, createdAt: _gc, updatedAt: _gu, ...gatewayShape } = viaGateway.body;
    const { id: _b, createdAt: _bc, updatedAt: _bu, ...baselineShape } = viaBaseline.body;
    expect(baselineShape).toEqual(gatewayShape);

    // the sealed inputs open to the same input
    const sealed = async (id: string) =>
      (await sql.query("SELECT payload_enc FROM verification_inputs WHERE verification_id = $1", [id])).rows[0].payload_enc as Buffer;
    const gatewayInput = openInput(gw.env.masterKey, viaGateway.body.id, await sealed(viaGateway.body.id));
    const baselineInput = openInput(gw.env.masterKey, viaBaseline.body.id, await sealed(viaBaseline.body.id));
    expect(baselineInput).toEqual(gatewayInput);
    expect(baselineInput.selfie?.data.equals(Buffer.from(body.selfie.data, "base64"))).toBe(true);

    expect(await gw.queues.connection.lrange(`${gw.queues.prefix}:baseline:submit`, 0, -1)).toEqual([`submit-${viaBaseline.body.id}`]);
  });

  it("refuses what the gateway refuses on the hot path: a bad key, bytes that are not the declared type", async () => {
    expect((await post(baseline.url, "/v1/verifications", body, { authorization: "Bearer kyc_0123456789abcdef_notthekeynotthekeynotthekey" })).status).toBe(
      401,
    );
    const png = { ...body, selfie: { contentType: "image/png", data: body.selfie.data } };
    const refused = await post(baseline.url, "/v1/verifications", png, { authorization: `Bearer ${t.apiKey}` });
    expect(refused.status).toBe(415);
    expect(refused.body.errors[0].path).toBe("$.selfie.data");
  });

  it("stores a VerificarIdentidad webhook as the gateway stores it, and refuses a wrong password", async () => {
    const account = t.accounts.find((a) => a.vendor === "verificaridentidad")!;
    const hook = { Servicio: "VERIFICACION_IDENTIDAD", ID: "299846332", Estado: "5001", FechaEnvio: "2021-10-10 10:10" };
    const path = `/hooks/verificaridentidad/${account.id}?src=bench`;
    const viaGateway = await post(gw.url, path, hook, { authorization: WEBHOOK_AUTH });
    const viaBaseline = await post(baseline.url, path, hook, { authorization: WEBHOOK_AUTH });
    expect(viaGateway).toMatchObject({ status: 200, body: { received: true } });
    expect(viaBaseline).toMatchObject({ status: 200, body: { received: true } });
    const stored = async (id: string) =>
      (
        await sql.query(
          "SELECT w.vendor, w.vendor_account_id, w.query, w.raw_body, w.status, w.next_due_at IS NOT NULL AS due, o.queue, o.payload->>'inboundWebhookId' = w.id AS payload_ok, w.headers FROM inbound_webhooks w JOIN outbox o ON o.subject_id = w.id WHERE w.id = $1",
          [id],
        )
      ).rows[0];
    const g = await stored(viaGateway.body.id);
    const b = await stored(viaBaseline.body.id);
    expect(g).toBeTruthy();
    expect(Object.keys(b.headers).sort()).toEqual(Object.keys(g.headers).sort());
    expect(b.headers.authorization).toBeUndefined();
    // both seal the raw body (its own IV each): compare what they open to
    const opened = (row: { raw_body: Buffer }, id: string) => inboundBodyOf(gw.env.keys, { id, rawBody: row.raw_body }).toString("utf8");
    expect(opened(b, viaBaseline.body.id)).toBe(opened(g, viaGateway.body.id));
    expect(Buffer.from(b.raw_body).toString("utf8")).not.toContain("299846332");
    expect({ ...b, headers: null, raw_body: null }).toEqual({ ...g, headers: null, raw_body: null });
    expect(b).toMatchObject({ queue: "ingest", payload_ok: true, query: { src: "bench" } });

    const wrong = await post(baseline.url, path, hook, { authorization: `Basic ${Buffer.from("hook-user:nope").toString("base64")}` });
    expect(wrong.status).toBe(401);
  });
});
