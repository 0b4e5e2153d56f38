/**
 * Declarative checks for JSON request bodies, in the few shapes the OpenAI
 * bodies need. A schema returns the value typed when it fits and otherwise
 * throws a SchemaIssue naming the field (`messages[0].content`) and what was
 * expected. The first problem found is the one reported, as OpenAI's API does.
 *
 * It stands in for zod, whose full build was ~84 % of the Worker bundle that
 * every cold start parses: with `zod/mini` the Worker measured 181–187 KiB raw,
 * with this module 139 KiB (the README has the figures). A new kind of field
 * (a file part, a data URL) is one more small function here.
 */

/** Where a value sits in the body: `["messages", 0, "content"]`. */
export type Path = readonly (string | number)[];

/** JSON's kinds of value; a union picks its branch by the kind it is given. */
export type Kind = "string" | "number" | "boolean" | "null" | "array" | "object";

export interface Schema<T> {
  /** What the schema wants, for messages: "a string", "an integer from 1 to 4". */
  readonly expected: string;
  /** The kinds of JSON value it takes (a union or a nullable takes several). */
  readonly kinds: readonly Kind[];
  /** Returns `value` typed when it fits; throws a SchemaIssue otherwise. */
  parse(value: unknown, path: Path): T;
}

/** The type a schema checks for, as zod's `z.infer`. */
export type Infer<S> = S extends Schema<infer T> ? T : never;

/** The first problem found: where, what is wrong, and whether the field was simply absent. */
export class SchemaIssue extends Error {
  readonly path: Path;
  readonly problem: string;
  readonly missing: boolean;

  constructor(path: Path, problem: string, missing = false) {
    super(problem);
    this.name = "SchemaIssue";
    this.path = path;
    this.problem = problem;
    this.missing = missing;
  }
}

export function string(options: { nonEmpty?: string } = {}): Schema<string> {
  return {
    expected: "a string",
    kinds: ["string"],
    parse(value, path) {
      if (typeof value !== "string") throw mismatch(path, "a string", value);
      if (value === "" && options.nonEmpty !== undefined) throw new SchemaIssue(path, options.nonEmpty);
      return value;
    },
  };
}

export function number(): Schema<number> {
  return {
    expected: "a number",
    kinds: ["number"],
    parse(value, path) {
      if (typeof value !== "number" || !Number.isFinite(value)) throw mismatch(path, "a number", value);
      return value;
    },
  };
}

/** A whole number, optionally within `min`…`max` (inclusive). */
export function integer(range: { min?: number; max?: number } = {}): Schema<number> {
  const { min = -Infinity, max = Infinity } = range;
  const expected =
    min > -Infinity && max < Infinity
      ? `an integer from ${min} to ${max}`
      : min > -Infinity
        ? `an integer of at least ${min}`
        : max < Infinity
          ? `an integer of at most ${max}`
          : "an integer";
  return {
    expected,
    kinds: ["number"],
    parse(value, path) {
      if (typeof value !== "number") throw mismatch(path, expected, value);
      if (!Number.isInteger(value) || value < min || value > max)
        throw new SchemaIssue(path, `expected ${expected}, got ${value}`);
      return value;
    },
  };
}

export function boolean(): Schema<boolean> {
  return {
    expected: "a boolean",
    kinds: ["boolean"],
    parse(value, path) {
      if (typeof value !== "boolean") throw mismatch(path, "a boolean", value);
      return value;
    },
  };
}

/** One of a few fixed strings, e.g. `oneOf(["url", "b64_json"])`. */
export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  const expected = values.map((value) => JSON.stringify(value)).join(" or ");
  return {
    expected,
    kinds: ["string"],
    parse(value, path) {
      if (typeof value !== "string") throw mismatch(path, expected, value);
      if (!values.includes(value)) throw new SchemaIssue(path, `expected ${expected}, got ${quoted(value)}`);
      return value;
    },
  };
}

export function array<T>(item: Schema<T>, options: { nonEmpty?: string } = {}): Schema<T[]> {
  return {
    expected: "an array",
    kinds: ["array"],
    parse(value, path) {
      if (!Array.isArray(value)) throw mismatch(path, "an array", value);
      if (value.length === 0 && options.nonEmpty !== undefined) throw new SchemaIssue(path, options.nonEmpty);
      return value.map((element, index) => item.parse(element, [...path, index]));
    },
  };
}

type Shape = Record<string, Schema<unknown>>;
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends Infer<S[K]> ? K : never }[keyof S];
type Flatten<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<S extends Shape> = Flatten<
  { [K in Exclude<keyof S, OptionalKeys<S>>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> }
>;

/**
 * An object with these fields. Fields it does not name are kept and not checked:
 * OpenAI clients send many that this service ignores.
 */
export function object<S extends Shape>(shape: S): Schema<ObjectOf<S> & Record<string, unknown>> {
  return {
    expected: "an object",
    kinds: ["object"],
    parse(value, path) {
      if (kindOf(value) !== "object") throw mismatch(path, "an object", value);
      const record = value as Record<string, unknown>;
      const checked: Record<string, unknown> = { ...record };
      for (const [key, field] of Object.entries(shape)) {
        const parsed = field.parse(Object.hasOwn(record, key) ? record[key] : undefined, [...path, key]);
        if (parsed !== undefined) checked[key] = parsed;
      }
      // Every field of the shape was checked just above; the rest are passed through untouched.
      return checked as ObjectOf<S> & Record<string, unknown>;
    },
  };
}

/**
 * The first alternative that takes the value's kind decides, so a bad element
 * inside an array is reported where it is (`content[0].text`), not as "no match".
 * Two alternatives of the same kind (two object shapes) cannot be told apart this
 * way: the first would always win; such a choice needs a tag field to pick by.
 */
export function union<T extends readonly Schema<unknown>[]>(...alternatives: T): Schema<Infer<T[number]>> {
  const expected = alternatives.map((alternative) => alternative.expected).join(" or ");
  return {
    expected,
    kinds: alternatives.flatMap((alternative) => alternative.kinds),
    parse(value, path) {
      const kind = kindOf(value);
      const chosen = alternatives.find((alternative) => kind !== undefined && alternative.kinds.includes(kind));
      if (!chosen) throw mismatch(path, expected, value);
      return chosen.parse(value, path) as Infer<T[number]>;
    },
  };
}

/** The field may be absent. */
export function optional<T>(inner: Schema<T>): Schema<T | undefined> {
  return {
    expected: inner.expected,
    kinds: inner.kinds,
    parse: (value, path) => (value === undefined ? undefined : inner.parse(value, path)),
  };
}

/** The field may be absent or null (clients send `"user": null` for "not set"). */
export function nullish<T>(inner: Schema<T>): Schema<T | null | undefined> {
  return {
    expected: inner.expected,
    kinds: [...inner.kinds, "null"],
    parse: (value, path) => (value === undefined || value === null ? value : inner.parse(value, path)),
  };
}

/** The JSON kind of a value, or undefined for what JSON cannot hold (undefined, functions). */
export function kindOf(value: unknown): Kind | undefined {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  const type = typeof value;
  if (type === "string" || type === "number" || type === "boolean" || type === "object") return type;
  return undefined;
}

function mismatch(path: Path, expected: string, value: unknown): SchemaIssue {
  if (value === undefined) return new SchemaIssue(path, `expected ${expected}`, true);
  return new SchemaIssue(path, `expected ${expected}, got ${described(value)}`);
}

function described(value: unknown): string {
  switch (kindOf(value)) {
    case "null":
      return "null";
    case "array":
      return "an array";
    case "object":
      return "an object";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean";
    case "number":
      // NaN and Infinity come from code, not JSON; say which rather than "a number".
      return Number.isFinite(value) ? "a number" : String(value);
    default:
      return typeof value;
  }
}

/** A string as the user sent it, cut short so a huge value cannot flood the message. */
function quoted(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}
