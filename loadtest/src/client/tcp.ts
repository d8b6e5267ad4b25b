// TCP transport (plain, STARTTLS-upgradable) and direct TLS (XEP-0368) transport.
import net from 'node:net';
import tls from 'node:tls';
import type { Endpoint, TlsOptions, Transport, TransportEvents } from './transport.ts';

class SocketTransport implements Transport {
  readonly framed = false;
  private closed = false;

  constructor(
    private socket: net.Socket,
    private readonly events: TransportEvents,
  ) {
    this.attach(socket);
  }

  private attach(socket: net.Socket): void {
    socket.setEncoding('utf8');
    socket.setNoDelay(true);
    socket.on('data', this.onData);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
  }

  private detach(socket: net.Socket): void {
    socket.off('data', this.onData);
    socket.off('error', this.onError);
    socket.off('close', this.onClose);
  }

  private onData = (chunk: string): void => this.events.data(chunk);
  private lastError: Error | undefined;
  private onError = (err: Error): void => {
    this.lastError = err;
  };
  private onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    this.events.close(this.lastError);
  };

  send(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  pending(): number {
    return this.socket.writableLength;
  }

  startTls(opts: TlsOptions): Promise<void> {
    const plain = this.socket;
    this.detach(plain);
    return new Promise((resolve, reject) => {
      const secure = tls.connect({
        socket: plain,
        servername: opts.servername,
        rejectUnauthorized: opts.verify,
      });
      const fail = (err: Error) => reject(err);
      secure.once('error', fail);
      secure.once('secureConnect', () => {
        secure.off('error', fail);
        this.socket = secure;
        this.attach(secure);
        resolve();
      });
    });
  }

  close(): void {
    this.socket.end();
    // A peer that never answers our </stream:stream> must not keep the socket open.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }
}

function opened(socket: net.Socket, event: 'connect' | 'secureConnect', timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once(event, () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve();
    });
  });
}

export async function connectTcp(ep: Endpoint, events: TransportEvents, timeoutMs: number): Promise<Transport> {
  const socket = net.connect({ host: ep.host, port: ep.port });
  await opened(socket, 'connect', timeoutMs);
  return new SocketTransport(socket, events);
}

export async function connectTls(
  ep: Endpoint,
  opts: TlsOptions,
  events: TransportEvents,
  timeoutMs: number,
): Promise<Transport> {
  const socket = tls.connect({
    host: ep.host,
    port: ep.port,
    servername: opts.servername,
    rejectUnauthorized: opts.verify,
    // XEP-0368 §3: direct TLS negotiates ALPN "xmpp-client".
    ALPNProtocols: ['xmpp-client'],
  });
  await opened(socket, 'secureConnect', timeoutMs);
  return new SocketTransport(socket, events);
}
