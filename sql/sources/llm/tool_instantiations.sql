-- llm's logs.db (llm 0.32 and later): the configured toolbox instance (its
-- plugin, name and constructor arguments as JSON text) that ran each tool
-- call whose result a turn of one thread sent back, by turn and the call's
-- tool_call_id (llm's docs, "Table by table": tool_instantiations).
-- :thread_id: the thread's id.
-- Index: idx_turns_thread_id, tool_instantiations and tool_instances
-- primary keys; one sort.
SELECT ti.turn_id, ti.tool_call_id,
       i.id, i.plugin, i.name, i.arguments
  FROM turns AS u
  JOIN tool_instantiations AS ti ON ti.turn_id = u.id
  JOIN tool_instances AS i ON i.id = ti.instance_id
 WHERE u.thread_id = :thread_id
 ORDER BY ti.turn_id, ti.tool_call_id;
