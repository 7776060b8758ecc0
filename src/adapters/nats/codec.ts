/**
 * Payload codec: plain UTF-8 JSON, nothing client-specific, so messages
 * published by any NATS client in any language (e.g. the bytes of
 * `TextEncoder().encode(JSON.stringify(x))`, `json.dumps(x).encode()`) decode
 * here, and what veto publishes decodes anywhere.
 */

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

export type DecodeResult<T = unknown> = { ok: true; value: T } | { ok: false; error: string };

/** JSON text of `value` as UTF-8 bytes. Throws only for values JSON cannot represent (cycles, BigInt). */
export function encodeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

/** UTF-8 bytes of a string. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The text of `data` when it is valid UTF-8, else undefined (never throws). A leading BOM is dropped. */
export function decodeUtf8(data: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(data);
  } catch {
    return undefined;
  }
}

/**
 * Parses UTF-8 JSON bytes. Never throws: invalid UTF-8, an empty payload and
 * JSON syntax errors come back as `{ ok: false, error }`.
 */
export function decodeJson<T = unknown>(data: Uint8Array | undefined | null): DecodeResult<T> {
  if (!data || data.length === 0) return { ok: false, error: 'empty payload' };
  const text = decodeUtf8(data);
  if (text === undefined) return { ok: false, error: 'payload is not valid UTF-8' };
  try {
    return { ok: true, value: JSON.parse(text) as T };
  } catch (err) {
    return { ok: false, error: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The payload as text when it is valid UTF-8, else as base64 (for DLQ records). */
export function payloadAsText(data: Uint8Array): { payload: string; payloadEncoding: 'utf8' | 'base64' } {
  const text = decodeUtf8(data);
  if (text !== undefined) return { payload: text, payloadEncoding: 'utf8' };
  return { payload: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'), payloadEncoding: 'base64' };
}
