-- Validation cannot be undone; pg_0010's rollback drops the constraint.
SELECT 1;
