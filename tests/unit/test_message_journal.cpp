// The message journal on both backends: every test runs once against SQLite (a temporary file)
// and once against a PostgreSQL server this program starts itself (initdb in a temporary
// folder, pg_ctl on a private unix socket; as the postgres user when run as root, since
// initdb refuses root). Without PostgreSQL's binaries the second run is skipped, saying so.
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/store/journal_schema.hpp"
#include "sylkcore/store/journal_validation.hpp"
#include "sylkcore/store/journal_writer.hpp"
#include "sylkcore/store/journal_json.hpp"
#include "sylkcore/store/message_journal.hpp"
#include "sylkcore/store/postgres_journal.hpp"
#include "sylkcore/store/sqlite_journal.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>

using namespace sylk::store;

namespace {

std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe)
        return "popen failed";
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe))
        output += buffer;
    int status = pclose(pipe);
    return status == 0 ? "" : (output.empty() ? "failed" : output);
}

// A PostgreSQL server of the test's own, or the reason there is none.
struct PostgresServer {
    std::string folder;
    std::string bin;
    std::string conninfo;
    std::string missing;
    std::string asUser;  // "runuser -u postgres -- " when root

    void start() {
        gchar* initdb = nullptr;
        for (const char* version : {"17", "16", "15", "14", "13"}) {
            std::string candidate = std::string("/usr/lib/postgresql/") + version + "/bin";
            if (g_file_test((candidate + "/initdb").c_str(), G_FILE_TEST_IS_EXECUTABLE)) {
                bin = candidate;
                break;
            }
        }
        if (bin.empty() && (initdb = g_find_program_in_path("initdb"))) {
            gchar* dir = g_path_get_dirname(initdb);
            bin = dir;
            g_free(dir);
            g_free(initdb);
        }
        if (bin.empty()) {
            missing = "PostgreSQL's initdb and pg_ctl are not installed (Debian package postgresql)";
            return;
        }
        char templ[] = "/tmp/sylk-pg-XXXXXX";
        folder = g_mkdtemp(templ);
        g_chmod(folder.c_str(), 0755);
        if (geteuid() == 0) {
            asUser = "runuser -u postgres -- ";
            if (std::string out = run("chown postgres '" + folder + "'"); !out.empty()) {
                missing = "cannot hand the server folder to the postgres user: " + out;
                return;
            }
        }
        int port = 20000 + static_cast<int>(getpid() % 20000);
        std::string data = folder + "/data";
        if (std::string out = run(asUser + bin + "/initdb -D '" + data + "' -A trust -U sylk -E UTF8 --no-sync");
            !out.empty()) {
            missing = "initdb failed: " + out;
            return;
        }
        std::string options = "-c listen_addresses='' -k " + folder + " -p " + std::to_string(port);
        if (std::string out = run(asUser + bin + "/pg_ctl -D '" + data + "' -w -l '" + folder + "/log' -o \"" +
                                  options + "\" start");
            !out.empty()) {
            missing = "pg_ctl start failed: " + out;
            return;
        }
        conninfo = "host=" + folder + " port=" + std::to_string(port) + " user=sylk dbname=postgres";
    }

    // Each test gets an empty database.
    void reset() {
        sql("SET client_min_messages = warning; DROP TABLE IF EXISTS message_journal, public_keys, history_tokens, unread_counts, journal_schema");
    }

    // Runs one statement on the server; "" or the error.
    std::string sql(const std::string& statement) const {
        PGconn* conn = PQconnectdb(conninfo.c_str());
        PGresult* result = PQexec(conn, statement.c_str());
        std::string error = PQresultStatus(result) == PGRES_COMMAND_OK ? "" : PQresultErrorMessage(result);
        PQclear(result);
        PQfinish(conn);
        return error;
    }

    void stop() {
        if (!conninfo.empty())
            run(asUser + bin + "/pg_ctl -D '" + folder + "/data' -m immediate stop");
        if (!folder.empty())
            run("rm -rf '" + folder + "'");
    }
};

PostgresServer postgres;

struct Fixture {
    bool sqlite = true;
    std::string folder;  // SQLite: the temporary folder of the file

    std::unique_ptr<MessageJournal> open() const {
        if (sqlite)
            return std::make_unique<SqliteJournal>(folder + "/state/journal.sqlite");
        return std::make_unique<PostgresJournal>(postgres.conninfo);
    }
};

int sqliteSetup(void** state) {
    auto* fixture = new Fixture;
    char templ[] = "/tmp/sylk-journal-XXXXXX";
    fixture->folder = g_mkdtemp(templ);
    *state = fixture;
    return 0;
}

int postgresSetup(void** state) {
    auto* fixture = new Fixture;
    fixture->sqlite = false;
    *state = fixture;
    if (postgres.missing.empty())
        postgres.reset();
    return 0;
}

int teardown(void** state) {
    auto* fixture = static_cast<Fixture*>(*state);
    if (!fixture->folder.empty())
        run("rm -rf '" + fixture->folder + "'");
    delete fixture;
    return 0;
}

const Fixture& fixtureOf(void** state) {
    auto* fixture = static_cast<Fixture*>(*state);
    if (!fixture->sqlite && !postgres.missing.empty()) {
        print_message("skipped: %s\n", postgres.missing.c_str());
        skip();
    }
    return *fixture;
}

JournalEntry message(const std::string& id, const std::string& peer = "sip:bob@example.test",
                     const std::string& content = "hello", int64_t at = 1'000'000) {
    JournalEntry entry;
    entry.account = "sip:alice@example.test";
    entry.kind = kind::kMessage;
    entry.messageId = id;
    entry.conversation = peer;
    entry.direction = "incoming";
    entry.contentType = "text/plain";
    entry.content = content;
    entry.state = "received";
    entry.timestampUs = at;
    return entry;
}

JournalEntry change(const std::string& what, const std::string& id, const std::string& peer = "sip:bob@example.test",
                    const std::string& state = "") {
    JournalEntry entry;
    entry.account = "sip:alice@example.test";
    entry.kind = what;
    entry.messageId = id;
    entry.conversation = peer;
    entry.state = state;
    entry.timestampUs = 2'000'000;
    return entry;
}

SyncQuery all() {
    SyncQuery query;
    query.account = "sip:alice@example.test";
    return query;
}

}  // namespace

static void stores_and_fetches_in_order(void** state) {
    auto journal = fixtureOf(state).open();
    std::string binary("a\0b\xff", 4);  // bodies are bytes: NUL and non-UTF-8 survive
    auto results = journal->append({message("m1"), message("m2", "sip:carol@example.test", binary)});
    assert_int_equal(results.size(), 2);
    assert_true(results[1].seq > results[0].seq);
    assert_false(results[0].duplicate);
    auto entries = journal->fetch(all());
    assert_int_equal(entries.size(), 2);
    assert_string_equal(entries[0].messageId.c_str(), "m1");
    assert_string_equal(entries[0].content.c_str(), "hello");
    assert_string_equal(entries[0].direction.c_str(), "incoming");
    assert_int_equal(entries[0].timestampUs, 1'000'000);
    assert_true(entries[1].content == binary);
    assert_string_equal(entries[1].conversation.c_str(), "sip:carol@example.test");
    SyncQuery other = all();
    other.account = "sip:nobody@example.test";
    assert_int_equal(journal->fetch(other).size(), 0);
}

static void dedupes_by_message_id(void** state) {
    auto journal = fixtureOf(state).open();
    auto first = journal->append({message("dup"), message("dup")});  // twice in one commit
    assert_false(first[0].duplicate);
    assert_true(first[1].duplicate);
    assert_int_equal(first[1].seq, first[0].seq);
    auto again = journal->append({message("dup", "sip:bob@example.test", "other text")});  // and later
    assert_true(again[0].duplicate);
    JournalEntry elsewhere = message("dup");
    elsewhere.account = "sip:zed@example.test";  // ids are per account
    assert_false(journal->append({elsewhere})[0].duplicate);
    assert_int_equal(journal->countMessages("sip:alice@example.test"), 1);
    assert_string_equal(journal->fetch(all())[0].content.c_str(), "hello");
}

static void states_advance_and_never_go_back(void** state) {
    auto journal = fixtureOf(state).open();
    journal->append({message("s1")});
    journal->append({change(kind::kState, "s1", "sip:bob@example.test", "displayed")});
    auto late = journal->append({change(kind::kState, "s1", "sip:bob@example.test", "delivered")});
    assert_false(late[0].duplicate);  // recorded as an event...
    auto repeated = journal->append({change(kind::kState, "s1", "sip:bob@example.test", "displayed")});
    assert_true(repeated[0].duplicate);
    auto entries = journal->fetch(all());
    assert_int_equal(entries.size(), 3);
    assert_string_equal(entries[0].state.c_str(), "displayed");  // ...but the message stays displayed
    assert_string_equal(entries[1].kind.c_str(), "state");
}

static void read_and_removals(void** state) {
    auto journal = fixtureOf(state).open();
    journal->append({message("r1"), message("r2"), message("c1", "sip:carol@example.test")});
    journal->append({change(kind::kRead, "", "sip:bob@example.test")});
    auto entries = journal->fetch(all());
    assert_true(entries[0].read && entries[1].read);
    assert_false(entries[2].read);
    journal->append({change(kind::kRemove, "r1")});
    assert_false(journal->hasMessage("sip:alice@example.test", "r1"));
    assert_true(journal->hasMessage("sip:alice@example.test", "r2"));
    journal->append({change(kind::kRemoveConversation, "", "sip:carol@example.test")});
    assert_false(journal->hasConversation("sip:alice@example.test", "sip:carol@example.test"));
    assert_true(journal->hasConversation("sip:alice@example.test", "sip:bob@example.test"));
    entries = journal->fetch(all());
    // r2, the read mark, the removal of r1, the conversation's removal
    assert_int_equal(entries.size(), 4);
    assert_string_equal(entries[0].messageId.c_str(), "r2");
    assert_string_equal(entries[1].kind.c_str(), "read");
    assert_string_equal(entries[2].kind.c_str(), "remove");
    assert_string_equal(entries[3].kind.c_str(), "remove_conversation");
    // A new message in a removed conversation starts it again.
    journal->append({message("c2", "sip:carol@example.test")});
    assert_true(journal->hasConversation("sip:alice@example.test", "sip:carol@example.test"));
}

static void fetch_since_id_time_limit(void** state) {
    auto journal = fixtureOf(state).open();
    std::vector<JournalEntry> batch;
    for (int i = 0; i < 20; ++i)
        batch.push_back(message("f" + std::to_string(i), i % 2 ? "sip:carol@example.test" : "sip:bob@example.test",
                                "text", 1'000'000 + i));
    journal->append(batch);
    SyncQuery query = all();
    query.afterMessageId = "f9";
    auto after = journal->fetch(query);
    assert_int_equal(after.size(), 10);
    assert_string_equal(after[0].messageId.c_str(), "f10");
    query = all();
    query.sinceUs = 1'000'015;
    assert_int_equal(journal->fetch(query).size(), 5);
    query = all();
    query.limit = 3;
    auto limited = journal->fetch(query);
    assert_int_equal(limited.size(), 3);
    query.afterSeq = limited.back().seq;  // paging by sequence number
    assert_string_equal(journal->fetch(query)[0].messageId.c_str(), "f3");
    query = all();
    query.conversation = "sip:carol@example.test";
    assert_int_equal(journal->fetch(query).size(), 10);
    query = all();
    query.afterMessageId = "no-such-id";
    try {
        journal->fetch(query);
        fail_msg("an unknown message id was taken");
    } catch (const JournalError& e) {
        assert_int_equal(static_cast<int>(e.kind()), static_cast<int>(JournalError::Kind::NotFound));
    }
}

static void expires_old_entries(void** state) {
    auto journal = fixtureOf(state).open();
    journal->append({message("old", "sip:bob@example.test", "x", 1000), message("new", "sip:bob@example.test", "y",
                                                                                 5'000'000)});
    assert_int_equal(journal->expire(2'000'000), 1);
    assert_false(journal->hasMessage("sip:alice@example.test", "old"));
    assert_true(journal->hasMessage("sip:alice@example.test", "new"));
}

static void refuses_invalid_entries_whole(void** state) {
    auto journal = fixtureOf(state).open();
    JournalEntry noId = message("");
    JournalEntry badState = change(kind::kState, "x", "sip:bob@example.test", "eaten");
    JournalEntry noConversation = change(kind::kRead, "", "");
    JournalEntry unknown = message("u");
    unknown.kind = "gossip";
    JournalEntry huge = message("h", "sip:bob@example.test", std::string(kMaxContentBytes + 1, 'x'));
    for (const auto& bad : {noId, badState, noConversation, unknown, huge}) {
        try {
            journal->append({message("ok-but-with-bad-company"), bad});
            fail_msg("an invalid entry was stored");
        } catch (const JournalError& e) {
            assert_int_equal(static_cast<int>(e.kind()), static_cast<int>(JournalError::Kind::Invalid));
        }
    }
    assert_int_equal(journal->countMessages("sip:alice@example.test"), 0);
}

static void migrations_apply_once_and_refuse_newer(void** state) {
    const Fixture& fixture = fixtureOf(state);
    {
        auto journal = fixture.open();
        assert_int_equal(journal->schemaVersion(), kSchemaVersion);
        journal->append({message("kept")});
    }
    {
        auto journal = fixture.open();  // reopening migrates nothing and keeps the data
        assert_int_equal(journal->schemaVersion(), kSchemaVersion);
        assert_true(journal->hasMessage("sip:alice@example.test", "kept"));
    }
    // A journal written by a newer build is refused, not guessed at.
    std::string bump = "INSERT INTO journal_schema (version) VALUES (" + std::to_string(kSchemaVersion + 1) + ")";
    if (fixture.sqlite) {
        sqlite3* db = nullptr;
        assert_int_equal(sqlite3_open((fixture.folder + "/state/journal.sqlite").c_str(), &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, bump.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
        sqlite3_close(db);
    } else {
        assert_string_equal(postgres.sql(bump).c_str(), "");
    }
    try {
        fixture.open();
        fail_msg("a newer schema was opened");
    } catch (const JournalError& e) {
        assert_non_null(strstr(e.what(), "newer than this build"));
    }
}

static void writer_commits_in_groups(void** state) {
    const Fixture& fixture = fixtureOf(state);
    JournalWriter writer(fixture.open(), 365);
    constexpr int kMessages = 3000;
    std::atomic<int> stored{0};
    std::atomic<int> duplicates{0};
    std::thread producer([&] {
        for (int i = 0; i < kMessages; ++i) {
            // every tenth one twice: the duplicate is acknowledged as such, stored once
            int copies = i % 10 == 0 ? 2 : 1;
            for (int c = 0; c < copies; ++c)
                writer.append({message("w" + std::to_string(i))}, [&](const AppendOutcome& outcome) {
                    assert_true(outcome.stored);
                    (outcome.results[0].duplicate ? duplicates : stored)++;
                });
        }
    });
    producer.join();
    writer.flush();
    assert_int_equal(stored.load(), kMessages);
    assert_int_equal(duplicates.load(), kMessages / 10);
    assert_true(writer.largestGroup() > 1);  // group commit happened
    assert_true(writer.commits() < static_cast<uint64_t>(kMessages));
    int64_t count = -1;
    writer.run([&](MessageJournal& journal) { count = journal.countMessages("sip:alice@example.test"); });
    writer.flush();
    assert_int_equal(count, kMessages);
}

static void writer_reports_failures_per_append(void** state) {
    const Fixture& fixture = fixtureOf(state);
    JournalWriter writer(fixture.open(), 0);
    std::atomic<int> ok{0};
    std::atomic<int> refused{0};
    std::string why;
    writer.run([](MessageJournal&) { g_usleep(50000); });  // let the three queue up into one group
    writer.append({message("good1")}, [&](const AppendOutcome& o) { (o.stored ? ok : refused)++; });
    writer.append({message("")}, [&](const AppendOutcome& o) {
        (o.stored ? ok : refused)++;
        why = o.error;
    });
    writer.append({message("good2")}, [&](const AppendOutcome& o) { (o.stored ? ok : refused)++; });
    writer.flush();
    assert_int_equal(ok.load(), 2);
    assert_int_equal(refused.load(), 1);
    assert_non_null(strstr(why.c_str(), "without a message id"));
}

// SQLite only: a full disk (here: the file size limit) fails the append with a clear error,
// stores nothing of it, and the journal works again once there is room.
static void full_disk_stores_nothing(void** state) {
    const Fixture& fixture = fixtureOf(state);
    auto journal = fixture.open();
    journal->append({message("before")});
    struct rlimit saved {};
    getrlimit(RLIMIT_FSIZE, &saved);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit tight = saved;
    tight.rlim_cur = 64 * 1024;  // the WAL cannot grow past this
    setrlimit(RLIMIT_FSIZE, &tight);
    bool failed = false;
    std::string why;
    std::vector<JournalEntry> big;
    for (int i = 0; i < 50; ++i)
        big.push_back(message("big" + std::to_string(i), "sip:bob@example.test", std::string(8000, 'x')));
    try {
        journal->append(big);
    } catch (const JournalError& e) {
        failed = true;
        why = e.what();
    }
    setrlimit(RLIMIT_FSIZE, &saved);
    assert_true(failed);
    print_message("full disk: %s\n", why.c_str());
    assert_int_equal(journal->countMessages("sip:alice@example.test"), 1);
    journal.reset();
    auto reopened = fixture.open();
    assert_int_equal(reopened->countMessages("sip:alice@example.test"), 1);
    reopened->append({message("after")});
    assert_int_equal(reopened->countMessages("sip:alice@example.test"), 2);
}

// OpenPGP public keys (migration 3): kept per account and address, the newest replacing the older.
static void public_keys_per_account_and_address(void** state) {
    auto journal = fixtureOf(state).open();
    assert_false(journal->publicKey("sip:alice@example.test", "sip:bob@example.test").has_value());
    StoredPublicKey key{"sip:alice@example.test", "sip:bob@example.test", "AAAA", "-----BEGIN PGP PUBLIC KEY BLOCK-----", 5};
    journal->storePublicKey(key);
    auto found = journal->publicKey("sip:alice@example.test", "sip:bob@example.test");
    assert_true(found.has_value());
    assert_string_equal(found->fingerprint.c_str(), "AAAA");
    assert_string_equal(found->armored.c_str(), "-----BEGIN PGP PUBLIC KEY BLOCK-----");
    assert_int_equal(found->updatedUs, 5);
    assert_false(journal->publicKey("sip:carol@example.test", "sip:bob@example.test").has_value());
    key.fingerprint = "BBBB";
    key.updatedUs = 6;
    journal->storePublicKey(key);
    found = journal->publicKey("sip:alice@example.test", "sip:bob@example.test");
    assert_string_equal(found->fingerprint.c_str(), "BBBB");
    assert_int_equal(found->updatedUs, 6);
}

static void history_tokens_and_unread_counts_survive_a_reopen(void** state) {
    const Fixture& fixture = fixtureOf(state);
    {
        auto journal = fixture.open();
        for (int i = 0; i < 3; ++i)  // keep 2 per account: the oldest goes
            journal->storeHistoryToken("sip:alice@example.test", "digest-" + std::to_string(i), 10 + i, 2);
        journal->storeHistoryToken("sip:bob@example.test", "digest-bob", 5, 2);
        assert_int_equal(journal->bumpUnread("sip:alice@example.test"), 1);
        assert_int_equal(journal->bumpUnread("sip:alice@example.test"), 2);
        assert_int_equal(journal->bumpUnread("sip:bob@example.test"), 1);
    }
    auto journal = fixture.open();  // as after a restart
    assert_false(journal->historyTokenAccount("digest-0").has_value());
    assert_string_equal(journal->historyTokenAccount("digest-1").value_or("").c_str(), "sip:alice@example.test");
    assert_string_equal(journal->historyTokenAccount("digest-2").value_or("").c_str(), "sip:alice@example.test");
    assert_string_equal(journal->historyTokenAccount("digest-bob").value_or("").c_str(), "sip:bob@example.test");
    assert_false(journal->historyTokenAccount("no-such-digest").has_value());
    assert_int_equal(journal->bumpUnread("sip:alice@example.test"), 3);  // counts on
    journal->clearUnread("sip:alice@example.test");
    assert_int_equal(journal->bumpUnread("sip:alice@example.test"), 1);
    assert_int_equal(journal->bumpUnread("sip:bob@example.test"), 2);
}

// A call of the account (issue 16): one entry per call id, its outcome checked, its details
// (duration, end code and reason) shown as members of the entry's JSON.
static void calls_are_entries_of_their_own(void** state) {
    auto journal = fixtureOf(state).open();
    JournalEntry call = change(kind::kCall, "call:incoming:abc", "sip:carol@example.test", "answered");
    call.direction = "incoming";
    call.contentType = "application/vnd.sylk.call+json";
    call.content = R"({"duration":12,"code":200,"reason":"BYE","media":"audio"})";
    auto first = journal->append({message("m1"), call});
    JournalEntry otherLeg = call;  // the same call's forked leg, ended on another device
    otherLeg.state = "missed";
    assert_true(journal->append({otherLeg})[0].duplicate);
    JournalEntry badOutcome = call;
    badOutcome.messageId = "call:incoming:def";
    badOutcome.state = "eaten";
    try {
        journal->append({badOutcome});
        fail_msg("a call with an unknown outcome was stored");
    } catch (const JournalError& e) {
        assert_int_equal(static_cast<int>(e.kind()), static_cast<int>(JournalError::Kind::Invalid));
    }
    auto entries = journal->fetch(all());
    assert_int_equal(entries.size(), 2);
    assert_int_equal(entries[1].seq, first[1].seq);
    assert_string_equal(entries[1].state.c_str(), "answered");
    assert_int_equal(journal->countMessages("sip:alice@example.test"), 1);  // a call is not a message
    sylk::Json shown = entryToJson(entries[1]);
    assert_string_equal(json_string_value(shown.member("kind")), "call");
    assert_string_equal(json_string_value(shown.member("direction")), "incoming");
    assert_string_equal(json_string_value(shown.member("state")), "answered");
    assert_int_equal(json_integer_value(shown.member("duration")), 12);
    assert_string_equal(json_string_value(shown.member("reason")), "BYE");
    assert_null(shown.member("content"));
}

// Cluster nodes that start together open one empty PostgreSQL database at once: every one of
// them migrates (or finds it migrated), none fails on the other's CREATE TABLE, and each version
// is applied once. Rounds, because a race does not lose every time.
static void servers_starting_together_migrate_once(void** state) {
    fixtureOf(state);
    constexpr int kRounds = 8, kServers = 6;
    for (int round = 0; round < kRounds; ++round) {
        postgres.reset();
        std::vector<std::string> errors(kServers);
        std::vector<std::thread> servers;
        for (int i = 0; i < kServers; ++i) {
            servers.emplace_back([&errors, i] {
                try {
                    PostgresJournal journal(postgres.conninfo);
                    if (journal.schemaVersion() != kSchemaVersion)
                        errors[i] = "schema version " + std::to_string(journal.schemaVersion());
                } catch (const std::exception& e) {
                    errors[i] = e.what();
                }
            });
        }
        for (auto& server : servers)
            server.join();
        for (const auto& error : errors) {
            if (!error.empty())
                fail_msg("round %d: a server could not open the journal: %s", round, error.c_str());
        }
        PostgresJournal after(postgres.conninfo);
        assert_int_equal(after.schemaVersion(), kSchemaVersion);
        assert_string_equal(postgres.sql("DO $$ BEGIN IF (SELECT COUNT(*) FROM journal_schema) <> "
                                         "(SELECT COUNT(DISTINCT version) FROM journal_schema) THEN "
                                         "RAISE EXCEPTION 'a migration ran twice'; END IF; END $$").c_str(), "");
    }
}

// One TAP plan for both backends: each test twice, named by its backend.
#define ON(backend, test, setup) {backend ": " #test, test, setup, teardown, nullptr}
#define JOURNAL_TESTS(backend, setup)                                                                  \
    ON(backend, stores_and_fetches_in_order, setup), ON(backend, dedupes_by_message_id, setup),        \
    ON(backend, states_advance_and_never_go_back, setup), ON(backend, read_and_removals, setup),       \
    ON(backend, fetch_since_id_time_limit, setup), ON(backend, expires_old_entries, setup),            \
    ON(backend, refuses_invalid_entries_whole, setup),                                                 \
    ON(backend, migrations_apply_once_and_refuse_newer, setup), ON(backend, writer_commits_in_groups, setup), \
    ON(backend, writer_reports_failures_per_append, setup),                                            \
    ON(backend, public_keys_per_account_and_address, setup),                                          \
    ON(backend, history_tokens_and_unread_counts_survive_a_reopen, setup),                            \
    ON(backend, calls_are_entries_of_their_own, setup)

int main() {
    const struct CMUnitTest tests[] = {
        JOURNAL_TESTS("sqlite", sqliteSetup),
        ON("sqlite", full_disk_stores_nothing, sqliteSetup),
        JOURNAL_TESTS("postgresql", postgresSetup),
        ON("postgresql", servers_starting_together_migrate_once, postgresSetup),
    };
    postgres.start();
    if (!postgres.missing.empty())
        fprintf(stderr, "PostgreSQL tests skipped: %s\n", postgres.missing.c_str());
    int failed = cmocka_run_group_tests_name("message_journal", tests, nullptr, nullptr);
    postgres.stop();
    return failed;
}
