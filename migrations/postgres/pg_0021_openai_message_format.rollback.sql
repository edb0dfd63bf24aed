-- Keeps every row. The legacy function results (role 'function'), which the
-- older schema cannot hold, become tool messages (with their name, and no
-- tool_call_id). Messages given as parts keep their text only; the other new
-- fields and the estimate marks are lost (an estimate stays as the count).
UPDATE messages SET role = 'tool' WHERE role = 'function';

ALTER TABLE messages
    DROP CONSTRAINT IF EXISTS messages_extra_shape,
    DROP CONSTRAINT IF EXISTS messages_weight_values,
    DROP CONSTRAINT IF EXISTS messages_function_call_shape,
    DROP CONSTRAINT IF EXISTS messages_content_parts_shape,
    DROP CONSTRAINT IF EXISTS messages_role,
    ADD CONSTRAINT messages_role_check
        CHECK (role IN ('system', 'developer', 'user', 'assistant', 'tool')),
    DROP COLUMN IF EXISTS tokens_estimated,
    DROP COLUMN IF EXISTS extra,
    DROP COLUMN IF EXISTS weight,
    DROP COLUMN IF EXISTS refusal,
    DROP COLUMN IF EXISTS function_call,
    DROP COLUMN IF EXISTS content_parts;
