import type { ExtensionModule } from '@parley/ext';
import { xml } from '@parley/xml';

export const NS_TIME = 'urn:xmpp:time';

/** XEP-0202 §4: the offset of a Date's zone as ±hh:mm (UTC is 'Z'). */
export function tzo(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const sign = offsetMinutes > 0 ? '+' : '-';
  const m = Math.abs(offsetMinutes);
  return `${sign}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

/**
 * XEP-0202 entity time, answered for the server: UTC time in XEP-0082 format with the offset of
 * the server's zone. The worked example of docs/extending.md.
 */
export function entityTime(opts: { now?: () => Date; offsetMinutes?: () => number } = {}): ExtensionModule {
  const now = opts.now ?? (() => new Date());
  // Date#getTimezoneOffset is minutes *behind* UTC; XEP-0202 wants the offset from UTC.
  const offset = opts.offsetMinutes ?? (() => -new Date().getTimezoneOffset());
  return {
    name: 'time',
    specs: ['XEP-0202'],
    disco: [{ on: ['server'], features: [NS_TIME] }],
    session: {
      iq: [
        {
          scope: ['server'],
          type: 'get',
          name: 'time',
          xmlns: NS_TIME,
          handle: () => ({
            result: [xml('time', { xmlns: NS_TIME }, xml('tzo', null, tzo(offset())), xml('utc', null, now().toISOString().replace(/\.\d{3}Z$/, 'Z')))],
          }),
        },
      ],
    },
  };
}
