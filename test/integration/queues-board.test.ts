// bull-board at /admin/bull-board, behind the admin auth, read-only.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestGateway, type TestGateway } from "../support/gateway.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway({ workers: false });
});
afterAll(async () => gw?.close());

const basic = (token: string) => `Basic ${Buffer.from(`operator:${token}`).toString("base64")}`;

describe("the queue board", () => {
  it("answers 401 without the token (with a Basic challenge for browsers) and with a wrong one", async () => {
    for (const headers of [{}, { authorization: "Bearer not-the-token-at-all" }, { authorization: basic("not-the-token-at-all") }] as Record<
      string,
      string
    >[]) {
      const res = await fetch(`${gw.url}/admin/bull-board`, { headers });
      expect(res.status).toBe(401);
      expect(res.headers.get("content-type")).toContain("application/problem+json");
      expect(res.headers.get("www-authenticate")).toMatch(/^Basic realm=/);
    }
    expect((await fetch(`${gw.url}/admin/bull-board/api/queues`)).status).toBe(401);
  });

  it("serves the board and its queue API with the admin token, as Bearer or as the Basic password", async () => {
    const page = await fetch(`${gw.url}/admin/bull-board`, { headers: { authorization: `Bearer ${gw.env.ADMIN_TOKEN}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    const html = await page.text();
    // the UI's own scripts, relative to its base under the same path and auth
    expect(html).toMatch(/<base href="\/admin\/bull-board\/?"/);
    const script = new URL(/src="([^"]+\.js)"/.exec(html)![1]!, `${gw.url}/admin/bull-board/`).toString();
    expect((await fetch(script, { headers: { authorization: basic(gw.env.ADMIN_TOKEN) } })).status).toBe(200);
    expect((await fetch(script)).status).toBe(401);
    const api = await fetch(`${gw.url}/admin/bull-board/api/queues`, { headers: { authorization: basic(gw.env.ADMIN_TOKEN) } });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => q.name).sort()).toEqual(["deliver", "erase", "followup", "ingest", "maintenance", "notify", "poll", "shadow", "submit"]);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it("is read-only: no job added, queue paused or cleaned through it, even by an admin", async () => {
    const auth = { authorization: `Bearer ${gw.env.ADMIN_TOKEN}`, "content-type": "application/json" };
    expect(
      (await fetch(`${gw.url}/admin/bull-board/api/queues/submit/add`, { method: "POST", headers: auth, body: JSON.stringify({ name: "x", data: {} }) }))
        .status,
    ).toBe(405);
    expect((await fetch(`${gw.url}/admin/bull-board/api/queues/submit/pause`, { method: "PUT", headers: auth })).status).toBe(405);
    expect(await gw.queues.byName.submit.isPaused()).toBe(false);
  });

  it("leaves the console's own /admin/queues endpoint as it was", async () => {
    const r = await gw.admin("GET", "/admin/queues");
    expect(r.status).toBe(200);
    expect(r.body.queues.map((q: { name: string }) => q.name)).toContain("submit");
  });
});
