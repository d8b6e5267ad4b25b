// What N idle sessions hold on the V8 heap: compares two heap snapshots (before the logins, with the
// sessions open; loadtest/bench/idle.sh PROBE=1 SNAPSHOT=1) by node type and constructor name, self sizes
// summed, the difference divided by N. Usage:
//   node --max-old-space-size=8192 loadtest/bench/heap-diff.mjs BEFORE.heapsnapshot WITH.heapsnapshot N [top]
import { readFileSync } from 'node:fs';

const [beforePath, withPath, nArg, topArg] = process.argv.slice(2);
const sessions = Number(nArg);
if (!beforePath || !withPath || !(sessions > 0)) {
  console.error('usage: heap-diff.mjs BEFORE.heapsnapshot WITH.heapsnapshot SESSIONS [TOP]');
  process.exit(2);
}
const top = Number(topArg ?? 40);

/** Per "type:name" key: [count, self bytes]. Strings are grouped as one key per type, not per value. */
function summarize(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const meta = snap.snapshot.meta;
  const fields = meta.node_fields;
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const types = meta.node_types[typeAt];
  const { nodes, strings } = snap;
  const byKey = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt]];
    const grouped = type === 'string' || type === 'concatenated string' || type === 'sliced string' || type === 'number';
    const key = grouped ? type : `${type}:${strings[nodes[i + nameAt]].slice(0, 60)}`;
    const v = byKey.get(key) ?? [0, 0];
    v[0]++;
    v[1] += nodes[i + sizeAt];
    byKey.set(key, v);
  }
  return byKey;
}

const a = summarize(beforePath);
const b = summarize(withPath);
const rows = [];
let total = 0;
for (const key of new Set([...a.keys(), ...b.keys()])) {
  const [ca, sa] = a.get(key) ?? [0, 0];
  const [cb, sb] = b.get(key) ?? [0, 0];
  total += sb - sa;
  rows.push({ key, count: (cb - ca) / sessions, bytes: (sb - sa) / sessions });
}
rows.sort((x, y) => y.bytes - x.bytes);
console.log(`self size growth per session (of ${sessions}): ${(total / sessions).toFixed(0)} B`);
console.log('   B/session  objects/session  type:constructor');
for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(0).padStart(12)} ${r.count.toFixed(2).padStart(16)}  ${r.key}`);
