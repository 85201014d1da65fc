// Issue 11 points 3 and 4 in the console: who is signed in, a tenant's API keys revoked, a vendor account disabled
// and enabled again, an operator created with a token shown once, and that viewer's writes refused.
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTenantWithAccounts, startTestGateway, type TestGateway } from "../support/gateway.js";
import { launchChromium, signIn, watchPage, type PageProblems } from "./helpers.js";

let gw: TestGateway;
let browser: Browser;
let page: Page;
let problems: PageProblems;
let tenant: Awaited<ReturnType<typeof createTenantWithAccounts>>;

beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
  tenant = await createTenantWithAccounts(gw, [{ vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } }]);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1440, height: 1000 } })).newPage();
  page.on("dialog", (d) => void d.accept());
  problems = watchPage(page);
  await signIn(page, gw.url, gw.env.ADMIN_TOKEN);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

const openTenant = async (p: Page) => {
  await p.goto(`${gw.url}/admin#tenants`);
  await p.click(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`);
  await p.locator("#api-keys table").waitFor();
};

describe("credential lifecycle in the console", () => {
  it("says who is signed in", async () => {
    await page.locator("#whoami:not([hidden])").waitFor();
    expect(await page.textContent("#whoami")).toBe("Signed in as admin (admin, bootstrap token)");
  });

  it("rolls a tenant's API key: a second one, then the first revoked (refused at once)", async () => {
    await openTenant(page);
    const firstKey = (await gw.db.apiKey.findFirstOrThrow({ where: { tenantId: tenant.tenantId } })).id;
    await page.click('#tenant-detail button:has-text("New API key")');
    await page.locator("#tenant-key-box .secret").waitFor({ timeout: 5000 });
    const secondKey = (await page.textContent("#tenant-key-box .secret"))!.trim();
    await page.locator("#api-keys tr[data-key-id]").nth(1).waitFor({ timeout: 5000 });
    expect(await page.locator("#api-keys tr[data-key-id]").count()).toBe(2);
    await page.click(`#api-keys tr[data-key-id="${firstKey}"] button[data-action="revoke-key"]`);
    await page.locator(`#api-keys tr[data-key-id="${firstKey}"] .badge.bad`).waitFor({ timeout: 5000 });
    expect((await gw.tenant(tenant.apiKey, "GET", "/v1/verifications")).status).toBe(401);
    expect((await gw.tenant(secondKey, "GET", "/v1/verifications")).status).toBe(200);
    expect(await gw.db.auditLog.count({ where: { action: "api_key.revoked", entityId: tenant.tenantId } })).toBe(1);
  });

  it("disables a vendor account and enables it again", async () => {
    const accountId = (tenant.accounts[0] as { id: string }).id;
    await openTenant(page);
    await page.click(`.account-actions[data-account-id="${accountId}"] button[data-action="disable"]`);
    await page.locator(`.account-actions[data-account-id="${accountId}"] button[data-action="enable"]`).waitFor();
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: accountId } })).disabledAt).not.toBeNull();
    await page.click(`.account-actions[data-account-id="${accountId}"] button[data-action="enable"]`);
    await page.locator(`.account-actions[data-account-id="${accountId}"] button[data-action="disable"]`).waitFor();
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: accountId } })).disabledAt).toBeNull();
  });

  it("creates a viewer operator whose token signs in read-only", async () => {
    await page.click('#tabs a[data-tab="operators"]');
    await page.fill("#op-name", "vera");
    await page.selectOption("#op-role", "viewer");
    await page.click("#op-create");
    await page.locator("#op-created .secret").waitFor();
    const token = (await page.textContent("#op-created .secret"))!.trim();
    expect(token).toMatch(/^kop_/);
    expect(await page.locator("#op-list tr[data-operator-id]").count()).toBe(1);

    const viewer = await (await browser.newContext()).newPage();
    await signIn(viewer, gw.url, token);
    await viewer.locator("#whoami:not([hidden])").waitFor();
    expect(await viewer.textContent("#whoami")).toBe("Signed in as vera (viewer)");
    await openTenant(viewer);
    const accountId = (tenant.accounts[0] as { id: string }).id;
    await viewer.click(`.account-actions[data-account-id="${accountId}"] button[data-action="disable"]`);
    await viewer.locator(`.account-actions[data-account-id="${accountId}"] .form-error:not([hidden])`).waitFor();
    expect(await viewer.textContent(`.account-actions[data-account-id="${accountId}"] .form-error`)).toContain("403");
    expect((await gw.db.vendorAccount.findUniqueOrThrow({ where: { id: accountId } })).disabledAt).toBeNull();
    await viewer.close();
    expect(problems.cspViolations).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
