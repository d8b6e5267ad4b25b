// Worker handles for the coordinator: the same calls run in this process or in a forked child
// (--workers N) that speaks a small request/reply protocol over the IPC channel.
import { type ChildProcess, fork } from 'node:child_process';
import type { StatsDelta } from '../stats/collector.ts';
import type { LoadConfig } from './config.ts';
import { LoadWorker } from './worker.ts';

export interface WorkerHandle {
  connect(): Promise<number[]>;
  setup(online: number[]): Promise<number[]>;
  start(ready: number[], windowStart: number, windowEnd: number): Promise<void>;
  stopTraffic(): Promise<void>;
  takeDelta(): Promise<StatsDelta>;
  /** Closes every connection; resolves with the statistics not yet taken. */
  close(): Promise<StatsDelta>;
}

export function inProcessWorker(cfg: LoadConfig, index: number): WorkerHandle {
  const w = new LoadWorker(cfg, index);
  return {
    connect: () => w.connect(),
    setup: (online) => w.setup(new Set(online)),
    start: async (ready, s, e) => w.start(new Set(ready), s, e),
    stopTraffic: async () => w.stopTraffic(),
    takeDelta: async () => w.stats.takeDelta(),
    close: async () => {
      await w.close();
      const last = w.stats.takeDelta();
      w.stats.dispose();
      return last;
    },
  };
}

type Request =
  | { id: number; op: 'init'; cfg: LoadConfig; index: number }
  | { id: number; op: 'connect' }
  | { id: number; op: 'setup'; online: number[] }
  | { id: number; op: 'start'; ready: number[]; windowStart: number; windowEnd: number }
  | { id: number; op: 'stopTraffic' }
  | { id: number; op: 'takeDelta' }
  | { id: number; op: 'close' };

interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  error?: string;
}

export const WORKER_ENV = 'PARLEY_LOAD_WORKER';

/** Forks the running entry script as a worker; it must call runWorkerChild() when WORKER_ENV is set. */
export async function forkedWorker(cfg: LoadConfig, index: number, entry = process.argv[1]!): Promise<WorkerHandle> {
  const child: ChildProcess = fork(entry, [], {
    env: { ...process.env, [WORKER_ENV]: String(index) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
  let nextId = 0;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  child.on('message', (m: Reply) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(m.error));
  });
  child.on('exit', (code) => {
    for (const p of pending.values()) p.reject(new Error(`worker ${index} exited with ${code}`));
    pending.clear();
  });
  const call = <T>(req: Omit<Request, 'id'> & { op: Request['op'] }): Promise<T> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ ...req, id });
    });
  await call({ op: 'init', cfg, index } as Request);
  return {
    connect: () => call({ op: 'connect' }),
    setup: (online) => call({ op: 'setup', online } as Request),
    start: (ready, windowStart, windowEnd) => call({ op: 'start', ready, windowStart, windowEnd } as Request),
    stopTraffic: () => call({ op: 'stopTraffic' }),
    takeDelta: () => call({ op: 'takeDelta' }),
    close: async () => {
      const last = await call<StatsDelta>({ op: 'close' });
      child.disconnect();
      return last;
    },
  };
}

/** The child side: serves requests from the coordinator until the channel closes. */
export function runWorkerChild(): void {
  let worker: LoadWorker | undefined;
  process.on('message', async (req: Request) => {
    let reply: Reply;
    try {
      let value: unknown;
      switch (req.op) {
        case 'init':
          worker = new LoadWorker(req.cfg, req.index);
          break;
        case 'connect':
          value = await worker!.connect();
          break;
        case 'setup':
          value = await worker!.setup(new Set(req.online));
          break;
        case 'start':
          worker!.start(new Set(req.ready), req.windowStart, req.windowEnd);
          break;
        case 'stopTraffic':
          worker!.stopTraffic();
          break;
        case 'takeDelta':
          value = worker!.stats.takeDelta();
          break;
        case 'close':
          await worker!.close();
          value = worker!.stats.takeDelta();
          worker!.stats.dispose();
          break;
      }
      reply = { id: req.id, ok: true, value };
    } catch (err) {
      reply = { id: req.id, ok: false, error: (err as Error).stack ?? String(err) };
    }
    process.send!(reply);
  });
  process.on('disconnect', () => process.exit(0));
}
