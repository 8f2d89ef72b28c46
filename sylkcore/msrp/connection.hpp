// One MSRP connection (a TcpStream, plain or TLS) of a Stack: reads frames with a Parser, sends
// requests as transactions (a response or a timeout ends each), answers requests it cannot hand
// to a session (481 unknown session, 400 malformed headers, 501 unknown method) and routes the
// rest by the first To-Path URI's session id. A framing error closes this connection only.
// Stack thread only. The relay client uses it directly (AUTH); sessions share it (RFC 4975
// connection reuse).
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "deadline_queue.hpp"
#include "message.hpp"
#include "parser.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/net/source_handle.hpp"
#include "sylkcore/net/tcp_stream.hpp"

namespace sylk::msrp {

class Stack;
class Session;

class SYLK_API Connection : public std::enable_shared_from_this<Connection> {
    struct Private {};

public:
    // The response, or nullptr when none came (timeout, connection gone): why.
    using ResponseCallback = std::function<void(const Message* response, const std::string& why)>;

    // Made by the Stack. key: "tcp host:port" of the hop we connected to, "" for accepted ones.
    Connection(Private, Stack& stack, std::shared_ptr<net::TcpStream> stream, bool secure, std::string key);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Sends a request (a transaction id is set when empty). The callback runs once.
    void sendRequest(Message request, ResponseCallback callback);
    // A chunk whose body is a file range, at offset `at` of its wire form (frame holds the
    // rest): the range goes with net::TcpStream::writeFile.
    struct FileBody {
        size_t at = 0;
        int fd = -1;
        uint64_t offset = 0;
        size_t length = 0;
        std::shared_ptr<const void> keep;
    };
    // The same for a request already in its wire form, whose transaction id is transactionId
    // (and whose body is file's, when given).
    void sendFrame(std::string transactionId, std::string frame, ResponseCallback callback,
                   const FileBody* file = nullptr);
    // Writes a frame without waiting for anything (responses, REPORTs, chunks without reports).
    bool write(const Message& frame);
    bool writeFrame(std::string_view frame, const FileBody* file = nullptr);  // already in its wire form
    bool writable() const;  // below the stream's high-water mark
    bool isOpen() const { return open_; }
    bool connected() const { return connected_; }
    bool secure() const { return secure_; }
    const std::string& key() const { return key_; }
    std::string peerAddress() const;
    std::string peerFingerprint() const;
    // TCP keepalive is on for the socket (StackConfig::keepalive; false before connected).
    bool keepalive() const;
    // Sets TCP_NODELAY: what is written goes out at once instead of waiting (Nagle) for the
    // peer's ACK of what went before, which a receiver that has nothing to send delays by up to
    // 40 ms. A connection carrying a file gets it (Session, writeFrame with a file body): an
    // upload's success REPORT after its last chunk's 200s waited 33-38 ms for it, a third of a
    // 50 MB upload here. Chat-only connections keep Nagle (the switch's fan-out is tuned with it).
    void sendWithoutDelay();
    // TCP_NODELAY is on for the socket (false before connected).
    bool sendsWithoutDelay() const;
    // Kept open without sessions (the relay client's connection); otherwise an idle connection
    // closes after StackConfig::bindTimeout.
    void keepOpen(bool keep);
    // Closes at once; its sessions close with why.
    void close(const std::string& why);

private:
    friend class Stack;
    friend class Session;
    struct Pending {
        ResponseCallback callback;
        DeadlineQueue::Token deadline = 0;  // in deadlines_
    };

    static std::shared_ptr<Connection> make(Stack& stack, std::shared_ptr<net::TcpStream> stream, bool secure,
                                            std::string key);
    net::StreamEvents events();
    void onConnected();
    void onReceived(const uint8_t* data, size_t size);
    void onDrained();
    void handle(Message& frame);
    void handleResponse(const Message& response);
    void handleRequest(Message& request);
    void answer(const Message& request, int status, const std::string& comment);
    // A request for a session that waits for its peer's path (we offered, the answer is on its
    // way through SIP while the peer already connects): it and everything after it on this
    // connection wait, reading paused, until the session gets its path or ends, or bindTimeout.
    void holdForRemote(Message& request, Session& session);
    // From the loop: handles the held requests in order and reads on. After a timeout nothing is
    // held again (a session that never got its path answers 481).
    void releaseHeld(bool expired);
    void attach(Session* session);
    void detach(Session* session);
    void armIdleTimer();
    // One timer for all pending transactions: set for the earliest deadline while any is queued.
    void armDeadlineTimer();
    void expireTransactions();
    void fail(const std::string& why);
    void applyKeepalive();

    Stack& stack_;
    std::shared_ptr<net::TcpStream> stream_;
    bool secure_;
    std::string key_;
    std::string pin_;  // the fingerprint we pinned connecting ("" for none, accepted ones)
    Parser parser_;
    bool open_ = true;
    bool connected_ = false;
    bool keep_ = false;
    bool noDelay_ = false;  // sendWithoutDelay() done
    // Hashed: under a backlog a connection holds thousands of transactions (a tree was a cache
    // miss per level on every send and response).
    std::unordered_map<std::string, Pending> pending_;  // by transaction id
    DeadlineQueue deadlines_;                 // their timeouts, by the same ids
    net::SourceHandle deadlineTimer_;
    std::set<Session*> sessions_;
    std::vector<std::function<void(const std::string& error)>> waiting_;  // connect() callers
    net::SourceHandle idle_;
    std::deque<Message> held_;  // holdForRemote: in arrival order
    net::SourceHandle heldTimer_;
    bool mayHold_ = true;
};

}  // namespace sylk::msrp
