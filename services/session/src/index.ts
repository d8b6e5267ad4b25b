import { type ActorRuntime, actorRuntime } from '@parley/actor';
import { createSession, type SessionDeps } from './session.ts';

export type { SessionDeps };
export type SessionService = ActorRuntime;

/** One wiring function per service (STYLE.md §9): the extension modules come in `deps.modules`. */
export function buildSessionService(deps: SessionDeps): SessionService {
  const { host, env } = createSession(deps);
  const runtime = actorRuntime(deps.bus, 'session', host);
  // 'periodic' module tasks (retention sweeps): one run of a task at a time, stopped with the service.
  const tasks = deps.modules.session.hooks.flatMap((h) => h.periodic ?? []);
  let timers: NodeJS.Timeout[] = [];
  return {
    ...runtime,
    start(shards) {
      runtime.start(shards);
      timers = tasks.map((task) => {
        let running = false;
        const timer = setInterval(() => {
          if (running) return;
          running = true;
          task
            .run(env)
            .catch((err: Error) => deps.log.warn('periodic task failed', { task: task.name, err: err.message }))
            .finally(() => {
              running = false;
            });
        }, task.everyMs);
        timer.unref();
        return timer;
      });
    },
    stop() {
      for (const t of timers) clearInterval(t);
      timers = [];
      runtime.stop();
    },
  };
}
