// The account's own view (XEP-0050 ad-hoc commands): her sign-in history as a XEP-0004 result form
// with <reported/> columns and one <item/> per sign-in (§3.4), and her sign-in settings.
import type { SessionIqRequest } from '@parley/ext';
import type { LoginRecord, SignInSettings } from '@parley/store';
import { type Element, xml } from '@parley/xml';
import { type CommandRegistry, type CommandStep, dataForm, fieldElement, NS_DATA } from '../adhoc/index.ts';
import { isMultiLogin, MULTI_LOGIN, type ServerDefaults } from './policy.ts';

export const HISTORY_NODE = 'urn:parley:signins:history';
export const SETTINGS_NODE = 'urn:parley:signins:settings';

/** The longest idle timeout an account may choose (30 days, as the server setting). */
const MAX_IDLE_SEC = 30 * 86400;

const COLUMNS = [
  { var: 'time', label: 'Time (UTC)' },
  { var: 'address', label: 'Address' },
  { var: 'client', label: 'Client' },
  { var: 'resource', label: 'Resource' },
  { var: 'mechanism', label: 'Mechanism' },
  { var: 'result', label: 'Result' },
] as const;

/** One row's cells, in the order of COLUMNS (shared with `parley user history`). */
export function historyCells(r: LoginRecord): string[] {
  return [
    r.at.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    r.ip,
    r.client ?? '',
    r.resource ?? '',
    r.mechanism,
    r.success ? 'success' : `failure${r.reason ? ` (${r.reason})` : ''}`,
  ];
}

/** XEP-0004 §3.4: a multi-item result, most recent first. */
export function historyForm(rows: LoginRecord[]): Element {
  return xml(
    'x',
    { xmlns: NS_DATA, type: 'result' },
    xml('title', null, 'Your recent sign-ins'),
    xml('reported', null, ...COLUMNS.map((c) => fieldElement({ var: c.var, label: c.label, type: 'text-single' }))),
    ...rows.map((r) => {
      const cells = historyCells(r);
      return xml('item', null, ...COLUMNS.map((c, i) => xml('field', { var: c.var }, xml('value', null, cells[i] ?? ''))));
    }),
  );
}

const ownAccount = (ctx: SessionIqRequest) => ctx.from.local !== null && ctx.from.domain === ctx.domain;

export function registerCommands(commands: CommandRegistry, opts: { shown: number; defaults: ServerDefaults }): void {
  commands.register<null>({
    node: HISTORY_NODE,
    name: 'My sign-in history',
    allowed: ownAccount,
    async start(ctx) {
      const rows = await ctx.env.store.loginHistory.recent(ctx.from.local!, ctx.domain, opts.shown);
      const notes = rows.length ? [] : [{ type: 'info' as const, text: 'No sign-ins are recorded for this account.' }];
      return { status: 'completed', form: historyForm(rows), notes };
    },
    next: async () => ({ status: 'error', condition: 'bad-request', text: 'this command has one stage' }),
  });

  commands.register<null>({
    node: SETTINGS_NODE,
    name: 'My sign-in settings',
    allowed: ownAccount,
    async start(ctx) {
      const own = await ctx.env.store.loginHistory.settings(ctx.from.local!, ctx.domain);
      return { status: 'executing', state: null, actions: ['complete'], form: settingsForm(own, opts.defaults) };
    },
    async next(ctx, { values }): Promise<CommandStep<null>> {
      if (!values) return { status: 'error', condition: 'bad-request', text: 'submit the form', badPayload: true };
      const parsed = parseSettings(values.get('multi-login')?.[0] ?? 'default', values.get('idle-timeout')?.[0] ?? '');
      if (typeof parsed === 'string') return { status: 'error', condition: 'bad-request', text: parsed, badPayload: true };
      await ctx.env.store.loginHistory.setSettings(ctx.from.local!, ctx.domain, parsed);
      return { status: 'completed', notes: [{ type: 'info', text: 'Saved. They apply from your next sign-in.' }] };
    },
  });
}

function settingsForm(own: SignInSettings, defaults: ServerDefaults): Element {
  return dataForm('form', {
    title: 'Sign-in settings',
    instructions: `Several sessions at once: allow; alert (your other sessions are told); refuse (a new one is refused while one is online); replace (the new one closes the others). Idle timeout: seconds without a message, presence or request before a session is closed (0 = never; empty = server default, ${defaults.idleTimeoutSec}).`,
    fields: [
      {
        var: 'multi-login',
        type: 'list-single',
        label: 'Several sessions at once',
        value: own.multiLogin ?? 'default',
        options: [{ label: `Server default (${defaults.multiLogin})`, value: 'default' }, ...MULTI_LOGIN.map((v) => ({ label: v, value: v }))],
      },
      { var: 'idle-timeout', type: 'text-single', label: 'Idle timeout (seconds)', value: own.idleTimeoutSec === null ? '' : String(own.idleTimeoutSec) },
    ],
  });
}

/** The submitted settings, or what is wrong with them. Shared with the admin's `parley user signins`. */
export function parseSettings(multiLogin: string, idleTimeout: string): Partial<SignInSettings> | string {
  const out: Partial<SignInSettings> = {};
  if (multiLogin === 'default') out.multiLogin = null;
  else if (isMultiLogin(multiLogin)) out.multiLogin = multiLogin;
  else return `multi-login must be default, ${MULTI_LOGIN.join(', ')}`;
  const t = idleTimeout.trim();
  if (t === '' || t === 'default') out.idleTimeoutSec = null;
  else if (/^\d+$/.test(t) && Number(t) <= MAX_IDLE_SEC) out.idleTimeoutSec = Number(t);
  else return `idle-timeout must be a number of seconds from 0 to ${MAX_IDLE_SEC}, or empty for the server default`;
  return out;
}
