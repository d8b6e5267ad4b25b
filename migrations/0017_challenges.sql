-- Contact-request challenges (#15 item 7). A user's questions, each with its accepted answers stored
-- only as salted scrypt digests of the normalised answer (answers: a JSON array of {salt, hash}).
CREATE TABLE challenge_questions (
  owner     text COLLATE "C" NOT NULL,
  id        text NOT NULL,
  position  integer NOT NULL,
  question  text NOT NULL,
  answers   text NOT NULL,
  PRIMARY KEY (owner, id)
);
-- Subscription requests held until the requester answers. state: 'pending' (the stanza waits),
-- 'passed' (answered: the next request from the requester is delivered, marked), 'declined' (too many
-- wrong answers: new requests are declined until updated_at + the cool-down).
CREATE TABLE challenge_holds (
  owner        text COLLATE "C" NOT NULL,
  requester    text COLLATE "C" NOT NULL,
  id           text NOT NULL UNIQUE,
  question_id  text NOT NULL,
  stanza       text NOT NULL,
  state        text NOT NULL CHECK (state IN ('pending', 'passed', 'declined')),
  wrong        integer NOT NULL DEFAULT 0,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner, requester)
);
