/** How a dead letter's payload is stored, the same in DynamoDB and SQLite. */

/**
 * The largest payload kept whole: a DynamoDB item holds 400 KB, and an alert event refused as too
 * large for EventBridge (over 256 KiB) still fits; anything larger is cut and marked.
 */
export const MAX_DEAD_LETTER_PAYLOAD_CHARS = 300_000;

/** The stored payload: JSON, cut to MAX_DEAD_LETTER_PAYLOAD_CHARS. */
export function deadLetterPayload(payload: unknown): { payload: string; payloadTruncated?: true } {
  const json = JSON.stringify(payload) ?? 'null';
  return json.length <= MAX_DEAD_LETTER_PAYLOAD_CHARS
    ? { payload: json }
    : { payload: json.slice(0, MAX_DEAD_LETTER_PAYLOAD_CHARS), payloadTruncated: true };
}

/** A stored payload back as a value (a cut one stays the string it was cut to). */
export function parseDeadLetterPayload(payload: string, truncated: boolean): unknown {
  return truncated ? payload : JSON.parse(payload);
}
