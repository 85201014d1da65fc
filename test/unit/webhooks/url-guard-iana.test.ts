// Issue 11 point 1: the IANA special-purpose address registries, entry by entry (iana-ipv4-special-registry and
// iana-ipv6-special-registry, as of 2025), each refused as a tenant webhook address; public addresses pass.
import { describe, expect, it } from "vitest";
import { isPrivateAddress } from "../../../src/webhooks/outbound/url-guard.js";

// [registry block, an address inside it]
const IPV4_SPECIAL: [string, string][] = [
  ["0.0.0.0/8 this network", "0.1.2.3"],
  ["10.0.0.0/8 private-use", "10.20.30.40"],
  ["100.64.0.0/10 shared address space", "100.100.1.1"],
  ["127.0.0.0/8 loopback", "127.0.0.53"],
  ["169.254.0.0/16 link local", "169.254.169.254"],
  ["172.16.0.0/12 private-use", "172.31.255.1"],
  ["192.0.0.0/24 IETF protocol assignments", "192.0.0.8"],
  ["192.0.0.0/29 IPv4 service continuity", "192.0.0.1"],
  ["192.0.0.9/32 port control protocol anycast", "192.0.0.9"],
  ["192.0.0.10/32 TURN anycast", "192.0.0.10"],
  ["192.0.0.170/32 NAT64/DNS64 discovery", "192.0.0.171"],
  ["192.0.2.0/24 documentation (TEST-NET-1)", "192.0.2.10"],
  ["192.31.196.0/24 AS112-v4", "192.31.196.1"],
  ["192.52.193.0/24 AMT", "192.52.193.1"],
  ["192.88.99.0/24 deprecated 6to4 relay anycast", "192.88.99.1"],
  ["192.168.0.0/16 private-use", "192.168.1.1"],
  ["192.175.48.0/24 direct delegation AS112 service", "192.175.48.6"],
  ["198.18.0.0/15 benchmarking", "198.19.0.1"],
  ["198.51.100.0/24 documentation (TEST-NET-2)", "198.51.100.7"],
  ["203.0.113.0/24 documentation (TEST-NET-3)", "203.0.113.9"],
  ["240.0.0.0/4 reserved", "250.1.2.3"],
  ["255.255.255.255/32 limited broadcast", "255.255.255.255"],
  ["224.0.0.0/4 multicast (not in the registry, never a webhook)", "239.1.1.1"],
];
const IPV6_SPECIAL: [string, string][] = [
  ["::1/128 loopback", "::1"],
  ["::/128 unspecified", "::"],
  ["::ffff:0:0/96 IPv4-mapped (judged by its IPv4)", "::ffff:127.0.0.1"],
  ["64:ff9b::/96 IPv4-IPv6 translation", "64:ff9b::a00:1"],
  ["64:ff9b:1::/48 local-use IPv4/IPv6 translation", "64:ff9b:1::1"],
  ["100::/64 discard-only", "100::1"],
  ["100:0:0:1::/64 dummy IPv6 prefix", "100:0:0:1::1"],
  ["2001::/23 IETF protocol assignments", "2001:1ff::1"],
  ["2001::/32 TEREDO", "2001:0:4136:e378::1"],
  ["2001:1::1/128 port control protocol anycast", "2001:1::1"],
  ["2001:1::2/128 TURN anycast", "2001:1::2"],
  ["2001:2::/48 benchmarking", "2001:2::1"],
  ["2001:3::/32 AMT", "2001:3::1"],
  ["2001:4:112::/48 AS112-v6", "2001:4:112::1"],
  ["2001:10::/28 deprecated ORCHID", "2001:10::1"],
  ["2001:20::/28 ORCHIDv2", "2001:20::1"],
  ["2001:30::/28 drone remote ID", "2001:30::1"],
  ["2001:db8::/32 documentation", "2001:db8::1"],
  ["2002::/16 6to4", "2002:c000:204::1"],
  ["2620:4f:8000::/48 direct delegation AS112 service", "2620:4f:8000::1"],
  ["3fff::/20 documentation", "3fff:fff::1"],
  ["5f00::/16 segment routing (SRv6) SIDs", "5f00::1"],
  ["fc00::/7 unique-local", "fd12:3456::1"],
  ["fe80::/10 link-local unicast", "fe80::1"],
  ["ff00::/8 multicast (not in the registry, never a webhook)", "ff02::1"],
];

describe("the webhook URL guard against the IANA special-purpose registries", () => {
  it.each(IPV4_SPECIAL)("refuses IPv4 %s (%s)", (_block, ip) => expect(isPrivateAddress(ip)).toBe(true));
  it.each(IPV6_SPECIAL)("refuses IPv6 %s (%s)", (_block, ip) => expect(isPrivateAddress(ip)).toBe(true));
  it.each(["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8"])(
    "lets the public address %s through",
    (ip) => expect(isPrivateAddress(ip)).toBe(false),
  );
});
