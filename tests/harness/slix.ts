// Drives tests/clients/slix_driver.py (slixmpp, Debian's python3-slixmpp) over JSON lines.
import { DrivenClient, type DrivenMessage, type DrivenPresence } from './driven.ts';

export type SlixPresence = DrivenPresence;

export interface SlixMessage extends DrivenMessage {
  delay: string | null;
  error: string | null;
}

export interface RosterItem {
  jid: string;
  subscription: string;
  ask: string | null;
  name: string | null;
}

export class SlixClient extends DrivenClient {
  /** Starts the driver and logs in over STARTTLS on the c2s port. */
  static async connect(opts: { jid: string; password: string; port: number; mech?: string; label?: string }): Promise<SlixClient> {
    const c = await SlixClient.start('slix_driver.py', `slixmpp ${opts.label ?? opts.jid}`);
    await c.login(opts, { mech: opts.mech });
    return c;
  }

  sendPresence(p: { to?: string; type?: string; show?: string; status?: string } = {}) {
    return this.command({ cmd: 'send_presence', ...p });
  }
  async getRoster(): Promise<RosterItem[]> {
    return (await this.command({ cmd: 'get_roster' })).items as RosterItem[];
  }
  rosterGet(): Promise<RosterItem[]> {
    return this.getRoster();
  }
  /** XEP-0012 last activity of `to` (an IQ error rejects with its condition). */
  async lastActivity(to: string): Promise<{ seconds: number; status: string | null }> {
    const r = await this.command({ cmd: 'last_activity', to });
    return { seconds: r.seconds as number, status: r.status as string | null };
  }
  /** XEP-0191: the blocklist, and block or unblock commands (an IQ error rejects with its condition). */
  async blocked(): Promise<string[]> {
    return (await this.command({ cmd: 'get_blocked' })).jids as string[];
  }
  block(...jids: string[]) {
    return this.command({ cmd: 'block', jids });
  }
  unblock(...jids: string[]) {
    return this.command({ cmd: 'unblock', jids });
  }

  override message(pred: (m: SlixMessage) => boolean, what: string): Promise<SlixMessage> {
    return super.message((m) => pred(m as SlixMessage), what) as Promise<SlixMessage>;
  }
}
