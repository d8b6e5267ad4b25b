import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadModules } from '@parley/ext';
import { entityTime, NS_TIME, tzo } from './time.ts';

describe('XEP-0202 entity time', () => {
  test('the zone offset is ±hh:mm, and UTC is Z', () => {
    assert.equal(tzo(0), 'Z');
    assert.equal(tzo(-360), '-06:00');
    assert.equal(tzo(330), '+05:30');
  });

  test('the module answers a get to the server with the UTC time and the offset, and advertises its feature', async () => {
    const mod = entityTime({ now: () => new Date('2026-12-01T10:11:12.345Z'), offsetMinutes: () => 60 });
    const loaded = loadModules([mod]);
    assert.ok(loaded.disco('server').features.includes(NS_TIME));
    assert.ok(!loaded.disco('account').features.includes(NS_TIME));
    const handler = loaded.session.iq.find('server', 'get', NS_TIME, 'time');
    assert.ok(handler);
    const out = await handler.handle({} as never);
    assert.ok('result' in out);
    const time = out.result[0]!;
    assert.equal(time.getChildText('utc'), '2026-12-01T10:11:12Z');
    assert.equal(time.getChildText('tzo'), '+01:00');
  });

  test('it is not answered for another account', () => {
    assert.equal(loadModules([entityTime()]).session.iq.find('account', 'get', NS_TIME, 'time'), undefined);
  });
});
