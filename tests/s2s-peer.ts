// A raw server-to-server peer for the federation tests: it opens a stream to Parley the way a
// remote server would (STARTTLS, then SASL EXTERNAL with the certificate it is given), so a test
// controls every byte: bad certificates, spoofed `from` addresses.
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { connect as tlsConnect, TLSSocket } from 'node:tls';
import { readFileSync } from 'node:fs';
import { NS } from '@parley/stanza';
import { type Element, StreamParser } from '@parley/xml';
import { Inbox } from './harness/inbox.ts';

export class RawPeer {
  readonly inbox = new Inbox<Element>('raw s2s peer', (e) => e.toString());
  private sock: Socket | TLSSocket;
  private parser: StreamParser;

  private constructor(
    sock: Socket,
    readonly from: string,
    readonly to: string,
  ) {
    this.sock = sock;
    this.parser = this.newParser();
    sock.on('data', (d) => this.parser.write(d));
    sock.on('close', () => this.inbox.close('connection closed'));
    sock.on('error', () => {});
  }

  private newParser(): StreamParser {
    return new StreamParser({ onStreamStart: () => {}, onStanza: (el) => this.inbox.push(el), onStreamEnd: () => this.inbox.close('stream closed'), onError: (e) => this.inbox.close(e.message) }, {});
  }

  static async connect(port: number, from: string, to: string): Promise<RawPeer> {
    const sock = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    const p = new RawPeer(sock, from, to);
    p.header();
    return p;
  }

  /** XEP-0368: TLS from the first byte (ALPN xmpp-server), presenting `cert`; resolves with the features. */
  static async connectTls(port: number, from: string, to: string, cert: { certFile: string; keyFile: string }): Promise<{ peer: RawPeer; features: Element }> {
    const sock = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, servername: to, ALPNProtocols: ['xmpp-server'], cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile), rejectUnauthorized: false }, () =>
        resolve(s),
      );
      s.once('error', reject);
    });
    const p = new RawPeer(sock, from, to);
    p.header();
    return { peer: p, features: await p.next('stream:features', 'features on direct TLS') };
  }

  header(): void {
    this.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='${NS.stream}' from='${this.from}' to='${this.to}' version='1.0'>`);
  }

  write(s: string): void {
    this.sock.write(s);
  }

  next(name: string, what: string): Promise<Element> {
    return this.inbox.next((e) => e.name === name, what);
  }

  /** STARTTLS presenting `cert`; resolves once the new stream's features arrived. */
  async startTls(cert: { certFile: string; keyFile: string }): Promise<Element> {
    await this.next('stream:features', 'features offering STARTTLS');
    this.write(`<starttls xmlns='${NS.tls}'/>`);
    await this.next('proceed', 'proceed');
    const raw = this.sock;
    raw.removeAllListeners('data');
    const tls = tlsConnect({ socket: raw, servername: this.to, cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile), rejectUnauthorized: false });
    await new Promise((r) => tls.once('secureConnect', r));
    this.sock = tls;
    this.parser = this.newParser();
    tls.on('data', (d) => this.parser.write(d));
    tls.on('error', () => {});
    this.header();
    return this.next('stream:features', 'features after TLS');
  }

  /** SASL EXTERNAL and the stream restart (XEP-0178). */
  async authenticate(): Promise<void> {
    this.write(`<auth xmlns='${NS.sasl}' mechanism='EXTERNAL'>=</auth>`);
    await this.next('success', 'SASL success');
    this.parser = this.newParser();
    this.sock.removeAllListeners('data');
    this.sock.on('data', (d) => this.parser.write(d));
    this.header();
    await this.next('stream:features', 'features after SASL');
  }

  /** The condition of the stream error Parley sent. */
  async streamError(): Promise<string> {
    const el = await this.next('stream:error', 'a stream error');
    return el.getChildElements().find((c) => c.getNS() === NS.streams && c.name !== 'text')?.name ?? '(none)';
  }

  close(): void {
    this.sock.destroy();
  }
}

/**
 * A server for `domain` that negotiates like a real one but presents `cert`, which does not name
 * `domain` (or comes from no trusted CA): Parley must not send it anything after TLS. `port` 0: any
 * free one (`server.address()`).
 */
export function wrongNameServer(domain: string, cert: { certFile: string; keyFile: string }, port = 0): Promise<Server> {
  const server = createServer((sock) => {
    sock.on('error', () => {});
    sock.once('data', () => {
      sock.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='${NS.stream}' from='${domain}' id='x' version='1.0'>`);
      sock.write(`<stream:features><starttls xmlns='${NS.tls}'><required/></starttls></stream:features>`);
      sock.once('data', (d) => {
        if (!d.toString().includes('<starttls')) return sock.destroy();
        sock.write(`<proceed xmlns='${NS.tls}'/>`);
        const tls = new TLSSocket(sock, { isServer: true, cert: readFileSync(cert.certFile), key: readFileSync(cert.keyFile) });
        tls.on('error', () => {});
        tls.on('data', (more) => {
          // Whatever follows TLS would be a leak: the tests expect a bounce, and this fails them.
          if (more.toString().includes('<message')) throw new Error(`a message was sent to a peer whose certificate does not name ${domain}`);
        });
      });
    });
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}
