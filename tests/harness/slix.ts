// Drives tests/clients/slix_driver.py (slixmpp, Debian's python3-slixmpp) over JSON lines.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMEOUT_MS, Inbox } from './inbox.ts';

const DRIVER = fileURLToPath(new URL('../clients/slix_driver.py', import.meta.url));
/** Debian's interpreter, where python3-slixmpp is installed (a python3 earlier on PATH may lack it). */
const PYTHON = process.env.PARLEY_TEST_PYTHON ?? '/usr/bin/python3';

export interface SlixEvent {
  event: string;
  id?: number;
  [key: string]: unknown;
}

export interface SlixPresence extends SlixEvent {
  event: 'presence';
  from: string;
  type: string;
  show: string | null;
  status: string | null;
}

export interface SlixMessage extends SlixEvent {
  event: 'message';
  from: string;
  to: string;
  type: string;
  body: string;
  delay: string | null;
  error: string | null;
}

export interface RosterItem {
  jid: string;
  subscription: string;
  ask: string | null;
  name: string | null;
}

export class SlixClient {
  readonly inbox: Inbox<SlixEvent>;
  jid = '';
  mechanism = '';
  private readonly proc: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(readonly label: string) {
    this.inbox = new Inbox<SlixEvent>(`slixmpp ${label}`);
    this.proc = spawn(PYTHON, ['-u', DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let ev: SlixEvent;
      try {
        ev = JSON.parse(line) as SlixEvent;
      } catch {
        this.stderr += `\n(non-JSON output) ${line}`;
        return;
      }
      this.inbox.push(ev);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code) => {
        this.inbox.close(`driver exited with ${code}; stderr: ${this.stderr.trim() || '(empty)'}`);
        resolve(code);
      });
    });
  }

  /** Starts the driver and logs in over STARTTLS on the c2s port. */
  static async connect(opts: { jid: string; password: string; port: number; mech?: string; label?: string }): Promise<SlixClient> {
    const c = new SlixClient(opts.label ?? opts.jid);
    await c.inbox.next((e) => e.event === 'ready', 'the driver to start', 10_000);
    const r = await c.command({ cmd: 'connect', jid: opts.jid, password: opts.password, port: opts.port, mech: opts.mech }, 15_000);
    c.jid = String(r.jid);
    c.mechanism = String(r.mechanism);
    await c.inbox.next((e) => e.event === 'session_start', 'session_start');
    return c;
  }

  /** Runs a driver command; resolves with its ack, rejects with its error. */
  async command(cmd: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SlixEvent> {
    const id = this.nextId++;
    this.proc.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    const r = await this.inbox.next((e) => e.id === id && (e.event === 'ack' || e.event === 'error'), `reply to ${String(cmd.cmd)}`, timeoutMs);
    if (r.event === 'error') throw Object.assign(new Error(`${this.label}: ${String(cmd.cmd)} failed: ${String(r.error)}`), { condition: r.condition });
    return r;
  }

  subscribe(to: string) {
    return this.command({ cmd: 'subscribe', to });
  }
  approve(to: string) {
    return this.command({ cmd: 'approve', to });
  }
  sendPresence(p: { to?: string; type?: string; show?: string; status?: string } = {}) {
    return this.command({ cmd: 'send_presence', ...p });
  }
  sendMessage(to: string, body: string, type = 'chat') {
    return this.command({ cmd: 'send_message', to, body, type });
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
  /** XEP-0199 ping round trip to `to` (the server by default). */
  async ping(to?: string): Promise<void> {
    await this.command({ cmd: 'ping', to });
  }

  presence(pred: (p: SlixPresence) => boolean, what: string): Promise<SlixPresence> {
    return this.inbox.next((e) => e.event === 'presence' && pred(e as SlixPresence), what) as Promise<SlixPresence>;
  }
  message(pred: (m: SlixMessage) => boolean, what: string): Promise<SlixMessage> {
    return this.inbox.next((e) => e.event === 'message' && pred(e as SlixMessage), what) as Promise<SlixMessage>;
  }

  async disconnect(): Promise<void> {
    if (this.inbox.isClosed) return;
    await this.command({ cmd: 'disconnect' }, 8000);
  }

  /** Ends the driver process (disconnecting first if still online). */
  async stop(): Promise<void> {
    if (this.proc.exitCode === null) this.proc.stdin.end();
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(timer);
  }
}
