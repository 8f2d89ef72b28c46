// The MSRP stack tests' common parts (test_msrp_stack.cpp, test_msrp_stack_flow.cpp): two MSRP
// stacks (sylkcore/msrp) on their own stack threads over real loopback sockets, a recorder of
// what a session saw, and a connected pair of sessions.
#pragma once

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/msrp/stack.hpp"
#include "sylkcore/net/stack_thread.hpp"
#include "sylkcore/net/tcp_listener.hpp"
#include "sylkcore/net/tcp_stream.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace std::chrono_literals;
using namespace sylk;
using namespace sylk::msrp;

template <typename Condition>
inline bool waitFor(Condition condition, std::chrono::milliseconds limit = 20000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

inline std::string pattern(size_t size, unsigned seed) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i)
        bytes[i] = static_cast<char>((i * 131 + seed + i / 977) & 0xff);
    return bytes;
}

// What a session saw, filled on the stack thread, read by the test under the lock.
struct Recorder : SessionHandler {
    std::mutex mutex;
    std::vector<IncomingMessage> messages;
    std::vector<std::pair<std::string, int>> dropped;
    std::vector<std::string> reports;
    std::vector<std::string> requests;
    std::string closed;
    int bound = 0;
    int drained = 0;
    int progress = 0;
    int nicknameStatus = 200;
    bool streaming = false;
    std::string streamed;  // what onData gave, placed at its offsets

    void onBound(Session&) override {
        std::lock_guard lock(mutex);
        ++bound;
    }
    void onMessage(Session&, IncomingMessage message) override {
        std::lock_guard lock(mutex);
        messages.push_back(std::move(message));
    }
    int onRequest(Session&, const Message& request) override {
        std::lock_guard lock(mutex);
        requests.push_back(request.method);
        return request.method == "NICKNAME" ? nicknameStatus : 501;
    }
    void onReport(Session&, const Message& report) override {
        std::lock_guard lock(mutex);
        reports.push_back(report.header("Status").value_or(""));
    }
    void onDropped(Session&, const std::string& id, int status) override {
        std::lock_guard lock(mutex);
        dropped.emplace_back(id, status);
    }
    void onDrained(Session&) override {
        std::lock_guard lock(mutex);
        ++drained;
    }
    void onProgress(Session&, const std::string&, uint64_t, std::optional<uint64_t>) override {
        std::lock_guard lock(mutex);
        ++progress;
    }
    bool streams(Session&, const Message&) override { return streaming; }
    void onData(Session&, const std::string&, uint64_t offset, std::string data) override {
        std::lock_guard lock(mutex);
        if (streamed.size() < offset + data.size())
            streamed.resize(offset + data.size());
        streamed.replace(offset, data.size(), data);
    }
    void onClosed(Session&, const std::string& reason) override {
        std::lock_guard lock(mutex);
        closed = reason.empty() ? "?" : reason;
    }
    size_t messageCount() {
        std::lock_guard lock(mutex);
        return messages.size();
    }
    std::string closedReason() {
        std::lock_guard lock(mutex);
        return closed;
    }
};

// One stack on its own thread.
struct Node {
    net::StackThread thread;
    std::unique_ptr<Stack> stack;

    explicit Node(const std::string& name, StackConfig config = {}) : thread(name) {
        thread.execute([&] {
            stack = std::make_unique<Stack>(thread, config);
            stack->start();
        });
    }
    ~Node() {
        thread.execute([&] { stack.reset(); });
    }
    std::shared_ptr<Session> create(SessionSetup setup, SessionHandler& handler) {
        std::shared_ptr<Session> session;
        thread.execute([&] { session = stack->createSession(setup, handler); });
        return session;
    }
    Uri uriOf(const std::shared_ptr<Session>& session) {
        Uri uri;
        thread.execute([&] { uri = session->localUri(); });
        return uri;
    }
    size_t connections() {
        size_t count = 0;
        thread.execute([&] { count = stack->connectionCount(); });
        return count;
    }
};

// The outcome of a send, set on the stack thread.
struct Outcome {
    std::atomic<int> status{0};
    std::string comment;
};

inline std::string sendOn(Node& node, const std::shared_ptr<Session>& session, OutgoingMessage message,
                          std::shared_ptr<Outcome> outcome) {
    message.done = [outcome](const SendOutcome& result) {
        outcome->comment = result.comment;
        outcome->status = result.status;
    };
    std::string id;
    node.thread.execute([&] { id = session->send(std::move(message)); });
    return id;
}

// A pair of sessions: `active` on a, `passive` on b, bound to each other the way an offer and
// its answer make them (the offerer does not know the answerer's path at first).
struct Pair {
    std::shared_ptr<Session> active, passive;
};

inline Pair connectPair(Node& a, Recorder& ra, Node& b, Recorder& rb, SessionSetup passiveSetup = {},
                        bool secure = false, std::string fingerprint = "", bool waitBound = true) {
    Pair pair;
    pair.active = a.create(SessionSetup{}, ra);  // our offer: no remote path yet
    passiveSetup.remotePath = {a.uriOf(pair.active)};
    passiveSetup.role = Role::Passive;
    passiveSetup.secure = secure;
    pair.passive = b.create(passiveSetup, rb);
    Uri answer = b.uriOf(pair.passive);
    a.thread.execute([&] { pair.active->setRemote({answer}, Role::Active, fingerprint); });
    if (waitBound) {
        // Both sides bound: the active side connected, the passive one matched its first request.
        assert_true(waitFor([&] {
            std::lock_guard la(ra.mutex), lb(rb.mutex);
            return ra.bound == 1 && rb.bound == 1;
        }));
    }
    return pair;
}
