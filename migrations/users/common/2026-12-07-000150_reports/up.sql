-- Reports (6/8): anyone reports what they can see; the admin queue keeps a
-- snapshot of the target as it was (a later edit or deletion does not
-- erase the evidence). One open report per reporter and target. A deleted
-- reporter's reports stay, without their reporter.
CREATE TABLE reports (
    id TEXT PRIMARY KEY NOT NULL,
    reporter_id TEXT,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('user', 'job', 'offer', 'message', 'rating')),
    target_id TEXT NOT NULL,
    target_author_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('spam', 'abuse', 'fraud', 'inappropriate', 'other')),
    note TEXT,
    status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'dismissed')),
    snapshot TEXT NOT NULL,
    resolution_action TEXT CHECK (resolution_action IN ('none', 'hide', 'suspend_user')),
    resolution_note TEXT,
    resolved_by TEXT,
    resolved_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX reports_one_open ON reports (reporter_id, target_kind, target_id) WHERE status = 'open';
CREATE INDEX reports_queue ON reports (status, created_at, id);
CREATE INDEX reports_of_reporter ON reports (reporter_id);
