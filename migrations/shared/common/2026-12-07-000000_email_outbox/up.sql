-- Emails waiting to be sent, sent, or parked after their retries. A row is
-- written in the transaction of the change that causes it, with the
-- message already rendered, so a crash or an SMTP outage loses nothing.
CREATE TABLE email_outbox (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    user_id TEXT,
    to_name TEXT NOT NULL,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);

-- The sender's question: what is due now.
CREATE INDEX email_outbox_due ON email_outbox (status, next_attempt_at);
-- The per-address hourly limit and the admin list by address.
CREATE INDEX email_outbox_address ON email_outbox (to_address, created_at);
