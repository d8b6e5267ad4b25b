// A log-linear (HDR-style) histogram of non-negative integer values, typically microseconds.
// Values below 2^SUB_BITS are exact; above, each power of two is split into 2^(SUB_BITS-1) buckets,
// so any reported value is within 1/2^(SUB_BITS-1) (≈0.1 %) of a recorded one. Counts are sparse
// (a Map) so a histogram per second of a long run stays small, and two histograms merge by addition.

const SUB_BITS = 11;
const SUB_COUNT = 1 << SUB_BITS; // 2048 exact values
const HALF = SUB_COUNT >> 1;

/** Bucket index of a value; monotonic in the value. */
export function bucketOf(value: number): number {
  const v = Math.max(0, Math.floor(value));
  if (v < SUB_COUNT) return v;
  const shift = Math.floor(Math.log2(v)) - (SUB_BITS - 1);
  // Math.log2 can round up just below a power of two; correct the shift so the top bits fit.
  const s = v >= SUB_COUNT * 2 ** (shift - 1) ? shift : shift - 1;
  const top = Math.floor(v / 2 ** s); // in [HALF, SUB_COUNT)
  return SUB_COUNT + (s - 1) * HALF + (top - HALF);
}

/** Lowest value that falls into a bucket. */
export function bucketLow(index: number): number {
  if (index < SUB_COUNT) return index;
  const rel = index - SUB_COUNT;
  const s = Math.floor(rel / HALF) + 1;
  const top = (rel % HALF) + HALF;
  return top * 2 ** s;
}

/** Highest value that falls into a bucket. */
export function bucketHigh(index: number): number {
  if (index < SUB_COUNT) return index;
  return bucketLow(index + 1) - 1;
}

export interface HistogramJSON {
  /** [bucket index, count] pairs. */
  buckets: [number, number][];
  count: number;
  min: number;
  max: number;
  sum: number;
}

export class Histogram {
  private counts = new Map<number, number>();
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;
  sum = 0;

  record(value: number, times = 1): void {
    const v = Math.max(0, Math.round(value));
    const b = bucketOf(v);
    this.counts.set(b, (this.counts.get(b) ?? 0) + times);
    this.count += times;
    this.sum += v * times;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  merge(other: Histogram | HistogramJSON): void {
    const buckets = other instanceof Histogram ? [...other.counts] : other.buckets;
    for (const [b, c] of buckets) this.counts.set(b, (this.counts.get(b) ?? 0) + c);
    this.count += other.count;
    this.sum += other.sum;
    if (other.count > 0) {
      if (other.min < this.min) this.min = other.min;
      if (other.max > this.max) this.max = other.max;
    }
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * Value at quantile q in [0, 1] by the nearest-rank definition: the smallest recorded value such
   * that at least q·count values are ≤ it. Reported as the bucket's upper bound clamped to the true
   * max, so p100 is exact and no percentile under-reports.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q <= 0) return this.min;
    const rank = Math.max(1, Math.ceil(q * this.count));
    const sorted = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const b of sorted) {
      seen += this.counts.get(b)!;
      if (seen >= rank) return Math.min(Math.max(bucketHigh(b), this.min), this.max);
    }
    return this.max;
  }

  toJSON(): HistogramJSON {
    return {
      buckets: [...this.counts],
      count: this.count,
      min: this.count ? this.min : 0,
      max: this.max,
      sum: this.sum,
    };
  }

  static fromJSON(j: HistogramJSON): Histogram {
    const h = new Histogram();
    h.merge(j);
    return h;
  }
}

/** Exact nearest-rank quantile of an array (sorted copy); the reference the histogram is tested against. */
export function exactQuantile(values: readonly number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  if (q <= 0) return s[0]!;
  const rank = Math.max(1, Math.ceil(q * s.length));
  return s[rank - 1]!;
}
