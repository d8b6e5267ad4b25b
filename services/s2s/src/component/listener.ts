// The listener for external components (XEP-0114): plain TCP that only loopback peers may use
// (a shared-secret handshake in clear is fit for a bot on the same host, not for a network), or
// direct TLS with the server certificate when PARLEY_COMPONENT_TLS is on, then from any address.
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import { type SecureContext, type SecureContextOptions, createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { ParleyConfig } from '@parley/config';
import { listen, SocketTransport } from '@parley/edge';
import type { Logger } from '@parley/log';
import type { Element } from '@parley/xml';
import type { S2SMetrics } from '../metrics.ts';
import type { StreamLimits } from '../stream.ts';
import type { ComponentRouter } from './router.ts';
import { ComponentStream } from './stream.ts';

export interface ComponentListenerDeps {
  config: Pick<ParleyConfig, 'domain' | 'componentPort' | 'componentBindAddress' | 'componentTls'>;
  log: Logger;
  limits: StreamLimits;
  contextOptions: SecureContextOptions;
  secureContext: SecureContext;
  router: ComponentRouter;
  metrics: S2SMetrics;
  /** The secret of a registered component, null when unknown. */
  secretFor(domain: string): Promise<string | null>;
  /** A stanza from a component, addresses checked: to local users, remote servers or other components. */
  route(stanza: Element): void;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

export function componentListener(deps: ComponentListenerDeps): { start(): Promise<number>; stop(): void } {
  const { config, metrics, router } = deps;
  const streams = new Set<ComponentStream>();
  let server: NetServer | TlsServer | null = null;

  function accept(transport: SocketTransport): void {
    const stream = new ComponentStream(transport, config.domain, deps.limits, deps.log.child({ component: transport.remoteAddress }), {
      secretFor: deps.secretFor,
      claim: (s, domain) => router.claim(s, domain),
      stanza: (el) => {
        metrics.componentStanzas.inc({ direction: 'in' });
        deps.route(el);
      },
      refused: (reason) => metrics.componentRefused.inc({ reason }),
      ended: (s, domain) => {
        streams.delete(s);
        router.release(s, domain);
      },
    });
    streams.add(stream);
    if (!config.componentTls && !isLoopback(transport.remoteAddress)) {
      metrics.componentRefused.inc({ reason: 'not-loopback' });
      stream.streamError('policy-violation', 'components connect from this host only, unless the server enables TLS for them (PARLEY_COMPONENT_TLS)');
    }
  }

  return {
    async start() {
      if (config.componentTls) {
        const tls = createTlsServer({ ...deps.contextOptions, handshakeTimeout: deps.limits.negotiationMs }, (sock) => accept(new SocketTransport(sock, deps.secureContext)));
        // A failed or timed-out handshake leaves the socket open until destroyed.
        tls.on('tlsClientError', (_err, sock) => sock.destroy());
        server = tls;
      } else {
        server = createNetServer((sock) => accept(new SocketTransport(sock, deps.secureContext)));
      }
      return listen(server, config.componentPort, config.componentBindAddress);
    },
    stop() {
      server?.close();
      for (const s of [...streams]) s.streamError('system-shutdown', 'the server is shutting down');
    },
  };
}
