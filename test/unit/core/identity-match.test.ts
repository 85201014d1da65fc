// Name, date and document-number comparison: a table of cases from real naming conventions.
import { describe, expect, it } from "vitest";
import {
  ageOn,
  compareDates,
  compareDocumentNumber,
  compareName,
  compareNames,
  isExpired,
  nameTokens,
  normalizeDocumentNumber,
} from "../../../src/core/identity-match.js";

describe("compareName", () => {
  it.each([
    // case, accents, hyphens, apostrophes
    ["Juan", "JUAN", "match"],
    ["María José", "MARIA JOSE", "match"],
    ["García-Márquez", "GARCIA MARQUEZ", "match"],
    ["O'Neill", "ONEILL", "match"],
    ["Nuñez", "NUNEZ", "match"],
    // Spanish double surnames: order, particles, the first surname alone
    ["Aparicio Lopez", "APARICIO LOPEZ", "match"],
    ["Lopez Aparicio", "APARICIO LOPEZ", "match"],
    ["Aparicio", "APARICIO LOPEZ", "match"],
    ["Lopez", "APARICIO LOPEZ", "close"],
    ["de la Fuente", "FUENTE", "match"],
    ["Fernández de la Vega", "FERNANDEZ VEGA", "match"],
    ["del Castillo y Ruiz", "DEL CASTILLO RUIZ", "match"],
    ["van der Berg", "VANDERBERG", "match"],
    // Cyrillic (ru, uk) and Greek against the ICAO 9303 MRZ transliteration, and each other
    ["Щербаков", "SHCHERBAKOV", "match"],
    ["Алексей", "ALEKSEI", "match"],
    ["Юлія", "IULIIA", "match"],
    ["Ковальчук", "KOVALCHUK", "match"],
    ["Щербаков", "Щербаков", "match"],
    ["Γιώργος", "GIORGOS", "match"],
    ["Παπαδόπουλος", "PAPADOPOULOS", "match"],
    ["Georgios Papadopoulos", "ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ", "match"],
    ["Evangelos", "ΕΥΑΓΓΕΛΟΣ", "close"],
    ["Ivan Petrov", "ИВАН ПЕТРОВ", "match"],
    ["Olena Shevchenko", "ОЛЕНА ШЕВЧЕНКО", "match"],
    ["Scherbakov", "SHCHERBAKOV", "close"],
    // given names: the first of two is a match, another one is close
    ["Jose", "JOSE MARIA", "match"],
    ["Maria", "JOSE MARIA", "close"],
    // near spellings are for a human, other names are not the person
    ["Aparcio", "APARICIO", "close"],
    ["Jon", "JUAN", "mismatch"],
    ["Carlos", "JUAN", "mismatch"],
    // one shared surname of two is another family, not a spelling
    ["Aparicio Lopez", "GARCIA LOPEZ", "mismatch"],
    ["Quintanilla Zubiri", "GARCIA LOPEZ", "mismatch"],
  ])("%s against %s is a %s", (claimed, doc, verdict) => {
    expect(compareName(claimed, doc)).toBe(verdict);
  });

  it("drops particles but keeps a name made only of them", () => {
    expect(nameTokens("de la Fuente")).toEqual(["fuente"]);
    expect(nameTokens("De La")).toEqual(["de", "la"]);
  });
});

describe("compareNames", () => {
  it("tells swapped names apart from two mismatches", () => {
    expect(compareNames({ firstName: "Lopez", lastName: "Juan" }, { firstName: "JUAN", lastName: "LOPEZ" }).inverted).toBe(true);
    expect(compareNames({ firstName: "Aparicio Lopez", lastName: "Juan" }, { firstName: "JUAN", lastName: "APARICIO LOPEZ" }).inverted).toBe(true);
    const other = compareNames({ firstName: "Juan", lastName: "Aparicio Lopez" }, { firstName: "CARLOS", lastName: "GARCIA LOPEZ" });
    expect(other).toEqual({ firstName: "mismatch", lastName: "mismatch", inverted: false });
  });
  it("accepts the whole name split differently between the two fields", () => {
    expect(compareNames({ firstName: "Juan Carlos", lastName: "Aparicio" }, { firstName: "JUAN", lastName: "CARLOS APARICIO" })).toEqual({
      firstName: "match",
      lastName: "match",
      inverted: false,
    });
  });
  it("does not compare a field the tenant did not send", () => {
    expect(compareNames({ lastName: "Aparicio" }, { firstName: "JUAN", lastName: "APARICIO" })).toEqual({
      firstName: null,
      lastName: "match",
      inverted: false,
    });
    expect(compareNames({}, { firstName: "JUAN", lastName: "APARICIO" })).toEqual({ firstName: null, lastName: null, inverted: false });
  });
});

describe("document numbers, dates, age, expiry", () => {
  it.each([
    ["00000000T", "00000000T", "match"],
    ["00000000-t", "00000000T", "match"],
    ["X 1234567 L", "X1234567L", "match"],
    ["AB.123.456", "ab123456", "match"],
    ["00000000T", "00000001T", "mismatch"],
    ["B12345678", "00000000T", "mismatch"],
  ])("document number %s against %s is a %s", (a, b, verdict) => {
    expect(compareDocumentNumber(a, b)).toBe(verdict);
  });
  it("normalizes separators and case", () => expect(normalizeDocumentNumber(" 12.345-678 z ")).toBe("12345678Z"));
  it("compares calendar dates and refuses unreadable ones", () => {
    expect(compareDates("1955-12-18", "1955-12-18")).toBe("match");
    expect(compareDates("1955-12-18", "1955-12-19")).toBe("mismatch");
    expect(compareDates("1955-02-30", "1955-02-30")).toBeNull();
    expect(compareDates("18/12/1955", "1955-12-18")).toBeNull();
  });
  it.each([
    ["2008-12-01", "2026-12-01", 18],
    ["2008-12-02", "2026-12-01", 17],
    ["2008-02-29", "2026-02-28", 17],
    ["2008-02-29", "2026-03-01", 18],
    ["1955-12-18", "2026-12-01", 70],
  ])("born %s is %i on %s", (dob, today, age) => {
    expect(ageOn(dob, new Date(`${today}T12:00:00Z`))).toBe(age);
  });
  it("a document expires after its last valid day; an unreadable date is unknown", () => {
    const today = new Date("2026-12-01T10:00:00Z");
    expect(isExpired("2026-12-01", today)).toBe(false);
    expect(isExpired("2026-11-30", today)).toBe(true);
    expect(isExpired(null, today)).toBeNull();
    expect(isExpired("31/12/2030", today)).toBeNull();
    expect(isExpired("2030-13-01", today)).toBeNull();
  });
});
