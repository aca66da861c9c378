DROP INDEX messages_sender_created;
DROP TABLE message_email_digests;
