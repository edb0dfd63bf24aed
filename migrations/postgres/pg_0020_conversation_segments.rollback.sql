DROP VIEW IF EXISTS conversation_segments;
