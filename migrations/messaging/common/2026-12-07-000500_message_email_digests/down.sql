DROP TABLE message_email_digests;
