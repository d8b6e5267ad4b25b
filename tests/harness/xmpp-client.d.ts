// The part of @xmpp/client (0.14, untyped JavaScript) that the tests use.
declare module '@xmpp/client' {
  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: Array<XmlElement | string>;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildElements(): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    toString(): string;
  }

  export type XmlChild = XmlElement | string | null | undefined;
  export function xml(name: string, attrs?: Record<string, string | undefined> | null, ...children: XmlChild[]): XmlElement;

  export interface SaslMechanismClass {
    new (): unknown;
  }

  export interface Client {
    status: string;
    /** Milliseconds each negotiation step may take (2000 by default). */
    timeout: number;
    jid: { toString(): string } | null;
    start(): Promise<{ toString(): string }>;
    stop(): Promise<void>;
    send(el: XmlElement): Promise<void>;
    on(event: 'stanza' | 'nonza' | 'send' | 'element', fn: (el: XmlElement) => void): void;
    on(event: 'error', fn: (err: Error & { condition?: string }) => void): void;
    on(event: 'offline' | 'disconnect' | 'close', fn: (...args: unknown[]) => void): void;
    on(event: 'status', fn: (status: string) => void): void;
    iqCaller: { request(el: XmlElement, timeoutMs?: number): Promise<XmlElement> };
    iqCallee: {
      get(ns: string, name: string, fn: (ctx: { stanza: XmlElement; element: XmlElement }) => unknown): void;
      set(ns: string, name: string, fn: (ctx: { stanza: XmlElement; element: XmlElement }) => unknown): void;
    };
    saslFactory: { _mechs: Array<{ name: string; mech: SaslMechanismClass }> };
    reconnect: { stop(): void };
    prependListener(event: 'element', fn: (el: XmlElement) => void): void;
    /** XEP-0484 FAST: where the token is kept between connections. */
    fast: {
      mechanism: string | null;
      fetchToken(): Promise<FastToken | null | undefined>;
      saveToken(token: FastToken): Promise<void>;
      deleteToken(): Promise<void>;
    };
    /** XEP-0386: inline features to request, by namespace. */
    bind2: { use(ns: string, req: (el: XmlElement) => XmlElement | undefined, res?: (el: XmlElement) => void): void };
    streamManagement: { enabled: boolean; id: string };
  }

  export interface FastToken {
    mechanism: string;
    token: string;
    expiry: string;
  }

  export function client(options: {
    service: string;
    domain: string;
    resource?: string;
    username?: string;
    password?: string;
    /** XEP-0388 <user-agent/> element. */
    userAgent?: XmlElement;
  }): Client;
}
