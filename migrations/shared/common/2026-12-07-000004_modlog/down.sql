DROP TABLE modlog;
