DROP TABLE notifications;
DROP TABLE attachments;
DROP TABLE messages;
DROP TABLE conversation_members;
DROP TABLE conversations;
