// WebSocket transport (RFC 7395): subprotocol "xmpp", one complete XML element per text message.
import WebSocket from 'ws';
import type { Endpoint, TlsOptions, Transport, TransportEvents } from './transport.ts';

export async function connectWebSocket(
  ep: Endpoint,
  secure: boolean,
  tls: TlsOptions,
  events: TransportEvents,
  timeoutMs: number,
): Promise<Transport> {
  const url = `${secure ? 'wss' : 'ws'}://${ep.host}:${ep.port}${ep.path}`;
  const ws = new WebSocket(url, 'xmpp', {
    rejectUnauthorized: tls.verify,
    // Passed through to tls.connect for SNI; not in ws's declared options.
    ...({ servername: tls.servername } as object),
    handshakeTimeout: timeoutMs,
    perMessageDeflate: false,
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => {
      ws.removeAllListeners('error');
      resolve();
    });
    ws.once('error', reject);
  });
  // RFC 7395 §3.2: the server must agree to the "xmpp" subprotocol.
  if (ws.protocol !== 'xmpp') {
    ws.terminate();
    throw new Error('WebSocket server did not accept the xmpp subprotocol');
  }
  let closed = false;
  let lastError: Error | undefined;
  ws.on('message', (data, isBinary) => {
    if (!isBinary) events.data(data.toString());
  });
  ws.on('error', (err) => {
    lastError = err;
  });
  ws.on('close', () => {
    if (closed) return;
    closed = true;
    events.close(lastError);
  });
  return {
    framed: true,
    send(text) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
    },
    pending: () => ws.bufferedAmount,
    close() {
      ws.close();
      setTimeout(() => ws.terminate(), 2000).unref();
    },
  };
}
