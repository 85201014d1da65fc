// Issue 11 point 1 for vendor calls: vendor hosts may be private (a self-hosted IDENTY Web Server), but never the
// cloud metadata service, link-local, unspecified, multicast or reserved addresses; checked on the addresses the
// sockets connect to and on an address written in the URL, and refused without a retry.
import { describe, expect, it } from "vitest";
import { isVendorError } from "../../../src/domain/errors.js";
import { createVendorHttp, vendorAddressAllowed } from "../../../src/core/vendor-http.js";

describe("vendor call addresses", () => {
  it.each(["169.254.169.254", "169.254.0.1", "0.0.0.0", "224.0.0.1", "250.0.0.1", "fe80::1", "::", "ff02::1", "::ffff:169.254.169.254"])("never %s", (ip) =>
    expect(vendorAddressAllowed(ip)).toBe(false),
  );
  it.each(["127.0.0.1", "10.1.2.3", "192.168.1.20", "172.20.0.5", "fd00::5", "93.184.216.34"])("a vendor may live at %s", (ip) =>
    expect(vendorAddressAllowed(ip)).toBe(true),
  );

  it("refuses a call to the metadata address once, as the gateway's configuration fault", async () => {
    const calls: string[] = [];
    const http = createVendorHttp({
      vendor: "dms",
      vendorAccountId: "va_metadata_test",
      verificationId: null,
      settings: { maxRetries: 3, retryBaseMs: 1 },
      onCall: (r) => calls.push(`${r.outcome}:${r.errorKind}`),
    });
    const err = await http.call({ endpoint: "probe", method: "GET", url: "http://169.254.169.254/latest/meta-data/" }).catch((e: unknown) => e);
    expect(isVendorError(err) && { kind: err.kind, retryable: err.retryable }).toEqual({ kind: "rejected", retryable: false });
    expect(calls).toEqual(["error:rejected"]);
  });
});
