// What a Session is made with, and what goes through it: the setup (remote path, role, media
// attributes the SDP negotiated), an outgoing message, an incoming reassembled message and the
// final outcome of a send.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "message.hpp"
#include "uri.hpp"

namespace sylk::msrp {

// RFC 6135 a=setup, resolved: Active connects (or reuses a connection) and sends first,
// Passive waits for the peer's first request to bind the session.
enum class Role { Active, Passive };

struct SessionSetup {
    // The peer's a=path: relays first, the peer's own URI last. Empty when not known yet (we
    // make the offer): Session::setRemote gives it later.
    std::vector<Uri> remotePath;
    Role role = Role::Active;
    // Our URI is msrps (the stack's TLS listener) instead of msrp.
    bool secure = false;
    // a=accept-types / a=accept-wrapped-types we announced: a SEND whose Content-Type is not
    // among acceptTypes is refused with 415 on its first chunk. "*" accepts any; "text/*" any
    // text. Empty: accept anything.
    std::vector<std::string> acceptTypes;
    std::vector<std::string> acceptWrappedTypes;
    // Biggest incoming message (bytes; 0: the stack's default). Bigger: 413, the connection stays.
    uint64_t maxMessageSize = 0;
    // Outgoing chunk size (0: the stack's default, 2048).
    size_t chunkSize = 0;
    // msrps Active: the peer's a=fingerprint to pin ("sha-256 AB:CD:..."); "" checks nothing more
    // than TLS itself (no CA: MSRP peers are self-signed).
    std::string fingerprint;
    // The 200 to a message's last chunk (and its Success-Report) waits for the handler's
    // Session::answerHeld: the receiver stores the message first (a journal), so that a sender
    // that forgets a message on our 200 never loses it. Whole messages only (not streamed ones).
    bool holdLastAnswer = false;
};

enum class Report { No, Yes, Partial };

struct SendOutcome {
    std::string messageId;
    // 200: delivered (a 200 to every chunk, and the Success-Report when one was asked);
    // otherwise the failing status (a response's, a Failure-Report's), 408 for a transaction
    // timeout, 481 when the session closed first, 499 when aborted by abort().
    int status = 200;
    std::string comment;
};

struct OutgoingMessage {
    std::string contentType = "text/plain";
    std::string body;
    // A large message (a file) read as it is sent instead of held: size bytes, read(offset, max)
    // returns up to max bytes from offset ("" for an error: the message is aborted with '#').
    // When set, body is ignored.
    std::function<std::string(uint64_t offset, size_t max)> read;
    // Or a file's bytes (size bytes from its start): fileFd open for reading, held open by
    // fileKeep while the stack may still send from it. The chunks' bodies then go from the file
    // to the socket (net::TcpStream::writeFile: sendfile() on plain TCP, no copy in user space);
    // fileTaken(end) is called as each chunk is written (progress). Takes precedence over read
    // and body. A file that cannot be read, or is shorter than size, fails the connection (the
    // chunk's headers went out already), where read's "" ends the message with '#'.
    int fileFd = -1;
    std::shared_ptr<const void> fileKeep;
    std::function<void(uint64_t end)> fileTaken;
    uint64_t size = 0;
    std::string messageId;  // "" picks a fresh one; send() returns it
    std::vector<Message::Header> headers;  // more headers for the first chunk and the rest
    bool successReport = false;
    Report failureReport = Report::Yes;
    // The outcome, once (stack thread). Failure-Report 'no': done (200) once the last chunk is
    // written; 'partial': a failure when a REPORT or response says so, else 200 once a
    // transaction's time (30 s) has passed after the last chunk without one.
    std::function<void(const SendOutcome&)> done;
};

struct IncomingMessage {
    std::string messageId;
    std::string contentType;  // as Content-Type said, parameters included
    std::string body;         // "" when the handler streamed it (SessionHandler::streams)
    uint64_t size = 0;
    std::vector<Message::Header> headers;  // the first chunk's headers (besides the paths)
};

}  // namespace sylk::msrp
