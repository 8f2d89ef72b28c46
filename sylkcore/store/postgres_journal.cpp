#include "postgres_journal.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>

#include "journal_schema.hpp"
#include "journal_validation.hpp"

namespace sylk::store {

namespace {

struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

std::string field(PGresult* result, int row, int column) {
    return std::string(PQgetvalue(result, row, column), static_cast<size_t>(PQgetlength(result, row, column)));
}

std::string bytea(PGresult* result, int row, int column) {
    size_t size = 0;
    unsigned char* bytes =
        PQunescapeBytea(reinterpret_cast<const unsigned char*>(PQgetvalue(result, row, column)), &size);
    if (!bytes)
        throw JournalError(JournalError::Kind::Storage, "journal: unreadable content");
    std::string value(reinterpret_cast<const char*>(bytes), size);
    PQfreemem(bytes);
    return value;
}

// An arbitrary constant: the advisory lock that lets one server at a time migrate.
constexpr char kMigrationLock[] = "SELECT pg_advisory_xact_lock(7311013)";

constexpr char kColumns[] =
    "seq, account, kind, message_id, conversation, direction, content_type, content, state, is_read, created_us";

}  // namespace

PostgresJournal::PostgresJournal(const std::string& conninfo) : conninfo_(conninfo) {
    try {
        connect();
        migrate();
    } catch (...) {
        // A constructor that throws runs no destructor: the connection is closed here.
        PQfinish(conn_);
        conn_ = nullptr;
        throw;
    }
}

PostgresJournal::~PostgresJournal() { PQfinish(conn_); }

void PostgresJournal::connect() {
    PQfinish(conn_);
    conn_ = PQconnectdb(conninfo_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
        // The message names host and database, never the password.
        std::string why = PQerrorMessage(conn_);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        throw JournalError(JournalError::Kind::Storage, "journal: cannot connect to PostgreSQL: " + why);
    }
    Result quiet(PQexec(conn_, "SET client_min_messages = warning"));
}

void PostgresJournal::ensureConnected() {
    if (PQstatus(conn_) != CONNECTION_OK)
        connect();
}

PGresult* PostgresJournal::run(const std::string& sql, const std::vector<std::string>& params,
                               const std::vector<bool>& binary) {
    std::vector<const char*> values;
    std::vector<int> lengths;
    std::vector<int> formats;
    for (size_t i = 0; i < params.size(); ++i) {
        values.push_back(params[i].data());
        lengths.push_back(static_cast<int>(params[i].size()));
        formats.push_back(i < binary.size() && binary[i] ? 1 : 0);
    }
    PGresult* result = PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                                    lengths.data(), formats.data(), 0);
    ExecStatusType status = PQresultStatus(result);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string why = PQresultErrorMessage(result);
        PQclear(result);
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        throw JournalError(JournalError::Kind::Storage, "journal: " + why);
    }
    return result;
}

void PostgresJournal::exec(const std::string& sql, const std::vector<std::string>& params) {
    if (!params.empty()) {
        Result done(run(sql, params));
        return;
    }
    // Without parameters: the simple protocol, which takes several statements (migrations).
    Result done(PQexec(conn_, sql.c_str()));
    if (PQresultStatus(done.get()) != PGRES_COMMAND_OK && PQresultStatus(done.get()) != PGRES_TUPLES_OK) {
        std::string why = PQresultErrorMessage(done.get());
        while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
            why.pop_back();
        throw JournalError(JournalError::Kind::Storage, "journal: " + why);
    }
}

int64_t PostgresJournal::scalar(const std::string& sql, const std::vector<std::string>& params) {
    Result result(run(sql, params));
    if (PQntuples(result.get()) == 0 || PQgetisnull(result.get(), 0, 0))
        return 0;
    return std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10);
}

void PostgresJournal::storePublicKey(const StoredPublicKey& key) {
    ensureConnected();
    exec("INSERT INTO public_keys (account, address, fingerprint, armored, updated_us) VALUES ($1, $2, $3, $4, $5)"
         " ON CONFLICT (account, address) DO UPDATE SET fingerprint = excluded.fingerprint,"
         " armored = excluded.armored, updated_us = excluded.updated_us",
         {key.account, key.address, key.fingerprint, key.armored, std::to_string(key.updatedUs)});
}

std::optional<StoredPublicKey> PostgresJournal::publicKey(const std::string& account, const std::string& address) {
    ensureConnected();
    Result found(run("SELECT fingerprint, armored, updated_us FROM public_keys WHERE account = $1 AND address = $2",
                     {account, address}));
    if (PQntuples(found.get()) == 0)
        return std::nullopt;
    return StoredPublicKey{account, address, field(found.get(), 0, 0), field(found.get(), 0, 1),
                           std::strtoll(PQgetvalue(found.get(), 0, 2), nullptr, 10)};
}

void PostgresJournal::storeHistoryToken(const std::string& account, const std::string& tokenSha256,
                                        int64_t createdUs, size_t keepPerAccount) {
    ensureConnected();
    exec("BEGIN");
    try {
        exec("INSERT INTO history_tokens (token_sha256, account, created_us) VALUES ($1, $2, $3)",
             {tokenSha256, account, std::to_string(createdUs)});
        exec("DELETE FROM history_tokens WHERE account = $1 AND token_sha256 NOT IN (SELECT token_sha256 FROM"
             " history_tokens WHERE account = $1 ORDER BY created_us DESC, token_sha256 LIMIT $2)",
             {account, std::to_string(keepPerAccount)});
        exec("COMMIT");
    } catch (...) {
        Result rolledBack(PQexec(conn_, "ROLLBACK"));
        throw;
    }
}

std::optional<std::string> PostgresJournal::historyTokenAccount(const std::string& tokenSha256) {
    ensureConnected();
    Result found(run("SELECT account FROM history_tokens WHERE token_sha256 = $1", {tokenSha256}));
    if (PQntuples(found.get()) == 0)
        return std::nullopt;
    return field(found.get(), 0, 0);
}

int PostgresJournal::bumpUnread(const std::string& account) {
    ensureConnected();
    return static_cast<int>(scalar("INSERT INTO unread_counts (account, unread) VALUES ($1, 1) ON CONFLICT (account)"
                                   " DO UPDATE SET unread = unread_counts.unread + 1 RETURNING unread",
                                   {account}));
}

void PostgresJournal::clearUnread(const std::string& account) {
    ensureConnected();
    exec("DELETE FROM unread_counts WHERE account = $1", {account});
}

int PostgresJournal::schemaVersion() {
    ensureConnected();
    return static_cast<int>(scalar("SELECT COALESCE(MAX(version), 0) FROM journal_schema", {}));
}

void PostgresJournal::migrate() {
    // All of it under the lock, the first CREATE too: two servers starting together on an empty
    // database both find no table, and the second CREATE fails on the type the first one made
    // ("type journal_schema already exists"), IF NOT EXISTS or not.
    exec("BEGIN");
    try {
        exec(kMigrationLock);
        exec("CREATE TABLE IF NOT EXISTS journal_schema (version INTEGER NOT NULL)");
        int current = static_cast<int>(scalar("SELECT COALESCE(MAX(version), 0) FROM journal_schema", {}));
        if (current > kSchemaVersion)
            throw JournalError(JournalError::Kind::Invalid,
                               "journal has schema version " + std::to_string(current) +
                                   ", newer than this build's " + std::to_string(kSchemaVersion));
        for (const Migration& migration : kMigrations) {
            if (migration.version <= current)
                continue;
            exec(migration.postgres);
            exec("INSERT INTO journal_schema (version) VALUES (" + std::to_string(migration.version) + ")");
        }
        exec("COMMIT");
    } catch (...) {
        Result rolledBack(PQexec(conn_, "ROLLBACK"));
        throw;
    }
}

namespace {
constexpr char kInsert[] =
    "INSERT INTO message_journal (account, kind, event_key, message_id, conversation, direction,"
    " content_type, content, state, is_read, created_us)"
    " VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8::bytea, $9, $10::int, $11::bigint)"
    " ON CONFLICT DO NOTHING RETURNING seq";
}  // namespace

void PostgresJournal::appendMessages(const JournalEntry* first, size_t count, std::vector<AppendResult>& results) {
    // One statement per round trip costs the server's and the network's latency per message;
    // in a pipeline the inserts go out together and their answers come back together.
    if (!PQenterPipelineMode(conn_))
        throw JournalError(JournalError::Kind::Storage, "journal: cannot enter pipeline mode");
    std::string error;
    size_t sent = 0;
    for (size_t i = 0; i < count; ++i) {
        const JournalEntry& entry = first[i];
        std::string key = eventKeyOf(entry.kind, entry.messageId, entry.state);
        std::string read = entry.read ? "1" : "0";
        std::string at = std::to_string(entry.timestampUs);
        const char* values[] = {entry.account.c_str(), entry.kind.c_str(), key.c_str(), entry.messageId.c_str(),
                                entry.conversation.c_str(), entry.direction.c_str(), entry.contentType.c_str(),
                                entry.content.data(), entry.state.c_str(), read.c_str(), at.c_str()};
        int lengths[11] = {0, 0, 0, 0, 0, 0, 0, static_cast<int>(entry.content.size()), 0, 0, 0};
        int formats[11] = {0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0};
        if (!PQsendQueryParams(conn_, kInsert, 11, nullptr, values, lengths, formats, 0)) {
            error = PQerrorMessage(conn_);
            break;
        }
        ++sent;
    }
    PQpipelineSync(conn_);
    std::vector<size_t> duplicates;
    for (size_t i = 0; i < sent; ++i) {
        Result result(PQgetResult(conn_));
        ExecStatusType status = result ? PQresultStatus(result.get()) : PGRES_FATAL_ERROR;
        if (status == PGRES_TUPLES_OK) {
            AppendResult appended;
            if (PQntuples(result.get()) == 0) {
                appended.duplicate = true;
                duplicates.push_back(results.size());
            } else {
                appended.seq = std::strtoll(PQgetvalue(result.get(), 0, 0), nullptr, 10);
            }
            results.push_back(appended);
        } else if (error.empty()) {
            error = result ? PQresultErrorMessage(result.get()) : PQerrorMessage(conn_);
        }
        while (PGresult* end = PQgetResult(conn_))  // each query's results end with a NULL
            PQclear(end);
    }
    for (;;) {  // up to and including the sync
        Result rest(PQgetResult(conn_));
        if (!rest || PQresultStatus(rest.get()) == PGRES_PIPELINE_SYNC)
            break;
    }
    PQexitPipelineMode(conn_);
    if (!error.empty() || sent < count) {
        while (!error.empty() && (error.back() == '\n' || error.back() == ' '))
            error.pop_back();
        throw JournalError(JournalError::Kind::Storage, "journal: " + (error.empty() ? "pipeline failed" : error));
    }
    for (size_t at : duplicates) {
        const JournalEntry& entry = first[at - (results.size() - count)];
        results[at].seq = scalar("SELECT seq FROM message_journal WHERE account = $1 AND event_key = $2",
                                 {entry.account, eventKeyOf(entry.kind, entry.messageId, entry.state)});
    }
}

AppendResult PostgresJournal::appendOne(const JournalEntry& entry) {
    std::string key = eventKeyOf(entry.kind, entry.messageId, entry.state);
    // NULLIF: an empty key is NULL, never a duplicate.
    Result inserted(run("INSERT INTO message_journal (account, kind, event_key, message_id, conversation, direction,"
                        " content_type, content, state, is_read, created_us)"
                        " VALUES ($1, $2, NULLIF($3, ''), $4, $5, $6, $7, $8::bytea, $9, $10::int, $11::bigint)"
                        " ON CONFLICT DO NOTHING RETURNING seq",
                        {entry.account, entry.kind, key, entry.messageId, entry.conversation, entry.direction,
                         entry.contentType, entry.content, entry.state, entry.read ? "1" : "0",
                         std::to_string(entry.timestampUs)},
                        {false, false, false, false, false, false, false, true}));
    AppendResult result;
    if (PQntuples(inserted.get()) == 0) {
        result.duplicate = true;
        result.seq = scalar("SELECT seq FROM message_journal WHERE account = $1 AND event_key = $2", {entry.account, key});
        return result;
    }
    result.seq = std::strtoll(PQgetvalue(inserted.get(), 0, 0), nullptr, 10);
    std::string seq = std::to_string(result.seq);
    if (entry.kind == kind::kState) {
        exec("UPDATE message_journal SET state = $1 WHERE account = $2 AND kind = 'message' AND message_id = $3"
             " AND NOT (state = 'displayed' AND $1 = 'delivered')",
             {entry.state, entry.account, entry.messageId});
    } else if (entry.kind == kind::kRemove) {
        exec("DELETE FROM message_journal WHERE account = $1 AND message_id = $2 AND kind IN ('message', 'state')",
             {entry.account, entry.messageId});
    } else if (entry.kind == kind::kRead) {
        exec("UPDATE message_journal SET is_read = 1 WHERE account = $1 AND conversation = $2"
             " AND kind = 'message' AND seq < $3::bigint",
             {entry.account, entry.conversation, seq});
    } else if (entry.kind == kind::kRemoveConversation) {
        exec("DELETE FROM message_journal WHERE account = $1 AND conversation = $2 AND seq < $3::bigint",
             {entry.account, entry.conversation, seq});
    }
    return result;
}

std::vector<AppendResult> PostgresJournal::append(const std::vector<JournalEntry>& entries) {
    for (const auto& entry : entries)
        validateEntry(entry);
    ensureConnected();
    std::vector<AppendResult> results;
    results.reserve(entries.size());
    exec("BEGIN");
    try {
        // Runs of messages go in a pipeline; other kinds (their side effects need the new
        // entry's sequence number) one at a time, in order.
        for (size_t i = 0; i < entries.size();) {
            size_t end = i;
            while (end < entries.size() && entries[end].kind == kind::kMessage)
                ++end;
            if (end > i) {
                appendMessages(&entries[i], end - i, results);
                i = end;
            } else {
                results.push_back(appendOne(entries[i]));
                ++i;
            }
        }
        exec("COMMIT");
    } catch (...) {
        Result rolledBack(PQexec(conn_, "ROLLBACK"));
        throw;
    }
    return results;
}

std::vector<JournalEntry> PostgresJournal::fetch(const SyncQuery& query) {
    ensureConnected();
    int64_t after = query.afterSeq;
    if (query.afterMessageId) {
        Result found(run("SELECT seq FROM message_journal WHERE account = $1 AND event_key = $2",
                         {query.account, eventKeyOf(kind::kMessage, *query.afterMessageId, "")}));
        if (PQntuples(found.get()) == 0)
            throw JournalError(JournalError::Kind::NotFound, "no message " + *query.afterMessageId + " in the journal");
        after = std::max(after, static_cast<int64_t>(std::strtoll(PQgetvalue(found.get(), 0, 0), nullptr, 10)));
    }
    std::vector<std::string> params = {query.account, std::to_string(after), std::to_string(query.sinceUs)};
    std::string sql = std::string("SELECT ") + kColumns +
                      " FROM message_journal WHERE account = $1 AND seq > $2::bigint AND created_us >= $3::bigint";
    if (!query.conversation.empty()) {
        params.push_back(query.conversation);
        sql += " AND conversation = $4";
    }
    params.push_back(std::to_string(query.limit));
    sql += " ORDER BY seq LIMIT $" + std::to_string(params.size()) + "::bigint";
    Result rows(run(sql, params));
    std::vector<JournalEntry> entries;
    int count = PQntuples(rows.get());
    entries.reserve(static_cast<size_t>(count));
    for (int row = 0; row < count; ++row) {
        PGresult* r = rows.get();
        JournalEntry entry;
        entry.seq = std::strtoll(PQgetvalue(r, row, 0), nullptr, 10);
        entry.account = field(r, row, 1);
        entry.kind = field(r, row, 2);
        entry.messageId = field(r, row, 3);
        entry.conversation = field(r, row, 4);
        entry.direction = field(r, row, 5);
        entry.contentType = field(r, row, 6);
        entry.content = bytea(r, row, 7);
        entry.state = field(r, row, 8);
        entry.read = field(r, row, 9) != "0";
        entry.timestampUs = std::strtoll(PQgetvalue(r, row, 10), nullptr, 10);
        entries.push_back(std::move(entry));
    }
    return entries;
}

bool PostgresJournal::hasMessage(const std::string& account, const std::string& messageId) {
    ensureConnected();
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = $1 AND event_key = $2",
                  {account, eventKeyOf(kind::kMessage, messageId, "")}) > 0;
}

bool PostgresJournal::hasConversation(const std::string& account, const std::string& conversation) {
    ensureConnected();
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = $1 AND conversation = $2 AND kind = 'message'",
                  {account, conversation}) > 0;
}

int64_t PostgresJournal::countMessages(const std::string& account) {
    ensureConnected();
    return scalar("SELECT COUNT(*) FROM message_journal WHERE account = $1 AND kind = 'message'", {account});
}

int64_t PostgresJournal::expire(int64_t olderThanUs) {
    ensureConnected();
    Result result(run("DELETE FROM message_journal WHERE created_us < $1::bigint", {std::to_string(olderThanUs)}));
    return std::strtoll(PQcmdTuples(result.get()), nullptr, 10);
}

}  // namespace sylk::store
