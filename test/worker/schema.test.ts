/** The schema module: what it accepts, and where and how it says what is wrong. */
import { describe, expect, it } from "vitest";
import {
  array,
  boolean,
  integer,
  nullish,
  number,
  object,
  oneOf,
  optional,
  SchemaIssue,
  string,
  union,
  type Schema,
} from "../../src/lib/schema.ts";

/** The issue a schema throws for `value`, or a failed expectation when it throws none. */
function issueOf(schema: Schema<unknown>, value: unknown): SchemaIssue {
  try {
    schema.parse(value, []);
  } catch (error) {
    if (error instanceof SchemaIssue) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

const part = object({ type: string(), text: optional(string()) });
const body = object({
  messages: array(object({ role: string(), content: nullish(union(string(), array(part))) }), {
    nonEmpty: "at least one message is required",
  }),
  stream: nullish(boolean()),
});

describe("accepted values come back as they were", () => {
  it("keeps fields the schema does not name (clients send many)", () => {
    const value = { messages: [{ role: "user", content: "a cat", name: "ann" }], seed: 7 };
    expect(body.parse(value, [])).toEqual(value);
  });

  it("takes null or absence for a nullish field, but only absence for an optional one", () => {
    expect(body.parse({ messages: [{ role: "user", content: null }], stream: null }, [])).toEqual({
      messages: [{ role: "user", content: null }],
      stream: null,
    });
    expect(body.parse({ messages: [{ role: "user" }] }, [])).toEqual({ messages: [{ role: "user" }] });
    expect(issueOf(part, { type: "text", text: null })).toMatchObject({ path: ["text"], missing: false });
  });

  it("picks a union's branch by the value's kind", () => {
    const content = [{ type: "text", text: "a cat" }];
    expect(body.parse({ messages: [{ role: "user", content }] }, [])).toEqual({
      messages: [{ role: "user", content }],
    });
  });
});

describe("a refused value names the field and what was expected", () => {
  it("gives the path down to the bad element, through arrays and a union", () => {
    const issue = issueOf(body, { messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] });
    expect(issue.path).toEqual(["messages", 0, "content", 0, "text"]);
    expect(issue.problem).toBe("expected a string, got a number");
  });

  it("says when a required field is absent rather than wrong", () => {
    expect(issueOf(body, { messages: [{ content: "a cat" }] })).toMatchObject({
      path: ["messages", 0, "role"],
      problem: "expected a string",
      missing: true,
    });
    expect(issueOf(body, { messages: [{ role: 1 }] }).missing).toBe(false);
  });

  it("lists a union's alternatives when the value fits none of them", () => {
    expect(issueOf(body, { messages: [{ role: "user", content: 42 }] })).toMatchObject({
      path: ["messages", 0, "content"],
      problem: "expected a string or an array, got a number",
    });
  });

  it("refuses a body that is not an object at the top, with an empty path", () => {
    expect(issueOf(body, [])).toMatchObject({ path: [], problem: "expected an object, got an array" });
    expect(issueOf(body, null).problem).toBe("expected an object, got null");
  });

  it("uses the schema's own words for an empty array or string", () => {
    expect(issueOf(body, { messages: [] }).problem).toBe("at least one message is required");
    expect(issueOf(string({ nonEmpty: "a prompt is required" }), "").problem).toBe("a prompt is required");
    expect(string().parse("", [])).toBe("");
  });

  it("states an integer's range and the number it got", () => {
    const n = integer({ min: 1, max: 4 });
    expect(n.parse(4, [])).toBe(4);
    expect(issueOf(n, 5).problem).toBe("expected an integer from 1 to 4, got 5");
    expect(issueOf(n, 0).problem).toBe("expected an integer from 1 to 4, got 0");
    expect(issueOf(n, 1.5).problem).toBe("expected an integer from 1 to 4, got 1.5");
    expect(issueOf(n, "2").problem).toBe("expected an integer from 1 to 4, got a string");
    expect(issueOf(integer({ min: 1 }), 0).problem).toBe("expected an integer of at least 1, got 0");
    expect(issueOf(integer(), 2.5).problem).toBe("expected an integer, got 2.5");
  });

  it("refuses numbers JSON cannot carry", () => {
    expect(number().parse(0.5, [])).toBe(0.5);
    expect(issueOf(number(), Number.NaN).problem).toBe("expected a number, got NaN");
    expect(issueOf(number(), Infinity).problem).toBe("expected a number, got Infinity");
  });

  it("quotes the choices of a fixed set and the value it got, cut short when long", () => {
    const format = oneOf(["url", "b64_json"]);
    expect(format.parse("url", [])).toBe("url");
    expect(issueOf(format, "png").problem).toBe('expected "url" or "b64_json", got "png"');
    const long = issueOf(format, "x".repeat(10_000)).problem;
    expect(long).toBe(`expected "url" or "b64_json", got "${"x".repeat(40)}…"`);
  });
});
