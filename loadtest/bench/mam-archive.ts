// Message archive (XEP-0313) query cost on Postgres with 1,000,000 archived messages.
//
//   node --import tsx loadtest/bench/mam-archive.ts [--rows 1000000] [--owners 1000] [--samples 300] [--keep]
//
// Fills its own schema (parley_bench_mam_<hex>, dropped at the end unless --keep) in one
// INSERT … SELECT over generate_series with the indexes dropped and rebuilt afterwards (the
// migration's own index definitions, read back from pg_indexes), then times page fetches through
// the real repository (libs/store archiveRepo.query) for the queries clients make: the last page
// (catch-up on login), the page after a known id (sync forward), one conversation's last page, a
// one-week time range, and a full-text search. Database URL: PARLEY_BENCH_DATABASE_URL, else
// PARLEY_TEST_DATABASE_URL, else postgres://postgres@127.0.0.1:5432/test.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type ArchiveQuery, createStore, DEFAULT_TEST_DATABASE_URL, migrate, openPostgres } from '@parley/store';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    owners: { type: 'string', default: '1000' },
    peers: { type: 'string', default: '20' },
    samples: { type: 'string', default: '300' },
    page: { type: 'string', default: '50' },
    keep: { type: 'boolean', default: false },
  },
});
const ROWS = Number(values.rows);
const OWNERS = Number(values.owners);
const PEERS = Number(values.peers);
const SAMPLES = Number(values.samples);
const PAGE = Number(values.page);
const url = process.env.PARLEY_BENCH_DATABASE_URL ?? process.env.PARLEY_TEST_DATABASE_URL ?? DEFAULT_TEST_DATABASE_URL;
const schema = `parley_bench_mam_${randomBytes(4).toString('hex')}`;
const DAY = 86_400_000;
const SPAN_DAYS = 365;
// Messages are spread over the last year, oldest first.
const T0 = Date.now() - SPAN_DAYS * DAY;

const sql = await openPostgres(url, { schema, max: 2 });
const store = createStore(sql);
const log = (msg: string) => process.stdout.write(`${msg}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function fill(): Promise<void> {
  await migrate(sql);
  const indexes = await sql.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'archive_messages' AND indexname <> 'archive_messages_pkey'`,
    [schema],
  );
  for (const i of indexes) await sql.exec(`DROP INDEX ${i.indexname}`);
  const started = Date.now();
  // Row g belongs to owner g % OWNERS, talks with peer (g / OWNERS) % PEERS, at a time growing with g;
  // bodies are four words from a 64-word vocabulary (full-text search has something to find).
  await sql.query(
    `WITH words AS (SELECT array_agg(w) AS w FROM unnest(string_to_array(
       'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu red orange yellow green blue indigo violet black white grey brown pink lunch dinner coffee tea train plane meeting report draft review deploy release bug fix server client phone laptop monday friday weekend holiday north south east west', ' ')) AS w)
     INSERT INTO archive_messages (owner, id, ts, with_bare, peer, dir, msg_id, origin_id, body, stanza)
     SELECT o, substr(md5(g::text), 1, 16), to_timestamp(($2::bigint + (g::bigint * $3::bigint) / $1::bigint) / 1000.0),
            p, p || '/phone', CASE WHEN g % 2 = 0 THEN 'i' ELSE 'o' END, 'm' || g, 'o' || g, b,
            '<message xmlns="jabber:client" type="chat" id="m' || g || '" from="' || CASE WHEN g % 2 = 0 THEN p || '/phone' ELSE o || '/laptop' END ||
            '" to="' || CASE WHEN g % 2 = 0 THEN o ELSE p END || '"><body>' || b || '</body><origin-id xmlns="urn:xmpp:sid:0" id="o' || g || '"/></message>'
     FROM words, generate_series(1, $1::int) AS g,
          LATERAL (SELECT 'user' || (g % $4::int) || '@bench.example' AS o, 'peer' || ((g / $4::int) % $5::int) || '@bench.example' AS p,
                   w[1 + (g * 7) % 64] || ' ' || w[1 + (g * 13) % 64] || ' ' || w[1 + (g * 29) % 64] || ' ' || w[1 + (g * 31) % 64] AS b) x`,
    [ROWS, T0, SPAN_DAYS * DAY, OWNERS, PEERS],
  );
  const loaded = Date.now();
  for (const i of indexes) await sql.exec(i.indexdef);
  await sql.exec('ANALYZE archive_messages');
  log(`filled ${ROWS.toLocaleString('en')} rows for ${OWNERS} owners in ${((loaded - started) / 1000).toFixed(1)} s, indexes rebuilt in ${((Date.now() - loaded) / 1000).toFixed(1)} s`);
}

type Make = (owner: string, i: number) => Promise<Omit<ArchiveQuery, 'owner'>>;

async function measure(name: string, make: Make): Promise<string> {
  const times: number[] = [];
  let items = 0;
  for (let i = 0; i < SAMPLES; i++) {
    const owner = `user${(i * 37) % OWNERS}@bench.example`;
    const q = { owner, ...(await make(owner, i)) };
    const t = process.hrtime.bigint();
    const page = await store.archive.query(q);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (page === 'item-not-found') throw new Error(`${name}: a cursor was not found`);
    items += page.items.length;
  }
  times.sort((a, b) => a - b);
  return `| ${name} | ${SAMPLES} | ${(items / SAMPLES).toFixed(1)} | ${percentile(times, 50).toFixed(2)} | ${percentile(times, 99).toFixed(2)} | ${times[times.length - 1]!.toFixed(2)} |`;
}

/** An id from the middle of the owner's archive (a client that synced up to there). */
async function middleId(owner: string): Promise<string> {
  const rows = await sql.query<{ id: string }>(
    `SELECT id FROM archive_messages WHERE owner = $1 AND ts >= $2::timestamptz ORDER BY ts, seq LIMIT 1`,
    [owner, new Date(T0 + (SPAN_DAYS / 2) * DAY).toISOString()],
  );
  return rows[0]!.id;
}

try {
  await fill();
  // A warm-up pass so the first figures do not measure cold caches only.
  await measure('warm-up', async () => ({ max: PAGE, direction: 'backward' }));
  const week = (i: number) => new Date(T0 + ((i * 11) % (SPAN_DAYS - 7)) * DAY);
  const lines = [
    await measure(`last page (<before/>, max ${PAGE})`, async () => ({ max: PAGE, direction: 'backward' })),
    await measure(`page after an id (<after/>, max ${PAGE})`, async (owner) => ({ max: PAGE, direction: 'forward', after: await middleId(owner) })),
    await measure(`one conversation, last page (with + <before/>)`, async (_o, i) => ({ max: PAGE, direction: 'backward', with: `peer${i % PEERS}@bench.example` })),
    await measure('one week (start + end), first page', async (_o, i) => ({ max: PAGE, direction: 'forward', start: week(i), end: new Date(week(i).getTime() + 7 * DAY) })),
    await measure('full-text search of one word, last page', async (_o, i) => ({ max: PAGE, direction: 'backward', text: ['coffee', 'deploy', 'friday', 'kilo'][i % 4]! })),
  ];
  log(`\n${ROWS.toLocaleString('en')} archived messages, ${OWNERS} owners (about ${Math.round(ROWS / OWNERS)} each), ${PEERS} peers each; times in ms per page fetch\n`);
  log('| query | samples | items/page | p50 ms | p99 ms | max ms |');
  log('|---|---|---|---|---|---|');
  for (const l of lines) log(l);
} finally {
  if (!values.keep) await sql.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  else log(`kept schema ${schema}`);
  await store.close();
}
