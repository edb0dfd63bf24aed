-- Test only: put a SQLite file back in rollback-journal mode, as a file made
-- by another tool would be (convstore switches files to WAL when it opens them).
PRAGMA journal_mode = DELETE;
