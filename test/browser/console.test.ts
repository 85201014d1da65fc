// The operations console at /admin in a real browser (Debian's chromium through
// playwright-core), against an in-process gateway on the real Postgres and Redis
// with the vendor sandbox. Also: the console's headers and the admin-only endpoints.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { fakeJpeg } from "../support/adapter-harness.js";
import { createTenantWithAccounts, DMS_SANDBOX_DOCUMENT, startTestGateway, startWebhookReceiver, waitUntil, type TestGateway } from "../support/gateway.js";
import { launchChromium, signIn, watchPage, type PageProblems } from "./helpers.js";

const GOOD = { vendor: "dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["dms-secret-one"] } };
const OTHER = { vendor: "dms", credentials: { apiKey: "sk_test_other", webhookSecrets: ["dms-secret-other"] } };
const img = (tag: string) => fakeJpeg(tag).toString("base64");

let gw: TestGateway;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: PageProblems;
let rx: Awaited<ReturnType<typeof startWebhookReceiver>>;
let tenant: Awaited<ReturnType<typeof createTenantWithAccounts>>;
let goodId: string;
let otherId: string;
let verificationId: string;
let endpointId: string;

beforeAll(async () => {
  gw = await startTestGateway();
  tenant = await createTenantWithAccounts(gw, [GOOD, OTHER]);
  goodId = tenant.accounts[0].id;
  otherId = tenant.accounts[1].id;
  rx = await startWebhookReceiver();
  const ep = await gw.tenant(tenant.apiKey, "POST", "/v1/webhook-endpoints", { url: rx.url, events: ["verification.completed"] });
  expect(ep.status).toBe(201);
  endpointId = ep.body.id;
  const created = await gw.tenant(tenant.apiKey, "POST", "/v1/verifications", {
    reference: "console-test",
    checks: ["document", "liveness", "face_match"],
    document: { ...DMS_SANDBOX_DOCUMENT, images: [{ side: "front", contentType: "image/jpeg", data: img("doc") }] },
    selfie: { contentType: "image/jpeg", data: img("selfie") },
  });
  expect(created.status).toBe(202);
  verificationId = created.body.id;
  await rx.waitFor((r) => r.json.type === "verification.completed" && r.json.data.id === verificationId, 25_000);
  await waitUntil(() => gw.db.webhookDelivery.findFirst({ where: { endpointId, status: "succeeded" } }), 10_000, "the delivery to be marked succeeded");
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  page = await context.newPage();
  problems = watchPage(page);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await rx?.close();
  await gw?.close();
});

describe("console assets", () => {
  it("serves the page at /admin and /admin/ without auth, with a strict CSP and no inline script", async () => {
    for (const path of ["/admin", "/admin/"]) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^text\/html/);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await res.text();
      expect(html).toContain('<script src="/admin/console.js" defer></script>');
      // every <script> has a src; no inline handlers or style attributes
      expect(html.match(/<script\b[^>]*>/g)!.every((tag) => /\bsrc="/.test(tag))).toBe(true);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/https?:\/\//);
    }
    const js = await fetch(`${gw.url}/admin/console.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toMatch(/javascript/);
    const source = await js.text();
    expect(source).not.toMatch(/\.innerHTML|outerHTML|insertAdjacentHTML|document\.write|localStorage|eval\(/);
    const css = await fetch(`${gw.url}/admin/console.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toMatch(/^text\/css/);
  });

  it("does not shadow the admin API: other /admin paths still need the token", async () => {
    for (const path of ["/admin/tenants", "/admin/console.js/", "/admin/console.html", "/admin/index.html", "/admin/queues"]) {
      const res = await fetch(`${gw.url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get("content-type")).toMatch(/application\/problem\+json/);
    }
  });
});

describe("admin ops endpoints", () => {
  const endpoints: [string, string][] = [
    ["GET", "/admin/vendors"],
    ["GET", "/admin/verifications"],
    ["GET", "/admin/verifications/ver_x"],
    ["GET", "/admin/verifications/ver_x/events"],
    ["GET", "/admin/queues"],
    ["GET", "/admin/vendor-accounts"],
    ["GET", "/admin/webhook-deliveries"],
    ["POST", "/admin/webhook-deliveries/dlv_x/replay"],
  ];

  it.each(endpoints)("%s %s answers 401 without the admin token, and with a wrong one", async (method, path) => {
    const none = await fetch(`${gw.url}${path}`, { method });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { title: string }).title).toBe("Unauthorized");
    const wrong = await gw.tenant("not-the-admin-token-at-all", method, path);
    expect(wrong.status).toBe(401);
    // a tenant API key is not an admin token either
    const tenantKey = await gw.tenant(tenant.apiKey, method, path);
    expect(tenantKey.status).toBe(401);
  });

  it("validates queries with problem+json field paths and 404s unknown ids", async () => {
    const bad = await gw.admin("GET", "/admin/verifications?status=bogus&limit=0");
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["$.limit", "$.status"]);
    const badDlv = await gw.admin("GET", "/admin/webhook-deliveries?status=done");
    expect(badDlv.status).toBe(400);
    expect(badDlv.body.errors[0].path).toBe("$.status");
    expect((await gw.admin("GET", "/admin/verifications/ver_nope/events")).status).toBe(404);
    expect((await gw.admin("POST", "/admin/webhook-deliveries/dlv_nope/replay")).status).toBe(404);
  });

  it("lists verifications as the public resource plus tenantId, never the personal input", async () => {
    const r = await gw.admin("GET", `/admin/verifications?tenantId=${tenant.tenantId}`);
    expect(r.status).toBe(200);
    expect(r.body.data).toHaveLength(1);
    expect(r.body.data[0]).toMatchObject({
      id: verificationId,
      tenantId: tenant.tenantId,
      status: "completed",
      decision: "approved",
      vendor: "dms",
      reference: "console-test",
    });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(img("doc").slice(0, 40));
    expect(text).not.toContain("subject");
    const events = await gw.admin("GET", `/admin/verifications/${verificationId}/events`);
    expect(events.body.data.map((e: { toStatus: string }) => e.toStatus)).toEqual(["pending", "completed"]);
    expect(events.body.vendorCalls.length).toBeGreaterThanOrEqual(3);
  });

  it("reports per-account health over 15 minutes, queues and the outbox backlog", async () => {
    const accounts = await gw.admin("GET", `/admin/vendor-accounts?tenantId=${tenant.tenantId}`);
    const good = accounts.body.data.find((a: { id: string }) => a.id === goodId);
    expect(good).toMatchObject({ vendor: "dms", tenant: { id: tenant.tenantId }, circuit: "closed" });
    expect(good.last15Minutes.calls).toBeGreaterThanOrEqual(3);
    expect(good.last15Minutes.errorRate).toBe(0);
    expect(good.last15Minutes.p95LatencyMs).toBeGreaterThanOrEqual(0);
    const other = accounts.body.data.find((a: { id: string }) => a.id === otherId);
    expect(other.last15Minutes).toMatchObject({ calls: 0, p95LatencyMs: null });
    const q = await gw.admin("GET", "/admin/queues");
    expect(q.status).toBe(200);
    expect(q.body.queues.map((x: { name: string }) => x.name)).toEqual([
      "submit",
      "poll",
      "ingest",
      "deliver",
      "followup",
      "erase",
      "maintenance",
      "shadow",
      "notify",
    ]);
    expect(q.body.queues.every((x: { counts: Record<string, number> | null }) => x.counts && typeof x.counts.waiting === "number")).toBe(true);
    expect(typeof q.body.outbox.backlog).toBe("number");
  });
});

describe("console in the browser", () => {
  it("a wrong admin token shows an error and no data", async () => {
    const ctx = await browser.newContext();
    try {
      const p = await ctx.newPage();
      const pageProblems = watchPage(p);
      await p.goto(`${gw.url}/admin`);
      await p.fill("#token", "definitely-not-the-admin-token");
      await p.click("#login-form button[type=submit]");
      await p.locator("#login-error").waitFor({ state: "visible" });
      expect(await p.textContent("#login-error")).toContain("refused");
      expect(await p.isVisible("#tabs")).toBe(false);
      expect(await p.isVisible("#view-tenants")).toBe(false);
      expect(await p.locator("#tenant-list tr").count()).toBe(0);
      expect(await p.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
      expect(await p.content()).not.toContain(tenant.tenantId);
      expect(pageProblems.cspViolations).toEqual([]);
      expect(pageProblems.errors).toEqual([]);
    } finally {
      await ctx.close();
    }
  });

  it("signs in with the admin token, kept in sessionStorage only, never in the URL", async () => {
    await signIn(page, gw.url, gw.env.ADMIN_TOKEN);
    expect(page.url()).not.toContain(gw.env.ADMIN_TOKEN);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toEqual([gw.env.ADMIN_TOKEN]);
  });

  it("shows the tenant and switches its default vendor account order (routing + audit log)", async () => {
    await page.goto(`${gw.url}/admin#tenants`);
    await page.locator(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`).waitFor();
    await page.fill("#tenant-filter", tenant.tenantId);
    expect(await page.locator("#tenant-list tbody tr").count()).toBe(1);
    await page.click(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`);
    const order = () => page.$$eval("#route-list li[data-account-id]", (lis) => lis.map((li) => li.getAttribute("data-account-id")));
    await page.locator("#route-list").waitFor();
    expect(await order()).toEqual([goodId, otherId]);
    // credentials are shown masked, never the stored key
    const accountsText = await page.textContent("#tenant-detail");
    expect(accountsText).not.toContain("sandbox-dms-key");
    expect(accountsText).not.toContain("sk_test_other");
    expect(accountsText).toContain("apiKey: ••••");
    expect(await page.isDisabled("#route-save")).toBe(true);

    await page.click(`#route-list li[data-account-id="${otherId}"] button[data-action="primary"]`);
    expect(await order()).toEqual([otherId, goodId]);
    expect(await page.textContent("#route-status")).toContain("Unsaved");
    await page.click("#route-save");
    await page.locator("#route-status.saved").waitFor();
    await page.screenshot({ path: "/tmp/console.png", fullPage: true });

    const row = await gw.db.tenant.findUniqueOrThrow({ where: { id: tenant.tenantId } });
    expect(row.routing).toEqual({ default: [otherId, goodId], rules: [] });
    const audit = await gw.db.auditLog.findFirstOrThrow({
      where: { entityType: "tenant", entityId: tenant.tenantId, action: "routing.updated" },
      orderBy: { id: "desc" },
    });
    expect(audit.actor).toBe("admin");
    expect(audit.before).toMatchObject({ default: [goodId, otherId] });
    expect(audit.after).toMatchObject({ default: [otherId, goodId] });
    // the tenant list shows the new primary vendor account
    expect(await page.textContent(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`)).toContain(tenant.accounts[1].name);

    // and the audit log screen shows that change
    await page.click('#tabs a[data-tab="audit"]');
    const auditRow = page.locator(`#audit-list tr[data-audit-id="${audit.id.toString()}"]`);
    await auditRow.waitFor();
    expect(await auditRow.textContent()).toContain("routing.updated");
  });

  it("shows the tenant's decision policy and saves a new version (policy history + audit log)", async () => {
    await page.click('#tabs a[data-tab="tenants"]');
    await page.click(`#tenant-list tr[data-tenant-id="${tenant.tenantId}"]`);
    await page.click("#policy-panel summary");
    await page.locator("#policy-form").waitFor();
    expect(await page.inputValue("#pol-min-age")).toBe("18");
    expect(await page.inputValue("#pol-date_of_birth_mismatch")).toBe("decline");
    expect(await page.textContent("#policy-status")).toContain("Version 1");
    await page.fill("#pol-min-age", "21");
    await page.fill("#pol-countries", "es, pt");
    await page.selectOption("#pol-liveness", "HIGH");
    await page.selectOption("#pol-first_name_mismatch", "decline");
    await page.click("#policy-save");
    await page.locator("#policy-status.saved").waitFor();
    expect(await page.textContent("#policy-status")).toContain("version 2");
    const api = await gw.admin("GET", `/admin/tenants/${tenant.tenantId}/policy`);
    expect(api.body).toMatchObject({
      version: 2,
      minimumAge: 21,
      acceptedCountries: ["ES", "PT"],
      requiredLivenessLevel: "HIGH",
      onMismatch: { first_name_mismatch: "decline", last_name_mismatch: "review" },
    });
    const history = await gw.db.tenantPolicy.findMany({ where: { tenantId: tenant.tenantId }, orderBy: { version: "asc" } });
    expect(history.map((h) => h.version)).toEqual([2]);
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { entityId: tenant.tenantId, action: "policy.updated" } });
    expect(audit.before).toMatchObject({ version: 1, minimumAge: 18 });
    expect(audit.after).toMatchObject({ version: 2, minimumAge: 21 });
    // back to the defaults for the screens that follow
    await gw.admin("PUT", `/admin/tenants/${tenant.tenantId}/policy`, {
      minimumAge: 18,
      acceptedCountries: null,
      requiredLivenessLevel: null,
      onMismatch: { first_name_mismatch: "review" },
    });
  });

  it("creates a tenant showing the API key once and renders hostile names as text", async () => {
    await page.click('#tabs a[data-tab="tenants"]');
    await page.fill("#tenant-filter", "");
    const hostile = `<img src=x onerror="window.__xss=1">-${Date.now()}`;
    await page.fill("#tenant-name", hostile);
    await page.click("#tenant-create button[type=submit]");
    await page.locator("#new-api-key").waitFor();
    const key = (await page.textContent("#new-api-key"))!.trim();
    const created = await gw.db.tenant.findFirstOrThrow({ where: { name: hostile } });
    const listed = await gw.tenant(key, "GET", "/v1/verifications");
    expect(listed.status).toBe(200);
    expect(await page.evaluate(() => (globalThis as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator("#tenant-detail img").count()).toBe(0);
    expect(await page.textContent("#tenant-detail h2")).toBe(hostile);
    expect(await page.locator(`#tenant-list tr[data-tenant-id="${created.id}"]`).count()).toBe(1);

    // a vendor account through the vendor picker and the credentials box; shown masked after
    await page.click("#add-account summary");
    await page.selectOption("#acct-vendor", "dms");
    await page.fill("#acct-name", "DMS backup");
    await page.fill("#acct-baseurl", `${gw.sandboxUrl}/dms`);
    await page.fill("#acct-credentials", JSON.stringify({ apiKey: "sk_test_console_secret", webhookSecrets: ["whs-console"] }));
    await page.click("#add-account button[type=submit]");
    await page.locator("#tenant-detail tr[data-account-id]").waitFor();
    const acct = await gw.db.vendorAccount.findFirstOrThrow({ where: { tenantId: created.id } });
    expect(acct).toMatchObject({ vendor: "dms", name: "DMS backup" });
    const detail = await page.textContent("#tenant-detail");
    expect(detail).not.toContain("sk_test_console_secret");
    expect(detail).toContain("apiKey: ••••");
    expect(await page.inputValue("#acct-credentials")).not.toContain("sk_test_console_secret");
  });

  it("lists the verification as completed and opens its event log", async () => {
    await page.click('#tabs a[data-tab="verifications"]');
    await page.fill("#ver-tenant", tenant.tenantId);
    await page.selectOption("#ver-status", "completed");
    const row = page.locator(`#ver-list tr[data-verification-id="${verificationId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("completed");
    expect(await row.textContent()).toContain("approved");
    await row.click();
    await page.locator("#ver-events li").first().waitFor();
    expect(await page.textContent("#ver-detail-status")).toBe("completed");
    const events = await page.$$eval("#ver-events li", (lis) => lis.map((li) => li.textContent ?? ""));
    expect(events).toHaveLength(2);
    expect(events[0]).toContain("api");
    expect(events[0]).toContain("pending");
    expect(events[1]).toContain("completed");
    // a filter that excludes it
    await page.selectOption("#ver-status", "failed");
    await page.locator("#ver-list .empty").waitFor();
  });

  it("shows vendor health for the DMS account with its calls", async () => {
    await page.click('#tabs a[data-tab="health"]');
    await page.fill("#health-tenant", tenant.tenantId);
    await page.press("#health-tenant", "Enter");
    const row = page.locator(`#health-list tr[data-account-id="${goodId}"]`);
    await row.waitFor();
    const cells = await row.locator("td").allTextContents();
    expect(cells[0]).toContain("dms");
    expect(cells[2]).toContain("closed");
    expect(Number(cells[3])).toBeGreaterThanOrEqual(3);
    expect(cells[4]).toContain("0 %");
    expect(cells[6]).toMatch(/^\d+ ms$/);
    expect(await page.locator(`#health-list tr[data-account-id="${otherId}"] td`).nth(3).textContent()).toBe("0");
  });

  it("shows the queues with their depths and the outbox backlog", async () => {
    await page.click('#tabs a[data-tab="queues"]');
    await page.locator('#queues-list tr[data-queue="submit"]').waitFor();
    const queues = await page.$$eval("#queues-list tr[data-queue]", (trs) => trs.map((tr) => tr.getAttribute("data-queue")));
    expect(queues).toEqual(["submit", "poll", "ingest", "deliver", "followup", "erase", "maintenance", "shadow", "notify"]);
    const submit = await page.locator('#queues-list tr[data-queue="submit"] td').allTextContents();
    expect(submit.slice(1, 7).every((c) => /^\d+$/.test(c))).toBe(true);
    expect(submit[7]).toBe("running");
    expect(await page.textContent("#queues-stats")).toMatch(/Outbox backlog\s*\d+/);
    expect(await page.textContent("#queues-stats")).toContain("ready");
  });

  it("replays a webhook delivery: a new attempt row, an audit row", async () => {
    const delivery = await gw.db.webhookDelivery.findFirstOrThrow({ where: { endpointId, status: "succeeded" }, include: { attempts: true } });
    expect(delivery.attempts).toHaveLength(1);
    const before = rx.received.length;
    await page.click('#tabs a[data-tab="deliveries"]');
    await page.fill("#dlv-tenant", tenant.tenantId);
    await page.press("#dlv-tenant", "Enter");
    const row = page.locator(`#dlv-list tr[data-delivery-id="${delivery.id}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("succeeded");
    expect(await row.locator(".attempt-count").textContent()).toBe("1");
    await row.locator('button[data-action="replay"]').click();
    const attempts = await waitUntil(
      async () => {
        const n = await gw.db.webhookAttempt.count({ where: { deliveryId: delivery.id } });
        return n >= 2 ? n : null;
      },
      15_000,
      "the replayed attempt",
    );
    expect(attempts).toBe(2);
    await rx.waitFor(() => rx.received.length > before);
    // the list refreshes itself and shows the second attempt
    await page.locator(`#dlv-list tr[data-delivery-id="${delivery.id}"] .attempt-count`).filter({ hasText: /^2$/ }).waitFor({ timeout: 10_000 });
    const audit = await gw.db.auditLog.findFirstOrThrow({ where: { action: "webhook_delivery.replayed", entityId: delivery.id } });
    expect(audit).toMatchObject({
      actor: "admin",
      entityType: "webhook_delivery",
      before: { status: "succeeded", attemptCount: 1 },
      after: { status: "pending" },
    });
    // the attempts open under the row
    await row.click();
    const sub = page.locator(`#dlv-list tr.attempts-row[data-for="${delivery.id}"]`);
    await sub.waitFor({ state: "visible" });
    expect(await sub.locator("tbody tr").count()).toBe(2);
  });

  it("shows vendor events newest first", async () => {
    await gw.db.vendorEvent.createMany({
      data: [
        {
          id: `vev_console_a_${Date.now()}`,
          vendorAccountId: goodId,
          vendor: "dms",
          type: "anomaly.detected",
          externalId: `c-${Date.now()}-a`,
          payload: { note: "<b>older</b>" },
          createdAt: new Date(Date.now() - 60_000),
        },
        {
          id: `vev_console_b_${Date.now()}`,
          vendorAccountId: goodId,
          vendor: "dms",
          type: "credits.low",
          externalId: `c-${Date.now()}-b`,
          payload: { credits: 3 },
        },
      ],
    });
    await page.click('#tabs a[data-tab="events"]');
    await page.fill("#evt-account", goodId);
    await page.press("#evt-account", "Enter");
    await page.locator("#evt-list tbody tr").nth(1).waitFor();
    const types = await page.$$eval("#evt-list tbody tr td:nth-child(4)", (tds) => tds.map((td) => td.textContent));
    expect(types).toEqual(["credits.low", "anomaly.detected"]);
    expect(await page.locator("#evt-list b").count()).toBe(0);
  });

  it("a 401 mid-session (token rotated) returns to the sign-in form and clears the data", async () => {
    await page.evaluate(() => sessionStorage.setItem(Object.keys(sessionStorage)[0]!, "rotated-away-token-0000"));
    await page.click('#tabs a[data-tab="audit"]');
    await page.locator("#login-error").waitFor({ state: "visible" });
    expect(await page.textContent("#login-error")).toContain("401");
    expect(await page.isVisible("#tabs")).toBe(false);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.locator("#audit-list tr").count()).toBe(0);
  });

  it("raised no CSP violation and no script error", () => {
    expect(problems.cspViolations).toEqual([]);
    expect(problems.errors).toEqual([]);
  });
});
