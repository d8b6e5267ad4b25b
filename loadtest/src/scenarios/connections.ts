// login: opens sessions at --arrival-rate for the whole run (connect, TLS, SASL, bind, roster,
// presence) and closes each as soon as it is online; measures connection and authentication rate.
// idle: holds every connection open and sends nothing; the report shows the server's memory.
import { RateScheduler } from './logic.ts';
import type { Scenario, UserSlot, WorkerContext } from './scenario.ts';

export function loginScenario(ctx: WorkerContext): Scenario {
  const sched = new RateScheduler(ctx.cfg.arrivalRate / ctx.cfg.workers);
  let rr = 0;
  let running = false;
  return {
    connectFirst: false,
    async setup() {
      return [];
    },
    start() {
      running = true;
    },
    onStanza() {},
    tick(now) {
      if (!running) return;
      let n = sched.due(now);
      for (let tries = 0; n > 0 && tries < ctx.local.length; tries++) {
        const u: UserSlot = ctx.local[rr++ % ctx.local.length]!;
        if (u.busy) continue;
        n--;
        void ctx.openUser(u).then((ok) => {
          if (ok) u.conn?.close();
        });
      }
      // Users all busy (server slower than the arrival rate): the shortfall shows as a lower login rate.
    },
  };
}

export function idleScenario(ctx: WorkerContext): Scenario {
  return {
    connectFirst: true,
    async setup() {
      return ctx.local.filter((u) => u.online).map((u) => u.ord);
    },
    start() {},
    onStanza() {},
    tick() {},
  };
}
