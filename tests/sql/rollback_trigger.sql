-- Test only: a trigger that ends the whole transaction itself (as a full disk
-- or an I/O error does), for a message whose content is 'end it all'.
CREATE TRIGGER end_the_transaction
BEFORE INSERT ON messages
WHEN NEW.content = 'end it all'
BEGIN
    SELECT RAISE(ROLLBACK, 'the transaction was ended by a trigger');
END;
