// The commands other modules offer through XEP-0050: a typed registry they add to at wiring time
// (defaultModules creates one and hands it to each module that has commands).
import type { SessionIqRequest } from '@parley/ext';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Element } from '@parley/xml';

export type NoteType = 'info' | 'warn' | 'error';
/** XEP-0050 §3.4 actions a stage may allow (besides cancel, always allowed). */
export type CommandAction = 'prev' | 'next' | 'complete';

/** What one stage of a command returns; the framework turns it into the <command/> response. */
export type CommandStep<S> =
  /** More input is needed: send `form`, keep `state` for the next stage (XEP-0050 §3.4). */
  | { status: 'executing'; form: Element; state: S; actions: CommandAction[]; execute?: CommandAction; notes?: Array<{ type: NoteType; text: string }> }
  /** Done (XEP-0050 §3.4.3): an optional result form and notes. */
  | { status: 'completed'; form?: Element; notes?: Array<{ type: NoteType; text: string }> }
  /** The submitted data is unusable: bad-request with <bad-payload/> (XEP-0050 §6), or another error. */
  | { status: 'error'; condition: StanzaErrorCondition; text?: string; badPayload?: boolean };

export interface AdhocCommand<S = unknown> {
  /** The command's node (unique per server), e.g. 'urn:parley:directory:edit'. */
  node: string;
  /** Its human-readable name, shown in disco#items (XEP-0050 §2.2). */
  name: string;
  /** XEP-0050 §2.2/§4.4: who may see and run it (listed only to them; others get forbidden). */
  allowed(ctx: SessionIqRequest): boolean | Promise<boolean>;
  /** The first stage (action execute without a session). */
  start(ctx: SessionIqRequest): Promise<CommandStep<S>>;
  /** A later stage: the submitted values of the form (null when none was submitted), the action taken, the state kept. */
  next(ctx: SessionIqRequest, input: { action: CommandAction; values: Map<string, string[]> | null; state: S }): Promise<CommandStep<S>>;
}

export interface CommandRegistry {
  register<S>(command: AdhocCommand<S>): void;
  find(node: string): AdhocCommand | undefined;
  all(): AdhocCommand[];
}

export function commandRegistry(): CommandRegistry {
  const commands = new Map<string, AdhocCommand>();
  return {
    register(command) {
      if (commands.has(command.node)) throw new Error(`ad-hoc command ${command.node} is registered twice`);
      commands.set(command.node, command as AdhocCommand);
    },
    find: (node) => commands.get(node),
    all: () => [...commands.values()],
  };
}
