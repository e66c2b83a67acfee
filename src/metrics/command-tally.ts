/**
 * Command counts and latencies, kept in plain numbers on the hot path and written out in the
 * Prometheus text format only when scraped. prom-client's own labelled counter and histogram
 * cost 1–2 µs per command (they hash the labels on every call); this costs a Map lookup and a
 * few additions, so metrics stay out of the command path's measurements.
 */

interface Tally {
  labels: string;
  count: number;
}

interface Latency {
  type: string;
  count: number;
  sum: number;
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  buckets: Float64Array;
}

/** A label value in the text format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export interface TallyNames {
  counter: string;
  counterHelp: string;
  histogram: string;
  histogramHelp: string;
}

export class CommandTally {
  /** type → result → count (nested, so recording allocates nothing once seen). */
  private readonly tallies = new Map<string, Map<string, Tally>>();
  private readonly latencies = new Map<string, Latency>();

  constructor(
    private readonly names: TallyNames,
    /** Upper bounds of the latency buckets, seconds, ascending. */
    private readonly bounds: readonly number[],
  ) {}

  /** Counts one command of `type` with `result` that took `seconds`. */
  record(type: string, result: string, seconds: number): void {
    let byResult = this.tallies.get(type);
    if (!byResult) this.tallies.set(type, (byResult = new Map()));
    let tally = byResult.get(result);
    if (!tally) {
      tally = { labels: `type="${labelValue(type)}",result="${labelValue(result)}"`, count: 0 };
      byResult.set(result, tally);
    }
    tally.count += 1;
    let latency = this.latencies.get(type);
    if (!latency) {
      latency = { type, count: 0, sum: 0, buckets: new Float64Array(this.bounds.length + 1) };
      this.latencies.set(type, latency);
    }
    latency.count += 1;
    latency.sum += seconds;
    let i = 0;
    while (i < this.bounds.length && seconds > this.bounds[i]!) i += 1;
    latency.buckets[i]! += 1;
  }

  /** The counter and the histogram in the Prometheus text format (0.0.4). */
  exposition(): string {
    const { counter, histogram } = this.names;
    const lines = [
      `# HELP ${counter} ${this.names.counterHelp}`,
      `# TYPE ${counter} counter`,
      ...[...this.tallies.values()].flatMap((byResult) =>
        [...byResult.values()].map((t) => `${counter}{${t.labels}} ${t.count}`),
      ),
      '',
      `# HELP ${histogram} ${this.names.histogramHelp}`,
      `# TYPE ${histogram} histogram`,
    ];
    for (const l of this.latencies.values()) {
      const type = `type="${labelValue(l.type)}"`;
      let cumulative = 0;
      for (let i = 0; i <= this.bounds.length; i++) {
        cumulative += l.buckets[i]!;
        const le = i < this.bounds.length ? String(this.bounds[i]) : '+Inf';
        lines.push(`${histogram}_bucket{le="${le}",${type}} ${cumulative}`);
      }
      lines.push(`${histogram}_sum{${type}} ${l.sum}`, `${histogram}_count{${type}} ${l.count}`);
    }
    return lines.join('\n') + '\n';
  }
}
