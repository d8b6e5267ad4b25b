// A list of modules becomes the tables each service runs: stream features and per-connection hooks
// for the edge, IQ tables and hook chains for the actors, disco computed from what is loaded.
import type { ActorService } from '@parley/subjects';
import type { Element } from '@parley/xml';
import type { ChatroomContribution, RoomBehaviour } from './chatroom.ts';
import { type DiscoInfo, type DiscoTarget, discoIndex } from './disco.ts';
import type { FastifyInstance } from 'fastify';
import type { ConnectionHooks, FeatureStage, HttpEnv, LocalIq, LocalIqStage, SaslMechanismOffer, StreamApi } from './edge.ts';
import { iqKey, IqTable } from './iq.ts';
import type { ExtensionModule } from './module.ts';
import type { PresenceContribution, PresenceIqRequest } from './presence.ts';
import type { DiscoNodeProvider, SessionContribution, SessionIqRequest } from './session.ts';

export interface EdgeExtensions {
  features(stage: FeatureStage): Element[];
  /** The modules' SASL mechanisms, each to be asked whether it is offered on a connection. */
  saslMechanisms(): SaslMechanismOffer[];
  localIq(stage: LocalIqStage, type: string, xmlns: string | undefined, name: string): LocalIq | undefined;
  /** XEP-0386: namespaces the loaded modules can enable inline in a Bind2 request. */
  bind2Inline(): string[];
  /** XEP-0388 §2.1: what the loaded modules list in the SASL2 `<inline/>` (requests go to `sasl2Inline` hooks). */
  sasl2Inline(): Element[];
  /** The hooks of every module for one new connection. */
  connect(api: StreamApi): ConnectionHooks[];
  /** Which actor service answers a client IQ addressed to the server or the sender's own bare JID. */
  serverIqService(xmlns: string | undefined, name: string): ActorService;
  /** Registers every module's HTTP routes, each module in its own scope. */
  http(app: FastifyInstance, env: HttpEnv): Promise<void>;
}

export interface LoadedModules {
  readonly names: string[];
  readonly edge: EdgeExtensions;
  readonly session: { iq: IqTable<SessionIqRequest>; hooks: SessionContribution[]; discoNodes: DiscoNodeProvider[] };
  readonly presence: { iq: IqTable<PresenceIqRequest>; hooks: PresenceContribution[] };
  /** The room behaviour of the chatroom service, when a module provides one. */
  readonly chatroom: { room: RoomBehaviour | null; hooks: ChatroomContribution[] };
  disco(target: DiscoTarget): DiscoInfo;
}

export function loadModules(modules: ExtensionModule[]): LoadedModules {
  const names = modules.map((m) => m.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`module ${dup} is loaded twice`);

  const features = (stage: FeatureStage) => modules.flatMap((m) => (m.edge?.features ?? []).filter((f) => f.stage === stage));
  const featureLists = { 'before-auth': features('before-auth'), 'after-auth': features('after-auth') };
  const saslMechanisms = modules.flatMap((m) => m.edge?.sasl ?? []);
  const localIqs = new Map<string, LocalIq>();
  for (const m of modules) {
    for (const q of m.edge?.localIq ?? []) for (const stage of q.stages) localIqs.set(`${stage} ${q.type} {${q.xmlns}}${q.name}`, q);
  }
  const bind2Inline = modules.flatMap((m) => m.edge?.bind2Inline ?? []);
  const sasl2Inline = modules.flatMap((m) => m.edge?.sasl2Inline ?? []);
  const connectors = modules.flatMap((m) => (m.edge?.connection ? [m.edge.connection] : []));
  const presenceServerIq = new Set<string>();
  for (const m of modules) {
    for (const h of m.presence?.iq ?? []) if (h.scope.includes('server')) presenceServerIq.add(`{${h.xmlns}}${h.name}`);
  }

  const sessionIq = modules.flatMap((m) => (m.session?.iq ?? []).map((handler) => ({ module: m.name, handler })));
  const presenceIq = modules.flatMap((m) => (m.presence?.iq ?? []).map((handler) => ({ module: m.name, handler })));
  // One owner per IQ key across both actor services, so the edge's routing is unambiguous.
  const seen = new Map<string, string>();
  for (const { module, handler } of [...sessionIq, ...presenceIq]) {
    for (const scope of handler.scope) {
      const key = iqKey(scope, handler.type, handler.xmlns, handler.name);
      if (seen.has(key)) throw new Error(`modules ${seen.get(key)} and ${module} both handle ${key}`);
      seen.set(key, module);
    }
  }

  const rooms = modules.filter((m) => m.chatroom?.room);
  if (rooms.length > 1) throw new Error(`modules ${rooms.map((m) => m.name).join(' and ')} both provide chatrooms`);

  return {
    names,
    edge: {
      features: (stage) => featureLists[stage].map((f) => f.element()),
      saslMechanisms: () => saslMechanisms,
      localIq: (stage, type, xmlns, name) => localIqs.get(`${stage} ${type} {${xmlns ?? ''}}${name}`),
      bind2Inline: () => bind2Inline,
      sasl2Inline: () => sasl2Inline.map((f) => f()),
      connect: (api) => connectors.map((c) => c(api)),
      serverIqService: (xmlns, name) => (presenceServerIq.has(`{${xmlns ?? ''}}${name}`) ? 'presence' : 'session'),
      async http(app, env) {
        for (const m of modules) {
          const routes = m.edge?.http;
          if (routes) await app.register(async (scope) => routes(scope, env));
        }
      },
    },
    session: {
      iq: new IqTable(sessionIq),
      hooks: modules.flatMap((m) => (m.session ? [m.session] : [])),
      discoNodes: modules.flatMap((m) => (m.session?.discoNodes ? [m.session.discoNodes] : [])),
    },
    presence: { iq: new IqTable(presenceIq), hooks: modules.flatMap((m) => (m.presence ? [m.presence] : [])) },
    chatroom: { room: rooms[0]?.chatroom?.room ?? null, hooks: modules.flatMap((m) => (m.chatroom ? [m.chatroom] : [])) },
    disco: discoIndex(modules.flatMap((m) => m.disco ?? [])),
  };
}
