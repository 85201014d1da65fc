// Identomat's hosted widget as data (../shared/vendors/identomat.txt).
import { defineManifest } from "../kit/manifest.js";
import { DEFAULT_BASE_URL, IdentomatCredentialsSchema, IdentomatSettingsSchema } from "./schemas.js";

export const manifest = defineManifest({
  id: "identomat",
  displayName: "Identomat",
  capabilities: { document: true, liveness: true, faceMatch: true, hosted: true, webhooks: false, polling: true },
  defaultBaseUrl: DEFAULT_BASE_URL,
  credentials: IdentomatCredentialsSchema,
  secretKeys: ["companyKey", "secretKey"],
  settings: IdentomatSettingsSchema,
  sandbox: { path: "/identomat", credentials: { companyKey: "sandbox-identomat-key" } },
  faultPoints: ["/external-api/begin/", "/external-api/result/", "/external-api/delete/"],
});
