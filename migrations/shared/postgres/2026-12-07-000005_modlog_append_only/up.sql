-- The modlog is append-only: an UPDATE, DELETE or TRUNCATE fails, whoever
-- runs it.
CREATE FUNCTION modlog_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the modlog is append-only';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER modlog_no_change BEFORE UPDATE OR DELETE ON modlog
    FOR EACH ROW EXECUTE FUNCTION modlog_append_only();
CREATE TRIGGER modlog_no_truncate BEFORE TRUNCATE ON modlog
    FOR EACH STATEMENT EXECUTE FUNCTION modlog_append_only();
