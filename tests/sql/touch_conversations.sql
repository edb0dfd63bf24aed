-- Test only: write to every conversation without changing it (in an open
-- transaction, this holds a SQLite file's write lock).
UPDATE conversations SET title = title;
