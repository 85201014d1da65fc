// The IDENTY Web Server (IWS v6) as data (../shared/vendors/identy-web-solution-v6.txt).
import { defineManifest } from "../kit/manifest.js";
import { IdentyCredentialsSchema, IdentySettingsSchema } from "./schemas.js";

export const manifest = defineManifest({
  id: "identy",
  displayName: "IDENTY",
  capabilities: { document: false, liveness: true, faceMatch: true, hosted: false, webhooks: false, polling: false },
  defaultBaseUrl: "http://localhost:8080",
  credentials: IdentyCredentialsSchema,
  secretKeys: ["templatePrivateKey"],
  settings: IdentySettingsSchema,
  sandbox: { path: "/identy", credentials: {} },
  faultPoints: [
    "/api/v1/process",
    "/api/v1/verifyWithPictureId",
    "/api/v1/face/as",
    "/api/v1/matchWithSelfie",
    "/api/v1/matchWithPictureId",
    "/api/v1/face_health",
    "/api/v1/models",
    "/api/v1/pub_key",
    "/api/v1/time",
  ],
});
