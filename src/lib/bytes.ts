/** Small byte helpers shared by the modules that name things by bytes (keys, digests) or join them. */

const HEX_DIGITS = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));

/** Lowercase hex of `bytes`, two digits a byte (a table lookup: every request names things this way). */
export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  let hex = "";
  for (const byte of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) hex += HEX_DIGITS[byte];
  return hex;
}

/**
 * Splits a byte stream into the text pieces between `delimiter`s as chunks
 * arrive (a piece may span chunks); text after the last delimiter is dropped,
 * as a stream that breaks off mid-piece carries no whole piece there.
 */
export async function* splitStream(stream: ReadableStream<Uint8Array>, delimiter: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    let end = buffered.indexOf(delimiter);
    while (end >= 0) {
      yield buffered.slice(0, end);
      buffered = buffered.slice(end + delimiter.length);
      end = buffered.indexOf(delimiter);
    }
  }
}

/** `bytes` as a stream of one chunk: a whole buffer handed on without splitting or copying it. */
export function oneChunkStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** The chunks as one array; a single chunk is handed back as it is, not copied. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const bytes = new Uint8Array(chunks.reduce((total, chunk) => total + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return bytes;
}
