-- Timed work: a row per task, written in the transaction that makes it
-- due, run by a worker in every instance (each task once: leases), late
-- after a restart rather than never, retried with backoff.
CREATE TABLE scheduled_tasks (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    due_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    leased_until TIMESTAMP,
    done_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
-- One waiting task per kind and subject (scheduling again moves it).
CREATE UNIQUE INDEX scheduled_tasks_waiting ON scheduled_tasks (kind, subject_id) WHERE done_at IS NULL;
-- The worker's question: what is due now.
CREATE INDEX scheduled_tasks_due ON scheduled_tasks (due_at) WHERE done_at IS NULL;
-- The admin list, newest due first.
CREATE INDEX scheduled_tasks_listed ON scheduled_tasks (due_at, id);
