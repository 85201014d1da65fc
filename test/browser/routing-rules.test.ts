// Issue 14 points 5 and 6: routing rules edited in the console (validated by the API's own schema, audited with
// before and after), traffic run through the edited rule, and its shadow report read in the console; the
// analytics chart drawn with chart.js. A real browser (Debian's chromium) against an in-process gateway.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeJpeg } from "../support/adapter-harness.js";
import {
  createTenantWithAccounts,
  DMS_SANDBOX_DOCUMENT,
  DMS_SANDBOX_SUBJECT,
  startTestGateway,
  waitForFinal,
  waitUntil,
  type TestGateway,
} from "../support/gateway.js";
import { launchChromium, signIn, watchPage, type PageProblems } from "./helpers.js";

const DMS = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const img = (tag: string) => fakeJpeg(tag).toString("base64");

let gw: TestGateway;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let tenant: Awaited<ReturnType<typeof createTenantWithAccounts>>;

beforeAll(async () => {
  gw = await startTestGateway();
  tenant = await createTenantWithAccounts(gw, [DMS, DMS]);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  problems = watchPage(page);
  await signIn(page, gw.url, gw.env.ADMIN_TOKEN);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

const openTenant = async () => {
  await page.goto(`${gw.url}/admin#tenants`);
  await page.click(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`);
  await page.locator("#rules-editor").waitFor();
};

describe("routing rules in the console", () => {
  it("adds a rule with a shadow account; a wrong field is refused naming it; the save is audited", async () => {
    const [primary, shadow] = tenant.accounts as [{ id: string }, { id: string }];
    await openTenant();
    expect(await page.textContent("#rules-editor h3")).toContain("Routing rules (0)");
    await page.click("#rule-add");
    const rule = page.locator('fieldset.rule[data-rule="0"]');
    await rule.waitFor();
    for (const c of ["document", "liveness", "face_match"]) await rule.locator(`input[name="rule-0-check-${c}"]`).check();
    await rule.locator('input[name="rule-0-country"]').fill("E");
    await rule.locator('input[name="rule-0-country"]').dispatchEvent("change");
    await rule.locator('input[name="rule-0-accounts"]').fill(primary.id);
    await rule.locator('input[name="rule-0-accounts"]').dispatchEvent("change");
    await rule.locator('select[name="rule-0-shadow"]').selectOption(shadow.id);
    await rule.locator('input[name="rule-0-sample"]').fill("100");
    await rule.locator('input[name="rule-0-sample"]').dispatchEvent("change");
    await page.click("#rules-save");
    // the API's schema refuses a one-letter country, and says where
    await page.locator("#rules-error:not([hidden])").waitFor();
    expect(await page.textContent("#rules-error")).toContain("$.rules[0].country");

    await page.locator('input[name="rule-0-country"]').fill("ES");
    await page.locator('input[name="rule-0-country"]').dispatchEvent("change");
    await page.click("#rules-save");
    await page.locator("#rules-status.saved").waitFor();
    const routing = (await gw.db.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).routing as { rules: { id: string }[] };
    expect(routing.rules).toEqual([
      {
        id: expect.stringMatching(/^rule_/),
        checks: ["document", "liveness", "face_match"],
        country: "ES",
        accounts: [primary.id],
        shadow: { accountId: shadow.id, sampleRate: 1 },
      },
    ]);
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { entityId: tenant.tenantId, action: "routing.updated" }, orderBy: { id: "desc" } });
    expect(audit.before).toMatchObject({ rules: [] });
    expect(audit.after).toMatchObject({ rules: [{ country: "ES", shadow: { accountId: shadow.id } }] });
    expect(await page.textContent("#rules-editor h3")).toContain("Routing rules (1)");
  });

  it("runs traffic through the rule and reads its shadow report, and draws the analytics chart", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await gw.tenant(tenant.apiKey, "POST", "/v1/verifications", {
        checks: ["document", "liveness", "face_match"],
        subject: { ...DMS_SANDBOX_SUBJECT },
        document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img(`doc-${i}`) }] },
        selfie: { contentType: "image/jpeg", data: img(`selfie-${i}`) },
      });
      expect(r.status).toBe(202);
      ids.push(r.body.id);
    }
    for (const id of ids) expect(await waitForFinal(gw, tenant.apiKey, id)).toMatchObject({ status: "completed", decision: "approved" });
    await waitUntil(
      async () => (await gw.db.shadowRun.count({ where: { tenantId: tenant.tenantId, status: "done" } })) === 3 || null,
      20_000,
      "three shadow runs",
    );

    await openTenant();
    const ruleId = ((await gw.db.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } })).routing as { rules: { id: string }[] }).rules[0]!.id;
    const row = page.locator(`#shadow-report tr[data-rule-id="${ruleId}"]`);
    await row.waitFor({ timeout: 10_000 }).catch(async (e: unknown) => {
      throw new Error(`${String(e)}\n${await page.textContent("#tenant-detail")}`);
    });
    const text = (await row.textContent()) ?? "";
    expect(text).toContain("100 %");
    expect(text).toContain("approved → approved: 3");
    // the chart: one day of calls, drawn by chart.js on the canvas
    await page.locator("#analytics[data-calls]").waitFor();
    expect(Number(await page.getAttribute("#analytics", "data-calls"))).toBeGreaterThan(0);
    expect(await page.$eval("#analytics-chart", (c) => (c as unknown as { toDataURL(): string }).toDataURL().length)).toBeGreaterThan(5000);
    expect(problems.cspViolations).toEqual([]);
    expect(problems.errors).toEqual([]);
  }, 90_000);
});
