-- Chatrooms (XEP-0045), owned by the chatroom service: one row per room, its affiliations, the
-- occupants present now (so a room's new owner rebuilds them after a crash) and its history.
-- Rooms are keyed by their bare room JID (room@conference.domain), prepared (RFC 7622).
CREATE TABLE muc_rooms (
  jid        text COLLATE "C" PRIMARY KEY,
  config     jsonb NOT NULL,
  subject    text,
  subject_by text,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- XEP-0045 §5.2: affiliations survive leaving; 'none' is stored as the absence of a row.
CREATE TABLE muc_affiliations (
  room        text COLLATE "C" NOT NULL REFERENCES muc_rooms (jid) ON DELETE CASCADE,
  jid         text COLLATE "C" NOT NULL,
  affiliation text NOT NULL CHECK (affiliation IN ('owner', 'admin', 'member', 'outcast')),
  nick        text,
  reason      text,
  PRIMARY KEY (room, jid)
);
CREATE INDEX muc_affiliations_jid ON muc_affiliations (jid, affiliation);

-- One row per occupant session (full JID): where it is connected and under which nickname.
CREATE TABLE muc_occupants (
  room     text COLLATE "C" NOT NULL REFERENCES muc_rooms (jid) ON DELETE CASCADE,
  real_jid text COLLATE "C" NOT NULL,
  nick     text NOT NULL,
  role     text NOT NULL,
  edge     text NOT NULL,
  conn     text NOT NULL,
  presence text,
  PRIMARY KEY (room, real_jid)
);
CREATE INDEX muc_occupants_real_jid ON muc_occupants (real_jid);

-- XEP-0045 §7.2.15: the last messages of the room, sent to new occupants.
CREATE TABLE muc_history (
  id    bigserial PRIMARY KEY,
  room  text COLLATE "C" NOT NULL REFERENCES muc_rooms (jid) ON DELETE CASCADE,
  at    timestamptz NOT NULL,
  nick  text NOT NULL,
  stanza text NOT NULL
);
CREATE INDEX muc_history_room ON muc_history (room, id);
