// Country codes: the public contract uses ISO 3166-1 alpha-2 (uppercase).
import countries from "i18n-iso-countries";

/** Any of alpha-2, alpha-3 or numeric (any case) to uppercase alpha-2; null when unknown. */
export function toAlpha2(code: string | null | undefined): string | null {
  if (!code) return null;
  const c = code.trim().toUpperCase();
  if (c.length === 2) return countries.isValid(c) ? c : null;
  if (c.length === 3 && /^[A-Z]{3}$/.test(c)) {
    // ICAO 9303 uses "D" / "D<<" for Germany and a few non-ISO codes
    return countries.alpha3ToAlpha2(c) ?? null;
  }
  if (c === "D" || c === "D<<") return "DE";
  if (/^\d{3}$/.test(c)) return countries.numericToAlpha2(c) ?? null;
  return null;
}

export function toAlpha3(alpha2: string | null | undefined): string | null {
  if (!alpha2) return null;
  return countries.alpha2ToAlpha3(alpha2.toUpperCase()) ?? null;
}

export function isAlpha2(code: string): boolean {
  return /^[A-Z]{2}$/.test(code) && countries.isValid(code);
}
