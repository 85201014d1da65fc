// renormalize: the outcome re-derived from the recorded identomat.result payloads (as the core
// stores them: redacted, through JSON) equals the outcome poll() returned, for every sample.
import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { identomatAdapter } from "../../../../src/adapters/identomat/index.js";
import type { AdapterVerification, Outcome, StoredVendorPayload } from "../../../../src/adapters/types.js";
import { redactPayload } from "../../../../src/core/redact.js";
import { makeAccount, makeHarness, makeVerification } from "../../../support/adapter-harness.js";
import { resultDoc } from "./result-doc.js";

const BASE = "https://identomat.vendor.test";
const TOKEN = "47fjzxvvzapi4ztasth3c2ozfucli3l0qx13hisc";
const acc = makeAccount("identomat", { baseUrl: BASE, credentials: { companyKey: "ck_test" } });

const person = {
  local_first_name: "Олександр",
  local_last_name: "Шевченко",
  first_name: "OLEKSANDR",
  last_name: "SHEVCHENKO",
  birthday: "11/25/1979",
  birthday_time: "1979-11-25T00:00:00.000Z",
  document_number: "FA123456",
  document_expires: "8/2/2031",
  document_expires_time: "2031-08-02T00:00:00.000Z",
  personal_number: "1234567890",
  issuing_state: "UKR",
  nationality: "UKR",
  sex: "M",
};
const doc = (over: Record<string, unknown> = {}) => resultDoc(person, over);
const inProgress = doc({ result: "IN_PROGRESS", live: false, similarity: 0, document_type: "", person: {} });
const manual = doc({ result: "MANUAL_CHECK", similarity: 0.62 });

/** answers of result/ in order: a body, or [status, error code] */
type Answer = Record<string, unknown> | [number, string];

const SAMPLES: [string, Answer[]][] = [
  ["APPROVED", [inProgress, doc()]],
  ["APPROVED, similarity 0.75", [doc({ similarity: 0.75 })]],
  ["APPROVED, live false", [doc({ live: false })]],
  ["APPROVED with the operator's comment", [doc({ result_comment: "verified by call" })]],
  [
    "REJECTED DOCUMENT_EXPIRED",
    [
      doc({
        result: "REJECTED",
        reject_reason: { value: "DOCUMENT_EXPIRED", description: "Expired" },
        person: { ...person, document_expires: "3/1/2020", document_expires_time: "2020-03-01T00:00:00.000Z" },
      }),
    ],
  ],
  [
    "recorded public-client rejected face_mismatch",
    [doc({ result: "rejected", similarity: 0.6550394743680953, reject_reason: { value: "face_mismatch", description: "" } })],
  ],
  ["REJECTED, reject_reason null, live false", [doc({ result: "REJECTED", live: false })]],
  ["MANUAL_CHECK", [inProgress, manual]],
  ["MANUAL_CHECK then the operator's APPROVED at 0.62", [inProgress, manual, manual, doc({ similarity: 0.62 })]],
  [
    "MANUAL_CHECK then the operator's REJECTED",
    [manual, doc({ result: "REJECTED", similarity: 0.62, reject_reason: { value: "FACE_MISMATCH", description: "" } })],
  ],
  ["DISAGREED_WITH_TERMS", [doc({ result: "DISAGREED_WITH_TERMS", live: false, similarity: 0, person: {}, document_type: "" })]],
  ["a refused poll, then APPROVED", [[400, "SESSION_NOT_FOUND"], doc()]],
];

/** poll through the answers as the pipeline would (status, decision, pollCount carried), collecting what was recorded */
async function pollAll(answers: Answer[], v: AdapterVerification): Promise<{ last: Outcome; payloads: StoredVendorPayload[] }> {
  const h = makeHarness(acc);
  let last: Outcome | null = null;
  for (const a of answers) {
    if (Array.isArray(a)) nock(BASE).post("/external-api/result/").reply(a[0], JSON.stringify(a[1]), { "content-type": "application/json" });
    else nock(BASE).post("/external-api/result/").reply(200, a);
    const out = await identomatAdapter.poll!(v, acc, h.ctx).catch(() => null);
    if (!out) continue;
    last = out;
    v.pollCount += 1;
    v.status = out.status;
    v.decision = out.status === "completed" ? out.decision : null;
  }
  if (!last) throw new Error("no outcome");
  // as the core stores them: redacted of images and credentials, through a JSON column
  const payloads = h.payloads.map((p, i) => ({
    kind: p.kind,
    body: JSON.parse(JSON.stringify(redactPayload(p.body))) as unknown,
    receivedAt: new Date(1_700_000_000_000 + i),
  }));
  return { last, payloads };
}

const verification = () =>
  makeVerification(
    { document: { type: "passport", country: "UA", images: [] }, hosted: { returnUrl: "https://tenant.example/done" } },
    ["document", "liveness", "face_match"],
    {
      vendorReference: TOKEN,
      status: "awaiting_user",
    },
  );

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe("renormalize equals poll", () => {
  it.each(SAMPLES)("%s", async (_name, answers) => {
    const v = verification();
    const { last, payloads } = await pollAll(answers, v);
    expect(last.status).toBe("completed");
    expect(payloads.every((p) => p.kind === "identomat.result")).toBe(true);
    // the core hands renormalize the verification as it stands now (completed)
    expect(identomatAdapter.renormalize!(payloads, v)).toEqual(last);
  });

  it("redaction keeps every member the mapping reads", async () => {
    const { payloads } = await pollAll([doc()], verification());
    const body = payloads[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ result: "APPROVED", live: true, similarity: 0.93, document_type: "passport", person });
  });

  it("the operator's settlement is a human decision from the payload history alone", async () => {
    const { payloads } = await pollAll([manual, doc({ similarity: 0.62 })], verification());
    // whatever the verification's current state, the earlier MANUAL_CHECK payload says it
    const fresh = makeVerification({}, ["face_match"], { vendorReference: TOKEN, status: "completed", decision: "approved" });
    expect(identomatAdapter.renormalize!(payloads, fresh)).toMatchObject({
      status: "completed",
      decision: "approved",
      humanDecision: true,
      checks: { faceMatch: { outcome: "pass", similarity: 0.62, threshold: null } },
    });
    // the last payload alone (no earlier MANUAL_CHECK) is the vendor's automatic approval
    expect(identomatAdapter.renormalize!(payloads.slice(1), fresh)).not.toHaveProperty("humanDecision");
  });

  it("the last result payload decides", () => {
    const payloads = [doc(), doc({ result: "REJECTED", reject_reason: { value: "DOCUMENT_FORGED" } })].map((body, i) => ({
      kind: "identomat.result",
      body,
      receivedAt: new Date(i),
    }));
    expect(identomatAdapter.renormalize!(payloads, verification())).toMatchObject({
      status: "completed",
      decision: "declined",
      reasons: [{ code: "document_forged" }],
    });
  });

  it("null when the payloads do not decide: none, only errors or begin/, still IN_PROGRESS, an unknown result", () => {
    const at = new Date(0);
    const v = verification();
    expect(identomatAdapter.renormalize!([], v)).toBeNull();
    expect(
      identomatAdapter.renormalize!(
        [
          { kind: "identomat.begin", body: { session_token: "[redacted]" }, receivedAt: at },
          { kind: "identomat.result", body: { error: "SESSION_INVALID" }, receivedAt: at },
        ],
        v,
      ),
    ).toBeNull();
    expect(identomatAdapter.renormalize!([{ kind: "identomat.result", body: inProgress, receivedAt: at }], v)).toBeNull();
    expect(identomatAdapter.renormalize!([{ kind: "identomat.result", body: doc({ result: "PENDING_SOMETHING" }), receivedAt: at }], v)).toBeNull();
    expect(identomatAdapter.renormalize!([{ kind: "identomat.result", body: doc({ similarity: 93 }), receivedAt: at }], v)).toBeNull();
  });
});
