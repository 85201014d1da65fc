// ShareID photo-based document authenticity as data (../shared/vendors/shareid-authenticity-photo.txt).
import { defineManifest } from "../kit/manifest.js";
import { ShareidCredentialsSchema, ShareidSettingsSchema } from "./schemas.js";

export const manifest = defineManifest({
  id: "shareid",
  displayName: "ShareID",
  capabilities: { document: true, liveness: false, faceMatch: false, hosted: false, webhooks: false, polling: false },
  // the doc only says "{API}": a real account names its baseUrl; the default is the local sandbox
  defaultBaseUrl: "http://localhost:8090/shareid",
  credentials: ShareidCredentialsSchema,
  secretKeys: ["apiKey", "businessHash"],
  settings: ShareidSettingsSchema,
  sandbox: { path: "/shareid", credentials: { apiKey: "sandbox-shareid-key", businessHash: "sandbox-business" } },
  faultPoints: ["/flow/authenticity/photo"],
});
