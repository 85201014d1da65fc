// The console's account form of a vendor, from its manifest: JSON Schema of the credentials and settings
// (z.toJSONSchema, the input side: what an operator may write) and the credentials box's starting value.
import { z } from "zod";
import type { VendorManifest } from "./manifest.js";

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema>; required?: string[]; type?: unknown; advanced?: boolean };

function inputSchema(schema: z.ZodType): JsonSchema {
  // "any" for what JSON Schema cannot say (a transform's output, a refine): the gateway's own parse still runs
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

/** A blank of each credential: "" for text, [""] for a list; a key marked `.meta({ advanced: true })` is left out. */
export function credentialsTemplate(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties ?? {})) {
    if (prop.advanced === true) continue;
    out[key] = prop.type === "array" ? [""] : prop.type === "string" ? "" : null;
  }
  return out;
}

export interface VendorForm {
  vendor: string;
  displayName: string;
  defaultBaseUrl: string;
  capabilities: VendorManifest["capabilities"];
  secretKeys: readonly string[];
  credentialsTemplate: Record<string, unknown>;
  /** JSON Schema (draft 2020-12) of `credentials` */
  credentialsSchema: JsonSchema;
  /** JSON Schema (draft 2020-12) of `settings`, the shared keys included */
  settingsSchema: JsonSchema;
}

export function vendorForm(m: VendorManifest): VendorForm {
  const credentialsSchema = inputSchema(m.credentials);
  return {
    vendor: m.id,
    displayName: m.displayName,
    defaultBaseUrl: m.defaultBaseUrl,
    capabilities: m.capabilities,
    secretKeys: m.secretKeys,
    credentialsTemplate: credentialsTemplate(credentialsSchema),
    credentialsSchema,
    settingsSchema: inputSchema(m.settings),
  };
}
