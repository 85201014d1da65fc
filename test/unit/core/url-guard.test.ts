import { describe, expect, it } from "vitest";
import { checkWebhookUrl, isPrivateAddress } from "../../../src/webhooks/outbound/url-guard.js";

const resolveTo = (address: string) => (async () => [{ address, family: address.includes(":") ? 6 : 4 }]) as never;

describe("tenant webhook URL guard", () => {
  it.each(["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "0.0.0.0"])("%s is private", (ip) => {
    expect(isPrivateAddress(ip)).toBe(true);
  });
  it.each(["8.8.8.8", "93.184.216.34", "2606:4700::1111"])("%s is public", (ip) => {
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
});
