// The session service's 'periodic' hook point: a module's task runs repeatedly while the service
// runs, one run at a time, and not after the service stopped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalBus } from '@parley/bus';
import { type ExtensionModule, loadModules } from '@parley/ext';
import { MemoryLocation } from '@parley/location';
import { createLogger } from '@parley/log';
import type { Store } from '@parley/store';
import type { WireMessage } from '@parley/wire';
import { buildSessionService } from './index.ts';

test('a periodic task runs while the service runs, never twice at once, and stops with it', async () => {
  let runs = 0;
  let overlapping = false;
  let running = false;
  let release: () => void = () => {};
  const thirdRun = new Promise<void>((resolve) => {
    release = resolve;
  });
  const ticking: ExtensionModule = {
    name: 'ticking',
    specs: [],
    session: {
      periodic: [
        {
          name: 'tick',
          everyMs: 5,
          async run(env) {
            if (running) overlapping = true;
            running = true;
            runs += 1;
            assert.equal(env.domain, 'example.com');
            // Slower than the interval: the runtime must skip ticks instead of overlapping runs.
            await new Promise((r) => setTimeout(r, 20));
            running = false;
            if (runs === 3) release();
          },
        },
      ],
    },
  };
  const svc = buildSessionService({
    domain: 'example.com',
    bus: new LocalBus<WireMessage>(),
    location: new MemoryLocation(),
    store: {} as Store,
    log: createLogger({ level: 'silent', pretty: false }),
    modules: loadModules([ticking]),
  });
  // The service's timers are unref'd (they never keep a process alive): hold the loop open meanwhile.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    svc.start([]);
    await thirdRun;
    svc.stop();
    assert.equal(overlapping, false);
    const atStop = runs;
    // Ten intervals' worth of time: a timer left running would have started runs by then.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(runs, atStop, 'no run starts after stop');
  } finally {
    clearInterval(keepAlive);
  }
});
