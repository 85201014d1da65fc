// A plain selfie sized as the match endpoints ask for it. The doc (../shared/vendors/identy-web-solution-v6.txt):
//   image.template "640 x 480 base64 encoded selfie to be verified against imageToVerifyAgainst. (No cropped and no padding)"
//   "ERROR_WRONG_RESOLUTION, Code: 901, HTTP_CODE: 400 — Passed image isn't 480x640"
// and its own captures are portrait: "width":480, "height":640, "resolution":"480x640x3" (the SDK: "Only Portrait
// mode is supported"). So a selfie of any other size is scaled to cover 480 wide x 640 high and centre-cropped to it
// (no padding, no distortion), in the format it came in (the request names it in `image.format`).
// /api/v1/face/as no longer needs this: "The liveness endpoint for 3rd-party captures no longer enforces a fixed
// 640×480 resolution" (710.620.131.420.3).
import sharp, { type Metadata } from "sharp";

export const SELFIE_WIDTH = 480;
export const SELFIE_HEIGHT = 640;

export type SizedSelfie = { data: Buffer; resized: boolean; width: number | null; height: number | null };

/**
 * The selfie at exactly 480x640, re-encoded as `format`; unchanged when it already is 480x640 (upright), or
 * when it cannot be decoded (the IWS then says what is wrong with it: 504, a technical answer).
 */
export async function sizeSelfieForMatch(data: Buffer, format: "JPEG" | "PNG"): Promise<SizedSelfie> {
  let meta: Metadata;
  try {
    meta = await sharp(data).metadata();
  } catch {
    return { data, resized: false, width: null, height: null };
  }
  // EXIF orientations 5-8 swap width and height once applied
  const rotated = (meta.orientation ?? 1) >= 5;
  const width = rotated ? meta.height : meta.width;
  const height = rotated ? meta.width : meta.height;
  if (width === SELFIE_WIDTH && height === SELFIE_HEIGHT && (meta.orientation ?? 1) === 1) return { data, resized: false, width, height };
  try {
    const pipeline = sharp(data).rotate().resize(SELFIE_WIDTH, SELFIE_HEIGHT, { fit: "cover", position: "centre" });
    const out = await (format === "PNG" ? pipeline.png() : pipeline.jpeg({ quality: 92, chromaSubsampling: "4:4:4" })).toBuffer();
    return { data: out, resized: true, width: SELFIE_WIDTH, height: SELFIE_HEIGHT };
  } catch {
    return { data, resized: false, width: width ?? null, height: height ?? null };
  }
}
