-- Look-alike account names (UTS #39 §4 skeletons, libs/confusables): two accounts of a domain may not
-- share a skeleton, so `paypa1` cannot be created next to `paypal`. Accounts created before this
-- migration get their skeleton from `parley migrate` (libs/store backfillSkeletons); a pre-existing
-- look-alike pair keeps the later one's skeleton NULL and is logged.
ALTER TABLE users ADD COLUMN skeleton text COLLATE "C";
CREATE UNIQUE INDEX users_domain_skeleton ON users (domain, skeleton);
CREATE INDEX users_skeleton_missing ON users (domain, username) WHERE skeleton IS NULL;
