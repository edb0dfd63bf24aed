-- The fields a source gives a conversation that convstore has no column for.
--
-- conversations.extra: a JSON object, kept and given back as given; {} for
--   none. Above all the conversation-level fields of an OpenAI chat
--   fine-tuning line (OpenAI's fine-tuning guide): tools (an array of tool
--   objects), functions (an array of function objects, the legacy form) and
--   parallel_tool_calls (a boolean), without which a fine-tuning file imported
--   and exported again would train a different model; and whatever else a
--   source carries (ChatGPT's default_model_slug, llm's model). convstore
--   checks the shape of those three and that no key is a conversation field
--   (convstore/validation.py, conversation_extra_json); a branch starts with
--   its parent's.
--
-- The new column rewrites nothing (a constant default) and its CHECK holds
-- for the rows already there; it is added NOT VALID, so no scan of the table
-- runs under this migration's exclusive lock. The CHECK is named (Citus
-- refuses an unnamed one in ALTER TABLE) and dropped first, so the migration
-- runs again after a crash between it and its record.
-- depends: pg_0021_openai_message_format

ALTER TABLE conversations
    ADD COLUMN IF NOT EXISTS extra jsonb NOT NULL DEFAULT '{}'::jsonb;

ALTER TABLE conversations
    DROP CONSTRAINT IF EXISTS conversations_extra_shape,
    ADD CONSTRAINT conversations_extra_shape CHECK (jsonb_typeof(extra) = 'object') NOT VALID;
