// PARLEY_REQUIRE_INTERNAL_TLS: each plaintext or unauthenticated internal link is named on one line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '@parley/config';
import { insecureInternalLink } from './internal-links.ts';

const SECURE = {
  PARLEY_NATS_URL: 'tls://parley:pw@nats-1:4222,tls://parley:pw@nats-2:4222',
  PARLEY_NATS_CA_FILE: '/etc/ca.pem',
  PARLEY_REDIS_URL: 'rediss://parley:pw@redis:6380',
  PARLEY_REDIS_CA_FILE: '/etc/ca.pem',
  PARLEY_DATABASE_URL: 'postgres://parley:pw@db:5432/parley?sslmode=verify-full',
  PARLEY_DATABASE_CA_FILE: '/etc/ca.pem',
};

const problem = (env: Record<string, string>) => insecureInternalLink(loadConfig({ ...SECURE, ...env }));

test('links over TLS with credentials pass, and so does mutual TLS to NATS without a password', () => {
  assert.equal(problem({}), null);
  assert.equal(problem({ PARLEY_NATS_URL: 'nats://nats:4222', PARLEY_NATS_CERT_FILE: '/c.pem', PARLEY_NATS_KEY_FILE: '/k.pem' }), null);
  assert.equal(problem({ PARLEY_DATABASE_URL: 'postgres://parley:pw@db/parley' }), null, 'a CA file alone means TLS');
  const failover = 'postgres://parley:pw@db-1:5432,db-2:5432/parley?sslmode=verify-full&target_session_attrs=read-write';
  assert.equal(problem({ PARLEY_DATABASE_URL: failover }), null, 'several hosts (libpq syntax) share TLS and credentials');
});

test('each plaintext link is named, with what to change and without its password', () => {
  const nats = problem({ PARLEY_NATS_URL: 'nats://parley:secret@nats:4222', PARLEY_NATS_CA_FILE: '' });
  assert.equal(nats, 'the NATS link (PARLEY_NATS_URL nats://***@nats:4222) is plaintext: use tls:// or set PARLEY_NATS_CA_FILE');
  assert.match(problem({ PARLEY_REDIS_URL: 'redis://parley:secret@redis:6379' }) ?? '', /^the Redis link \(PARLEY_REDIS_URL redis:\/\/\*\*\*@redis:6379\) is plaintext: use rediss:\/\/$/);
  assert.match(problem({ PARLEY_DATABASE_URL: 'postgres://parley:secret@db/parley?sslmode=prefer' }) ?? '', /^the Postgres link .* is plaintext/);
  for (const p of [nats, problem({ PARLEY_REDIS_URL: 'redis://parley:secret@redis:6379' })]) assert.doesNotMatch(p ?? '', /secret/);
});

test('each unauthenticated link is named', () => {
  assert.match(problem({ PARLEY_NATS_URL: 'tls://nats:4222' }) ?? '', /^the NATS link .* is unauthenticated/);
  assert.match(problem({ PARLEY_REDIS_URL: 'rediss://redis:6380' }) ?? '', /^the Redis link .* is unauthenticated/);
  assert.match(problem({ PARLEY_DATABASE_URL: 'postgres://parley@db/parley?sslmode=require' }) ?? '', /^the Postgres link .* is unauthenticated/);
});
