-- The modlog is append-only: an UPDATE or DELETE fails.
CREATE TRIGGER modlog_no_update BEFORE UPDATE ON modlog
BEGIN
    SELECT RAISE(ABORT, 'the modlog is append-only');
END;
CREATE TRIGGER modlog_no_delete BEFORE DELETE ON modlog
BEGIN
    SELECT RAISE(ABORT, 'the modlog is append-only');
END;
