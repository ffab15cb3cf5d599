import type { GlobalPosition } from '../port.js';

/**
 * EventStoreDB addresses `$all` with two unsigned 64-bit numbers, {commit, prepare}, ordered
 * by commit then prepare. The port wants one comparable bigint, so we pack the pair as
 *
 *     position = (commit << 64) | prepare
 *
 * which is order-preserving (bigints compare numerically, and prepare < 2^64), lossless, and
 * decodes back to the exact pair the server handed out, which is what a subscription or read
 * must send to resume. The values are large (commit 4096 is already 2^76): treat them as opaque.
 */
export interface EsdbPosition {
  commit: bigint;
  prepare: bigint;
}

const U64 = 1n << 64n;
const U64_MASK = U64 - 1n;

export function encodePosition({ commit, prepare }: EsdbPosition): GlobalPosition {
  if (commit < 0n || commit >= U64 || prepare < 0n || prepare >= U64) {
    throw new RangeError(`EventStoreDB position out of range: commit ${commit}, prepare ${prepare}`);
  }
  return (commit << 64n) | prepare;
}

export function decodePosition(position: GlobalPosition): EsdbPosition {
  if (position < 0n || position >= U64 * U64)
    throw new RangeError(`not an encoded EventStoreDB position: ${position}`);
  return { commit: position >> 64n, prepare: position & U64_MASK };
}
