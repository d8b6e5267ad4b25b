import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Histogram, bucketHigh, bucketLow, bucketOf, exactQuantile } from './histogram.ts';

// A small deterministic generator so failures reproduce.
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function within(actual: number, expected: number, rel: number): boolean {
  return Math.abs(actual - expected) <= Math.max(1, expected * rel);
}

describe('histogram buckets', () => {
  test('every value lies inside the bounds of its own bucket', () => {
    const rnd = lcg(7);
    const probes = [0, 1, 2047, 2048, 2049, 4095, 4096, 2 ** 20 - 1, 2 ** 20, 2 ** 31 + 5];
    for (let i = 0; i < 5000; i++) probes.push(Math.floor(rnd() ** 4 * 1e9));
    for (const v of probes) {
      const b = bucketOf(v);
      assert.ok(bucketLow(b) <= v && v <= bucketHigh(b), `value ${v} bucket ${b}`);
    }
  });

  test('bucket indices grow with the value and buckets are at most 0.1 % wide', () => {
    let prev = -1;
    for (let v = 0; v < 200_000; v += 7) {
      const b = bucketOf(v);
      assert.ok(b >= prev);
      prev = b;
      assert.ok(bucketHigh(b) - bucketLow(b) <= Math.max(0, bucketLow(b) / 1000));
    }
  });
});

describe('histogram percentiles', () => {
  test('matches the nearest-rank percentiles of 1..10000 exactly', () => {
    const h = new Histogram();
    const values: number[] = [];
    for (let v = 1; v <= 10_000; v++) {
      h.record(v);
      values.push(v);
    }
    // Values below 2048 are exact; above, within one bucket (0.1 %).
    assert.equal(h.quantile(0.1), 1000);
    assert.equal(exactQuantile(values, 0.5), 5000);
    assert.ok(within(h.quantile(0.5), 5000, 0.001));
    assert.ok(within(h.quantile(0.9), 9000, 0.001));
    assert.ok(within(h.quantile(0.99), 9900, 0.001));
    assert.equal(h.quantile(1), 10_000);
    assert.equal(h.min, 1);
    assert.equal(h.max, 10_000);
    assert.equal(h.mean(), 5000.5);
  });

  test('agrees with exact sorting on an exponential distribution within 0.1 %', () => {
    const rnd = lcg(42);
    const h = new Histogram();
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const v = Math.round(-Math.log(1 - rnd()) * 5000); // mean 5 ms in µs
      values.push(v);
      h.record(v);
    }
    for (const q of [0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = exactQuantile(values, q);
      const approx = h.quantile(q);
      assert.ok(approx >= exact, `p${q * 100} never under-reports: ${approx} < ${exact}`);
      assert.ok(within(approx, exact, 0.001), `p${q * 100}: ${approx} vs ${exact}`);
    }
    // The theoretical median of Exp(mean 5000) is 5000·ln 2 ≈ 3466.
    assert.ok(Math.abs(h.quantile(0.5) - 3466) < 60);
  });

  test('a bimodal distribution reports the tail mode at p99', () => {
    const h = new Histogram();
    for (let i = 0; i < 980; i++) h.record(1000);
    for (let i = 0; i < 20; i++) h.record(250_000);
    assert.equal(h.quantile(0.5), 1000);
    assert.equal(h.quantile(0.98), 1000);
    assert.ok(within(h.quantile(0.99), 250_000, 0.001));
  });

  test('merging two halves equals recording everything in one histogram', () => {
    const rnd = lcg(3);
    const a = new Histogram();
    const b = new Histogram();
    const all = new Histogram();
    for (let i = 0; i < 20_000; i++) {
      const v = Math.floor(rnd() * 1e6);
      (i % 2 ? a : b).record(v);
      all.record(v);
    }
    const merged = Histogram.fromJSON(a.toJSON());
    merged.merge(JSON.parse(JSON.stringify(b.toJSON())));
    for (const q of [0, 0.5, 0.9, 0.99, 1]) assert.equal(merged.quantile(q), all.quantile(q));
    assert.equal(merged.count, 20_000);
    assert.equal(merged.max, all.max);
  });

  test('an empty histogram reports zeros rather than infinities', () => {
    const h = new Histogram();
    assert.equal(h.quantile(0.99), 0);
    assert.deepEqual(h.toJSON(), { buckets: [], count: 0, min: 0, max: 0, sum: 0 });
  });
});
