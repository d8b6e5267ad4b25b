// XEP-0050 ad-hoc commands: the framework. Modules register commands (registry.ts); this module
// lists them in disco (§2.2), runs their stages with a session id (§3.4), and answers every
// misuse with the errors of §6. Sessions live in the memory of the process that runs the sender's
// session actor; a shard move or restart ends them (the client then gets bad-sessionid and starts over).
import { randomBytes } from 'node:crypto';
import type { DiscoNodeProvider, ExtensionModule, IqOutcome, SessionIqRequest } from '@parley/ext';
import type { StanzaErrorCondition } from '@parley/stanza';
import { type Element, xml } from '@parley/xml';
import { NS_DATA } from './forms.ts';
import type { AdhocCommand, CommandAction, CommandRegistry, CommandStep } from './registry.ts';

export { dataForm, fieldElement, isTrue, NS_DATA, submittedValues, type FieldType, type FormField } from './forms.ts';
export { type AdhocCommand, type CommandAction, type CommandRegistry, type CommandStep, commandRegistry, type NoteType } from './registry.ts';

export const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const ACTIONS = new Set(['execute', 'cancel', 'prev', 'next', 'complete']);

interface Session {
  node: string;
  /** The full JID that started it: §3.4 a session belongs to one requester. */
  requester: string;
  state: unknown;
  actions: CommandAction[];
  execute: CommandAction;
  expires: number;
}

export interface AdhocOptions {
  /** How long a session waits for the next stage. */
  sessionTtlMs?: number;
  /** Open sessions per requesting account; the oldest is dropped beyond it. */
  maxSessionsPerAccount?: number;
  now?: () => number;
}

const cmdError = (error: StanzaErrorCondition, specific?: string, text?: string): IqOutcome => ({
  error,
  text,
  appCondition: specific ? xml(specific, { xmlns: NS_COMMANDS }) : undefined,
});

/** §2.2: commands are offered by the server to the requesters allowed to run them. */
async function visible(registry: CommandRegistry, ctx: SessionIqRequest): Promise<AdhocCommand[]> {
  const out: AdhocCommand[] = [];
  for (const c of registry.all()) if (await c.allowed(ctx)) out.push(c);
  return out;
}

export function adhoc(registry: CommandRegistry, opts: AdhocOptions = {}): ExtensionModule {
  const ttl = opts.sessionTtlMs ?? 10 * 60_000;
  const maxPerAccount = opts.maxSessionsPerAccount ?? 8;
  const now = opts.now ?? Date.now;
  const sessions = new Map<string, Session>();

  function sweep(): void {
    const t = now();
    for (const [id, s] of sessions) if (s.expires <= t - ttl) sessions.delete(id); // long expired: forget entirely
  }

  function open(ctx: SessionIqRequest, node: string, step: Extract<CommandStep<unknown>, { status: 'executing' }>): string {
    sweep();
    const account = ctx.from.bareString();
    const mine = [...sessions].filter(([, s]) => s.requester.startsWith(`${account}/`));
    if (mine.length >= maxPerAccount) sessions.delete(mine[0]![0]);
    const id = randomBytes(12).toString('hex');
    sessions.set(id, { node, requester: ctx.from.toString(), state: step.state, actions: step.actions, execute: step.execute ?? step.actions[0] ?? 'complete', expires: now() + ttl });
    return id;
  }

  /** §3.4: the <command/> of one stage's answer. */
  function respond(ctx: SessionIqRequest, node: string, sessionid: string | undefined, step: CommandStep<unknown>): IqOutcome {
    if (step.status === 'error') return cmdError(step.condition, step.badPayload ? 'bad-payload' : undefined, step.text);
    const notes = (step.notes ?? []).map((n) => xml('note', { type: n.type }, n.text));
    if (step.status === 'completed') {
      if (sessionid) sessions.delete(sessionid);
      return { result: [xml('command', { xmlns: NS_COMMANDS, node, sessionid: sessionid ?? randomBytes(12).toString('hex'), status: 'completed' }, ...notes, step.form ?? null)] };
    }
    let id = sessionid;
    if (id) {
      const s = sessions.get(id)!;
      Object.assign(s, { state: step.state, actions: step.actions, execute: step.execute ?? step.actions[0] ?? 'complete', expires: now() + ttl });
    } else id = open(ctx, node, step);
    const actions = xml('actions', { execute: step.execute ?? step.actions[0] }, ...step.actions.map((a) => xml(a)));
    return { result: [xml('command', { xmlns: NS_COMMANDS, node, sessionid: id, status: 'executing' }, actions, ...notes, step.form)] };
  }

  async function execute(ctx: SessionIqRequest): Promise<IqOutcome> {
    const cmd = ctx.payload;
    const node = cmd.attr('node');
    const action = cmd.attr('action');
    // §6: an action that is not one of §3.4's is malformed.
    if (action !== undefined && !ACTIONS.has(action)) return cmdError('bad-request', 'malformed-action');
    if (!node) return cmdError('bad-request', undefined, 'the command needs a node');
    const command = registry.find(node);
    if (!command) return { error: 'item-not-found', text: 'no such command' };
    // §4.4: a requester not allowed to run it is forbidden.
    if (!(await command.allowed(ctx))) return { error: 'forbidden' };
    const sessionid = cmd.attr('sessionid');
    if (sessionid === undefined) {
      // §3.2: a new session starts with execute (the default action); anything else has no session to act on.
      if (action !== undefined && action !== 'execute') return cmdError('bad-request', 'bad-action');
      return respond(ctx, node, undefined, await command.start(ctx));
    }
    const session = sessions.get(sessionid);
    if (!session || session.node !== node || session.requester !== ctx.from.toString()) return cmdError('bad-request', 'bad-sessionid');
    if (session.expires <= now()) {
      sessions.delete(sessionid);
      return cmdError('not-allowed', 'session-expired');
    }
    // §3.4.3: cancel ends the session.
    if (action === 'cancel') {
      sessions.delete(sessionid);
      return { result: [xml('command', { xmlns: NS_COMMANDS, node, sessionid, status: 'canceled' })] };
    }
    // §3.4: "execute" (or no action) means the stage's default action.
    const taken: CommandAction = action === undefined || action === 'execute' ? session.execute : (action as CommandAction);
    if (!session.actions.includes(taken)) return cmdError('bad-request', 'bad-action');
    const values = submittedValuesOf(cmd);
    return respond(ctx, node, sessionid, await command.next(ctx, { action: taken, values, state: session.state }));
  }

  const discoNodes: DiscoNodeProvider = {
    async items(ctx, node) {
      if (node !== NS_COMMANDS || ctx.to.local !== null) return undefined;
      return (await visible(registry, ctx)).map((c) => xml('item', { jid: ctx.domain, node: c.node, name: c.name }));
    },
    async info(ctx, node) {
      if (node === undefined || ctx.to.local !== null) return undefined;
      // §2.3: the commands node itself, and each command a node with the command-node identity.
      if (node === NS_COMMANDS) return [xml('identity', { category: 'automation', type: 'command-list', name: 'Commands' }), xml('feature', { var: NS_COMMANDS })];
      const c = registry.find(node);
      if (!c || !(await c.allowed(ctx))) return undefined;
      return [xml('identity', { category: 'automation', type: 'command-node', name: c.name }), xml('feature', { var: NS_COMMANDS }), xml('feature', { var: NS_DATA })];
    },
  };

  return {
    name: 'adhoc',
    specs: ['XEP-0050', 'XEP-0004'],
    disco: [{ on: ['server'], features: [NS_COMMANDS] }],
    session: {
      iq: [{ scope: ['server'], type: 'set', name: 'command', xmlns: NS_COMMANDS, handle: execute }],
      discoNodes,
    },
  };
}

function submittedValuesOf(cmd: Element): Map<string, string[]> | null {
  const form = cmd.getChild('x', NS_DATA);
  if (!form) return null;
  const values = new Map<string, string[]>();
  for (const f of form.getChildren('field')) {
    const name = f.attr('var');
    if (name) values.set(name, f.getChildren('value').map((v) => v.text()));
  }
  return values;
}
