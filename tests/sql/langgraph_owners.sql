-- The owners whose LangGraph rows a session sees, by table.
-- Index: none; reads the four tables.
SELECT 'langgraph_checkpoints' AS table_name, user_id FROM langgraph_checkpoints
 UNION SELECT 'langgraph_channel_values', user_id FROM langgraph_channel_values
 UNION SELECT 'langgraph_list_items', user_id FROM langgraph_list_items
 UNION SELECT 'langgraph_writes', user_id FROM langgraph_writes;
