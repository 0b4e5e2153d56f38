// @ts-check
/**
 * Reading JSON that came from the API or from storage: it is untrusted until
 * these helpers have checked its shape, so nothing here returns `any`.
 */

/**
 * @param {unknown} value
 * @returns {value is Record<string, unknown>}
 */
export function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * @param {string} text
 * @returns {unknown} the parsed value, or undefined when the text is not JSON
 */
export function parseJson(text) {
  try {
    return /** @type {unknown} */ (JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * @param {unknown} value
 * @param {string} key
 * @returns {string | undefined} `value[key]` when value is an object and that field a string
 */
export function stringAt(value, key) {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === "string" ? field : undefined;
}

/**
 * @param {unknown} value
 * @param {string} key
 * @returns {number | undefined} `value[key]` when value is an object and that field a finite number
 */
export function numberAt(value, key) {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === "number" && Number.isFinite(field) ? field : undefined;
}

/**
 * @param {unknown} value
 * @returns {unknown[]} the value when it is an array, else an empty one
 */
export function asArray(value) {
  return Array.isArray(value) ? /** @type {unknown[]} */ (value) : [];
}
