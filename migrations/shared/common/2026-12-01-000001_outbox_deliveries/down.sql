DROP TABLE outbox_parked;
DROP TABLE outbox_handled;
