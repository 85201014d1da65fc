// Tenant webhook URLs on loopback, private, link-local or otherwise internal
// addresses are refused (SSRF), at registration, again before each delivery, and a third time
// on the very addresses the delivery connects to (guardedLookup): a name that resolves to a
// public address for the check and to 127.0.0.1 for the connect (DNS rebinding, TTL 0) is
// refused at connect time. Unless WEBHOOK_ALLOW_PRIVATE_URLS=true.
import { lookup } from "node:dns/promises";
import { lookup as lookupCallback, type LookupAddress } from "node:dns";
import { BlockList, isIP, type LookupFunction } from "node:net";

const blocked = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.31.196.0", 24],
  ["192.52.193.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["192.175.48.0", 24],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  blocked.addSubnet(net, prefix, "ipv4");
// The IPv4 list is IANA's IPv4 Special-Purpose Address Registry whole (and multicast): a tenant's
// webhook has no business with AS112, AMT or documentation ranges either, even those marked
// globally reachable. IPv6, likewise IANA's IPv6 Special-Purpose Address Registry: unspecified and
// loopback, discard-only (100::/64) and the dummy prefix (100:0:0:1::/64), unique local, link-local,
// multicast, NAT64 (64:ff9b::/96 and the local-use 64:ff9b:1::/48), 6to4 (2002::/16), the IETF
// protocol assignments (2001::/23: Teredo, benchmarking, ORCHID, AMT, AS112), AS112-v6
// (2620:4f:8000::/48), documentation (2001:db8::/32, 3fff::/20) and SRv6 SIDs (5f00::/16). IPv4-compatible (::a.b.c.d, ::7f00:1) and IPv4-mapped
// (::ffff:a.b.c.d in any spelling) are judged by their IPv4 address (embeddedIpv4 below); Node's
// BlockList would match every IPv4 address against an ipv6 ::ffff:0:0/96 or ::/96 rule.
const blocked6 = new BlockList();
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["2002::", 16],
  ["2001::", 23],
  ["2001:db8::", 32],
  ["100::", 64],
  ["100:0:0:1::", 64],
  ["2620:4f:8000::", 48],
  ["3fff::", 20],
  ["5f00::", 16],
] as const)
  blocked6.addSubnet(net, prefix, "ipv6");

/** The 8 groups of an IPv6 address (dotted IPv4 tail included), or null. */
function groupsOf(ip: string): number[] | null {
  let s = ip.toLowerCase().split("%")[0]!;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, null];
  const h = head ? head.split(":").filter(Boolean) : [];
  const t = tail ? tail.split(":").filter(Boolean) : [];
  const fill = tail === null ? [] : Array(8 - h.length - t.length).fill("0");
  const all = [...h, ...fill, ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => g >= 0 && g <= 0xffff) ? all : null;
}

/** The IPv4 address inside an IPv4-compatible (::/96) or IPv4-mapped (::ffff:0:0/96) IPv6 address. */
function embeddedIpv4(ip: string): string | null {
  const g = groupsOf(ip);
  if (!g || g.slice(0, 5).some((x) => x !== 0) || (g[5] !== 0 && g[5] !== 0xffff)) return null;
  if (g[5] === 0 && g[6] === 0) return null; // :: and ::1 themselves
  return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
}

export function isPrivateAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return blocked.check(ip, "ipv4");
  if (family === 6) {
    const v4 = embeddedIpv4(ip);
    if (v4) return blocked.check(v4, "ipv4");
    return blocked6.check(ip, "ipv6");
  }
  return true;
}

export type UrlCheck = { ok: true; url: URL } | { ok: false; problem: string };

export async function checkWebhookUrl(raw: string, allowPrivate: boolean, resolve = lookup, opts: { requireHttps?: boolean } = {}): Promise<UrlCheck> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, problem: "must be an absolute URL" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, problem: "must use https (or http)" };
  // payloads carry document data: in production only TLS
  if (opts.requireHttps && url.protocol !== "https:") return { ok: false, problem: "must use https" };
  if (url.username || url.password) return { ok: false, problem: "must not carry credentials" };
  if (allowPrivate) return { ok: true, url };
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local"))
    return { ok: false, problem: "must not point at a local or internal host" };
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await resolve(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    return { ok: false, problem: "host does not resolve" };
  }
  if (addresses.length === 0 || addresses.some(isPrivateAddress)) return { ok: false, problem: "must not point at a loopback, private or link-local address" };
  return { ok: true, url };
}

type Resolver = (hostname: string, options: { all: true; verbatim: true }, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

/**
 * A `lookup` for the delivery's sockets: the addresses the connection will use are checked, and a
 * private one refuses the connection (EBLOCKED), so no second resolution can slip past the check.
 */
export function guardedLookup(resolve: Resolver = lookupCallback as unknown as Resolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, "", 4);
      const bad = addresses.find((a) => isPrivateAddress(a.address));
      if (bad || addresses.length === 0) {
        const e = Object.assign(new Error("connection refused: the webhook host resolves to a private address"), { code: "EBLOCKED" }) as NodeJS.ErrnoException;
        return callback(e, "", 4);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
