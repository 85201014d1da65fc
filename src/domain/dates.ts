// Date helpers: the public contract uses ISO 8601 YYYY-MM-DD.

/** dd/mm/yyyy, dd.mm.yyyy, dd-mm-yyyy or yyyy-mm-dd(Txx) to yyyy-mm-dd; null when not a real date. */
export function toIsoDate(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  let y: number, m: number, d: number;
  let match = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  if (match) [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else if ((match = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$/.exec(v))) [d, m, y] = [Number(match[1]), Number(match[2]), Number(match[3])];
  else return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** today's date (UTC) as YYYY-MM-DD */
export function todayIso(now: Date = new Date()): string {
  return now.toISOString().slice(0, 10);
}

/** true when an ISO date is strictly before today's date */
export function isBeforeToday(isoDate: string, now: Date = new Date()): boolean {
  return isoDate < todayIso(now);
}

export function normalizeSex(value: string | null | undefined): "M" | "F" | "X" | null {
  if (!value) return null;
  const v = value.trim().toUpperCase();
  if (["M", "MALE", "H", "HOMBRE", "V", "VARON", "MASCULINO"].includes(v)) return "M";
  if (["F", "FEMALE", "MUJER", "FEMENINO", "W"].includes(v)) return "F";
  if (["X", "<", "OTHER", "U", "UNSPECIFIED"].includes(v)) return "X";
  return null;
}
