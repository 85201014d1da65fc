// A stand-in for the IDENTY Face Web SDK (@identy/identy-face), for the browser test only. It makes the
// calls the real SDK makes against the client server (../shared/vendors/identy-web-solution-v6.txt):
//   FaceSDK.preInitialize({ URL: `${url}/api/v1/models` }, { URL: { url: `${url}/api/v1/pub_key`, headers: [
//     { name: "LogAPITrigger", value: "true" }, { name: "requestID", value: "<REPLACE_BY_A_UNIQUE_SESSION_ID>" }] } })
// "Models and public keys endpoint ... Method: POST, Accepts: multipart/form-data, Produces: application/octet-stream"
// and "Epoch time endpoint URL: /api/v1/time Method: POST" ("the SDK automatically aligns its timestamp with the server
// during initialization"). capture() resolves to a Blob, as the real one does; this one is not encrypted: it carries
// the packaging time on the server's clock (`packaged_at=`), which the IWS simulator checks against its 2-minute expiry.
(function () {
  "use strict";
  const state = { headers: [], serverOffsetMs: 0, models: null, pubKey: null };

  function post(url, headers) {
    const init = { method: "POST", body: new FormData(), headers: {} };
    for (const h of headers) init.headers[h.name] = h.value;
    return fetch(url, init).then(function (r) {
      if (!r.ok) throw Object.assign(new Error("ERROR_SERVER_CONNECTION_FAILURE"), { code: 500, status: r.status });
      return r.arrayBuffer();
    });
  }

  function base(modelsUrl) {
    return modelsUrl.replace(/\/api\/v1\/models$/, "");
  }

  class FaceSDK {
    static preInitialize(models, pubKey) {
      const keyUrl = typeof pubKey.URL === "string" ? pubKey.URL : pubKey.URL.url;
      state.headers = (typeof pubKey.URL === "object" && pubKey.URL.headers) || [];
      state.base = base(models.URL);
      return post(models.URL, state.headers)
        .then(function (m) {
          state.models = m.byteLength;
          return post(keyUrl, state.headers);
        })
        .then(function (k) {
          state.pubKey = k.byteLength;
          const asked = Date.now();
          return post(`${state.base}/api/v1/time`, state.headers).then(function (t) {
            const server = Number(new TextDecoder().decode(t));
            state.serverOffsetMs = server - (asked + Date.now()) / 2;
          });
        })
        .then(function () {
          return { models: state.models, pubKey: state.pubKey };
        });
    }

    constructor(options) {
      this.options = options || {};
    }

    initialize() {
      return state.models === null ? Promise.reject(Object.assign(new Error("ERROR_FETCH_INTERNAL"), { code: 500 })) : Promise.resolve();
    }

    capture() {
      const packagedAt = Math.round(Date.now() + state.serverOffsetMs);
      const text = `IDENTY-SDK-BLOB stand-in asThreshold=${this.options.asThreshold || "BALANCED_VERY_HIGH"} packaged_at=${packagedAt}`;
      return Promise.resolve(new Blob([text], { type: "application/octet-stream" }));
    }
  }
  window.FaceSDK = FaceSDK;
})();
