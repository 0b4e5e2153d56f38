/** validate(): a refused body becomes one 400 ApiError whose message and param name the field. */
import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/lib/http/errors.ts";
import { chatRequestSchema, imagesRequestSchema, validate } from "../../src/lib/openai/request-body.ts";
import type { Schema } from "../../src/lib/schema.ts";

function refusal(schema: Schema<unknown>, value: unknown): ApiError {
  try {
    validate(schema, value);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(value)} to be refused`);
}

describe("validate", () => {
  it("returns a valid body with the fields it was sent", () => {
    const body = { messages: [{ role: "user", content: "a cat" }], stream: true, temperature: 0.2, seed: 9 };
    expect(validate(chatRequestSchema, body)).toEqual(body);
  });

  it("names a wrong field in the message and in param, as a 400 invalid_request", () => {
    const error = refusal(chatRequestSchema, { messages: [{ role: "user", content: [{ type: "text", text: 7 }] }] });
    expect(error.status).toBe(400);
    expect(error.toBody()).toEqual({
      message: "Invalid value for 'messages[0].content[0].text': expected a string, got a number.",
      type: "invalid_request_error",
      param: "messages[0].content[0].text",
      code: "invalid_request",
    });
  });

  it("says a required field is missing", () => {
    expect(refusal(imagesRequestSchema, { size: "1024x1024" }).toBody()).toMatchObject({
      message: "Missing required field 'prompt': expected a string.",
      param: "prompt",
    });
  });

  it("refuses a body that is not an object with no param", () => {
    expect(refusal(imagesRequestSchema, ["a cat"]).toBody()).toMatchObject({
      message: "Invalid request body: expected an object, got an array.",
      param: null,
    });
  });

  it("lets a fault that is not a refused value through as it is", () => {
    const broken: Schema<never> = {
      expected: "anything",
      kinds: ["string"],
      parse: () => {
        throw new TypeError("a bug in a schema");
      },
    };
    expect(() => validate(broken, "a")).toThrow(TypeError);
  });
});
