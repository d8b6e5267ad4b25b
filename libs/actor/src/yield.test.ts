import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { afterWaitingInput } from './yield.ts';

test('what a socket handler writes is read at the other end before afterWaitingInput resolves (decision 0033)', async () => {
  const order: string[] = [];
  let deferred: Promise<void> | undefined;
  // As the edge and an actor do: while handling input (the poll phase), the answer is written, then work
  // for someone else is deferred. The answer is readable at once; a single setImmediate would still run
  // before the loop polls again and reads it, afterWaitingInput must not.
  const server = createServer((s) =>
    s.on('data', () => {
      s.write('answer');
      deferred = afterWaitingInput().then(() => {
        order.push('deferred work');
      });
    }),
  );
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client: Socket = connect(port, '127.0.0.1');
  await once(client, 'connect');
  try {
    const answered = new Promise<void>((resolve) =>
      client.once('data', () => {
        order.push('answer read');
        resolve();
      }),
    );
    client.write('request');
    await answered;
    await deferred;
    assert.deepEqual(order, ['answer read', 'deferred work']);
  } finally {
    client.destroy();
    server.close();
  }
});
