// What a Session reports to whoever owns it (the msrp plugin's switch, a test), on the stack
// thread. The handler must outlive the session or close it first: after Session::close() (or
// onClosed) nothing more is called. Nothing is called before Stack::createSession (or
// Session::setRemote) has returned.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "message.hpp"
#include "session_setup.hpp"

namespace sylk::msrp {

class Session;

class SessionHandler {
public:
    virtual ~SessionHandler() = default;

    // The session has a connection and the peer is known (Active: connected; Passive: the
    // peer's first request matched).
    virtual void onBound(Session&) {}
    // A complete SEND (all chunks reassembled). The stack has already answered every chunk
    // with 200 and sends the Success-Report itself when asked.
    virtual void onMessage(Session& session, IncomingMessage message) = 0;
    // The first chunk of a new incoming SEND, after the stack's own checks (size, accepted
    // types) and before any answer: a status other than 200 refuses the whole message with it
    // (this chunk and later ones; a REPORT unless Failure-Report: no). Lets a receiver refuse
    // what it can judge from the start (a forged CPIM sender: 403) instead of answering 200 and
    // dropping it silently.
    virtual int admit(Session&, const Message& /*firstChunk*/) { return 200; }
    // A request other than SEND and REPORT (NICKNAME, ...): returns the status to answer
    // (200, 425, ...); the default refuses it as unknown.
    virtual int onRequest(Session&, const Message&) { return 501; }
    // A REPORT the peer sent for one of our messages (send()'s done already reflects it).
    virtual void onReport(Session&, const Message&) {}
    // Bytes of a large incoming message received so far (total when Byte-Range says it).
    virtual void onProgress(Session&, const std::string& /*messageId*/, uint64_t /*received*/,
                            std::optional<uint64_t> /*total*/) {}
    // An incoming message the peer aborted ('#') or that failed (too big, wrong type): dropped.
    virtual void onDropped(Session&, const std::string& /*messageId*/, int /*status*/) {}
    // Large messages kept elsewhere (files): true for a message's first chunk makes its data go
    // to onData (each range once, in arrival order, offset from 0) instead of being held; its
    // onMessage then comes with an empty body. The data is the handler's (moved out of the chunk
    // when it is all new: a file's bytes are not copied on the stack thread to be kept).
    virtual bool streams(Session&, const Message& /*firstChunk*/) { return false; }
    virtual void onData(Session&, const std::string& /*messageId*/, uint64_t /*offset*/, std::string /*data*/) {}
    // The queue of outgoing bytes went below its bound again (Session::sendable()).
    virtual void onDrained(Session&) {}
    // The session ended (its connection failed, the peer never came, a transaction timed
    // out...): why. Not called after Session::close().
    virtual void onClosed(Session& session, const std::string& reason) = 0;
};

}  // namespace sylk::msrp
