/** snappyjs ships no types; the two functions we use. */
declare module 'snappyjs' {
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}

/** The block decompressor behind `uncompress`, used directly to decompress into a reused buffer. */
declare module 'snappyjs/snappy_decompressor.js' {
  export class SnappyDecompressor {
    constructor(compressed: Uint8Array);
    /** The declared uncompressed length, or -1 when the preamble is malformed. */
    readUncompressedLength(): number;
    /** Decompresses into `out`; false when the block is corrupt. */
    uncompressToBuffer(out: Uint8Array): boolean;
  }
}
