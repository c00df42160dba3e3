/** snappyjs ships no types; the two functions we use (compress, and uncompress as a test oracle). */
declare module 'snappyjs' {
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}
