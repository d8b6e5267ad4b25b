-- XEP-0313 message archive (MAM): one row per message per archive owner (a chat between two local
-- accounts is kept twice, once in each archive). owner is a bare JID; rows of a deleted user are
-- removed by the store (UserRepo.delete) in the same transaction as the user row.
CREATE TABLE archive_messages (
  -- Global insertion order; the tie-breaker after ts. Never shown to clients.
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  owner       text COLLATE "C" NOT NULL,
  -- XEP-0359 stanza-id given to clients (unique per owner, unguessable).
  id          text COLLATE "C" NOT NULL,
  ts          timestamptz NOT NULL,
  -- The other party: its bare JID (the `with` filter, XEP-0313 §4.1.1) and the full JID as seen.
  with_bare   text COLLATE "C" NOT NULL,
  peer        text COLLATE "C" NOT NULL,
  -- 'in': received by the owner; 'out': sent by the owner.
  dir         char(1) NOT NULL CHECK (dir IN ('i', 'o')),
  -- The message's id attribute and XEP-0359 origin-id: what retractions and corrections refer to.
  msg_id      text COLLATE "C",
  origin_id   text COLLATE "C",
  -- XEP-0308: the id this message corrects; superseded: a later correction replaced this text.
  replaces    text COLLATE "C",
  superseded  boolean NOT NULL DEFAULT false,
  body        text,
  stanza      text NOT NULL,
  -- XEP-0424 §5: when it was retracted (the stanza is then a tombstone, the body gone).
  retracted_at timestamptz,
  -- The hand-off id the edge gave this message: a retried hand-off is not archived twice.
  handoff     text COLLATE "C",
  PRIMARY KEY (owner, seq)
);

CREATE UNIQUE INDEX archive_messages_id ON archive_messages (owner, id);
-- Pages in time order (start/end, before/after an id, the last page).
CREATE INDEX archive_messages_owner_ts ON archive_messages (owner, ts, seq);
-- Pages of one conversation.
CREATE INDEX archive_messages_owner_with_ts ON archive_messages (owner, with_bare, ts, seq);
-- Retractions and corrections find their target within one conversation by its origin-id, or its
-- id attribute when it has none.
CREATE INDEX archive_messages_refs ON archive_messages (owner, with_bare, (coalesce(origin_id, msg_id)));
CREATE INDEX archive_messages_corrections ON archive_messages (owner, with_bare, replaces) WHERE replaces IS NOT NULL;
CREATE UNIQUE INDEX archive_messages_handoff ON archive_messages (owner, handoff) WHERE handoff IS NOT NULL;
-- Full-text search of bodies (XEP-0431); 'simple' config: no language stemming, same in PGlite.
CREATE INDEX archive_messages_body_fts ON archive_messages USING gin (to_tsvector('simple', coalesce(body, '')));
-- The retention sweep deletes by age across owners.
CREATE INDEX archive_messages_ts ON archive_messages (ts);

-- XEP-0313 §6 archiving preferences; absent row: the server default.
CREATE TABLE archive_prefs (
  owner        text COLLATE "C" PRIMARY KEY,
  default_mode text NOT NULL CHECK (default_mode IN ('always', 'never', 'roster')),
  always_jids  text[] NOT NULL DEFAULT '{}',
  never_jids   text[] NOT NULL DEFAULT '{}'
);
