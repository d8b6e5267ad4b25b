import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseStatCpuTicks, parseStatusRssKb, sampleProcs } from './proc.ts';

describe('/proc parsing', () => {
  test('reads utime and stime even when the command name holds spaces and parentheses', () => {
    const stat = '4242 (beam.smp (x) y) S 1 4242 4242 0 -1 4194560 12345 0 0 0 731 269 0 0 20 0 30 0 9 0';
    assert.equal(parseStatCpuTicks(stat), 1000);
  });

  test('reads VmRSS in kB', () => {
    assert.equal(parseStatusRssKb('Name:\tnode\nVmPeak:\t 999 kB\nVmRSS:\t   51234 kB\n'), 51234);
    assert.equal(parseStatusRssKb('Name:\tkthread\n'), undefined);
  });

  test('samples this very process and reports a pid that does not exist as missing', () => {
    const burn = Date.now() + 30;
    while (Date.now() < burn) Math.sqrt(Math.random());
    const s = sampleProcs([process.pid, 2 ** 30]);
    assert.ok(s.cpuSeconds > 0);
    assert.ok(s.rssKb > 1000);
    assert.deepEqual(s.missing, [2 ** 30]);
  });
});
