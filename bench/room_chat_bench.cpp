// What keeping room chat in the JetStream stream costs a chat's poster (issue 15, roomchat):
// side by side in one run against one nats-server -js (started here on a free loopback port, its
// store in a temporary folder, stopped by its pid), alternating rounds of
//   flush:  the path before the stream: a core publish of the chat, then a PING/PONG flush
//           (Bus::flush), what the bridge waited for before the poster acknowledged a chat;
//   stream: JetStreamChatStore::append: the publish into SYLK_ROOM_CHAT (file storage) and
//           the stream's acknowledgement, what the bridge waits for now.
// Each message is timed from the call to its return (the delay the poster's acknowledgement
// gets). Then the read-back a node does when it opens a room: load() of a room holding 1,000
// chats (the default chat_history), several times. Not run by make check; build with
// `make -C build bench/room_chat_bench` (bench/README.md). Prints one JSON object.
#include <nats/nats.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "sylkcore/cluster/jetstream_chat_store.hpp"
#include "sylkcore/cluster/room_subject.hpp"
#include "tests/unit/nats_test_server.hpp"

using sylk::cluster::JetStreamChatStore;
using sylk::cluster::RoomSubject;
using Clock = std::chrono::steady_clock;

namespace {

double percentile(std::vector<double> values, double p) {
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    size_t index = std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5));
    return values[index];
}

double microseconds(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// A chat as the bridge publishes it (BusCodec's event payload), about 330 bytes.
std::string chatPayload(int n) {
    char text[512];
    snprintf(text, sizeof text,
             "{\"v\":1,\"type\":\"event\",\"node\":\"node0\",\"event\":{\"kind\":\"chat\",\"member\":"
             "\"janus.plugin.sylk.videoroom/17\",\"seq\":%d,\"data\":{\"id\":\"%08d-1c2b-4d3e-8f90-a1b2c3d4e5f6\","
             "\"display\":\"Ann\",\"uri\":\"\",\"content_type\":\"text/plain\",\"text\":\"message number %d of the "
             "benchmark, a sentence of ordinary length\",\"timestamp\":1764900000000}}}",
             n, n, n);
    return text;
}

struct Summary {
    std::vector<double> all;            // every message's µs
    std::vector<double> roundMedians;   // each round's median µs
};

void addRound(Summary& summary, const std::vector<double>& round) {
    summary.all.insert(summary.all.end(), round.begin(), round.end());
    summary.roundMedians.push_back(percentile(round, 0.5));
}

std::string describe(const char* name, const Summary& s) {
    char line[512];
    snprintf(line, sizeof line,
             "\"%s\": {\"messages\": %zu, \"p50_us\": %.0f, \"p90_us\": %.0f, \"p99_us\": %.0f, "
             "\"round_median_min_us\": %.0f, \"round_median_max_us\": %.0f}",
             name, s.all.size(), percentile(s.all, 0.5), percentile(s.all, 0.9), percentile(s.all, 0.99),
             *std::min_element(s.roundMedians.begin(), s.roundMedians.end()),
             *std::max_element(s.roundMedians.begin(), s.roundMedians.end()));
    return line;
}

}  // namespace

int main(int argc, char** argv) {
    int rounds = 10, perRound = 200, loads = 7;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--rounds"))
            rounds = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--per-round"))
            perRound = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--loads"))
            loads = atoi(argv[i + 1]);
    }
    NatsServer server;
    natsConnection* connection = nullptr;
    jsCtx* jetStream = nullptr;
    if (natsConnection_ConnectTo(&connection, server.url().c_str()) != NATS_OK ||
        natsConnection_JetStream(&jetStream, connection, nullptr) != NATS_OK) {
        fprintf(stderr, "cannot connect to nats-server\n");
        return 1;
    }
    JetStreamChatStore store(connection, jetStream, 1000, std::chrono::milliseconds(2000));
    if (!store.ready()) {
        fprintf(stderr, "the stream did not open\n");
        return 1;
    }
    const std::string flushed = RoomSubject::prefix("bench.flush") + ".events";
    const std::string stored = RoomSubject::prefix("bench.stream") + ".chat";
    Summary flush, stream;
    int n = 0;
    for (int round = 0; round < rounds; ++round) {
        // Alternating which goes first, so a drift of the machine's load hits both alike.
        for (int which = 0; which < 2; ++which) {
            bool streamNow = (round + which) % 2 == 0;
            std::vector<double> times;
            for (int i = 0; i < perRound; ++i, ++n) {
                std::string payload = chatPayload(n);
                auto start = Clock::now();
                bool ok;
                if (streamNow) {
                    ok = store.append(stored, payload, "bench-" + std::to_string(n));
                } else {
                    ok = natsConnection_Publish(connection, flushed.c_str(), payload.data(),
                                                static_cast<int>(payload.size())) == NATS_OK &&
                         natsConnection_FlushTimeout(connection, 2000) == NATS_OK;
                }
                times.push_back(microseconds(Clock::now() - start));
                if (!ok) {
                    fprintf(stderr, "a %s chat failed\n", streamNow ? "stream" : "flush");
                    return 1;
                }
            }
            addRound(streamNow ? stream : flush, times);
        }
    }
    // The read-back of a room holding 1,000 chats (the stream keeps the newest 1,000 of the
    // rounds above on that subject).
    std::vector<double> loadMs;
    size_t loaded = 0;
    for (int i = 0; i < loads; ++i) {
        auto start = Clock::now();
        auto result = store.load(stored);
        loadMs.push_back(microseconds(Clock::now() - start) / 1000);
        loaded = result.messages.size();
        if (!result.reachable) {
            fprintf(stderr, "the read-back failed\n");
            return 1;
        }
    }
    printf("{%s,\n %s,\n \"load\": {\"messages\": %zu, \"runs\": %d, \"median_ms\": %.1f, \"min_ms\": %.1f, "
           "\"max_ms\": %.1f}}\n",
           describe("flush", flush).c_str(), describe("stream", stream).c_str(), loaded, loads,
           percentile(loadMs, 0.5), *std::min_element(loadMs.begin(), loadMs.end()),
           *std::max_element(loadMs.begin(), loadMs.end()));
    jsCtx_Destroy(jetStream);
    natsConnection_Destroy(connection);
    return 0;
}
