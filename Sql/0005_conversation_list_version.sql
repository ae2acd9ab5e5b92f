-- One counter that moves in the same transaction as every change that affects the admins' conversation lists
-- (a message, a read mark, a new or returning visitor). Cached list pages are keyed by it, so a page cached before a
-- change is never served after that change commits.
CREATE TABLE conversation_list_version (
    id      int    PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO conversation_list_version (id, version) VALUES (1, 0);
