"""The query runner and its two dialects: connections, transactions, the verbs
that send every statement, and what a driver error means."""
