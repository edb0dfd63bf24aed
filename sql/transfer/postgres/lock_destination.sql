-- Transfer, destination side (PostgreSQL): wait until no other transfer is
-- between reading what the destination holds and committing its page, so that
-- two transfers into one database never copy the same conversation (the later
-- one then finds it there). Held until the page's transaction ends.
-- Index: none; an advisory lock (pg_advisory_xact_lock), no table is read.
SELECT pg_advisory_xact_lock(hashtext('convstore transfer')) AS locked;
