// fast-check arbitraries for request bodies: from a zod schema's JSON Schema (z.toJSONSchema) to
// values that satisfy its shape, then mutated into the broken values a client or an attacker sends.
import fc from "fast-check";
import { z } from "zod";

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  format?: string;
  pattern?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
};

/** Values for property names whose shape the JSON Schema cannot say (a refine): real-looking ones, so requests get past zod. */
export type Hints = Record<string, fc.Arbitrary<unknown>>;

const ipUrl = fc
  .tuple(
    fc.constantFrom("http", "https"),
    fc.constantFrom("127.0.0.1", "10.0.0.7", "93.184.215.14", "[::1]", "[2001:db8::1]", "localhost"),
    fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined }),
    fc.webPath(),
  )
  .map(([scheme, host, port, path]) => `${scheme}://${host}${port ? `:${port}` : ""}${path}`);

function stringOf(s: JsonSchema): fc.Arbitrary<string> {
  if (s.format === "uri") return ipUrl;
  if (s.format === "email") return fc.emailAddress();
  if (s.format === "date-time") return fc.date({ min: new Date("2000-01-01"), max: new Date("2100-01-01"), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern));
  return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 40, 40), unit: "grapheme" });
}

/** An arbitrary of values with the schema's shape (refinements aside); `hints` by property name win. */
export function fromJsonSchema(s: JsonSchema, hints: Hints = {}, name?: string): fc.Arbitrary<unknown> {
  const hint = name !== undefined ? hints[name] : undefined;
  if (hint) return hint;
  if (s.anyOf ?? s.oneOf) return fc.oneof(...(s.anyOf ?? s.oneOf)!.map((x) => fromJsonSchema(x, hints, name)));
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case "object": {
      if (s.properties) {
        const required = new Set(s.required ?? []);
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, v] of Object.entries(s.properties)) record[k] = fromJsonSchema(v, hints, k);
        return fc.record(record, { requiredKeys: [...required] });
      }
      // a free-form record (metadata, credentials, settings)
      return fc.dictionary(fc.string({ maxLength: 12 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 });
    }
    case "array": {
      const items = s.items ? fromJsonSchema(s.items, hints, name) : fc.jsonValue({ maxDepth: 2 });
      return fc.array(items, { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) });
    }
    case "string":
      return stringOf(s);
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "null":
      return fc.constant(null);
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

export function schemaArbitrary(schema: z.ZodType, hints: Hints = {}): fc.Arbitrary<unknown> {
  return fromJsonSchema(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema, hints);
}

const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "a\ud83d", "\ude00b"];

/** Strings a client should never get a 500 for. */
export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ maxLength: 20 }).map((s) => `${s}\u0000${s}`) },
  { weight: 3, arbitrary: fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...LONE_SURROGATES)).map(([s, l]) => `${s}${l}${s}`) },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "\u0000",
      "\uFEFF",
      "\u202E",
      "%00",
      "%",
      "%ZZ",
      "..",
      "../../etc/passwd",
      "__proto__",
      "constructor",
      "null",
      "true",
      "0",
      "-1",
      "1e309",
      "<script>",
      "'; DROP TABLE x;--",
      "😀".repeat(50),
      "\r\n",
      "\t",
    ),
  },
  { weight: 1, arbitrary: fc.integer({ min: 200, max: 70_000 }).map((n) => "x".repeat(n)) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 30 }) },
);

// JSON nested thousands of levels would overflow this process's own JSON.stringify and clone: it is
// a marker here, written out as text by toJsonText
const DEEP = "\u0001deep";

/** JSON nested `depth` levels, arrays or objects. */
export const deepValue: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 30, max: 6000 }), fc.boolean())
  .map(([depth, arrays]) => ({ [DEEP]: depth, arrays }));

const isDeep = (x: unknown): x is { [DEEP]: number; arrays: boolean } =>
  !!x && typeof x === "object" && typeof (x as Record<string, unknown>)[DEEP] === "number";

/** JSON.stringify, with deep markers written out as the nesting they stand for. */
export function toJsonText(v: unknown): string | undefined {
  const deep: string[] = [];
  const text = JSON.stringify(v, (_k, x) => {
    if (isDeep(x)) {
      const { [DEEP]: depth, arrays } = x as { [DEEP]: number; arrays: boolean };
      deep.push(arrays ? `${"[".repeat(depth)}1${"]".repeat(depth)}` : `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
      return `\u0002${deep.length - 1}\u0002`;
    }
    return x;
  });
  return text?.replace(/"\\u0002(\d+)\\u0002"/g, (_m, i: string) => deep[Number(i)]!);
}

/** Values of the wrong kind for any field. */
export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: nastyString },
  { weight: 2, arbitrary: deepValue },
  {
    weight: 2,
    arbitrary: fc.constantFrom(null, true, false, 0, -1, 1.5, 1e300, -0, [], {}, [null], { "": null }, { __proto__: 1 }, { constructor: { prototype: 1 } }),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(nastyString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }) },
);

type Path = (string | number)[];

function pathsOf(v: unknown, at: Path = [], out: Path[] = [], depth = 0): Path[] {
  out.push(at);
  if (depth > 8 || v === null || typeof v !== "object" || isDeep(v)) return out;
  if (Array.isArray(v))
    v.forEach((x, i) => {
      pathsOf(x, [...at, i], out, depth + 1);
    });
  else for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out, depth + 1);
  return out;
}

function setAt(root: unknown, path: Path, value: unknown, op: "replace" | "delete" | "addKey", key: string): unknown {
  if (path.length === 0) return op === "replace" ? value : root;
  const parent = path.slice(0, -1).reduce<any>((o, k) => o?.[k], root);
  const last = path[path.length - 1]!;
  if (parent === null || typeof parent !== "object") return root;
  if (op === "delete") {
    if (Array.isArray(parent) && typeof last === "number") parent.splice(last, 1);
    else delete parent[last];
  } else if (op === "addKey") {
    const target = parent[last];
    if (target && typeof target === "object" && !Array.isArray(target))
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  } else parent[last] = value;
  return root;
}

const mutation = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom("replace", "replace", "replace", "delete", "addKey"),
  value: nastyValue,
  key: fc.oneof(nastyString, fc.constantFrom("extra", "__proto__", "")),
});

/** A schema-shaped value, untouched half of the time, else with up to three fields broken. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc
    .tuple(base, fc.oneof({ weight: 1, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }) }))
    .map(([value, muts]) => {
      let v = structuredClone(value);
      for (const m of muts) {
        const paths = pathsOf(v);
        v = setAt(v, paths[m.pick % paths.length]!, m.value, m.op as "replace" | "delete" | "addKey", m.key);
      }
      return v;
    });
}
