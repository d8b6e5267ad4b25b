-- Account invitations (XEP-0401/XEP-0445 in-band registration with a token). An account created with
-- an invitation from a user becomes that user's mutual contact at its first login: settled_at says
-- that was done (once, whichever process runs the new account's presence actor).
ALTER TABLE invitations ADD COLUMN settled_at timestamptz;
CREATE INDEX invitations_unsettled ON invitations (used_by) WHERE kind = 'account' AND inviter IS NOT NULL AND settled_at IS NULL;
-- Contact requests held for a question expire (the challenges module's sweep): found by age.
CREATE INDEX challenge_holds_pending_age ON challenge_holds (created_at) WHERE state = 'pending';
