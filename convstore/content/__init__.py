"""What messages hold, independent of any database: text folded for search,
search-box queries, snippets, JSON containment, and the OpenAI chat message
format."""
