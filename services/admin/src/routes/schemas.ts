// JSON schemas shared by the admin routes (validated by fastify, published in the OpenAPI document).

export const userParam = {
  type: 'object',
  required: ['user'],
  properties: { user: { type: 'string', minLength: 1, maxLength: 3071, description: 'a username or bare JID on this server' } },
} as const;

export const limit = (def: number, max: number) => ({ type: 'integer', minimum: 1, maximum: max, default: def, description: `at most ${max}` }) as const;

export const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', maxLength: 200, description: 'shown to the user in the stream error text' } },
} as const;

export const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;
