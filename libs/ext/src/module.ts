// One protocol extension, one module (STYLE.md §1, ARCHITECTURE.md Extensions): a module declares
// everything it contributes to every service, and services are wired from a list of modules.
import type { ChatroomContribution } from './chatroom.ts';
import type { DiscoContribution } from './disco.ts';
import type { EdgeContribution } from './edge.ts';
import type { PresenceContribution } from './presence.ts';
import type { SessionContribution } from './session.ts';

export interface ExtensionModule {
  /** Short name; the module lives in `extensions/src/<name>`. */
  readonly name: string;
  /** What it implements, e.g. ['XEP-0280'] or ['RFC 6121 §2']. */
  readonly specs: string[];
  readonly disco?: DiscoContribution[];
  /** Settings it reads (ParleyConfig keys), for documentation and the module listing. */
  readonly settings?: string[];
  /** Tables it keeps its data in (created by migrations/). */
  readonly storage?: string[];
  /** Metric names it exports (registered by its factory on the registry it was given). */
  readonly metrics?: string[];
  readonly edge?: EdgeContribution;
  readonly session?: SessionContribution;
  readonly presence?: PresenceContribution;
  readonly chatroom?: ChatroomContribution;
}
