// One IRC bot in one channel, on a net::StackThread over a net::TcpStream (TLS optional): the
// client side of RFC 2812 that a room bridge needs, and nothing more.
//
// - Registration (PASS, NICK, USER); a nick in use (433, 436) is retried with a number suffix,
//   a nick the server refuses (432: too long) is retried shorter (the length the server states,
//   else 9 bytes, then one less each time); NICKLEN of 005 is remembered for later attempts. Then JOIN, and the channel's users
//   from NAMES.
// - The channel's users are tracked through JOIN, PART, KICK, QUIT and NICK and reported.
// - Lines for the channel are queued and sent through a token bucket (flood control). A line
//   leaves the queue only once the server answered a PING sent after it, so a connection lost
//   with lines in flight sends them again on the next one: nothing the room handed over is lost
//   (a line may, rarely, arrive twice: IRC has no acknowledgement to do better).
// - A lost connection (refused, closed, ERROR, silence past the timeout) is retried with a
//   backoff that doubles from backoffMin to backoffMax; registering resets it.
// - Private messages get privateReply as a NOTICE (throttled: a flood of them is not answered).
//
// Everything runs on the stack thread, events included. The owner's shared_ptr keeps the
// client; stop() sends what is queued and QUIT, and the client keeps itself until the server
// closed (at most 2 s), so the owner may drop it at once.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../api.hpp"
#include "../json.hpp"
#include "../net/stack_thread.hpp"
#include "../net/tcp_stream.hpp"
#include "client_settings.hpp"
#include "line_reader.hpp"
#include "message.hpp"
#include "token_bucket.hpp"

namespace sylk::irc {

struct ClientEvents {
    // In the channel (again): everyone there but the bot, from NAMES.
    std::function<void(const std::vector<std::string>& nicks)> inChannel;
    std::function<void(const std::string& nick)> userJoined;
    std::function<void(const std::string& nick)> userLeft;  // PART, KICK, QUIT
    std::function<void(const std::string& from, const std::string& to)> nickChanged;
    std::function<void(const std::string& nick, const std::string& text)> channelMessage;
    // Out of the channel (connection lost, kicked): its users are unknown until inChannel.
    std::function<void(const std::string& why)> outOfChannel;
};

class SYLK_API Client : public std::enable_shared_from_this<Client> {
    struct Private {};

public:
    static std::shared_ptr<Client> create(net::StackThread& thread, ClientSettings settings, ClientEvents events);
    Client(Private, net::StackThread& thread, ClientSettings settings, ClientEvents events);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void start();
    // Queues lines for the channel (each short enough: splitText); false, and nothing queued,
    // when they do not fit in maxQueued.
    bool say(const std::vector<std::string>& lines);
    // Sends what is queued and QUIT, then closes. No event after it.
    void stop();

    // Clients between stop() and the server's close, process-wide: a plugin stopping waits
    // (briefly) for none to be left, so the QUITs go out and nothing is left holding itself.
    static int lingering();

    const std::string& nick() const { return nick_; }
    bool inChannel() const { return state_ == State::InChannel; }
    size_t queued() const { return pending_.size(); }
    Json status() const;

private:
    enum class State { Idle, Connecting, Registering, Joining, InChannel, Waiting, Stopping, Stopped };
    static const char* stateName(State state);

    void connect();
    void onConnected();
    void onReceived(const uint8_t* data, size_t size);
    void handle(const Message& message);
    void lost(const std::string& why);
    void retry(std::chrono::milliseconds delay);
    void write(const Message& message);
    void tryNick();
    void joinChannel();
    void onRegistered(const Message& message);
    void onNickRefused(const Message& message);
    void onNames(const Message& message);
    void onNamesEnd();
    void onJoin(const Message& message);
    void onPart(const std::string& channel, const std::string& nick);
    void onKick(const Message& message);
    void onQuit(const Message& message);
    void onNickChange(const Message& message);
    void onPrivmsg(const Message& message);
    void onPong(const Message& message);
    void onTick();
    void pump();
    void leftChannel(const std::string& why);
    void finishStop();
    void removeUser(const std::string& nick);

    net::StackThread& thread_;
    ClientSettings settings_;
    ClientEvents events_;
    State state_ = State::Idle;
    std::shared_ptr<net::TcpStream> stream_;
    LineReader reader_;
    TokenBucket bucket_;
    std::string nick_;
    unsigned nickAttempt_ = 0;
    size_t nickLimit_ = 64;  // what the server takes; lowered by 432, set by 005 NICKLEN
    std::map<std::string, std::string> users_;  // lowerName -> nick, the bot excluded
    std::vector<std::string> names_;            // NAMES being gathered
    std::deque<std::string> pending_;           // channel lines not yet confirmed
    uint64_t firstSequence_ = 1;                // of pending_.front()
    size_t written_ = 0;                        // pending_ lines written on this connection
    std::chrono::milliseconds backoff_;
    std::chrono::steady_clock::time_point lastHeard_;
    std::chrono::steady_clock::time_point stateSince_;
    bool pingOutstanding_ = false;
    bool retryAtOnce_ = false;  // a 432 hang-up: the shorter nick is tried without backoff
    net::SourceHandle retryTimer_;
    net::SourceHandle pumpTimer_;
    net::SourceHandle tick_;
    net::SourceHandle stopTimer_;
    std::shared_ptr<Client> selfWhileStopping_;
    std::string lastError_;
    uint64_t sentLines_ = 0;
    uint64_t receivedLines_ = 0;
    uint64_t droppedLines_ = 0;
    uint64_t connections_ = 0;
};

}  // namespace sylk::irc
