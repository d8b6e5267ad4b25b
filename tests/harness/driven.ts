// A client library in another language, driven over JSON lines by a small script in tests/clients/
// (slix_driver.py, aioxmpp_driver.py): commands go to its stdin, acks and events come back on stdout.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_TIMEOUT_MS, Inbox } from './inbox.ts';

/** Debian's interpreter, where python3-slixmpp and python3-aioxmpp are installed (a python3 earlier on PATH may lack them). */
export const PYTHON = process.env.PARLEY_TEST_PYTHON ?? '/usr/bin/python3';

export interface DriverEvent {
  event: string;
  id?: number;
  [key: string]: unknown;
}

export interface DrivenPresence extends DriverEvent {
  event: 'presence';
  from: string;
  /** The raw type attribute, 'available' when absent. */
  type: string;
  show: string | null;
  status: string | null;
}

export interface DrivenMessage extends DriverEvent {
  event: 'message';
  from: string;
  to: string;
  type: string;
  body: string;
}

/** Every stanza (and nonza) the client sent and received, serialized. */
export interface Traffic {
  sent: string[];
  received: string[];
}

export class DrivenClient {
  readonly inbox: Inbox<DriverEvent>;
  jid = '';
  mechanism = '';
  private readonly proc: ChildProcessWithoutNullStreams;
  private nextId = 1;
  private stderr = '';
  private readonly exited: Promise<number | null>;

  /** Starts `tests/clients/<script>` and waits until it is ready for commands. */
  static async start<C extends DrivenClient>(this: new (script: string, label: string) => C, script: string, label: string): Promise<C> {
    const c = new this(script, label);
    // Python's start and the client library's import: ≈1 s on a quiet machine, over 10 s at a load
    // average of 30 on two cores (seen in cluster runs); a slow start says nothing about the server.
    try {
      await c.inbox.next((e) => e.event === 'ready', 'the driver to start', 30_000);
    } catch (err) {
      // Nobody else holds it: a driver left running keeps the test process from exiting.
      await c.stop();
      throw err;
    }
    return c;
  }

  constructor(
    script: string,
    readonly label: string,
  ) {
    this.inbox = new Inbox<DriverEvent>(label);
    const path = fileURLToPath(new URL(`../clients/${script}`, import.meta.url));
    this.proc = spawn(PYTHON, ['-u', path], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    createInterface({ input: this.proc.stdout }).on('line', (line) => {
      let ev: DriverEvent;
      try {
        ev = JSON.parse(line) as DriverEvent;
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

  /** Runs a driver command; resolves with its ack, rejects with its error. */
  async command(cmd: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<DriverEvent> {
    const id = this.nextId++;
    this.proc.stdin.write(`${JSON.stringify({ ...cmd, id })}\n`);
    const r = await this.inbox.next((e) => e.id === id && (e.event === 'ack' || e.event === 'error'), `reply to ${String(cmd.cmd)}`, timeoutMs);
    if (r.event === 'error') throw Object.assign(new Error(`${this.label}: ${String(cmd.cmd)} failed: ${String(r.error)}`), { condition: r.condition });
    return r;
  }

  /** Logs in over STARTTLS on the c2s port; `extra` holds driver-specific options. */
  async login(opts: { jid: string; password: string; port: number }, extra: Record<string, unknown> = {}): Promise<DriverEvent> {
    const r = await this.command({ cmd: 'connect', jid: opts.jid, password: opts.password, port: opts.port, ...extra }, 15_000);
    this.jid = String(r.jid);
    this.mechanism = String(r.mechanism);
    await this.inbox.next((e) => e.event === 'session_start', 'session_start');
    return r;
  }

  subscribe(to: string) {
    return this.command({ cmd: 'subscribe', to });
  }
  approve(to: string) {
    return this.command({ cmd: 'approve', to });
  }
  sendMessage(to: string, body: string, type = 'chat') {
    return this.command({ cmd: 'send_message', to, body, type });
  }
  /** XEP-0199 ping round trip to `to` (the server by default). */
  async ping(to?: string): Promise<void> {
    await this.command({ cmd: 'ping', to });
  }
  async traffic(): Promise<Traffic> {
    const r = await this.command({ cmd: 'traffic' });
    return { sent: r.sent as string[], received: r.received as string[] };
  }

  presence(pred: (p: DrivenPresence) => boolean, what: string): Promise<DrivenPresence> {
    return this.inbox.next((e) => e.event === 'presence' && pred(e as DrivenPresence), what) as Promise<DrivenPresence>;
  }
  message(pred: (m: DrivenMessage) => boolean, what: string): Promise<DrivenMessage> {
    return this.inbox.next((e) => e.event === 'message' && pred(e as DrivenMessage), what) as Promise<DrivenMessage>;
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
