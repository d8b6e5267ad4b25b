// profanity (Debian), the terminal client, typed into through a detached tmux pane. What it sent
// and received is read from its own debug log (`-l DEBUG -f`), which has one SENT/RECV line per
// element: that is how the test observes it, never by scraping the screen.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { Traffic } from './driven.ts';

const run = promisify(execFile);

export interface ProfanityOptions {
  /** Bare JID of the account. */
  jid: string;
  password: string;
  port: number;
  resource?: string;
}

export class Profanity {
  private constructor(
    private readonly home: string,
    private readonly socket: string,
  ) {}

  /**
   * Starts profanity with one account in its own accounts file, the way `/account add` writes it,
   * and connects. `tls.policy=trust` is the saved form of answering `/tls allow` to the embedded
   * server's self-signed certificate; TLS (STARTTLS) is still required.
   */
  static async start(o: ProfanityOptions): Promise<Profanity> {
    const home = mkdtempSync(join(tmpdir(), 'parley-profanity-'));
    const data = join(home, 'data');
    mkdirSync(join(data, 'profanity'), { recursive: true });
    mkdirSync(join(home, 'config'), { recursive: true });
    const account = [
      `[${o.jid}]`,
      'enabled=true',
      `jid=${o.jid}`,
      'server=127.0.0.1',
      `port=${o.port}`,
      `resource=${o.resource ?? 'profanity'}`,
      `password=${o.password}`,
      'tls.policy=trust',
      '',
    ].join('\n');
    writeFileSync(join(data, 'profanity', 'accounts'), account, { mode: 0o600 });
    const p = new Profanity(home, join(home, 'tmux.sock'));
    const env = `HOME=${home} XDG_CONFIG_HOME=${join(home, 'config')} XDG_DATA_HOME=${data} LANG=C.UTF-8`;
    const cmd = `env ${env} profanity -a ${o.jid} -l DEBUG -f ${p.logFile}`;
    await run('tmux', ['-S', p.socket, 'new-session', '-d', '-x', '160', '-y', '40', cmd]);
    return p;
  }

  private get logFile(): string {
    return join(this.home, 'profanity.log');
  }

  /** Types a command line into profanity, as a user would. */
  async type(line: string): Promise<void> {
    await run('tmux', ['-S', this.socket, 'send-keys', '-l', line]);
    await run('tmux', ['-S', this.socket, 'send-keys', 'Enter']);
  }

  traffic(): Traffic {
    let log = '';
    try {
      log = readFileSync(this.logFile, 'utf8');
    } catch {
      // not written yet
    }
    const sent: string[] = [];
    const received: string[] = [];
    for (const line of log.split('\n')) {
      const m = /: (SENT|RECV): (<.*)$/.exec(line);
      if (m?.[1] === 'SENT') sent.push(m[2] as string);
      else if (m?.[1] === 'RECV') received.push(m[2] as string);
    }
    return { sent, received };
  }

  /** Waits, up to a deadline, for an element profanity logged (positive waits only). */
  async waitFor(direction: keyof Traffic, pred: (xml: string) => boolean, what: string, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.traffic()[direction].find(pred);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`profanity: timed out after ${timeoutMs} ms waiting for ${what}`);
      await delay(50);
    }
  }

  /** Ends tmux (and profanity with it, if still running) and removes the profile. */
  async stop(): Promise<void> {
    await run('tmux', ['-S', this.socket, 'kill-server']).catch(() => {});
    rmSync(this.home, { recursive: true, force: true });
  }
}
