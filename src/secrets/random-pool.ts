// Random bytes for data keys, IVs, file keys and nonces, drawn from one
// buffer: node:crypto's cost per call is several times that of the 16 or 32
// bytes a value needs. A spent buffer is replaced, never refilled, so bytes
// once handed out never change under whoever holds them (a data key kept
// across an await, say).
import { randomBytes } from "node:crypto";

const POOL_BYTES = 4096;

let pool = randomBytes(POOL_BYTES);
let used = 0;

/** `n` bytes from the CSPRNG, never handed out twice. */
export function freshRandomBytes(n: number): Buffer {
  if (n > POOL_BYTES / 4) return randomBytes(n);
  if (used + n > POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  const bytes = pool.subarray(used, used + n);
  used += n;
  return bytes;
}
