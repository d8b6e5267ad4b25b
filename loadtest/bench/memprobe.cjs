// Memory probe, preloaded into a server under measurement (loadtest/bench/idle.sh):
//   node --expose-gc -r ./loadtest/bench/memprobe.cjs services/cli/bin/parley.js start
// On SIGUSR2 it runs two full garbage collections, waits 500 ms (finalizers, freed external memory), and
// appends one JSON line to $MEMPROBE_OUT: process.memoryUsage(), VmRSS (anonymous and file-backed) from /proc
// and V8's heap spaces, in the order of the signals.
'use strict';
const fs = require('node:fs');
const v8 = require('node:v8');

const out = process.env.MEMPROBE_OUT;
if (!out) throw new Error('memprobe: set MEMPROBE_OUT to the file that collects the probes');
if (typeof global.gc !== 'function') throw new Error('memprobe: run node with --expose-gc');

process.on('SIGUSR2', () => {
  global.gc();
  global.gc();
  setTimeout(() => {
    const status = fs.readFileSync('/proc/self/status', 'utf8');
    const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    const spaces = {};
    for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size, used: s.space_used_size };
    const line = { t: new Date().toISOString(), vmrssKB: kb('VmRSS'), rssAnonKB: kb('RssAnon'), rssFileKB: kb('RssFile'), ...process.memoryUsage(), spaces };
    fs.appendFileSync(out, `${JSON.stringify(line)}\n`);
  }, 500);
});
