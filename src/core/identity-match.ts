// Claimed identity against the identity a document proves: small pure functions, the same
// for every vendor. Names are compared after transliteration (@sindresorhus/transliterate,
// with the ICAO 9303 tables for Cyrillic and Greek that passports print in their MRZ),
// case, accents, hyphens, particles and word order normalized; similarity is a normalized
// Levenshtein distance (fastest-levenshtein). The verdict is three-valued on purpose: a name
// that is close but not equal is for a human to look at, never approved nor declined.
import transliterate from "@sindresorhus/transliterate";
import { distance } from "fastest-levenshtein";

export type MatchVerdict = "match" | "close" | "mismatch";

// ICAO Doc 9303 part 3, section 6 (transliteration of Cyrillic and Greek in the MRZ): the form a
// Russian, Ukrainian or Greek passport prints, so "Щербаков" meets "SHCHERBAKOV" and "Παπαδόπουλος"
// meets "PAPADOPOULOS". Everything else is left to the library's own tables.
const ICAO_REPLACEMENTS: [string, string][] = [
  ["Щ", "Shch"],
  ["щ", "shch"],
  ["Ж", "Zh"],
  ["ж", "zh"],
  ["Х", "Kh"],
  ["х", "kh"],
  ["Ц", "Ts"],
  ["ц", "ts"],
  ["Ч", "Ch"],
  ["ч", "ch"],
  ["Ш", "Sh"],
  ["ш", "sh"],
  ["Ю", "Iu"],
  ["ю", "iu"],
  ["Я", "Ia"],
  ["я", "ia"],
  ["Й", "I"],
  ["й", "i"],
  ["Ы", "Y"],
  ["ы", "y"],
  ["Ъ", "Ie"],
  ["ъ", "ie"],
  ["Ь", ""],
  ["ь", ""],
  ["Ё", "E"],
  ["ё", "e"],
  ["Є", "Ie"],
  ["є", "ie"],
  ["Ї", "I"],
  ["ї", "i"],
  ["І", "I"],
  ["і", "i"],
  ["Ґ", "G"],
  ["ґ", "g"],
  ["Г", "G"],
  ["г", "g"],
  // digraphs first, in every case documents print them (names are mostly in capitals)
  ["ΟΥ", "OU"],
  ["ΟΎ", "OU"],
  ["Ου", "Ou"],
  ["Ού", "Ou"],
  ["ου", "ou"],
  ["ού", "ou"],
  ["ΑΥ", "AV"],
  ["ΑΎ", "AV"],
  ["Αυ", "Av"],
  ["αυ", "av"],
  ["αύ", "av"],
  ["ΕΥ", "EV"],
  ["ΕΎ", "EV"],
  ["Ευ", "Ev"],
  ["ευ", "ev"],
  ["εύ", "ev"],
  ["Ή", "I"],
  ["Ύ", "Y"],
  ["Ώ", "O"],
  ["Θ", "Th"],
  ["θ", "th"],
  ["Χ", "Ch"],
  ["χ", "ch"],
  ["Ψ", "Ps"],
  ["ψ", "ps"],
  ["Ξ", "X"],
  ["ξ", "x"],
  ["Η", "I"],
  ["η", "i"],
  ["ή", "i"],
  ["Υ", "Y"],
  ["υ", "y"],
  ["ύ", "y"],
  ["Β", "V"],
  ["β", "v"],
  ["Ω", "O"],
  ["ω", "o"],
  ["ώ", "o"],
];

// Particles that may be written, dropped or moved between the given name and the surname:
// Spanish/Portuguese "de", "de la", "del", "y", "e"; Dutch/German "van", "von", "der", "den"; Italian/French "di", "da", "du", "le"...
const PARTICLES = new Set([
  "de",
  "del",
  "la",
  "las",
  "los",
  "y",
  "e",
  "da",
  "das",
  "do",
  "dos",
  "di",
  "du",
  "van",
  "von",
  "der",
  "den",
  "ter",
  "ten",
  "le",
  "el",
  "al",
  "bin",
  "ibn",
]);

/** the close-but-not-equal band: similarity at or above this is for review */
export const CLOSE_NAME_SIMILARITY = 0.8;

/** Lower-case ASCII words of a name: transliterated, accents, hyphens, apostrophes and dots removed. */
export function nameTokens(name: string): string[] {
  const words = allWords(name);
  const meaningful = words.filter((w) => !PARTICLES.has(w));
  return meaningful.length > 0 ? meaningful : words;
}

function allWords(name: string): string[] {
  const ascii = transliterate(name.normalize("NFC"), { customReplacements: ICAO_REPLACEMENTS });
  return ascii
    .toLowerCase()
    .replace(/['’`´]/g, "")
    .replace(/[^a-z0-9]+/g, " ")
    .trim()
    .split(" ")
    .filter(Boolean);
}

function similarity(a: string, b: string): number {
  const longest = Math.max(a.length, b.length);
  return longest === 0 ? 1 : 1 - distance(a, b) / longest;
}

/**
 * One name field (given names or surnames) as claimed against the document.
 * match: the same words in any order, or the claim is the document's leading words (a person
 *   who uses the first of two surnames or given names: "Aparicio" for "APARICIO LOPEZ");
 * close: the claim's words are some other part of the document's, or the spelling is near;
 * mismatch: otherwise.
 */
export function compareName(claimed: string, onDocument: string): MatchVerdict {
  const a = nameTokens(claimed);
  const b = nameTokens(onDocument);
  if (a.length === 0 || b.length === 0) return "mismatch";
  const sortedA = [...a].sort().join(" ");
  const sortedB = [...b].sort().join(" ");
  // "van der Berg" is written "VANDERBERG" on some documents: the particles glued to the name
  if (sortedA === sortedB || a.join("") === b.join("") || allWords(claimed).join("") === allWords(onDocument).join("")) return "match";
  if (a.length < b.length && a.every((w, i) => w === b[i])) return "match";
  if (a.every((w) => b.includes(w)) || b.every((w) => a.includes(w))) return "close";
  const s = Math.max(similarity(sortedA, sortedB), similarity(a.join(""), b.join("")));
  return s >= CLOSE_NAME_SIMILARITY ? "close" : "mismatch";
}

export interface NameComparison {
  firstName: MatchVerdict | null;
  lastName: MatchVerdict | null;
  /** the given names and surnames were swapped */
  inverted: boolean;
}

/** First and last name together, so a swap is told apart from two mismatches. A side not given on both sides is null. */
export function compareNames(
  claimed: { firstName?: string | null; lastName?: string | null },
  doc: { firstName?: string | null; lastName?: string | null },
): NameComparison {
  const first = claimed.firstName && doc.firstName ? compareName(claimed.firstName, doc.firstName) : null;
  const last = claimed.lastName && doc.lastName ? compareName(claimed.lastName, doc.lastName) : null;
  if (claimed.firstName && claimed.lastName && doc.firstName && doc.lastName && first !== "match" && last !== "match") {
    if (compareName(claimed.firstName, doc.lastName) === "match" && compareName(claimed.lastName, doc.firstName) === "match") {
      return { firstName: first, lastName: last, inverted: true };
    }
    // the whole name in one field on one side ("JUAN APARICIO LOPEZ" as the surname field)
    const whole = compareName(`${claimed.firstName} ${claimed.lastName}`, `${doc.firstName} ${doc.lastName}`);
    if (whole === "match") return { firstName: "match", lastName: "match", inverted: false };
  }
  return { firstName: first, lastName: last, inverted: false };
}

/** A document number without separators, spaces or case: "00000000-t" and "00000000T" are one number. */
export function normalizeDocumentNumber(value: string): string {
  return transliterate(value)
    .toUpperCase()
    .replace(/[^A-Z0-9]/g, "");
}

export function compareDocumentNumber(claimed: string, onDocument: string): MatchVerdict {
  const a = normalizeDocumentNumber(claimed);
  const b = normalizeDocumentNumber(onDocument);
  if (!a || !b) return "mismatch";
  return a === b ? "match" : "mismatch";
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A real calendar date in ISO 8601 `YYYY-MM-DD`, or null. */
export function parseIsoDate(value: string | null | undefined): { y: number; m: number; d: number } | null {
  const match = value ? ISO_DATE.exec(value.trim()) : null;
  if (!match) return null;
  const [y, m, d] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return { y, m, d };
}

/** Dates compared as calendar dates; null when either side is not a readable date. */
export function compareDates(claimed: string, onDocument: string): MatchVerdict | null {
  const a = parseIsoDate(claimed);
  const b = parseIsoDate(onDocument);
  if (!a || !b) return null;
  return a.y === b.y && a.m === b.m && a.d === b.d ? "match" : "mismatch";
}

/** Age in whole years on `today` (UTC calendar); someone born on 29 February turns a year older on 1 March. */
export function ageOn(dateOfBirth: string, today: Date): number | null {
  const dob = parseIsoDate(dateOfBirth);
  if (!dob) return null;
  const [y, m, d] = [today.getUTCFullYear(), today.getUTCMonth() + 1, today.getUTCDate()];
  let age = y - dob.y;
  if (m < dob.m || (m === dob.m && d < dob.d)) age -= 1;
  return age;
}

/** true when the document's expiry date is before `today`; null when it cannot be read. */
export function isExpired(expiryDate: string | null | undefined, today: Date): boolean | null {
  const e = parseIsoDate(expiryDate);
  if (!e) return null;
  const todayKey = today.toISOString().slice(0, 10);
  const expiryKey = `${String(e.y).padStart(4, "0")}-${String(e.m).padStart(2, "0")}-${String(e.d).padStart(2, "0")}`;
  return expiryKey < todayKey;
}
