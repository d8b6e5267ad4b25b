// slixmpp with XEP-0198 (resumption) and XEP-0352 on: tests/clients/slix_ext_sm.py's commands.
import { SlixClient } from './slix.ts';

export class SlixSmClient extends SlixClient {
  /** Logs in over STARTTLS with stream management (resume requested) and XEP-0352 registered. */
  static async connectSm(opts: { jid: string; password: string; port: number; label?: string }): Promise<SlixSmClient> {
    // The driver registers the plugins only when started with this variable (spawn copies the environment now).
    process.env.PARLEY_SLIX_SM = '1';
    let start: Promise<SlixSmClient>;
    try {
      start = SlixSmClient.start('slix_driver.py', `slixmpp+sm ${opts.label ?? opts.jid}`);
    } finally {
      delete process.env.PARLEY_SLIX_SM;
    }
    const c = await start;
    await c.login(opts);
    await c.inbox.next((e) => e.event === 'sm_enabled', 'XEP-0198 enabled');
    return c;
  }

  async smState(): Promise<{ id: string | null; handled: number; unacked: number }> {
    const r = await this.command({ cmd: 'sm_state' });
    return { id: (r.id as unknown as string | null) ?? null, handled: Number(r.handled), unacked: Number(r.unacked) };
  }

  /** The network goes away: the socket closes without a stream close. */
  async drop(): Promise<number> {
    return Number((await this.command({ cmd: 'sm_drop' })).handled);
  }

  /** Connects again and resumes: `resumed` (with the server's h) or `failed` (with its condition). */
  async resume(port: number): Promise<{ outcome: 'sm_resumed' | 'sm_failed'; h: string | null; condition: string | null }> {
    const r = await this.command({ cmd: 'sm_resume', port }, 15_000);
    return { outcome: r.outcome as 'sm_resumed' | 'sm_failed', h: (r.h as string | null) ?? null, condition: (r.condition as string | null) ?? null };
  }

  /** XEP-0352: tell the server the client is active or inactive. */
  csi(state: 'active' | 'inactive') {
    return this.command({ cmd: 'csi', state });
  }
}

/** A standalone XEP-0085 chat state from any slixmpp test client. */
export function sendChatState(c: SlixClient, to: string, state: 'active' | 'composing' | 'paused' | 'inactive' | 'gone') {
  return c.command({ cmd: 'chat_state', to, state });
}

/** XEP-0357 enable/disable from a slixmpp client. */
export function pushCommand(c: SlixClient, op: 'enable' | 'disable', jid: string, node?: string, secret?: string) {
  return c.command({ cmd: 'push', op, jid, node, secret });
}
