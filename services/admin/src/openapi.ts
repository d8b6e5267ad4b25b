// The OpenAPI 3 document is built from the same declarations that register the routes (schemas,
// permission, summary), so it cannot drift from them; `defineRoute` is the only way routes are added.
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { RouteAccess } from './auth.ts';
import type { Permission } from './roles.ts';
import { MATRIX, ROLES } from './roles.ts';

type Schema = Record<string, unknown>;

export interface RouteSpec {
  method: Extract<HTTPMethods, 'GET' | 'POST' | 'PUT' | 'DELETE'>;
  url: string;
  summary: string;
  tag: string;
  access: RouteAccess;
  params?: Schema;
  querystring?: Schema;
  body?: Schema;
  /** Success status and what the body holds. */
  ok: { status: 200 | 201; description: string };
  /** Documented 404/409 answers. */
  errors?: Array<404 | 409>;
  // biome-ignore lint/suspicious/noExplicitAny: the handler's request type comes from the schemas above
  handler: (req: FastifyRequest<any>, reply: FastifyReply) => Promise<unknown>;
}

export class RouteBook {
  readonly specs: RouteSpec[] = [];

  constructor(private readonly app: FastifyInstance) {}

  define(spec: RouteSpec): void {
    this.specs.push(spec);
    const schema: Schema = {};
    if (spec.params) schema.params = spec.params;
    if (spec.querystring) schema.querystring = spec.querystring;
    if (spec.body) schema.body = spec.body;
    this.app.route({
      method: spec.method,
      url: spec.url,
      schema,
      config: { access: spec.access },
      handler: async (req, reply) => {
        const out = await spec.handler(req, reply);
        if (spec.ok.status !== 200) reply.code(spec.ok.status);
        return out;
      },
    });
  }

  document(version: string): Schema {
    const paths: Record<string, Record<string, Schema>> = {};
    for (const s of this.specs) {
      const path = s.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const responses: Record<string, Schema> = { [s.ok.status]: { description: s.ok.description } };
      if (s.params || s.querystring || s.body) responses[400] = errorResponse('the input is invalid; the message names the field');
      if (!s.access.public) {
        responses[401] = errorResponse('no token, or an unknown, revoked or malformed one');
        responses[403] = errorResponse('the token’s role lacks the permission');
      }
      for (const e of s.errors ?? []) responses[e] = errorResponse(e === 404 ? 'no such item' : 'it already exists');
      const op: Schema = { summary: s.summary, tags: [s.tag], operationId: `${s.method.toLowerCase()}${path.replace(/[^A-Za-z]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`, responses };
      if (s.access.public) op.security = [];
      else {
        if (s.access.permission) op['x-permission'] = s.access.permission;
        op['x-roles'] = s.access.permission ? rolesWith(s.access.permission) : [...ROLES];
      }
      const parameters = [...fromSchema(s.params, 'path'), ...fromSchema(s.querystring, 'query')];
      if (parameters.length) op.parameters = parameters;
      if (s.body) op.requestBody = { required: true, content: { 'application/json': { schema: s.body } } };
      paths[path] ??= {};
      paths[path][s.method.toLowerCase()] = op;
    }
    return {
      openapi: '3.0.3',
      info: {
        title: 'Parley admin API',
        version,
        description: 'Administration of a Parley XMPP server. Authenticate with `Authorization: Bearer <token>`; tokens have the role read-only, operator or admin.',
      },
      paths,
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `parley admin token create` or POST /api/tokens' } },
        schemas: { Error: { type: 'object', required: ['error', 'message'], properties: { error: { type: 'string' }, message: { type: 'string' } } } },
      },
      security: [{ bearer: [] }],
    };
  }
}

function rolesWith(p: Permission): string[] {
  return ROLES.filter((r) => MATRIX[r].has(p));
}

function errorResponse(description: string): Schema {
  return { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
}

function fromSchema(schema: Schema | undefined, where: 'path' | 'query'): Schema[] {
  if (!schema) return [];
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}
