DROP TABLE offers;
DROP TABLE jobs;
DROP TABLE categories;
