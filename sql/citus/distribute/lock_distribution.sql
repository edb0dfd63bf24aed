-- Distribution on Citus: one run at a time, so two runs never distribute a
-- table twice (the later one then finds it distributed). Held until the
-- transaction ends; the shard copies of one run queue behind each other on a
-- single connection per worker (the foreign keys to the reference table
-- `attachments` need that within one transaction: Citus refuses parallel
-- shard work before a reference-table write, and so do its docs' HINTs).
-- Index: none; an advisory lock (pg_advisory_xact_lock), no table is read.
SELECT pg_advisory_xact_lock(hashtext('convstore distribute')) AS locked,
       set_config('citus.multi_shard_modify_mode', 'sequential', true) AS shard_mode;
