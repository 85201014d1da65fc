// The tenant's page: pre-initializes the stand-in SDK through the gateway's sdkBaseUrl, captures, and hands
// the BLOB (base64) to the tenant backend (here: the test reads it from the page).
(function () {
  "use strict";
  const params = new URLSearchParams(location.search);
  const sdkBaseUrl = params.get("sdk");
  const session = params.get("session");
  const out = document.getElementById("result");
  window.FaceSDK.preInitialize(
    { URL: `${sdkBaseUrl}/api/v1/models` },
    {
      URL: {
        url: `${sdkBaseUrl}/api/v1/pub_key`,
        headers: [
          { name: "LogAPITrigger", value: "true" },
          { name: "requestID", value: session },
        ],
      },
    },
  )
    .then(function (boot) {
      const sdk = new window.FaceSDK({ enableAs: true, asThreshold: "HIGH" });
      return sdk
        .initialize()
        .then(function () {
          return sdk.capture();
        })
        .then(function (blob) {
          return blob.arrayBuffer();
        })
        .then(function (buf) {
          let bin = "";
          new Uint8Array(buf).forEach(function (b) {
            bin += String.fromCharCode(b);
          });
          out.dataset.state = "captured";
          out.dataset.blob = btoa(bin);
          out.dataset.models = String(boot.models);
          out.dataset.pubKey = String(boot.pubKey);
        });
    })
    .catch(function (err) {
      out.dataset.state = "failed";
      out.dataset.error = String(err?.message);
    });
})();
