// One MSRP session (RFC 4975): our URI with a random session id, the peer's path, and the
// messages both ways. Outgoing messages are cut into SEND chunks (Byte-Range, '+' then '$',
// '#' when aborted) and queued with a bound (sendable(), SessionHandler::onDrained); incoming
// chunks are reassembled by Message-ID and Byte-Range (out of order, duplicates ignored) and
// REPORTs are sent and read as Success-Report/Failure-Report ask. Made by Stack::createSession;
// stack thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include "incoming_assembly.hpp"
#include "message.hpp"
#include "session_handler.hpp"
#include "session_setup.hpp"
#include "sylkcore/api.hpp"
#include "sylkcore/net/source_handle.hpp"
#include "uri.hpp"

namespace sylk::msrp {

class Stack;
class Connection;

class SYLK_API Session : public std::enable_shared_from_this<Session> {
    struct Private {};

public:
    Session(Private, Stack& stack, SessionSetup setup, SessionHandler& handler, std::string id);
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    const std::string& id() const { return id_; }
    // Our URI (msrp or msrps, the stack's advertised host and port, our session id), known at
    // once so that an SDP answer can carry it before any connection exists.
    const Uri& localUri() const { return localUri_; }
    // a=path: the relay's Use-Path this session announced (the stack's when it was made, or the
    // one Stack::setUsePath moved it to) followed by localUri().
    std::vector<Uri> localPath() const;
    // The session now announces (and sends through) usePath: true when that changed its path.
    // Sessions made without a relay stay without one. Stack::setUsePath calls it.
    bool moveToUsePath(const std::vector<Uri>& usePath);
    const SessionSetup& setup() const { return setup_; }
    const std::vector<Uri>& remotePath() const { return setup_.remotePath; }
    bool bound() const { return connection_ != nullptr; }
    bool isOpen() const { return open_; }
    // The connection's peer ("address:port"), "" before binding.
    std::string peerAddress() const;
    // The connection the session is bound to (shared with other sessions), null before.
    std::shared_ptr<Connection> connection() const { return connection_; }

    // The peer's path once it is known (the SDP answer, when we made the offer): a session made
    // without one starts only now (Active: connects; Passive: waits). Once only; false after.
    bool setRemote(std::vector<Uri> remotePath, Role role, std::string fingerprint = "");

    // Queues a message (sent once bound). Returns its Message-ID, or "" when refused: the session
    // is closed, or the queue is full (!sendable()). Throws std::invalid_argument for a
    // Message-ID that is not an RFC 4975 ident (4-32 characters) or is still being sent, or a
    // header or Content-Type with a line break.
    std::string send(OutgoingMessage message);
    // Stops an outgoing message: its next chunk ends with '#' (RFC 4975 §7.1.4), done reports
    // 499. False when no such message is still being sent.
    bool abort(const std::string& messageId);
    // Another request in this session (NICKNAME, ...), with our paths; the callback gets the
    // response (nullptr: none, why). Throws std::invalid_argument for a method that is not
    // upper-case letters or a header with a line break.
    void sendRequest(const std::string& method, std::vector<Message::Header> headers, std::string contentType,
                     std::string body, std::function<void(const Message* response, const std::string& why)> callback);

    // Backpressure: held outgoing bytes are below StackConfig::sendQueueBytes.
    bool sendable() const;
    size_t queuedBytes() const { return queuedBytes_; }

    // Ends the session without calling the handler again; messages still queued fail (481).
    void close();

    // SessionSetup::holdLastAnswer: answers the held last chunk of the message onMessage gave
    // (200, or a failure such as 500 when it could not be stored) and sends its report (the
    // Success-Report if asked, a Failure-Report unless refused). False when nothing is held
    // under that id (answered already, or the session closed).
    bool answerHeld(const std::string& messageId, int status);

private:
    friend class Stack;
    friend class Connection;
    struct Outgoing {
        OutgoingMessage message;
        uint64_t size = 0;
        uint64_t sent = 0;           // bytes written in chunks so far
        size_t chunksUnanswered = 0;  // chunks whose response has not come
        bool aborted = false;
        bool allWritten = false;
        bool finished = false;       // done called
        net::SourceHandle quiet;     // Failure-Report partial: no failure by then means delivered
    };

    static std::shared_ptr<Session> make(Stack& stack, SessionSetup setup, SessionHandler& handler, std::string id);
    void start();
    void connectFirstHop();
    void bind(const std::shared_ptr<Connection>& connection);
    void connectionLost(const std::string& why);
    // A request routed here by the connection (bound to it); the session answers it.
    void receive(Message& request);
    void receiveSend(Message& request);
    void receiveReport(const Message& report);
    // Answers a chunk with a failure status, reports it (unless Failure-Report: no) and drops
    // what was gathered of its message.
    void refuse(const Message& request, int status, const ByteRange& range);
    int refusedStatus(const std::string& messageId) const;  // 0: not refused
    void pump();
    // Once: pump() again from the loop (a turn's bytes were written and more is queued).
    void pumpLater();
    size_t writeNextChunk();  // the frame's bytes
    void chunkAnswered(const std::string& messageId, const Message* response, const std::string& why);
    void finish(const std::string& messageId, int status, const std::string& comment);
    void sendReport(const Message& request, int status, const std::string& comment, const ByteRange& range);
    void sendBindingRequest();
    // Ends the session; release() without, fail() with the handler's onClosed.
    void release(int status, const std::string& comment);
    void fail(const std::string& why);
    std::vector<Uri> toPath() const;
    // toPath() and localUri_ as written in To-Path / From-Path, kept: every chunk sent writes them.
    const std::string& toPathText();
    // Made without the peer's path and not given it yet (setRemote), still open.
    bool awaitsRemote() const { return open_ && !started_ && setup_.remotePath.empty(); }
    // Tells the connections holding requests for this session (Connection::holdForRemote) to
    // go on, from the loop: the path came, or the session ended.
    void releaseWaitingPeers();
    bool fromPathMatches(const std::vector<Uri>& fromPath) const;
    // A connection the peer opened to our msrps listener may bind this session only with the
    // certificate the peer's a=fingerprint named (none named: any, as TLS alone allows).
    bool acceptsPeerOf(const Connection& connection) const;
    bool accepts(const std::string& contentType) const;

    Stack& stack_;
    SessionSetup setup_;
    SessionHandler& handler_;
    std::string id_;
    std::vector<Uri> usePath_;  // the relay's Use-Path this session announced (empty: none)
    Uri localUri_;
    bool open_ = true;
    std::shared_ptr<Connection> connection_;
    std::deque<std::shared_ptr<Outgoing>> queue_;           // not yet fully written, in order
    std::unordered_map<std::string, std::shared_ptr<Outgoing>> sending_;  // by Message-ID, until finished
    size_t queuedBytes_ = 0;
    bool wasSendable_ = true;
    bool pumpPosted_ = false;
    bool started_ = false;
    bool bindingSent_ = false;
    std::map<std::string, IncomingAssembly> incoming_;  // by Message-ID
    // Messages refused (413, 415) lately: their later chunks are refused without a new REPORT.
    std::deque<std::pair<std::string, int>> refused_;
    // Messages delivered lately: a chunk of one again (a retransmission) is answered and ignored.
    std::deque<std::string> delivered_;
    // holdLastAnswer: the last chunks waiting for answerHeld (body dropped), by Message-ID;
    // size is the whole message's, for the Success-Report's Byte-Range.
    struct Held {
        Message lastChunk;
        uint64_t size = 0;
    };
    std::map<std::string, Held> held_;
    net::SourceHandle bindTimer_;
    std::vector<std::weak_ptr<Connection>> waitingPeers_;  // holding requests for us
    std::string toPathText_;
    std::string fromPathText_;
};

}  // namespace sylk::msrp
