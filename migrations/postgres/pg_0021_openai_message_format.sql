-- The OpenAI chat message format in full, and token counts that convstore
-- estimated.
--
-- role 'function': a result of the legacy function_call (OpenAI's Chat
--   Completions API reference, "function" message: role, name, content).
-- content_parts: the content when it was given as a list of parts (text,
--   image_url, input_audio, file, refusal, or a type convstore does not know,
--   kept as given); content then holds the text of its text and refusal parts,
--   one after another with a line break between, which search indexes and
--   the token estimate reads. NULL when the content was a string or null.
-- function_call: an assistant message's legacy call ({"name", "arguments"}).
-- refusal: an assistant message's refusal text.
-- weight: 0 or 1, the fine-tuning format's choice of which assistant messages
--   are learned from (OpenAI's fine-tuning guide); NULL when not given.
-- extra: the fields of the message that convstore has no column for, kept as
--   given (an assistant message's audio, a provider's own fields); {} for none.
-- tokens_estimated: tokens is convstore's estimate from the content, made when
--   no count was given; false for a given count (set_message_tokens gives one).
--
-- The new columns rewrite nothing (NULL or a constant default) and their
-- CHECKs hold for the rows already there; they are added NOT VALID, so no scan
-- of the table runs under this migration's exclusive lock. The role CHECK
-- replaces a stricter one that every existing row satisfies.
-- depends: pg_0020_conversation_segments

ALTER TABLE messages
    ADD COLUMN IF NOT EXISTS content_parts jsonb,
    ADD COLUMN IF NOT EXISTS function_call jsonb,
    ADD COLUMN IF NOT EXISTS refusal text,
    ADD COLUMN IF NOT EXISTS weight smallint,
    ADD COLUMN IF NOT EXISTS extra jsonb NOT NULL DEFAULT '{}'::jsonb,
    ADD COLUMN IF NOT EXISTS tokens_estimated boolean NOT NULL DEFAULT false;

ALTER TABLE messages
    DROP CONSTRAINT IF EXISTS messages_role_check,
    ADD CONSTRAINT messages_role
        CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool', 'function')) NOT VALID,
    ADD CONSTRAINT messages_content_parts_shape
        CHECK (jsonb_typeof(content_parts) = 'array') NOT VALID,
    ADD CONSTRAINT messages_function_call_shape
        CHECK (jsonb_typeof(function_call) = 'object') NOT VALID,
    ADD CONSTRAINT messages_weight_values CHECK (weight IN (0, 1)) NOT VALID,
    ADD CONSTRAINT messages_extra_shape CHECK (jsonb_typeof(extra) = 'object') NOT VALID;
