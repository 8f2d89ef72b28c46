#include "relay_client.hpp"

#include <glib.h>

#include <algorithm>

#include "connection.hpp"
#include "parse_error.hpp"
#include "stack.hpp"
#include "sylkcore/log.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

constexpr const char* kLog = "msrp-relay";

// A fresh client nonce: the digest's cnonce must be unpredictable to the relay (RFC 2617 §3.2.2).
std::string newCnonce() {
    char buffer[33];
    for (int i = 0; i < 4; ++i)
        std::snprintf(buffer + i * 8, 9, "%08x", g_random_int());
    return std::string(buffer, 32);
}

}  // namespace

RelayClient::RelayClient(Stack& stack, RelayClientConfig config, Listener listener)
    : stack_(stack), config_(std::move(config)), listener_(std::move(listener)) {
    // Our URI in the AUTH's From-Path: what the relay remembers as the peer behind this connection.
    // The stack's advertised host with a port it listens on (9, "discard", when it listens on none:
    // a client behind a relay need not listen at all) and a session id of its own.
    clientUri_.secure = config_.relay.secure;
    clientUri_.host = stack_.advertisedHost();
    uint16_t port = stack_.port(config_.relay.secure);
    if (!port)
        port = stack_.port(!config_.relay.secure);
    clientUri_.port = port ? port : 9;
    clientUri_.sessionId = Message::newTransactionId();
}

RelayClient::~RelayClient() {
    listener_ = nullptr;  // its owner may be half torn down already: no Idle report from here
    stop();
}

std::chrono::milliseconds RelayClient::refreshDelay(std::chrono::seconds expires) {
    auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(expires) * 3 / 4;
    return std::max(delay, std::chrono::milliseconds(1000));
}

void RelayClient::start() {
    if (running_)
        return;
    running_ = true;
    connect();
}

void RelayClient::stop() {
    if (!running_)
        return;
    running_ = false;
    timer_.cancel();
    watchdog_.cancel();
    if (!status_.usePath.empty() && stack_.usePath() == status_.usePath)
        stack_.setUsePath({});
    if (connection_)
        connection_->keepOpen(false);
    connection_.reset();
    status_.usePath.clear();
    setState(State::Idle);
}

void RelayClient::setState(State state) {
    status_.state = state;
    if (state == State::Ready || state == State::Failed || state == State::Idle) {
        if (listener_) {
            try {
                listener_(status_);
            } catch (const std::exception& error) {
                SYLK_LOG(LOG_ERR, kLog, "the relay client's listener threw: %s", error.what());
            }
        }
    }
}

void RelayClient::connect() {
    status_.state = State::Connecting;
    std::weak_ptr<bool> alive = alive_;
    stack_.connect(config_.relay, config_.fingerprint,
                   [this, alive](std::shared_ptr<Connection> connection, const std::string& error) {
                       if (alive.expired() || !running_)
                           return;
                       if (!connection) {
                           fail(0, "cannot connect to the relay " + config_.relay.hostPort() + ": " + error);
                           return;
                       }
                       connection_ = std::move(connection);
                       connection_->keepOpen(true);  // no session may use it yet; it is ours
                       answeredNonce_.clear();
                       sendAuth(nullptr);
                   });
}

void RelayClient::sendAuth(const DigestChallenge* challenge) {
    status_.state = State::Authenticating;
    Message request = Message::makeRequest("AUTH", {config_.relay}, {clientUri_});
    if (config_.expires.count() > 0)
        request.setHeader("Expires", std::to_string(config_.expires.count()));
    if (challenge) {
        nonceCount_ = challenge->nonce == answeredNonce_ ? nonceCount_ + 1 : 1;
        answeredNonce_ = challenge->nonce;
        request.setHeader("Authorization", challenge->authorization(config_.username, config_.password, "AUTH",
                                                                    config_.relay.str(), newCnonce(), nonceCount_));
    }
    std::weak_ptr<bool> alive = alive_;
    connection_->sendRequest(std::move(request), [this, alive](const Message* response, const std::string& why) {
        if (!alive.expired() && running_)
            onResponse(response, why);
    });
}

void RelayClient::onResponse(const Message* response, const std::string& why) {
    if (!response) {
        fail(0, "no answer to AUTH from the relay: " + why);
        return;
    }
    status_.lastStatus = response->status;
    if (response->status == 200) {
        granted(*response);
        return;
    }
    if (response->status == 401) {
        auto header = response->header("WWW-Authenticate");
        if (!header) {
            fail(401, "the relay's 401 has no WWW-Authenticate");
            return;
        }
        DigestChallenge challenge;
        try {
            challenge = DigestChallenge::parse(*header);
        } catch (const ParseError& error) {
            fail(401, std::string("the relay's challenge is unreadable: ") + error.what());
            return;
        }
        if (!challenge.supported()) {
            fail(401, "the relay asks for a digest we do not do (algorithm " + challenge.algorithm + ")");
            return;
        }
        // A second challenge after our answer means the credentials are wrong, unless the relay
        // says only the nonce was stale.
        if (!answeredNonce_.empty() && !challenge.stale) {
            fail(401, "the relay refused our credentials for " + config_.username);
            return;
        }
        sendAuth(&challenge);
        return;
    }
    if (response->status == 423 && !expiresAdjusted_) {
        auto bound = response->header("Min-Expires");
        if (!bound)
            bound = response->header("Max-Expires");
        auto seconds = bound ? text::decimal(text::trimmed(*bound)) : std::nullopt;
        if (seconds && *seconds > 0) {
            expiresAdjusted_ = true;
            config_.expires = std::chrono::seconds(*seconds);
            answeredNonce_.clear();
            sendAuth(nullptr);
            return;
        }
    }
    fail(response->status, "the relay answered AUTH with " + std::to_string(response->status) + " " +
                               response->comment);
}

void RelayClient::granted(const Message& response) {
    std::vector<Uri> usePath;
    try {
        usePath = Uri::parsePath(response.header("Use-Path").value_or(""));
    } catch (const ParseError& error) {
        fail(200, std::string("the relay's Use-Path is unreadable: ") + error.what());
        return;
    }
    auto expires = text::decimal(text::trimmed(response.header("Expires").value_or("")));
    if (!expires || *expires == 0) {
        // RFC 4976 §5.1: the 200 carries Expires; without one we cannot know when to refresh.
        fail(200, "the relay's 200 to AUTH has no Expires");
        return;
    }
    status_.usePath = usePath;
    status_.expires = std::chrono::seconds(*expires);
    status_.error.clear();
    ++status_.authentications;
    answeredNonce_.clear();
    stack_.setUsePath(usePath);
    SYLK_LOG(LOG_INFO, kLog, "relay %s grants Use-Path %s for %llu s", config_.relay.hostPort().c_str(),
             Uri::pathString(usePath).c_str(), static_cast<unsigned long long>(*expires));
    std::weak_ptr<bool> alive = alive_;
    timer_ = stack_.thread().after(refreshDelay(status_.expires), [this, alive] {
        if (alive.expired() || !running_)
            return;
        if (connection_ && connection_->isOpen())
            sendAuth(nullptr);
        else
            connect();
    });
    if (!watchdog_.active())
        watchdog_ = stack_.thread().every(config_.connectionCheck, [this, alive] {
            if (!alive.expired() && running_)
                checkConnection();
        });
    setState(State::Ready);
}

void RelayClient::checkConnection() {
    if (status_.state == State::Ready && (!connection_ || !connection_->isOpen()))
        fail(0, "the connection to the relay " + config_.relay.hostPort() + " closed");
}

void RelayClient::fail(int status, const std::string& why) {
    SYLK_LOG(LOG_WARN, kLog, "relay %s: %s; retrying in %lld s", config_.relay.hostPort().c_str(), why.c_str(),
             static_cast<long long>(config_.retryDelay.count()));
    // New sessions must not advertise a relay that will not forward to us.
    if (!status_.usePath.empty() && stack_.usePath() == status_.usePath)
        stack_.setUsePath({});
    status_.usePath.clear();
    status_.lastStatus = status;
    status_.error = why;
    answeredNonce_.clear();
    watchdog_.cancel();
    if (connection_)
        connection_->keepOpen(false);
    connection_.reset();
    std::weak_ptr<bool> alive = alive_;
    timer_ = stack_.thread().after(std::chrono::duration_cast<std::chrono::milliseconds>(config_.retryDelay),
                                   [this, alive] {
                                       if (!alive.expired() && running_)
                                           connect();
                                   });
    setState(State::Failed);
}

}  // namespace sylk::msrp
