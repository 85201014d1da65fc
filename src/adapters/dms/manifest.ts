// DMS IDVerifr + LiveVerifr as data (../shared/vendors/dms-idverifr-liveverifr.txt).
import { defineManifest } from "../kit/manifest.js";
import { DmsCredentialsSchema, DmsSettingsSchema } from "./schemas.js";

export const manifest = defineManifest({
  id: "dms",
  displayName: "DMS",
  capabilities: { document: true, liveness: true, faceMatch: true, hosted: false, webhooks: true, polling: false },
  defaultBaseUrl: "https://api.dmsworkspace.com",
  credentials: DmsCredentialsSchema,
  secretKeys: ["apiKey", "webhookSecrets", "webhookSecretNext"],
  settings: DmsSettingsSchema,
  sandbox: { path: "/dms", credentials: { apiKey: "sandbox-dms-key", webhookSecrets: ["sandbox-dms-webhook-secret"] } },
  faultPoints: [
    "/idcard_recognition_v2/idcard_recognition_base64",
    "/idcard_recognition_v2/idcard_recognition_base64_multi_page",
    "/idcard_recognition_v2/health",
    "/v1/livecheck/face_detection",
    "/v1/livecheck/template_extraction",
    "/v1/livecheck/face_verify",
    "/v1/livecheck/health",
  ],
});
