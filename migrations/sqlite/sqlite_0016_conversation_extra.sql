-- The fields a source gives a conversation that convstore has no column for
-- (the column as in pg_0022_conversation_extra, which says what it holds:
-- JSON as text). A constant default, so SQLite adds it without rewriting
-- the table; every existing row holds {}.
-- depends: sqlite_0015_openai_message_format

ALTER TABLE conversations ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'
    CONSTRAINT conversations_extra_shape
    CHECK (json_valid(extra) AND json_type(extra) = 'object');
