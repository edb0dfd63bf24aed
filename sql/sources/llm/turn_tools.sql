-- llm's logs.db (llm 0.32 and later): the tools each turn of one thread was
-- offered, with the configured toolbox instance that provided each (NULL
-- for a plain function), by turn, then by tool id.
-- :thread_id: the thread's id.
-- t.*: every column of the tools table (name, description, input_schema as
-- JSON text, plugin ...); instance_*: the tool_instances row.
-- Index: idx_turns_thread_id, turn_tools primary key, tools and
-- tool_instances primary keys; one sort.
SELECT tt.turn_id,
       i.id AS instance_id, i.plugin AS instance_plugin, i.name AS instance_name,
       i.arguments AS instance_arguments,
       t.*
  FROM turns AS u
  JOIN turn_tools AS tt ON tt.turn_id = u.id
  JOIN tools AS t ON t.id = tt.tool_id
  LEFT JOIN tool_instances AS i ON i.id = tt.instance_id
 WHERE u.thread_id = :thread_id
 ORDER BY tt.turn_id, t.id;
