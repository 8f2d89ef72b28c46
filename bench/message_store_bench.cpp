// The message journal's benchmark (issue 13 goals: ingest >= 5,000 messages/s with durability
// on, and a sync of 5,000 messages in under 200 ms), for SQLite and PostgreSQL. Not run by
// make check; build with `make -C build bench/message_store_bench` and see bench/README.md.
//
// Ingest: P producer threads (as the SIP thread would) each queue single-message appends to one
// JournalWriter without waiting; a message counts once its callback says it is durable (what
// the gateway waits for before its 200). Reported: messages/s from the first append to the last
// callback, the append-to-callback latency (p50, p99) and how many commits carried them. Then
// the same with one message at a time (each append waits for its callback): the cost of a
// durable commit, which group commit shares out.
// Sync: fetch 5,000 messages of one account in one query (sync_conversations' journal part).
//
// PostgreSQL: started by the bench itself (initdb in a temporary folder, pg_ctl on a private
// unix socket; as the postgres user when run as root), with its default durability
// (fsync on, synchronous_commit on).
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/store/journal_writer.hpp"
#include "sylkcore/store/postgres_journal.hpp"
#include "sylkcore/store/sqlite_journal.hpp"

using namespace sylk::store;
using Clock = std::chrono::steady_clock;

namespace {

bool run(const std::string& command) { return system((command + " >/dev/null 2>&1").c_str()) == 0; }

struct Postgres {
    std::string folder, bin, asUser, conninfo;
    bool start() {
        for (const char* version : {"17", "16", "15", "14", "13"}) {
            std::string candidate = std::string("/usr/lib/postgresql/") + version + "/bin";
            if (g_file_test((candidate + "/initdb").c_str(), G_FILE_TEST_IS_EXECUTABLE)) {
                bin = candidate;
                break;
            }
        }
        if (bin.empty())
            return false;
        char templ[] = "/tmp/sylk-pg-bench-XXXXXX";
        folder = g_mkdtemp(templ);
        chmod(folder.c_str(), 0755);
        if (geteuid() == 0) {
            asUser = "runuser -u postgres -- ";
            run("chown postgres '" + folder + "'");
        }
        int port = 40000 + static_cast<int>(getpid() % 20000);
        if (!run(asUser + bin + "/initdb -D '" + folder + "/data' -A trust -U sylk -E UTF8"))
            return false;
        if (!run(asUser + bin + "/pg_ctl -D '" + folder + "/data' -w -l '" + folder + "/log' -o \"-c listen_addresses='' -k " +
                 folder + " -p " + std::to_string(port) + "\" start"))
            return false;
        conninfo = "host=" + folder + " port=" + std::to_string(port) + " user=sylk dbname=postgres";
        return true;
    }
    void stop() {
        if (!conninfo.empty())
            run(asUser + bin + "/pg_ctl -D '" + folder + "/data' -m fast stop");
        if (!folder.empty())
            run("rm -rf '" + folder + "'");
    }
};

JournalEntry message(int i, const std::string& account) {
    JournalEntry entry;
    entry.account = account;
    entry.kind = kind::kMessage;
    entry.messageId = "bench-" + std::to_string(i);
    entry.conversation = "sip:peer" + std::to_string(i % 50) + "@example.test";
    entry.direction = i % 2 ? "incoming" : "outgoing";
    entry.contentType = "text/plain";
    entry.content = "a message of about the size people type, number " + std::to_string(i);
    entry.state = "received";
    entry.timestampUs = g_get_real_time();
    return entry;
}

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    return values[std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())))];
}

std::string measure(const std::string& name, std::unique_ptr<MessageJournal> journal, int messages, int producers,
                    int sequential) {
    JournalWriter writer(std::move(journal), 0);
    // Ingest, many in flight.
    std::vector<double> latencies(static_cast<size_t>(messages));
    std::atomic<int> done{0};
    std::atomic<int> failed{0};
    std::mutex mutex;
    std::condition_variable finished;
    uint64_t commitsBefore = writer.commits();
    auto start = Clock::now();
    std::vector<std::thread> threads;
    for (int p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            for (int i = p; i < messages; i += producers) {
                auto queued = Clock::now();
                writer.append({message(i, "sip:bench@example.test")}, [&, i, queued](const AppendOutcome& outcome) {
                    latencies[static_cast<size_t>(i)] =
                        std::chrono::duration<double, std::milli>(Clock::now() - queued).count();
                    if (!outcome.stored)
                        failed++;
                    if (++done == messages) {
                        std::lock_guard<std::mutex> lock(mutex);
                        finished.notify_all();
                    }
                });
            }
        });
    }
    for (auto& thread : threads)
        thread.join();
    {
        std::unique_lock<std::mutex> lock(mutex);
        finished.wait(lock, [&] { return done.load() == messages; });
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    uint64_t commits = writer.commits() - commitsBefore;

    // One at a time: each waits for its own durable commit.
    auto oneStart = Clock::now();
    for (int i = 0; i < sequential; ++i) {
        std::promise<void> stored;
        auto future = stored.get_future();
        writer.append({message(messages + i, "sip:one-by-one@example.test")},
                      [&](const AppendOutcome&) { stored.set_value(); });
        future.wait();
    }
    double oneSeconds = std::chrono::duration<double>(Clock::now() - oneStart).count();

    // Sync of 5,000 messages (3 tries, the best and the worst).
    std::vector<double> syncMs;
    size_t fetched = 0;
    for (int round = 0; round < 3; ++round) {
        writer.run([&](MessageJournal& j) {
            SyncQuery query;
            query.account = "sip:bench@example.test";
            query.limit = 5000;
            auto begin = Clock::now();
            fetched = j.fetch(query).size();
            syncMs.push_back(std::chrono::duration<double, std::milli>(Clock::now() - begin).count());
        });
        writer.flush();
    }
    char line[1024];
    snprintf(line, sizeof line,
             "{\"backend\": \"%s\", \"messages\": %d, \"producers\": %d, \"failed\": %d, \"seconds\": %.3f, "
             "\"messages_per_second\": %.0f, \"ack_latency_ms_p50\": %.2f, \"ack_latency_ms_p99\": %.2f, "
             "\"commits\": %llu, \"one_at_a_time\": %d, \"one_at_a_time_per_second\": %.0f, "
             "\"sync_messages\": %zu, \"sync_ms_min\": %.1f, \"sync_ms_max\": %.1f}",
             name.c_str(), messages, producers, failed.load(), seconds, messages / seconds,
             percentile(latencies, 0.5), percentile(latencies, 0.99), static_cast<unsigned long long>(commits),
             sequential, sequential / oneSeconds, fetched, *std::min_element(syncMs.begin(), syncMs.end()),
             *std::max_element(syncMs.begin(), syncMs.end()));
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    int messages = 20000;
    int producers = 4;
    int sequential = 200;
    std::string backends = "sqlite,postgresql";
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i];
        if (option == "--messages")
            messages = atoi(argv[i + 1]);
        else if (option == "--producers")
            producers = atoi(argv[i + 1]);
        else if (option == "--one-at-a-time")
            sequential = atoi(argv[i + 1]);
        else if (option == "--backends")
            backends = argv[i + 1];
        else {
            fprintf(stderr, "usage: %s [--messages N] [--producers P] [--one-at-a-time N] [--backends sqlite,postgresql]\n",
                    argv[0]);
            return 2;
        }
    }
    std::vector<std::string> results;
    if (backends.find("sqlite") != std::string::npos) {
        char templ[] = "/tmp/sylk-journal-bench-XXXXXX";
        std::string folder = g_mkdtemp(templ);
        results.push_back(measure("sqlite", std::make_unique<SqliteJournal>(folder + "/journal.sqlite"), messages,
                                  producers, sequential));
        fprintf(stderr, "%s\n", results.back().c_str());
        run("rm -rf '" + folder + "'");
    }
    if (backends.find("postgresql") != std::string::npos) {
        Postgres server;
        if (server.start()) {
            results.push_back(measure("postgresql", std::make_unique<PostgresJournal>(server.conninfo), messages,
                                      producers, sequential));
            fprintf(stderr, "%s\n", results.back().c_str());
        } else {
            fprintf(stderr, "PostgreSQL could not be started (package postgresql); skipped\n");
        }
        server.stop();
    }
    printf("[");
    for (size_t i = 0; i < results.size(); ++i)
        printf("%s%s", i ? ",\n " : "", results[i].c_str());
    printf("]\n");
    return 0;
}
