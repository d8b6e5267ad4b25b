// What a scenario plugs into a worker: optional setup once everyone is connected, the stanzas its
// users receive, and a periodic tick that sends whatever is due.
import type { Element } from '@parley/xml';
import type { Connection } from '../client/connection.ts';
import type { LoadConfig } from '../run/config.ts';
import type { WorkerStats } from '../stats/collector.ts';

export interface UserSlot {
  /** 0-based ordinal; the user name index is cfg.firstIndex + ord. */
  readonly ord: number;
  readonly username: string;
  readonly password: string;
  readonly bare: string;
  conn: Connection | undefined;
  online: boolean;
  busy: boolean;
}

export interface WorkerContext {
  readonly cfg: LoadConfig;
  readonly stats: WorkerStats;
  /** This worker's users. */
  readonly local: readonly UserSlot[];
  bareOf(ord: number): string;
  /** Opens a user's connection; resolves true once it is online. */
  openUser(u: UserSlot): Promise<boolean>;
}

export interface Scenario {
  /** Whether all users connect before traffic starts (false for `login`, which measures connecting). */
  readonly connectFirst: boolean;
  /** Runs once all workers are connected; resolves with the local ordinals ready for traffic. */
  setup(online: ReadonlySet<number>): Promise<number[]>;
  /** Traffic is about to start; `ready` holds every worker's ready users. */
  start(ready: ReadonlySet<number>): void;
  onStanza(u: UserSlot, el: Element): void;
  tick(nowMs: number): void;
}
