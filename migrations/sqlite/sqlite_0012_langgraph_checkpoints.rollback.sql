-- Drops every stored LangGraph checkpoint; the conversations and messages
-- their threads wrote stay.
DROP TABLE IF EXISTS langgraph_writes;
DROP TABLE IF EXISTS langgraph_list_items;
DROP TABLE IF EXISTS langgraph_channel_values;
DROP TABLE IF EXISTS langgraph_checkpoints;
