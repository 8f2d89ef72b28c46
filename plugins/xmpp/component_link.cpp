#include "component_link.hpp"

#include <gloox/tag.h>

#include <algorithm>
#include <exception>

#include "sylkcore/log.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kLog[] = "janus.plugin.sylk.xmpp";

const char* describe(gloox::ConnectionError error) {
    switch (error) {
        case gloox::ConnStreamError: return "stream error from the server";
        case gloox::ConnStreamClosed: return "the server closed the stream";
        case gloox::ConnIoError: return "I/O error";
        case gloox::ConnParseError: return "the server sent malformed XML";
        case gloox::ConnConnectionRefused: return "connection refused";
        case gloox::ConnDnsError: return "the server's name does not resolve";
        case gloox::ConnAuthenticationFailed: return "handshake refused (wrong component_secret or domain?)";
        case gloox::ConnUserDisconnected: return "disconnected by us";
        case gloox::ConnNotConnected: return "not connected";
        default: return "connection error";
    }
}

}  // namespace

ComponentLink::ComponentLink(net::StackThread& thread, LinkSettings settings, LinkListener& listener)
    : thread_(thread), settings_(std::move(settings)), listener_(listener), backoff_(settings_.backoffMin) {}

ComponentLink::~ComponentLink() {
    watch_.cancel();
    stall_.cancel();
    timer_.cancel();
    state_ = State::Idle;  // onDisconnect from the stream's teardown is ignored from here on
    if (stream_)
        stream_->disconnect();
}

void ComponentLink::start() { attempt(); }

void ComponentLink::attempt() {
    timer_.cancel();
    teardown();
    ++attempts_;
    state_ = State::Connecting;
    std::weak_ptr<ComponentLink> weak = weak_from_this();
    BufferedTcpConnection::Hooks hooks;
    hooks.backlogStarted = [weak] {
        if (auto link = weak.lock())
            link->backlogStarted();
    };
    hooks.stuck = [weak](const std::string& why) {
        if (auto link = weak.lock())
            link->lost(why);
    };
    stream_ = std::make_unique<ComponentStream>(settings_.host, settings_.port, settings_.domain, settings_.secret,
                                                [this](const gloox::Tag& stanza) {
                                                    ++stanzasIn_;
                                                    listener_.onStanza(stanza);
                                                },
                                                settings_.maxBacklog, settings_.maxStanza, std::move(hooks));
    stream_->registerConnectionListener(this);
    stream_->logInstance().registerLogHandler(gloox::LogLevelWarning, gloox::LogAreaAll, this);
    // A blocking TCP connect: the server is local (loopback) by design, so this is immediate.
    bool connected = stream_->connect(false);
    if (state_ != State::Connecting)  // gloox reported the failure already (onDisconnect)
        return;
    if (!connected) {
        lost("cannot connect to " + settings_.host + ":" + std::to_string(settings_.port));
        return;
    }
    int fd = stream_->socketFd();
    if (fd < 0) {
        lost("no socket after connecting");
        return;
    }
    watch_ = thread_.watch(fd, G_IO_IN, [weak](GIOCondition ready) {
        auto link = weak.lock();
        if (link && (ready & G_IO_OUT))
            link->writable();
        if (link && link->stream_ && (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
            link->readable();
    });
    timer_ = thread_.after(settings_.handshakeTimeout, [weak] {
        if (auto link = weak.lock(); link && link->state_ == State::Connecting)
            link->lost("no handshake answer from the server");
    });
}

void ComponentLink::readable() {
    if (!stream_ || state_ == State::Waiting)
        return;
    try {
        gloox::ConnectionError error = stream_->recv(0);
        if (error != gloox::ConnNoError)
            lost(describe(error));
    } catch (const std::exception& e) {  // from our own callbacks inside recv(); gloox itself does not throw
        lost(std::string("failed reading the stream: ") + e.what());
    }
}

void ComponentLink::backlogStarted() {
    // Written as the socket takes it (writable); the server must read some within the stall
    // time, else the link is stuck and made again.
    watch_.setEvents(GIOCondition(G_IO_IN | G_IO_OUT));
    ++backlogs_;
    armStall();
}

void ComponentLink::armStall() {
    std::weak_ptr<ComponentLink> weak = weak_from_this();
    stall_ = thread_.after(settings_.stall, [weak] {
        if (auto link = weak.lock(); link && link->stream_ && link->stream_->backlog() > 0)
            link->lost("the server read nothing for " + std::to_string(link->settings_.stall.count()) + " ms");
    });
}

void ComponentLink::writable() {
    if (!stream_ || state_ == State::Waiting)
        return;
    size_t before = stream_->backlog();
    bool drained = stream_->flush();
    if (!stream_)
        return;  // the write failed: lost() retired the stream
    if (drained) {
        stall_.cancel();
        watch_.setEvents(G_IO_IN);
    } else if (stream_->backlog() < before) {
        armStall();  // the server reads, slowly: it has the stall time again
    }
}

void ComponentLink::onConnect() {
    timer_.cancel();
    state_ = State::Connected;
    backoff_ = settings_.backoffMin;
    ++connects_;
    lastError_.clear();
    if (standby_)
        ++takeovers_;
    SYLK_LOG(LOG_INFO, kLog, "component %s connected to %s:%d%s", settings_.domain.c_str(), settings_.host.c_str(),
             settings_.port, standby_ ? " (taken over: the connection that held it is gone)" : "");
    standby_ = false;
    listener_.onLinkUp();
}

void ComponentLink::onDisconnect(gloox::ConnectionError error) {
    if (state_ == State::Idle)
        return;
    try {  // called by gloox: nothing may be thrown back into it
        std::string reason = describe(error);
        if (error == gloox::ConnStreamError && stream_ && !stream_->streamErrorText().empty())
            reason += ": " + stream_->streamErrorText();
        lost(reason, error == gloox::ConnStreamError && stream_ && stream_->streamError() == gloox::StreamErrorConflict);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kLog, "component %s: after the link went: %s", settings_.domain.c_str(), e.what());
    }
}

void ComponentLink::lost(const std::string& reason, bool standby) {
    if (state_ == State::Waiting || state_ == State::Idle)
        return;
    bool wasConnected = state_ == State::Connected;
    state_ = State::Waiting;
    lastError_ = reason;
    watch_.cancel();
    timer_.cancel();
    stall_.cancel();
    const bool wasStandingBy = standby_;
    standby_ = standby;
    if (standby) {
        backoff_ = settings_.standbyRetry;  // no doubling: the holder may go any time
        if (!wasStandingBy)
            SYLK_LOG(LOG_INFO, kLog, "component %s is held by another connection (%s): standing by, trying every %lld ms",
                     settings_.domain.c_str(), reason.c_str(), static_cast<long long>(backoff_.count()));
    } else if (wasConnected)
        SYLK_LOG(LOG_WARN, kLog, "component %s: %s; next attempt in %lld ms", settings_.domain.c_str(),
                 reason.c_str(), static_cast<long long>(backoff_.count()));
    else
        SYLK_LOG(LOG_INFO, kLog, "component %s: %s; next attempt in %lld ms", settings_.domain.c_str(),
                 reason.c_str(), static_cast<long long>(backoff_.count()));
    // The stream may be calling us: it is freed on a later turn of the loop.
    retired_ = std::move(stream_);
    std::weak_ptr<ComponentLink> weak = weak_from_this();
    thread_.post([weak] {
        if (auto link = weak.lock())
            link->retired_.reset();
    });
    timer_ = thread_.after(backoff_, [weak] {
        if (auto link = weak.lock())
            link->attempt();
    });
    backoff_ = standby ? settings_.backoffMin : std::min(backoff_ * 2, settings_.backoffMax);
    // On a later turn too: lost() may run inside the listener's own work (a send that fails
    // while a room answers a join), and the services tear their rooms down in onLinkDown. The
    // next attempt cannot connect before it runs (it waits for the backoff and the handshake).
    if (wasConnected)
        thread_.post([weak] {
            if (auto link = weak.lock())
                link->listener_.onLinkDown();
        });
}

void ComponentLink::teardown() {
    watch_.cancel();
    stall_.cancel();
    retired_.reset();
    if (stream_) {
        State was = state_;
        state_ = State::Idle;
        stream_->disconnect();
        state_ = was;
        stream_.reset();
    }
}

bool ComponentLink::send(TagPtr stanza) {
    if (state_ != State::Connected || !stream_ || !stanza) {
        ++dropped_;
        return false;
    }
    ++stanzasOut_;
    stream_->send(stanza.release());  // gloox frees it
    return true;
}

bool ComponentLink::sendText(const std::string& xml, size_t stanzas) {
    if (state_ != State::Connected || !stream_) {
        dropped_ += stanzas;
        return false;
    }
    if (xml.empty())
        return true;
    stanzasOut_ += stanzas;
    stream_->sendText(xml);
    return true;
}

void ComponentLink::handleLog(gloox::LogLevel level, gloox::LogArea, const std::string& message) {
    if (level == gloox::LogLevelError)
        SYLK_LOG(LOG_ERR, kLog, "component %s (gloox): %s", settings_.domain.c_str(), message.c_str());
    else
        SYLK_LOG(LOG_WARN, kLog, "component %s (gloox): %s", settings_.domain.c_str(), message.c_str());
}

Json ComponentLink::status() const {
    Json json = Json::object();
    json.set("domain", settings_.domain)
        .set("server", settings_.host + ":" + std::to_string(settings_.port))
        .setBool("connected", connected())
        .setBool("standby", standby_)
        .set("takeovers", static_cast<json_int_t>(takeovers_))
        .set("attempts", static_cast<json_int_t>(attempts_))
        .set("connects", static_cast<json_int_t>(connects_))
        .set("stanzas_in", static_cast<json_int_t>(stanzasIn_))
        .set("stanzas_out", static_cast<json_int_t>(stanzasOut_))
        .set("dropped", static_cast<json_int_t>(dropped_))
        .set("backlog_bytes", static_cast<json_int_t>(stream_ ? stream_->backlog() : 0))
        .set("backlogs", static_cast<json_int_t>(backlogs_));
    if (!lastError_.empty())
        json.set("last_error", lastError_);
    return json;
}

}  // namespace sylk::xmpp
