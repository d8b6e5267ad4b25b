import assert from 'node:assert/strict';
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  type ChannelBindingType,
  type SaslContext,
  type SaslSession,
  type SaslStep,
  type ScramCredential,
  type ScramHash,
  createSaslSession,
  deriveScramCredential,
} from './index.ts';

// A tiny independent SCRAM client (RFC 5802 §3) to drive the server.
const NODE: Record<ScramHash, string> = { 'SHA-1': 'sha1', 'SHA-256': 'sha256', 'SHA-512': 'sha512' };
const LEN: Record<ScramHash, number> = { 'SHA-1': 20, 'SHA-256': 32, 'SHA-512': 64 };

interface ClientOptions {
  flag?: 'n' | 'y';
  cbType?: string;
  cbData?: Buffer;
  authzid?: string;
  nonce?: string;
}

class ScramClient {
  readonly gs2Header: string;
  readonly clientFirstBare: string;
  #serverSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    private readonly opts: ClientOptions = {},
  ) {
    const flag = opts.cbType ? `p=${opts.cbType}` : (opts.flag ?? 'n');
    const authz = opts.authzid ? `a=${saslname(opts.authzid)}` : '';
    this.gs2Header = `${flag},${authz},`;
    this.clientFirstBare = `n=${saslname(username)},r=${opts.nonce ?? randomBytes(18).toString('base64')}`;
  }

  first(): Buffer {
    return Buffer.from(this.gs2Header + this.clientFirstBare);
  }

  final(serverFirst: Buffer, tamper: { nonce?: string } = {}): Buffer {
    const sf = serverFirst.toString();
    const attrs = Object.fromEntries(sf.split(',').map((a) => [a[0], a.slice(2)]));
    const salted = pbkdf2Sync(this.password, Buffer.from(attrs.s!, 'base64'), Number(attrs.i), LEN[this.hash], NODE[this.hash]);
    const clientKey = createHmac(NODE[this.hash], salted).update('Client Key').digest();
    const storedKey = createHash(NODE[this.hash]).update(clientKey).digest();
    const cbind = Buffer.concat([Buffer.from(this.gs2Header), this.opts.cbData ?? Buffer.alloc(0)]);
    const withoutProof = `c=${cbind.toString('base64')},r=${tamper.nonce ?? attrs.r}`;
    const authMessage = `${this.clientFirstBare},${sf},${withoutProof}`;
    const signature = createHmac(NODE[this.hash], storedKey).update(authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    const serverKey = createHmac(NODE[this.hash], salted).update('Server Key').digest();
    this.#serverSignature = createHmac(NODE[this.hash], serverKey).update(authMessage).digest();
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`);
  }

  verifies(serverFinal: Buffer | undefined): boolean {
    return serverFinal?.toString() === `v=${this.#serverSignature?.toString('base64')}`;
  }
}

function saslname(s: string): string {
  return s.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

const EXPORTER = Buffer.alloc(32, 7);
const END_POINT = Buffer.alloc(32, 9);

async function accounts(entries: Record<string, string>): Promise<Map<string, ScramCredential[]>> {
  const map = new Map<string, ScramCredential[]>();
  for (const [user, password] of Object.entries(entries)) {
    map.set(
      user,
      await Promise.all((['SHA-1', 'SHA-256', 'SHA-512'] as const).map((h) => deriveScramCredential(password, h, { iterations: 4096 }))),
    );
  }
  return map;
}

const store = await accounts({ juliet: 'r0m30myr0m30', 'a,b=c': 'pw', user: 'pencil' });

function context(overrides: Partial<SaslContext> = {}): SaslContext {
  return {
    tls: true,
    channelBinding: (type: ChannelBindingType) => (type === 'tls-exporter' ? EXPORTER : END_POINT),
    lookup: async (username, hash) => store.get(username)?.find((c) => c.hash === hash) ?? null,
    fakeSaltSecret: Buffer.from('fake-salt-secret'),
    defaultIterations: 4096,
    ...overrides,
  };
}

function session(mechanism: string, ctx: SaslContext = context()): SaslSession {
  const s = createSaslSession(mechanism, ctx);
  assert.ok(s, `no session for ${mechanism}`);
  return s;
}

function challengeData(step: SaslStep): Buffer {
  assert.equal(step.kind, 'challenge', JSON.stringify(step));
  return (step as { data: Buffer }).data;
}

async function exchange(mechanism: string, client: ScramClient, ctx?: SaslContext): Promise<SaslStep> {
  const s = session(mechanism, ctx);
  const first = await s.start(client.first());
  if (first.kind !== 'challenge') return first;
  return s.step(client.final(first.data));
}

describe('RFC test vectors', () => {
  test('reproduces the RFC 5802 §5 SCRAM-SHA-1 exchange', async () => {
    const cred = await deriveScramCredential('pencil', 'SHA-1', {
      salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
      iterations: 4096,
    });
    const s = session('SCRAM-SHA-1', context({ lookup: async () => cred, nonce: () => '3rfcNHYJY1ZVvWVs7j' }));
    const first = await s.start(Buffer.from('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL'));
    assert.equal(challengeData(first).toString(), 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    const final = await s.step(
      Buffer.from('c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts='),
    );
    assert.deepEqual(final, { kind: 'success', data: Buffer.from('v=rmF9pqV8S7suAoZWja4dJRkFsKQ='), username: 'user' });
  });

  test('reproduces the RFC 7677 §3 SCRAM-SHA-256 exchange', async () => {
    const cred = await deriveScramCredential('pencil', 'SHA-256', {
      salt: Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      iterations: 4096,
    });
    const s = session('SCRAM-SHA-256', context({ lookup: async () => cred, nonce: () => '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0' }));
    const first = await s.start(Buffer.from('n,,n=user,r=rOprNGfwEbeRWgbNEkqO'));
    assert.equal(
      challengeData(first).toString(),
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
    );
    const final = await s.step(
      Buffer.from(
        'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
      ),
    );
    assert.deepEqual(final, {
      kind: 'success',
      data: Buffer.from('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
      username: 'user',
    });
  });
});

describe('full exchanges', () => {
  for (const hash of ['SHA-1', 'SHA-256', 'SHA-512'] as const) {
    test(`juliet logs in with SCRAM-${hash} and verifies the server signature`, async () => {
      const client = new ScramClient(hash, 'juliet', 'r0m30myr0m30');
      const result = await exchange(`SCRAM-${hash}`, client);
      assert.equal(result.kind, 'success');
      assert.equal(result.kind === 'success' && result.username, 'juliet');
      assert.ok(client.verifies(result.kind === 'success' ? result.data : undefined));
    });

    for (const [cbType, cbData] of [['tls-exporter', EXPORTER], ['tls-server-end-point', END_POINT]] as const) {
      test(`juliet logs in with SCRAM-${hash}-PLUS bound with ${cbType}`, async () => {
        const client = new ScramClient(hash, 'juliet', 'r0m30myr0m30', { cbType, cbData });
        const result = await exchange(`SCRAM-${hash}-PLUS`, client);
        assert.equal(result.kind, 'success', JSON.stringify(result));
        assert.ok(client.verifies(result.kind === 'success' ? result.data : undefined));
      });
    }
  }

  test('sends an empty challenge when the client gave no initial response', async () => {
    const s = session('SCRAM-SHA-256');
    assert.deepEqual(await s.start(null), { kind: 'challenge', data: Buffer.alloc(0) });
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = await s.step(client.first());
    assert.equal((await s.step(client.final(challengeData(first)))).kind, 'success');
  });

  test('prepares the username so a differently cased login reaches the same account', async () => {
    const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'JULIET', 'r0m30myr0m30'));
    assert.equal(result.kind === 'success' && result.username, 'juliet');
  });

  test('decodes =2C and =3D in the username', async () => {
    const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'a,b=c', 'pw'));
    assert.equal(result.kind === 'success' && result.username, 'a,b=c');
  });
});

describe('failures', () => {
  test('a wrong password fails with not-authorized', async () => {
    const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'juliet', 'wrong'));
    assert.deepEqual(result, { kind: 'failure', condition: 'not-authorized' });
  });

  test('an unknown user gets a challenge shaped like a real one and the same failure as a wrong password', async () => {
    const realSession = session('SCRAM-SHA-256');
    const fakeSession = session('SCRAM-SHA-256');
    const real = new ScramClient('SHA-256', 'juliet', 'x');
    const fake = new ScramClient('SHA-256', 'nobody', 'x');
    const realFirst = challengeData(await realSession.start(real.first())).toString();
    const fakeFirst = challengeData(await fakeSession.start(fake.first())).toString();
    const shape = (s: string) => s.replace(/[A-Za-z0-9+/]/g, 'x');
    assert.equal(shape(fakeFirst), shape(realFirst));
    const realEnd = await realSession.step(real.final(Buffer.from(realFirst)));
    const fakeEnd = await fakeSession.step(fake.final(Buffer.from(fakeFirst)));
    assert.deepEqual(fakeEnd, realEnd);
    assert.deepEqual(fakeEnd, { kind: 'failure', condition: 'not-authorized' });
  });

  test('a locked account with the right password fails like a wrong password and shows its real salt', async () => {
    const locked = context({ lookup: async (username, hash) => {
      const c = store.get(username)?.find((x) => x.hash === hash);
      return c ? { ...c, locked: true } : null;
    } });
    const salt = (first: Buffer) => /,s=([^,]+),/.exec(first.toString())?.[1];
    const s = session('SCRAM-SHA-256', locked);
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = challengeData(await s.start(client.first()));
    assert.equal(salt(first), store.get('juliet')?.find((c) => c.hash === 'SHA-256')?.salt);
    assert.deepEqual(await s.step(client.final(first)), { kind: 'failure', condition: 'not-authorized' });
    // The same password succeeds once the account is unlocked.
    assert.equal((await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30'))).kind, 'success');
  });

  test('an unknown user sees the same salt every time, and different users see different salts', async () => {
    const salt = async (user: string) => {
      const first = await session('SCRAM-SHA-256').start(new ScramClient('SHA-256', user, 'x').first());
      return /,s=([^,]+),/.exec(challengeData(first).toString())?.[1];
    };
    assert.equal(await salt('nobody'), await salt('nobody'));
    assert.notEqual(await salt('nobody'), await salt('someone'));
  });

  test('a y flag while the server offers channel binding is a downgrade and fails', async () => {
    const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { flag: 'y' }));
    assert.equal(result.kind === 'failure' && result.condition, 'not-authorized');
  });

  test('a y flag is accepted when the connection has no channel binding to offer', async () => {
    const ctx = context({ tls: false, channelBinding: () => undefined });
    const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { flag: 'y' }), ctx);
    assert.equal(result.kind, 'success');
  });

  test('channel binding on a mechanism without -PLUS fails', async () => {
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { cbType: 'tls-exporter', cbData: EXPORTER });
    assert.deepEqual(await session('SCRAM-SHA-256').start(client.first()), {
      kind: 'failure',
      condition: 'malformed-request',
      text: 'channel binding needs a -PLUS mechanism',
    });
  });

  test('a -PLUS mechanism without channel binding fails', async () => {
    const result = await session('SCRAM-SHA-256-PLUS').start(new ScramClient('SHA-256', 'juliet', 'x').first());
    assert.equal(result.kind === 'failure' && result.condition, 'malformed-request');
  });

  test('channel-binding data that differs from the connection fails with not-authorized', async () => {
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { cbType: 'tls-exporter', cbData: END_POINT });
    assert.deepEqual(await exchange('SCRAM-SHA-256-PLUS', client), { kind: 'failure', condition: 'not-authorized' });
  });

  test('an unsupported channel-binding type fails', async () => {
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { cbType: 'tls-unique', cbData: EXPORTER });
    const result = await session('SCRAM-SHA-256-PLUS').start(client.first());
    assert.equal(result.kind === 'failure' && result.condition, 'not-authorized');
  });

  test('a tampered nonce in the final message fails', async () => {
    const s = session('SCRAM-SHA-256');
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = challengeData(await s.start(client.first()));
    const nonce = /^r=([^,]+)/.exec(first.toString())![1]!;
    const result = await s.step(client.final(first, { nonce: `${nonce}x` }));
    assert.deepEqual(result, { kind: 'failure', condition: 'not-authorized' });
  });

  test('a mandatory m= extension fails', async () => {
    const result = await session('SCRAM-SHA-256').start(Buffer.from('n,,m=ext,n=juliet,r=abc'));
    assert.equal(result.kind === 'failure' && result.condition, 'malformed-request');
  });

  test('attributes out of order fail', async () => {
    const result = await session('SCRAM-SHA-256').start(Buffer.from('n,,r=abc,n=juliet'));
    assert.equal(result.kind === 'failure' && result.condition, 'malformed-request');
  });

  test('final-message attributes out of order fail', async () => {
    const s = session('SCRAM-SHA-256');
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = challengeData(await s.start(client.first()));
    const [c, r, p] = client.final(first).toString().split(',');
    const result = await s.step(Buffer.from([r, c, p].join(',')));
    assert.equal(result.kind === 'failure' && result.condition, 'malformed-request');
  });

  test('invalid base64 in the channel binding fails with incorrect-encoding', async () => {
    const s = session('SCRAM-SHA-256');
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = challengeData(await s.start(client.first()));
    const result = await s.step(Buffer.from(client.final(first).toString().replace(/^c=[^,]*/, 'c=b!ws')));
    assert.equal(result.kind === 'failure' && result.condition, 'incorrect-encoding');
  });

  test('malformed GS2 headers, usernames and nonces fail with malformed-request', async () => {
    for (const bad of ['x,,n=juliet,r=abc', 'n,n=juliet,r=abc', 'n,b=x,n=juliet,r=abc', 'n,,n=ju=liet,r=abc', 'n,,n=juliet,r=', 'n,,n=,r=abc', 'n,,n=juliet']) {
      const result = await session('SCRAM-SHA-256').start(Buffer.from(bad));
      assert.equal(result.kind === 'failure' && result.condition, 'malformed-request', bad);
    }
  });

  test('invalid UTF-8 and oversized messages fail with malformed-request', async () => {
    const badUtf8 = Buffer.concat([Buffer.from('n,,n='), Buffer.from([0xff, 0xfe]), Buffer.from(',r=abc')]);
    for (const bad of [badUtf8, Buffer.from(`n,,n=juliet,r=${'a'.repeat(5000)}`)]) {
      const result = await session('SCRAM-SHA-256').start(bad);
      assert.equal(result.kind === 'failure' && result.condition, 'malformed-request');
    }
  });

  test('a username that cannot be a localpart fails with not-authorized', async () => {
    const result = await session('SCRAM-SHA-256').start(Buffer.from('n,,n=jul iet,r=abc'));
    assert.deepEqual(result, { kind: 'failure', condition: 'not-authorized' });
  });

  test('a store error fails with temporary-auth-failure', async () => {
    const ctx = context({
      lookup: async () => {
        throw new Error('database down');
      },
    });
    const result = await session('SCRAM-SHA-256', ctx).start(new ScramClient('SHA-256', 'juliet', 'x').first());
    assert.deepEqual(result, { kind: 'failure', condition: 'temporary-auth-failure' });
  });

  test('a response after the exchange ended fails', async () => {
    const s = session('SCRAM-SHA-256');
    const client = new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30');
    const first = challengeData(await s.start(client.first()));
    const final = client.final(first);
    assert.equal((await s.step(final)).kind, 'success');
    assert.equal((await s.step(final)).kind, 'failure');
  });
});

describe('authorization identity', () => {
  test('accepts an authzid equal to the user and returns the bare JID', async () => {
    const ctx = context({ domain: 'Example.COM' });
    for (const authzid of ['juliet@example.com', 'Juliet']) {
      const result = await exchange('SCRAM-SHA-256', new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { authzid }), ctx);
      assert.equal(result.kind === 'success' && result.authzid, 'juliet@example.com', authzid);
    }
  });

  test('rejects an authzid naming someone else with invalid-authzid', async () => {
    const ctx = context({ domain: 'example.com' });
    for (const authzid of ['romeo@example.com', 'juliet@evil.example', 'juliet@example.com/balcony', 'romeo']) {
      const result = await session('SCRAM-SHA-256', ctx).start(
        new ScramClient('SHA-256', 'juliet', 'r0m30myr0m30', { authzid }).first(),
      );
      assert.deepEqual(result, { kind: 'failure', condition: 'invalid-authzid' }, authzid);
    }
  });
});
