import { describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { checkWebhookUrl, guardedLookup, isPrivateAddress } from "../../../src/webhooks/outbound/url-guard.js";

const resolveTo = (address: string) => (async () => [{ address, family: address.includes(":") ? 6 : 4 }]) as never;

describe("tenant webhook URL guard", () => {
  it.each([
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "::1",
    "fd00::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "0.0.0.0",
    // IPv4 inside IPv6: compatible (::7f00:1 is 127.0.0.1), mapped in hex, NAT64, 6to4 of 10.0.0.1, Teredo
    "::7f00:1",
    "::ffff:7f00:1",
    "64:ff9b::a00:1",
    "2002:a00:1::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
  ])("%s is private", (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });
  it.each(["8.8.8.8", "93.184.216.34", "2606:4700::1111", "::ffff:8.8.8.8"])("%s is public", (ip) => {
    expect(isPrivateAddress(ip)).toBe(false);
  });
  it("refuses loopback, private and metadata addresses, even behind a DNS name", async () => {
    expect((await checkWebhookUrl("http://127.0.0.1:9/x", false)).ok).toBe(false);
    expect((await checkWebhookUrl("http://localhost/x", false)).ok).toBe(false);
    expect((await checkWebhookUrl("https://hooks.tenant.example/x", false, resolveTo("10.0.0.5"))).ok).toBe(false);
    expect((await checkWebhookUrl("https://hooks.tenant.example/x", false, resolveTo("203.0.114.7"))).ok).toBe(true);
  });
  it("allows private addresses only when told to", async () => {
    expect((await checkWebhookUrl("http://127.0.0.1:9/x", true)).ok).toBe(true);
  });
  it("refuses other schemes and URLs with credentials", async () => {
    expect((await checkWebhookUrl("ftp://x.example/", true)).ok).toBe(false);
    expect((await checkWebhookUrl("https://u:p@x.example/", true)).ok).toBe(false);
  });
  it("refuses http in production: payloads carry document data", async () => {
    expect((await checkWebhookUrl("http://hooks.tenant.example/x", false, resolveTo("203.0.114.7"), { requireHttps: true })).ok).toBe(false);
    expect((await checkWebhookUrl("https://hooks.tenant.example/x", false, resolveTo("203.0.114.7"), { requireHttps: true })).ok).toBe(true);
  });
  it("DNS rebinding: a name public for the check and 127.0.0.1 for the connect is refused when the socket connects", async () => {
    const server = http.createServer((_req, res) => res.end("reached"));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as AddressInfo).port;
    let calls = 0;
    // TTL 0: the first answer (the pre-delivery check) is public, every later one is loopback
    const rebinding = ((_h: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) =>
      cb(null, [{ address: calls++ === 0 ? "203.0.114.7" : "127.0.0.1", family: 4 }])) as never;
    const check = await checkWebhookUrl(
      `http://rebind.tenant.example:${port}/x`,
      false,
      (async (h: string, o: unknown) =>
        new Promise((resolve) => (rebinding as (h: string, o: unknown, cb: (e: null, a: unknown) => void) => void)(h, o, (_e, a) => resolve(a)))) as never,
    );
    expect(check.ok).toBe(true);
    const agent = new http.Agent({ lookup: guardedLookup(rebinding) });
    const outcome = await new Promise<string>((resolve) => {
      http
        .get(`http://rebind.tenant.example:${port}/x`, { agent }, (res) => resolve(`answered ${res.statusCode}`))
        .on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
    });
    server.close();
    expect(outcome).toBe("EBLOCKED");
  });
});
