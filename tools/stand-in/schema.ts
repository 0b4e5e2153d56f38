// The part of JSON Schema that Workers AI's text-to-image inputs use, checked the way Workers AI
// checks them, with its error texts (what it puts after "AiError: Bad input: Error: ").

export type FieldRule =
  | { type: "string"; minLength?: number; maxLength?: number }
  | { type: "integer"; minimum?: number; maximum?: number }
  | { type: "number"; minimum?: number; maximum?: number }
  | { type: "array"; items: FieldRule }
  | { type: "file" };

/** An encoded image sent as JSON: its bytes as numbers, `[...new Uint8Array(buffer)]`. */
export const BYTE_ARRAY: FieldRule = { type: "array", items: { type: "integer", minimum: 0, maximum: 255 } };

/** Own properties only: a model or field named "constructor" must not find Object's. */
export function lookup<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/** The input itself when it fits, else the first problem found (unknown field, missing prompt, bad value). */
export function validate(
  input: Record<string, unknown>,
  fields: Record<string, FieldRule>,
): Record<string, unknown> | string {
  const unknownField = Object.keys(input).find((name) => !lookup(fields, name));
  if (unknownField !== undefined) return `additional properties not allowed at '/': '${unknownField}'`;
  if (input.prompt === undefined) return "required properties at '/' are 'prompt'";
  for (const [name, value] of Object.entries(input)) {
    const rule = lookup(fields, name);
    const problem = rule && checkField(`/${name}`, value, rule);
    if (problem) return problem;
  }
  return input;
}

function checkField(path: string, value: unknown, rule: FieldRule): string | undefined {
  const actual = typeName(value);
  const typeFits =
    rule.type === actual ||
    (rule.type === "number" && actual === "integer") ||
    (rule.type === "file" && actual === "string");
  if (!typeFits) return `Type mismatch of '${path}', '${actual}' not in '${rule.type}'`;
  switch (rule.type) {
    case "string":
      return checkLength(path, String(value).length, rule);
    case "integer":
    case "number":
      return checkRange(path, value as number, rule);
    case "array":
      return checkItems(path, value as unknown[], rule.items);
    default:
      return undefined;
  }
}

function checkLength(
  path: string,
  length: number,
  rule: { minLength?: number; maxLength?: number },
): string | undefined {
  if (rule.minLength !== undefined && length < rule.minLength)
    return `String at '${path}' is too short: ${length} < ${rule.minLength}`;
  if (rule.maxLength !== undefined && length > rule.maxLength)
    return `String at '${path}' is too long: ${length} > ${rule.maxLength}`;
  return undefined;
}

function checkRange(path: string, number: number, rule: { minimum?: number; maximum?: number }): string | undefined {
  if (rule.minimum !== undefined && number < rule.minimum)
    return `Value at '${path}' is ${number}, minimum is ${rule.minimum}`;
  if (rule.maximum !== undefined && number > rule.maximum)
    return `Value at '${path}' is ${number}, maximum is ${rule.maximum}`;
  return undefined;
}

/** Each item against the items' rule, stopping at the first problem (an image's array holds millions). */
function checkItems(path: string, items: readonly unknown[], rule: FieldRule): string | undefined {
  for (let index = 0; index < items.length; index++) {
    const problem = checkField(`${path}/${index}`, items[index], rule);
    if (problem) return problem;
  }
  return undefined;
}

export function typeName(value: unknown): string {
  if (value instanceof Blob) return "file";
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

/** Form fields arrive as text; Workers AI reads numeric ones as numbers. */
export function coerceFormValue(text: string, rule: FieldRule | undefined): unknown {
  if (rule?.type === "integer" && /^-?\d+$/.test(text.trim())) return Number(text);
  if (rule?.type === "number" && text.trim() !== "" && Number.isFinite(Number(text))) return Number(text);
  return text;
}
