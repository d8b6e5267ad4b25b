// Request/reply through the NATS Bus wrapper (and, for comparison, the raw client).
// Usage: npx tsx libs/bus/bench/nats-bench.ts [url] [seconds-per-case]
// The responder runs in a child process (its own core), like an actor service; the requester
// keeps N requests in flight. Payload: a JSON message carrying a ≈256-byte text.
import { fork } from 'node:child_process';
import { connect } from '@nats-io/transport-node';
import { connectNatsBus } from '../src/nats.ts';

type Msg = { n: number; text: string };
const enc = new TextEncoder();
const dec = new TextDecoder();
const codec = {
  encode: (m: Msg) => enc.encode(JSON.stringify(m)),
  decode: (b: Uint8Array) => JSON.parse(dec.decode(b)) as Msg,
};
const url = process.argv[2] ?? process.env.PARLEY_TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const seconds = Number(process.argv[3] ?? 3);
const prefix = process.env.BENCH_PREFIX ?? `bench.${process.pid}`;

if (process.env.BENCH_ROLE === 'responder') {
  const bus = await connectNatsBus<Msg>({ url, codec, subjectPrefix: prefix, name: 'bench-responder' });
  bus.subscribe('echo', (m) => m);
  await bus.flush();
  process.send?.('ready');
  process.on('message', async () => {
    await bus.close();
    process.exit(0);
  });
} else {
  const child = fork(new URL(import.meta.url).pathname, [url, String(seconds)], {
    env: { ...process.env, BENCH_ROLE: 'responder', BENCH_PREFIX: prefix },
    execArgv: ['--import', 'tsx'],
  });
  await new Promise<void>((r) => child.once('message', () => r()));
  const text = 'x'.repeat(256);
  const bus = await connectNatsBus<Msg>({ url, codec, subjectPrefix: prefix, name: 'bench-requester' });
  const raw = await connect({ servers: url, noAsyncTraces: true });
  const traced = await connect({ servers: url });
  const rows: string[] = [];

  async function run(label: string, inflight: number, call: (n: number) => Promise<unknown>): Promise<void> {
    const lat: number[] = [];
    let done = 0;
    // Warm up, then measure.
    for (let i = 0; i < 2000; i++) await call(i);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (performance.now() < end) {
          const s = performance.now();
          await call(done);
          lat.push(performance.now() - s);
          done++;
        }
      }),
    );
    const elapsed = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lat.sort((a, b) => a - b);
    const pct = (p: number) => (lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0) * 1000;
    rows.push(
      `| ${label} | ${inflight} | ${Math.round(done / elapsed).toLocaleString('en')} | ${pct(0.5).toFixed(0)} | ${pct(0.99).toFixed(0)} | ${((cpu.user + cpu.system) / done).toFixed(1)} |`,
    );
  }

  const payload = (n: number) => ({ n, text });
  for (const inflight of [1, 64]) {
    await run('Bus wrapper', inflight, (n) => bus.request('echo', payload(n)));
    await run('raw client', inflight, (n) => raw.request(`${prefix}.echo`, codec.encode(payload(n)), { timeout: 5000 }));
    await run('raw client, async traces on', inflight, (n) =>
      traced.request(`${prefix}.echo`, codec.encode(payload(n)), { timeout: 5000 }),
    );
  }
  console.log(`NATS ${url}, ${seconds}s per case, responder = Bus wrapper in a child process`);
  console.log('| requester | in flight | req/s | p50 µs | p99 µs | requester CPU µs/req |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  child.send('stop');
  await bus.close();
  await raw.close();
  await traced.close();
}
