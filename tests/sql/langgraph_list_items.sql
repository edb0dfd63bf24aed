-- How many list items (sql/<dialect>/langgraph/put_list_item.sql) a thread's
-- conversation holds.
-- :conversation_id  the conversation
-- Index: langgraph_list_items_key.
SELECT count(*) AS items FROM langgraph_list_items WHERE conversation_id = :conversation_id;
