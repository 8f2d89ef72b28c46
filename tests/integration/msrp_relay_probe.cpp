// A small program around our own sylk::msrp Stack and RelayClient, so that the integration tests
// can run the C++ relay client against Kamailio before the msrp plugin exists
// (test_msrp_relay_client.py). It prints one JSON object per line on stdout and reads commands
// on stdin:
//   events:   {"event":"relay", "state":"ready"|"failed"|"idle", "status":N, "error":"...",
//              "use_path":[...], "expires":N, "authentications":N}
//             {"event":"session", "path":[...]}             (our a=path, Use-Path first)
//             {"event":"bound"} {"event":"message", "content_type":"...", "body":"..."}
//             {"event":"sent", "status":N} {"event":"closed", "reason":"..."}
//             {"event":"path", "path":[...]}   (a relay refresh moved a session to a new a=path)
//   commands: "connect <uri> <uri> ..." (an Active session to that a=path; each message it gets
//             is sent back with "echo: " in front), "quit".
// Usage: msrp_relay_probe <listen-address> <relay-uri> <user> <password> [fingerprint|-] [expires]
#include <jansson.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "sylkcore/msrp/relay_client.hpp"
#include "sylkcore/msrp/session.hpp"
#include "sylkcore/msrp/session_handler.hpp"
#include "sylkcore/msrp/stack.hpp"
#include "sylkcore/net/stack_thread.hpp"

using namespace sylk;

namespace {

void emit(json_t* event) {
    char* text = json_dumps(event, JSON_COMPACT);
    std::printf("%s\n", text);
    std::fflush(stdout);
    free(text);
    json_decref(event);
}

json_t* pathJson(const std::vector<msrp::Uri>& path) {
    json_t* array = json_array();
    for (const auto& uri : path)
        json_array_append_new(array, json_string(uri.str().c_str()));
    return array;
}

const char* stateName(msrp::RelayClient::State state) {
    switch (state) {
    case msrp::RelayClient::State::Ready: return "ready";
    case msrp::RelayClient::State::Failed: return "failed";
    case msrp::RelayClient::State::Idle: return "idle";
    default: return "busy";
    }
}

// Echoes every message back, so that the test sees both directions through the relay.
class EchoHandler : public msrp::SessionHandler {
public:
    void onBound(msrp::Session&) override { emit(json_pack("{s:s}", "event", "bound")); }
    void onMessage(msrp::Session& session, msrp::IncomingMessage message) override {
        emit(json_pack("{s:s, s:s, s:s%}", "event", "message", "content_type", message.contentType.c_str(), "body",
                       message.body.data(), message.body.size()));
        msrp::OutgoingMessage echo;
        echo.contentType = message.contentType;
        echo.body = "echo: " + message.body;
        echo.done = [](const msrp::SendOutcome& outcome) {
            emit(json_pack("{s:s, s:i}", "event", "sent", "status", outcome.status));
        };
        session.send(std::move(echo));
    }
    void onClosed(msrp::Session&, const std::string& reason) override {
        emit(json_pack("{s:s, s:s}", "event", "closed", "reason", reason.c_str()));
    }
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: %s <listen-address> <relay-uri> <user> <password> [fingerprint|-] [expires]\n",
                     argv[0]);
        return 2;
    }
    msrp::StackConfig stackConfig;
    stackConfig.listenAddress = argv[1];
    msrp::RelayClientConfig relayConfig;
    relayConfig.relay = msrp::Uri::parse(argv[2]);
    relayConfig.username = argv[3];
    relayConfig.password = argv[4];
    if (argc > 5 && std::string(argv[5]) != "-")
        relayConfig.fingerprint = argv[5];
    if (argc > 6)
        relayConfig.expires = std::chrono::seconds(std::stoi(argv[6]));
    relayConfig.retryDelay = std::chrono::seconds(2);

    net::StackThread thread("msrp-probe");
    std::unique_ptr<msrp::Stack> stack;
    std::unique_ptr<msrp::RelayClient> relay;
    EchoHandler handler;
    std::vector<std::shared_ptr<msrp::Session>> sessions;
    thread.execute([&] {
        stack = std::make_unique<msrp::Stack>(thread, stackConfig);
        stack->start();
        stack->setLocalPathListener([](msrp::Session& session) {
            emit(json_pack("{s:s, s:o}", "event", "path", "path", pathJson(session.localPath())));
        });
        relay = std::make_unique<msrp::RelayClient>(*stack, relayConfig, [](const msrp::RelayClient::Status& status) {
            emit(json_pack("{s:s, s:s, s:i, s:s, s:o, s:I, s:i}", "event", "relay", "state", stateName(status.state),
                           "status", status.lastStatus, "error", status.error.c_str(), "use_path",
                           pathJson(status.usePath), "expires", static_cast<json_int_t>(status.expires.count()),
                           "authentications", static_cast<int>(status.authentications)));
        });
        relay->start();
    });

    std::string line;
    while (std::getline(std::cin, line)) {
        std::istringstream words(line);
        std::string command;
        words >> command;
        if (command == "quit")
            break;
        if (command != "connect")
            continue;
        msrp::SessionSetup setup;
        setup.role = msrp::Role::Active;
        std::string uri;
        while (words >> uri)
            setup.remotePath.push_back(msrp::Uri::parse(uri));
        // our own URI stays msrp://: the probe has no TLS listener, and through a relay nobody
        // connects to it directly
        thread.execute([&] {
            auto session = stack->createSession(setup, handler);
            emit(json_pack("{s:s, s:o}", "event", "session", "path", pathJson(session->localPath())));
            sessions.push_back(std::move(session));
        });
    }
    thread.execute([&] {
        for (auto& session : sessions)
            session->close();
        sessions.clear();
        relay.reset();
        stack.reset();
    });
    return 0;
}
