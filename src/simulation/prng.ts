/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every machine, so a simulation can be repeated exactly. Not for anything secret.
 */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** An integer from `min` to `max`, both included (`max` < `min` gives `min`). */
  int(min: number, max: number): number;
}

/** The generator for `seed` (any safe integer; only its low 32 bits count). */
export function mulberry32(seed: number): Random {
  let state = Number(BigInt.asUintN(32, BigInt(Math.trunc(seed))));
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (min, max) => (max <= min ? min : min + Math.floor(next() * (max - min + 1))),
  };
}
