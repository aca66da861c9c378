-- Hidden messages (6/8): an admin hides a reported message; it keeps its
-- place with `body: null, hidden: true`.
ALTER TABLE messages ADD COLUMN hidden BOOLEAN NOT NULL DEFAULT FALSE;
