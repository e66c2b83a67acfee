/** A benchmark's numeric override from the environment (BENCH_*), or its default. */
export function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : fallback;
}
