// `parley room create|list|config|destroy` (XEP-0045 rooms, docs/chatrooms.md).
import type { ParleyConfig } from '@parley/config';
import { callAdminSocket } from './admin-socket.ts';
import { serverHoldsDatabase, UsageError, type Values, withCommands } from './cli-context.ts';
import { type RoomOps, socketRoomOps, storeRoomOps, withClusterRoomActors } from './rooms.ts';

export async function room(config: ParleyConfig, sub: string | undefined, arg: string | undefined, settings: string[], values: Values & { owner?: string; reason?: string }): Promise<number> {
  // The embedded server owns its PGlite database while it runs: then its admin socket does the work.
  const remote = serverHoldsDatabase(config) ? socketRoomOps((method, path, body) => callAdminSocket(config.dataDir, method, path, body)) : null;
  // Cluster mode: config and destroy reach the room actors over NATS (when a chatroom process runs).
  const actorsNeeded = !remote && config.natsUrl && (sub === 'config' || sub === 'destroy');
  const run = <T>(fn: (ops: RoomOps) => Promise<T>): Promise<T> =>
    remote ? fn(remote) : withCommands(config, (_c, s) => (actorsNeeded ? withClusterRoomActors(config, (actors) => fn(storeRoomOps(s, config, actors))) : fn(storeRoomOps(s, config))));
  const need = () => {
    if (!arg) throw new UsageError(`parley room ${sub} needs a room name`);
    return arg;
  };
  switch (sub) {
    case 'create': {
      const jid = await run((ops) => ops.create(need(), values.owner, settings));
      process.stdout.write(`created ${jid}\n`);
      return 0;
    }
    case 'list': {
      for (const line of await run((ops) => ops.list())) process.stdout.write(`${line}\n`);
      return 0;
    }
    case 'config': {
      const c = await run((ops) => ops.config(need(), settings));
      const { salt: _salt, ...shown } = c;
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
    case 'destroy': {
      const jid = await run((ops) => ops.destroy(need(), values.reason));
      process.stdout.write(`destroyed ${jid}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown room command "${sub ?? ''}"; use create, list, config or destroy`);
  }
}
