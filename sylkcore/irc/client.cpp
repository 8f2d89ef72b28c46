#include "client.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>

#include "../log.hpp"
#include "nicks.hpp"

namespace sylk::irc {
namespace {

constexpr char kLog[] = "irc";
constexpr char kConfirmPrefix[] = "sylk-";
constexpr auto kTickPeriod = std::chrono::seconds(5);
constexpr auto kStopGrace = std::chrono::seconds(2);
constexpr size_t kClassicNickLength = 9;  // RFC 1459's, what every server takes

std::chrono::steady_clock::time_point now() { return std::chrono::steady_clock::now(); }

std::atomic<int> lingeringClients{0};

}  // namespace

std::shared_ptr<Client> Client::create(net::StackThread& thread, ClientSettings settings, ClientEvents events) {
    return std::make_shared<Client>(Private{}, thread, std::move(settings), std::move(events));
}

Client::Client(Private, net::StackThread& thread, ClientSettings settings, ClientEvents events)
    : thread_(thread),
      settings_(std::move(settings)),
      events_(std::move(events)),
      bucket_(settings_.linesPerSecond, settings_.burst, now()),
      nick_(settings_.nick),
      backoff_(settings_.backoffMin) {}

Client::~Client() {
    if (stream_)
        stream_->abort();
}

const char* Client::stateName(State state) {
    switch (state) {
        case State::Idle: return "idle";
        case State::Connecting: return "connecting";
        case State::Registering: return "registering";
        case State::Joining: return "joining";
        case State::InChannel: return "in-channel";
        case State::Waiting: return "waiting";
        case State::Stopping: return "stopping";
        case State::Stopped: return "stopped";
    }
    return "?";
}

void Client::start() {
    if (state_ != State::Idle)
        return;
    std::weak_ptr<Client> weak = shared_from_this();
    tick_ = thread_.every(kTickPeriod, [weak] {
        if (auto self = weak.lock())
            self->onTick();
    });
    connect();
}

void Client::connect() {
    state_ = State::Connecting;
    stateSince_ = lastHeard_ = now();
    ++connections_;
    reader_.clear();
    std::weak_ptr<Client> weak = shared_from_this();
    // The stream's events find the client through a weak pointer and check they come from the
    // current stream: one dropped after a loss may still report.
    auto current = std::make_shared<net::TcpStream*>(nullptr);
    auto mine = [weak, current]() -> std::shared_ptr<Client> {
        auto self = weak.lock();
        return self && self->stream_ && self->stream_.get() == *current ? self : nullptr;
    };
    net::StreamEvents events;
    events.connected = [mine] {
        if (auto self = mine())
            self->onConnected();
    };
    events.received = [mine](const uint8_t* data, size_t size) {
        if (auto self = mine())
            self->onReceived(data, size);
    };
    events.peerClosed = [mine] {
        if (auto self = mine())
            self->lost("the server closed the connection");
    };
    events.closed = [mine] {
        if (auto self = mine())
            self->lost("closed");
    };
    events.failed = [mine](const std::string& why) {
        if (auto self = mine())
            self->lost(why);
    };
    net::TlsOptions tls = settings_.tls;
    if (tls.enabled && tls.serverName.empty())
        tls.serverName = settings_.host;
    stream_ = net::TcpStream::connect(thread_, settings_.host, settings_.port, tls, std::move(events));
    *current = stream_.get();
}

void Client::onConnected() {
    state_ = State::Registering;
    stateSince_ = lastHeard_ = now();
    nickAttempt_ = 0;
    if (!settings_.password.empty())
        write(Message{"", "PASS", {settings_.password}});
    tryNick();
    SYLK_LOG(LOG_INFO, kLog, "connected to %s:%u%s, registering as %s", settings_.host.c_str(), settings_.port,
             settings_.tls.enabled ? " (TLS)" : "", nick_.c_str());
    write(Message{"", "USER", {settings_.user, "0", "*", settings_.realname}});
}

void Client::tryNick() {
    nick_ = retryNick(settings_.nick, nickAttempt_, nickLimit_);
    write(Message{"", "NICK", {nick_}});
}

void Client::write(const Message& message) {
    if (!stream_)
        return;
    try {
        stream_->write(message.str());
    } catch (const MessageError& error) {
        SYLK_LOG(LOG_WARN, kLog, "not sending a %s: %s", message.command.c_str(), error.what());
    }
}

void Client::onReceived(const uint8_t* data, size_t size) {
    lastHeard_ = now();
    pingOutstanding_ = false;
    try {
        reader_.feed(data, size, [this](std::string_view line) {
            ++receivedLines_;
            Message message;
            try {
                message = Message::parse(line);
            } catch (const MessageError& error) {
                SYLK_LOG(LOG_WARN, kLog, "%s sent a line that is no IRC message (%s); skipped", settings_.host.c_str(),
                         error.what());
                return;
            }
            // A handler may end the connection (ERROR): the rest of this read is then the old
            // connection's and is not acted on.
            if (state_ == State::Registering || state_ == State::Joining || state_ == State::InChannel)
                handle(message);
        });
    } catch (const MessageError& error) {
        if (stream_)
            stream_->abort();
        lost(std::string("framing: ") + error.what());
    }
}

void Client::handle(const Message& message) {
    const std::string& command = message.command;
    if (command == "PING")
        write(Message{"", "PONG", {message.param(0).empty() ? settings_.host : message.param(0)}});
    else if (command == "PONG")
        onPong(message);
    else if (command == "001")
        onRegistered(message);
    else if (command == "005") {
        for (const auto& token : message.params) {
            if (token.rfind("NICKLEN=", 0) == 0) {
                size_t length = std::strtoul(token.c_str() + 8, nullptr, 10);
                if (length > 0)
                    nickLimit_ = length;
            }
        }
    } else if (command == "433" || command == "436") {
        if (state_ == State::Registering) {
            ++nickAttempt_;
            tryNick();
        }
    } else if (command == "432")
        onNickRefused(message);
    else if (command == "353")
        onNames(message);
    else if (command == "366")
        onNamesEnd();
    else if (command == "JOIN")
        onJoin(message);
    else if (command == "PART") {
        if (sameName(message.param(0), settings_.channel))
            onPart(message.param(0), message.nick());
    } else if (command == "KICK")
        onKick(message);
    else if (command == "QUIT")
        onQuit(message);
    else if (command == "NICK")
        onNickChange(message);
    else if (command == "PRIVMSG")
        onPrivmsg(message);
    else if (command == "ERROR") {
        SYLK_LOG(LOG_WARN, kLog, "%s: ERROR %s", settings_.host.c_str(), message.param(0).c_str());
        lastError_ = message.param(0);
    } else if (command == "471" || command == "473" || command == "474" || command == "475" || command == "403" ||
               command == "405") {
        SYLK_LOG(LOG_WARN, kLog, "%s refused to let %s join %s: %s %s", settings_.host.c_str(), nick_.c_str(),
                 settings_.channel.c_str(), command.c_str(), message.params.empty() ? "" : message.params.back().c_str());
        lastError_ = command + " " + (message.params.empty() ? "" : message.params.back());
        std::weak_ptr<Client> weak = shared_from_this();
        retryTimer_ = thread_.after(backoff_, [weak] {
            if (auto self = weak.lock(); self && self->state_ == State::Joining)
                self->joinChannel();
        });
        backoff_ = std::min(backoff_ * 2, settings_.backoffMax);
    }
}

void Client::onRegistered(const Message& message) {
    if (!message.param(0).empty())
        nick_ = message.param(0);
    backoff_ = settings_.backoffMin;
    retryAtOnce_ = false;
    lastError_.clear();
    SYLK_LOG(LOG_INFO, kLog, "registered with %s as %s", settings_.host.c_str(), nick_.c_str());
    joinChannel();
}

void Client::joinChannel() {
    state_ = State::Joining;
    stateSince_ = now();
    names_.clear();
    if (settings_.channelKey.empty())
        write(Message{"", "JOIN", {settings_.channel}});
    else
        write(Message{"", "JOIN", {settings_.channel, settings_.channelKey}});
}

void Client::onNickRefused(const Message& message) {
    if (state_ != State::Registering)
        return;
    // Our nicks are valid (the configuration is checked), so the server finds it too long: RFC
    // 1459's 9 bytes are taken everywhere; below that, one byte less each time.
    std::string refused = message.param(1).empty() ? nick_ : message.param(1);
    size_t shorter = refused.size() > kClassicNickLength ? kClassicNickLength : refused.size() - 1;
    // ngircd says how long a nick may be ("Nickname too long, max. 12 characters"): take that.
    const std::string& why = message.params.empty() ? nick_ : message.params.back();
    size_t max = why.find("max");
    size_t digits = max == std::string::npos ? std::string::npos : why.find_first_of("0123456789", max);
    if (digits != std::string::npos) {
        size_t stated = std::strtoul(why.c_str() + digits, nullptr, 10);
        if (stated > 0 && stated < refused.size())
            shorter = stated;
    }
    if (shorter == 0) {
        lastError_ = "the server refuses every nick";
        return;
    }
    nickLimit_ = std::min(nickLimit_, shorter);
    retryAtOnce_ = true;
    SYLK_LOG(LOG_INFO, kLog, "%s refused the nick %s (432): trying %zu bytes", settings_.host.c_str(), refused.c_str(),
             nickLimit_);
    tryNick();
}

void Client::onNames(const Message& message) {
    // 353 me = #channel :@op +voiced plain
    if (state_ != State::Joining || !sameName(message.param(2), settings_.channel))
        return;
    std::string_view list = message.param(3);
    while (!list.empty()) {
        size_t space = list.find(' ');
        std::string_view entry = list.substr(0, space);
        list.remove_prefix(space == std::string_view::npos ? list.size() : space + 1);
        size_t start = entry.find_first_not_of("@+%&~!");
        if (start == std::string_view::npos)
            continue;
        std::string nick(entry.substr(start));
        if (!sameName(nick, nick_))
            names_.push_back(nick);
    }
}

void Client::onNamesEnd() {
    if (state_ != State::Joining)
        return;
    state_ = State::InChannel;
    stateSince_ = now();
    users_.clear();
    for (const auto& nick : names_)
        users_[lowerName(nick)] = nick;
    std::vector<std::string> nicks;
    for (const auto& [lower, nick] : users_)
        nicks.push_back(nick);
    SYLK_LOG(LOG_INFO, kLog, "%s is in %s on %s with %zu others; %zu lines queued", nick_.c_str(),
             settings_.channel.c_str(), settings_.host.c_str(), nicks.size(), pending_.size());
    if (events_.inChannel)
        events_.inChannel(nicks);
    pump();
}

void Client::onJoin(const Message& message) {
    if (!sameName(message.param(0), settings_.channel))
        return;
    std::string nick = message.nick();
    if (sameName(nick, nick_) || state_ != State::InChannel)
        return;  // ours: NAMES follows
    if (users_.emplace(lowerName(nick), nick).second && events_.userJoined)
        events_.userJoined(nick);
}

void Client::onPart(const std::string&, const std::string& nick) {
    if (sameName(nick, nick_)) {
        leftChannel("parted");
        return;
    }
    removeUser(nick);
}

void Client::onKick(const Message& message) {
    if (!sameName(message.param(0), settings_.channel))
        return;
    if (sameName(message.param(1), nick_)) {
        leftChannel("kicked by " + message.nick());
        return;
    }
    removeUser(message.param(1));
}

void Client::leftChannel(const std::string& why) {
    bool was = state_ == State::InChannel;
    users_.clear();
    written_ = 0;
    SYLK_LOG(LOG_WARN, kLog, "%s is out of %s (%s): joining again", nick_.c_str(), settings_.channel.c_str(), why.c_str());
    state_ = State::Joining;
    if (was && events_.outOfChannel)
        events_.outOfChannel(why);
    std::weak_ptr<Client> weak = shared_from_this();
    retryTimer_ = thread_.after(backoff_, [weak] {
        if (auto self = weak.lock(); self && self->state_ == State::Joining)
            self->joinChannel();
    });
}

void Client::onQuit(const Message& message) { removeUser(message.nick()); }

void Client::removeUser(const std::string& nick) {
    if (users_.erase(lowerName(nick)) && events_.userLeft)
        events_.userLeft(nick);
}

void Client::onNickChange(const Message& message) {
    std::string from = message.nick();
    const std::string& to = message.param(0);
    if (to.empty())
        return;
    if (sameName(from, nick_)) {
        nick_ = to;
        return;
    }
    auto found = users_.find(lowerName(from));
    if (found == users_.end())
        return;
    users_.erase(found);
    users_[lowerName(to)] = to;
    if (events_.nickChanged)
        events_.nickChanged(from, to);
}

void Client::onPrivmsg(const Message& message) {
    const std::string& target = message.param(0);
    std::string text = message.param(1);
    std::string nick = message.nick();
    bool ctcp = text.size() >= 2 && text.front() == '\x01';
    if (sameName(target, settings_.channel)) {
        if (ctcp) {
            // Only ACTION (/me) is chat; other CTCP requests in a channel are for clients.
            if (text.rfind("\x01" "ACTION ", 0) != 0)
                return;
            text = "/me " + text.substr(8, text.back() == '\x01' ? text.size() - 9 : std::string::npos);
        }
        if (!text.empty() && events_.channelMessage)
            events_.channelMessage(nick, text);
        return;
    }
    // To the bot itself. A flood of private messages gets no answer beyond the bucket's.
    if (sameName(target, nick_) && !ctcp && !settings_.privateReply.empty() && bucket_.take(now()))
        write(Message{"", "NOTICE", {nick, settings_.privateReply}});
}

void Client::onPong(const Message& message) {
    const std::string& token = message.params.empty() ? std::string() : message.params.back();
    if (token.rfind(kConfirmPrefix, 0) != 0)
        return;
    uint64_t confirmed = std::strtoull(token.c_str() + sizeof(kConfirmPrefix) - 1, nullptr, 10);
    while (!pending_.empty() && firstSequence_ <= confirmed && written_ > 0) {
        pending_.pop_front();
        ++firstSequence_;
        --written_;
    }
}

bool Client::say(const std::vector<std::string>& lines) {
    if (state_ == State::Stopping || state_ == State::Stopped)
        return false;
    if (pending_.size() + lines.size() > settings_.maxQueued) {
        droppedLines_ += lines.size();
        return false;
    }
    for (const auto& line : lines)
        pending_.push_back(line);
    pump();
    return true;
}

void Client::pump() {
    if (state_ != State::InChannel || !stream_)
        return;
    size_t before = written_;
    while (written_ < pending_.size()) {
        auto wait = bucket_.wait(now());
        if (wait.count() > 0) {
            if (!pumpTimer_.active()) {
                std::weak_ptr<Client> weak = shared_from_this();
                pumpTimer_ = thread_.after(wait, [weak] {
                    if (auto self = weak.lock())
                        self->pump();
                });
            }
            break;
        }
        bucket_.take(now());
        write(Message{"", "PRIVMSG", {settings_.channel, pending_[written_]}});
        ++written_;
        ++sentLines_;
    }
    // The server answers PINGs in order: its PONG says every line before it was taken.
    if (written_ > before)
        write(Message{"", "PING", {kConfirmPrefix + std::to_string(firstSequence_ + written_ - 1)}});
}

void Client::onTick() {
    auto since = now() - lastHeard_;
    bool connecting = state_ == State::Connecting || state_ == State::Registering;
    if (connecting && now() - stateSince_ > settings_.timeout) {
        if (stream_)
            stream_->abort();
        lost("no registration within the timeout");
        return;
    }
    if (state_ != State::Joining && state_ != State::InChannel)
        return;
    if (since > settings_.timeout) {
        if (stream_)
            stream_->abort();
        lost("the server went silent");
    } else if (since > settings_.timeout / 2 && !pingOutstanding_) {
        pingOutstanding_ = true;
        write(Message{"", "PING", {"keepalive"}});
    }
}

void Client::lost(const std::string& why) {
    if (state_ == State::Stopping) {
        finishStop();
        return;
    }
    if (state_ == State::Waiting || state_ == State::Stopped || state_ == State::Idle)
        return;
    bool wasInChannel = state_ == State::InChannel;
    if (lastError_.empty() || why != "the server closed the connection")
        lastError_ = why;
    // The stream reported this from inside itself: it goes on the next turn of the loop.
    thread_.post([stream = std::move(stream_)]() mutable { stream.reset(); });
    stream_.reset();
    written_ = 0;  // what was not confirmed is sent again
    users_.clear();
    pumpTimer_.cancel();
    state_ = State::Waiting;
    // A nick refused while registering: the server hangs up, and a shorter one is tried at once.
    auto delay = retryAtOnce_ ? settings_.backoffMin : backoff_;
    retryAtOnce_ = false;
    SYLK_LOG(LOG_WARN, kLog, "lost %s:%u (%s); %zu lines kept; connecting again in %lld ms", settings_.host.c_str(),
             settings_.port, why.c_str(), pending_.size(), static_cast<long long>(delay.count()));
    if (wasInChannel && events_.outOfChannel)
        events_.outOfChannel(why);
    retry(delay);
    backoff_ = std::min(backoff_ * 2, settings_.backoffMax);
}

void Client::retry(std::chrono::milliseconds delay) {
    std::weak_ptr<Client> weak = shared_from_this();
    retryTimer_ = thread_.after(delay, [weak] {
        if (auto self = weak.lock(); self && self->state_ == State::Waiting)
            self->connect();
    });
}

void Client::stop() {
    if (state_ == State::Stopping || state_ == State::Stopped)
        return;
    events_ = ClientEvents{};
    retryTimer_.cancel();
    pumpTimer_.cancel();
    tick_.cancel();
    if (!stream_) {
        state_ = State::Stopped;
        return;
    }
    if (state_ == State::InChannel) {
        // The room ended: what it said last still goes, past the bucket (the server may delay it).
        for (; written_ < pending_.size(); ++written_, ++sentLines_)
            write(Message{"", "PRIVMSG", {settings_.channel, pending_[written_]}});
    }
    if (state_ != State::Connecting)
        write(Message{"", "QUIT", {settings_.quitMessage}});
    state_ = State::Stopping;
    selfWhileStopping_ = shared_from_this();
    ++lingeringClients;
    stream_->close();
    std::weak_ptr<Client> weak = selfWhileStopping_;
    stopTimer_ = thread_.after(kStopGrace, [weak] {
        if (auto self = weak.lock())
            self->finishStop();
    });
}

void Client::finishStop() {
    if (state_ != State::Stopping)
        return;
    state_ = State::Stopped;
    --lingeringClients;
    stopTimer_.cancel();
    if (stream_)
        stream_->abort();
    thread_.post([stream = std::move(stream_), self = std::move(selfWhileStopping_)]() mutable {
        stream.reset();
        self.reset();
    });
}

int Client::lingering() { return lingeringClients.load(); }

Json Client::status() const {
    Json status = Json::object();
    status.set("server", settings_.host)
        .set("port", static_cast<json_int_t>(settings_.port))
        .setBool("tls", settings_.tls.enabled)
        .set("channel", settings_.channel)
        .set("nick", nick_)
        .set("state", stateName(state_))
        .set("users", static_cast<json_int_t>(users_.size()))
        .set("queued", static_cast<json_int_t>(pending_.size()))
        .set("sent_lines", static_cast<json_int_t>(sentLines_))
        .set("received_lines", static_cast<json_int_t>(receivedLines_))
        .set("dropped_lines", static_cast<json_int_t>(droppedLines_))
        .set("connections", static_cast<json_int_t>(connections_));
    if (!lastError_.empty())
        status.set("last_error", lastError_);
    return status;
}

}  // namespace sylk::irc
