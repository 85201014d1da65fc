// VerificarIdentidad API 3.0 as data (../shared/vendors/verificaridentidad-api-3.0.txt).
import { defineManifest } from "../kit/manifest.js";
import { CredentialsSchema, SettingsSchema } from "./schemas.js";

export const manifest = defineManifest({
  id: "verificaridentidad",
  displayName: "VerificarIdentidad",
  capabilities: { document: true, liveness: true, faceMatch: true, hosted: true, webhooks: true, polling: false },
  // the doc names no host ("https://{SuDominio}" is the customer's own): an account must set its
  // baseUrl; this default never resolves, so credentials are never sent to a guessed host
  defaultBaseUrl: "https://verificaridentidad.invalid",
  credentials: CredentialsSchema,
  secretKeys: ["apiToken", "webhookPassword"],
  settings: SettingsSchema,
  sandbox: {
    path: "/verificaridentidad",
    credentials: { apiUser: "sandbox", apiToken: "sandbox-token", webhookUser: "vi-webhook", webhookPassword: "sandbox-webhook-password" },
    // the simulator sends its reports where the account's webhooks go, with the account's Basic credentials
    setup: ({ webhookUrl, credentials: c }) => ({
      path: "/_control/webhook-config",
      body: { apiUser: c.apiUser, url: webhookUrl, user: c.webhookUser, password: c.webhookPassword, format: "json" },
    }),
  },
  faultPoints: ["/VerificarIdentidad", "/GetCertificadoIdentidad", "/GetCreditos"],
});
