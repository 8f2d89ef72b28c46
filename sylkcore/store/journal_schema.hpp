// The journal's one schema, as numbered migrations written for each backend's SQL dialect.
// A journal records the highest version applied in journal_schema; opening it applies the
// newer ones in order, each in its own transaction, and refuses a journal written by a newer
// build (its version is above the last here) rather than guess.
#pragma once

#include <cstddef>
#include <string>

namespace sylk::store {

struct Migration {
    int version;
    const char* why;
    const char* sqlite;
    const char* postgres;
};

inline constexpr Migration kMigrations[] = {
    {1, "the journal",
     "CREATE TABLE message_journal ("
     " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
     " account TEXT NOT NULL, kind TEXT NOT NULL,"
     " event_key TEXT,"  // what makes an entry a duplicate; NULL for entries never deduplicated
     " message_id TEXT NOT NULL, conversation TEXT NOT NULL, direction TEXT NOT NULL,"
     " content_type TEXT NOT NULL, content BLOB NOT NULL, state TEXT NOT NULL,"
     " is_read INTEGER NOT NULL DEFAULT 0, created_us INTEGER NOT NULL);"
     "CREATE UNIQUE INDEX message_journal_dedupe ON message_journal (account, event_key);"
     "CREATE INDEX message_journal_account ON message_journal (account, seq);"
     "CREATE INDEX message_journal_created ON message_journal (created_us);",
     "CREATE TABLE message_journal ("
     " seq BIGSERIAL PRIMARY KEY,"
     " account TEXT NOT NULL, kind TEXT NOT NULL,"
     " event_key TEXT,"
     " message_id TEXT NOT NULL, conversation TEXT NOT NULL, direction TEXT NOT NULL,"
     " content_type TEXT NOT NULL, content BYTEA NOT NULL, state TEXT NOT NULL,"
     " is_read INTEGER NOT NULL DEFAULT 0, created_us BIGINT NOT NULL);"
     "CREATE UNIQUE INDEX message_journal_dedupe ON message_journal (account, event_key);"
     "CREATE INDEX message_journal_account ON message_journal (account, seq);"
     "CREATE INDEX message_journal_created ON message_journal (created_us);"},
    {2, "conversation look-ups (read marks, removals) without a scan of the account",
     "CREATE INDEX message_journal_conversation ON message_journal (account, conversation, seq);",
     "CREATE INDEX message_journal_conversation ON message_journal (account, conversation, seq);"},
    {3, "OpenPGP public keys seen in text/pgp-public-key messages, per account and sender (public only)",
     "CREATE TABLE public_keys ("
     " account TEXT NOT NULL, address TEXT NOT NULL, fingerprint TEXT NOT NULL,"
     " armored TEXT NOT NULL, updated_us INTEGER NOT NULL, PRIMARY KEY (account, address));",
     "CREATE TABLE public_keys ("
     " account TEXT NOT NULL, address TEXT NOT NULL, fingerprint TEXT NOT NULL,"
     " armored TEXT NOT NULL, updated_us BIGINT NOT NULL, PRIMARY KEY (account, address));"},
    {4, "history API tokens (their SHA-256, never the token) and unread badge counts survive a restart",
     "CREATE TABLE history_tokens ("
     " token_sha256 TEXT PRIMARY KEY, account TEXT NOT NULL, created_us INTEGER NOT NULL);"
     "CREATE INDEX history_tokens_account ON history_tokens (account, created_us);"
     "CREATE TABLE unread_counts (account TEXT PRIMARY KEY, unread INTEGER NOT NULL);",
     "CREATE TABLE history_tokens ("
     " token_sha256 TEXT PRIMARY KEY, account TEXT NOT NULL, created_us BIGINT NOT NULL);"
     "CREATE INDEX history_tokens_account ON history_tokens (account, created_us);"
     "CREATE TABLE unread_counts (account TEXT PRIMARY KEY, unread INTEGER NOT NULL);"},
};

inline constexpr int kSchemaVersion = kMigrations[sizeof(kMigrations) / sizeof(kMigrations[0]) - 1].version;

// The dedupe key of an entry: a message by its id, a state by id and state, a removal or a call by id;
// read marks and conversation removals are never duplicates ("" = NULL).
inline std::string eventKeyOf(const std::string& kind, const std::string& messageId, const std::string& state) {
    std::string k = kind;
    if (k == "message")
        return "m:" + messageId;
    if (k == "state")
        return "s:" + state + ":" + messageId;
    if (k == "remove")
        return "r:" + messageId;
    if (k == "call")  // one entry per call, even when two legs of a forked call end on one account
        return "c:" + messageId;
    return "";
}

}  // namespace sylk::store
