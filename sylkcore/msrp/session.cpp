#include "session.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>

#include "connection.hpp"
#include "stack.hpp"
#include "sylkcore/log.hpp"
#include "text.hpp"

namespace sylk::msrp {

namespace {

constexpr const char* kLog = "msrp";
// Message-IDs remembered as refused or delivered, for the chunks that still come for them.
constexpr size_t kRememberedIds = 64;
// Incoming messages of one session being put together at the same time.
constexpr size_t kIncomingAtOnce = 16;

const char* reasonOf(int status) {
    switch (status) {
        case 200: return "OK";
        case 400: return "Bad Request";
        case 403: return "Forbidden";
        case 408: return "Request Timeout";
        case 413: return "Message Too Large";
        case 415: return "Unsupported Media Type";
        case 423: return "Interval Out Of Bounds";
        case 425: return "Nickname Not Allowed";
        case 481: return "Session Does Not Exist";
        case 501: return "Not Implemented";
        case 506: return "Wrong Session";
        default: return "Error";
    }
}

// A REPORT's Status header: "000 200 OK" (namespace 000, RFC 4975 §9).
std::pair<int, std::string> statusOf(const std::string& value) {
    std::string_view text = text::trimmed(value);
    if (text.size() < 7 || text.substr(0, 4) != "000 ")
        return {0, ""};
    auto code = text::decimal(text.substr(4, 3));
    if (!code)
        return {0, ""};
    return {static_cast<int>(*code), std::string(text::trimmed(text.substr(7)))};
}

const char* failureReportValue(Report report) {
    switch (report) {
        case Report::No: return "no";
        case Report::Partial: return "partial";
        case Report::Yes: return "yes";
    }
    return "yes";
}

// RFC 4975's ident: what Message-IDs and transaction ids are made of.
bool isIdent(const std::string& value) {
    if (value.size() < 4 || value.size() > 32 || !text::isAlnum(value.front()))
        return false;
    for (char c : value) {
        if (!text::isAlnum(c) && c != '.' && c != '-' && c != '+' && c != '%' && c != '=')
            return false;
    }
    return true;
}

// A header name or value we write: no line breaks (they would forge headers or frames).
bool isHeaderText(const std::string& value) { return value.find_first_of("\r\n") == std::string::npos; }

}  // namespace

Session::Session(Private, Stack& stack, SessionSetup setup, SessionHandler& handler, std::string id)
    : stack_(stack), setup_(std::move(setup)), handler_(handler), id_(std::move(id)), usePath_(stack_.usePath()) {
    localUri_.secure = setup_.secure;
    localUri_.host = stack_.advertisedHost();
    localUri_.port = stack_.port(setup_.secure);
    localUri_.sessionId = id_;
    localUri_.transport = "tcp";
}

Session::~Session() = default;

std::shared_ptr<Session> Session::make(Stack& stack, SessionSetup setup, SessionHandler& handler, std::string id) {
    return std::make_shared<Session>(Private{}, stack, std::move(setup), handler, std::move(id));
}

std::vector<Uri> Session::localPath() const {
    std::vector<Uri> path = usePath_;
    path.push_back(localUri_);
    return path;
}

bool Session::moveToUsePath(const std::vector<Uri>& usePath) {
    if (usePath_.empty() || usePath_ == usePath)
        return false;
    usePath_ = usePath;
    toPathText_.clear();  // the To-Path starts with the relay's path
    return true;
}

const std::string& Session::toPathText() {
    // Made once per path: every chunk of every message carries it.
    if (toPathText_.empty())
        toPathText_ = Uri::pathString(toPath());
    return toPathText_;
}

std::vector<Uri> Session::toPath() const {
    std::vector<Uri> path = usePath_;
    path.insert(path.end(), setup_.remotePath.begin(), setup_.remotePath.end());
    return path;
}

std::string Session::peerAddress() const { return connection_ ? connection_->peerAddress() : ""; }

bool Session::setRemote(std::vector<Uri> remotePath, Role role, std::string fingerprint) {
    if (started_ || !open_ || remotePath.empty())
        return false;
    setup_.remotePath = std::move(remotePath);
    toPathText_.clear();
    setup_.role = role;
    setup_.fingerprint = std::move(fingerprint);
    start();
    releaseWaitingPeers();
    return true;
}

void Session::releaseWaitingPeers() {
    // Posted: the handler hears nothing (onBound, a message) before setRemote has returned.
    for (auto& weak : waitingPeers_) {
        stack_.thread().post([weak] {
            if (auto connection = weak.lock())
                connection->releaseHeld(false);
        });
    }
    waitingPeers_.clear();
}

void Session::start() {
    if (started_ || setup_.remotePath.empty())
        return;
    started_ = true;
    if (setup_.role == Role::Passive) {
        std::weak_ptr<Session> weak = weak_from_this();
        bindTimer_ = stack_.thread().after(stack_.config().bindTimeout, [weak] {
            if (auto self = weak.lock()) {
                if (!self->bound())
                    self->fail("the peer did not connect in time");
            }
        });
        return;
    }
    // Later, from the loop: the handler hears nothing (onBound, onClosed) before
    // createSession/setRemote has returned, even when an open connection is reused at once.
    std::weak_ptr<Session> weak = weak_from_this();
    stack_.thread().post([weak] {
        if (auto self = weak.lock(); self && self->open_)
            self->connectFirstHop();
    });
}

void Session::connectFirstHop() {
    const auto& usePath = usePath_;
    const Uri& hop = usePath.empty() ? setup_.remotePath.front() : usePath.front();
    std::weak_ptr<Session> weak = weak_from_this();
    stack_.connect(hop, usePath.empty() ? setup_.fingerprint : "",
                   [weak](std::shared_ptr<Connection> connection, const std::string& error) {
                       auto self = weak.lock();
                       if (!self || !self->open_)
                           return;
                       if (!connection)
                           self->fail("cannot connect: " + error);
                       else
                           self->bind(connection);
                   });
}

bool Session::fromPathMatches(const std::vector<Uri>& fromPath) const {
    // The last URI of a From-Path is the sender itself, whatever relays it went through; the
    // last of the SDP path is the peer itself (RFC 4976 §: relays come first in both).
    return !fromPath.empty() && !setup_.remotePath.empty() && fromPath.back() == setup_.remotePath.back();
}

bool Session::acceptsPeerOf(const Connection& connection) const {
    // Connections we opened (to a relay, or reused) were checked when we connected.
    if (!connection.secure() || !connection.key().empty() || text::trimmed(setup_.fingerprint).empty())
        return true;
    std::string_view expected = text::trimmed(setup_.fingerprint);
    auto space = expected.find(' ');
    if (space != std::string_view::npos) {
        // only SHA-256 is computed; another hash cannot be compared, so it cannot match
        if (!text::equalsIgnoringCase(expected.substr(0, space), "sha-256"))
            return false;
        expected = text::trimmed(expected.substr(space + 1));
    }
    const std::string presented = connection.peerFingerprint();
    const bool matches = !presented.empty() && text::equalsIgnoringCase(expected, presented);
    if (!matches)
        SYLK_LOG(LOG_WARN, kLog,
                 "session %s: refused the connection from %s: its TLS certificate (%s) is not the one the "
                 "SDP's a=fingerprint named",
                 id_.c_str(), connection.peerAddress().c_str(), presented.empty() ? "none" : presented.c_str());
    return matches;
}

void Session::bind(const std::shared_ptr<Connection>& connection) {
    if (connection_ || !open_)
        return;
    connection_ = connection;
    connection_->attach(this);
    bindTimer_.cancel();
    auto self = shared_from_this();
    handler_.onBound(*this);
    if (!open_)
        return;
    if (setup_.role == Role::Active && queue_.empty())
        sendBindingRequest();
    pump();
}

void Session::sendBindingRequest() {
    // RFC 4975 §5.4: the active side sends a bodiless SEND when it has nothing else to say, so
    // that the passive side learns which connection is this session's.
    Message request = Message::makeRequest("SEND", toPath(), {localUri_});
    request.setHeader("Message-ID", Message::newMessageId());
    request.setHeader("Byte-Range", "1-0/0");
    std::weak_ptr<Session> weak = weak_from_this();
    connection_->sendRequest(std::move(request), [weak](const Message* response, const std::string& why) {
        auto self = weak.lock();
        if (!self || !self->open_)
            return;
        if (!response)
            self->fail("the binding SEND failed: " + why);
        else if (response->status != 200)
            self->fail("the peer refused the session: " + std::to_string(response->status) + " " + response->comment);
    });
}

std::string Session::send(OutgoingMessage message) {
    if (!open_ || !sendable()) {
        wasSendable_ = open_ ? false : wasSendable_;
        return "";
    }
    if (message.messageId.empty())
        message.messageId = Message::newMessageId();
    if (!isIdent(message.messageId) || sending_.count(message.messageId) || !isHeaderText(message.contentType))
        throw std::invalid_argument("not a message to send: bad or repeated Message-ID, or a bad Content-Type");
    for (const auto& [name, value] : message.headers) {
        if (name.empty() || !isHeaderText(name) || name.find(':') != std::string::npos || !isHeaderText(value))
            throw std::invalid_argument("not a header to send: " + name.substr(0, 64));
    }
    auto outgoing = std::make_shared<Outgoing>();
    bool streamed = message.read || message.fileFd >= 0;  // read as sent, not held
    outgoing->size = streamed ? message.size : message.body.size();
    if (!streamed)
        queuedBytes_ += message.body.size();
    std::string id = message.messageId;
    outgoing->message = std::move(message);
    queue_.push_back(outgoing);
    sending_[id] = outgoing;
    if (!sendable())
        wasSendable_ = false;
    pump();
    return id;
}

bool Session::abort(const std::string& messageId) {
    auto found = sending_.find(messageId);
    if (found == sending_.end() || found->second->allWritten || found->second->aborted)
        return false;
    found->second->aborted = true;
    pump();
    return true;
}

void Session::sendRequest(const std::string& method, std::vector<Message::Header> headers, std::string contentType,
                          std::string body, std::function<void(const Message*, const std::string&)> callback) {
    if (!open_ || !connection_) {
        if (callback)
            callback(nullptr, open_ ? "the session is not bound yet" : "the session is closed");
        return;
    }
    bool methodOk = !method.empty();
    for (char c : method)
        methodOk = methodOk && c >= 'A' && c <= 'Z';
    for (const auto& [name, value] : headers)
        methodOk = methodOk && !name.empty() && isHeaderText(name) && name.find(':') == std::string::npos && isHeaderText(value);
    if (!methodOk || !isHeaderText(contentType))
        throw std::invalid_argument("not a request to send: " + method.substr(0, 32));
    Message request = Message::makeRequest(method, toPath(), {localUri_});
    request.headers = std::move(headers);
    if (!contentType.empty() || !body.empty())
        request.setHeader("Content-Type", contentType.empty() ? "text/plain" : contentType);
    request.body = std::move(body);
    connection_->sendRequest(std::move(request), std::move(callback));
}

bool Session::sendable() const { return open_ && queuedBytes_ < stack_.config().sendQueueBytes; }

void Session::pump() {
    if (!open_ || !connection_ || !connection_->connected())
        return;
    auto self = shared_from_this();
    size_t written = 0;
    while (open_ && connection_ && !queue_.empty() && connection_->writable()) {
        if (written > 0 && written >= stack_.config().writeBytesPerTurn) {  // one chunk at least
            pumpLater();  // the other sessions on this thread get their turn first
            break;
        }
        written += writeNextChunk();
    }
    if (open_ && !wasSendable_ && sendable()) {
        wasSendable_ = true;
        handler_.onDrained(*this);
    }
}

void Session::pumpLater() {
    if (pumpPosted_)
        return;
    pumpPosted_ = true;
    std::weak_ptr<Session> weak = weak_from_this();
    stack_.thread().post([weak] {
        if (auto self = weak.lock()) {
            self->pumpPosted_ = false;
            self->pump();
        }
    });
}

size_t Session::writeNextChunk() {
    auto outgoing = queue_.front();
    OutgoingMessage& message = outgoing->message;
    const std::string id = message.messageId;
    size_t chunkSize = setup_.chunkSize ? setup_.chunkSize : stack_.config().chunkSize;
    size_t length = static_cast<size_t>(std::min<uint64_t>(chunkSize, outgoing->size - outgoing->sent));
    std::string data;
    bool abortNow = outgoing->aborted;
    bool fromFile = message.fileFd >= 0;
    if (!abortNow && length > 0 && !fromFile) {
        if (message.read) {
            data = message.read(outgoing->sent, length);
            if (data.empty() || data.size() > length)
                abortNow = true;  // the source failed: the peer learns the message ends here
            else
                length = data.size();
        }  // an in-memory body is copied straight into the frame below
    }
    if (abortNow)
        length = 0, data.clear();

    // The frame is written straight to its wire form (what Message::serialize() gives for the
    // same headers), not built as a Message first: a switch writes one of these per recipient
    // of every message, and the Message's paths, headers and copies cost more than the send.
    std::string tid = Message::newTransactionId();
    if (fromPathText_.empty())
        fromPathText_ = localUri_.str();
    std::string frame;
    frame.reserve(320 + data.size() + message.contentType.size());
    frame.append("MSRP ").append(tid).append(" SEND\r\nTo-Path: ").append(toPathText());
    frame.append("\r\nFrom-Path: ").append(fromPathText_).append("\r\nMessage-ID: ").append(id).append("\r\n");
    if (message.successReport)
        frame.append("Success-Report: yes\r\n");
    if (message.failureReport != Report::Yes)
        frame.append("Failure-Report: ").append(failureReportValue(message.failureReport)).append("\r\n");
    ByteRange range;
    range.start = outgoing->sent + 1;
    range.end = outgoing->sent + length;
    range.total = outgoing->size;
    frame.append("Byte-Range: ").append(range.str()).append("\r\n");
    bool withContentType = !abortNow || length > 0;
    bool hasContentType = withContentType;
    for (const auto& [name, value] : message.headers) {
        bool contentType = text::equalsIgnoringCase(name, "Content-Type");
        if (contentType && withContentType)
            continue;  // replaced by the message's own, written last
        hasContentType = hasContentType || contentType;
        frame.append(name).append(": ").append(value).append("\r\n");
    }
    if (withContentType)
        frame.append("Content-Type: ").append(message.contentType).append("\r\n");
    // RFC 4975 §7.1: a body (any frame with a Content-Type) follows an empty line and ends with
    // a CRLF before the end-line.
    Connection::FileBody file;
    if (length > 0 || hasContentType) {
        frame.append("\r\n");
        if (fromFile && length > 0)
            file = {frame.size(), message.fileFd, outgoing->sent, length, message.fileKeep};
        else if (message.read)
            frame.append(data);
        else
            frame.append(message.body, static_cast<size_t>(outgoing->sent), length);
        frame.append("\r\n");
    }
    outgoing->sent += length;
    if (fromFile && length > 0 && message.fileTaken)
        message.fileTaken(outgoing->sent);
    if (!message.read && !fromFile)
        queuedBytes_ -= std::min<size_t>(queuedBytes_, length);
    bool last = outgoing->sent >= outgoing->size;
    Continuation continuation = abortNow ? Continuation::Abort : last ? Continuation::End : Continuation::More;
    frame.append("-------").append(tid).push_back(static_cast<char>(continuation));
    frame.append("\r\n");
    if (abortNow || last) {
        outgoing->allWritten = true;
        queue_.pop_front();
        if (!message.read && !fromFile) {
            queuedBytes_ -= std::min<size_t>(queuedBytes_, message.body.size() - std::min<size_t>(message.body.size(), outgoing->sent));
            std::string().swap(message.body);
        }
    }

    size_t frameBytes = frame.size() + file.length;
    const Connection::FileBody* fileBody = file.fd >= 0 ? &file : nullptr;
    if (message.failureReport == Report::Yes) {
        ++outgoing->chunksUnanswered;
        std::weak_ptr<Session> weak = weak_from_this();
        connection_->sendFrame(std::move(tid), std::move(frame), [weak, id](const Message* response, const std::string& why) {
            if (auto self = weak.lock())
                self->chunkAnswered(id, response, why);
        }, fileBody);
    } else {
        // No 200s will come ("partial" only sends failures, RFC 4975 §7.1.1): no transaction
        // to wait for; a failure response finds no transaction and is left to the REPORT.
        connection_->writeFrame(frame, fileBody);
    }
    if (abortNow) {
        finish(id, 499, "aborted");
    } else if (outgoing->allWritten && !message.successReport && message.failureReport == Report::No) {
        finish(id, 200, "OK");  // the sender asked to hear nothing
    } else if (outgoing->allWritten && !message.successReport && message.failureReport == Report::Partial) {
        // Only failures are reported: none within a transaction's time means delivered.
        std::weak_ptr<Session> weak = weak_from_this();
        outgoing->quiet = stack_.thread().after(stack_.config().transactionTimeout, [weak, id] {
            if (auto self = weak.lock())
                self->finish(id, 200, "OK");
        });
    }
    return frameBytes;
}

void Session::chunkAnswered(const std::string& messageId, const Message* response, const std::string& why) {
    auto found = sending_.find(messageId);
    if (found == sending_.end() || !open_)
        return;
    auto outgoing = found->second;
    if (outgoing->chunksUnanswered > 0)
        --outgoing->chunksUnanswered;
    if (!response) {
        finish(messageId, 408, why);
        if (why == "transaction timeout")
            fail("transaction timeout");
        return;
    }
    if (response->status != 200) {
        finish(messageId, response->status, response->comment);
        return;
    }
    if (outgoing->allWritten && outgoing->chunksUnanswered == 0 && !outgoing->message.successReport)
        finish(messageId, 200, "OK");
}

void Session::finish(const std::string& messageId, int status, const std::string& comment) {
    auto found = sending_.find(messageId);
    if (found == sending_.end())
        return;
    auto outgoing = found->second;
    sending_.erase(found);
    auto queued = std::find(queue_.begin(), queue_.end(), outgoing);
    if (queued != queue_.end()) {
        // Still being sent (a failure response stops it): its held bytes go.
        if (!outgoing->message.read && outgoing->message.fileFd < 0)
            queuedBytes_ -= std::min<size_t>(queuedBytes_, outgoing->size - outgoing->sent);
        queue_.erase(queued);
    }
    if (outgoing->finished)
        return;
    outgoing->finished = true;
    if (outgoing->message.done) {
        SendOutcome outcome{messageId, status, comment};
        auto done = std::move(outgoing->message.done);
        try {
            done(outcome);
        } catch (const std::exception& error) {
            SYLK_LOG(LOG_ERR, kLog, "a send's done callback threw: %s", error.what());
        }
    }
}

void Session::receive(Message& request) {
    auto self = shared_from_this();
    if (request.method == "SEND") {
        receiveSend(request);
        return;
    }
    if (request.method == "REPORT") {
        receiveReport(request);
        return;
    }
    int status = 501;
    try {
        status = handler_.onRequest(*this, request);
    } catch (const std::exception& error) {
        SYLK_LOG(LOG_ERR, kLog, "the handler of %s threw: %s", request.method.c_str(), error.what());
        status = 500;
    }
    if (open_ && connection_)
        connection_->answer(request, status, reasonOf(status));
}

bool Session::accepts(const std::string& contentType) const {
    if (setup_.acceptTypes.empty())
        return true;
    for (const auto& accepted : setup_.acceptTypes) {
        std::string type = text::lowered(accepted);
        if (type == "*" || type == contentType)
            return true;
        if (type.size() > 2 && type.compare(type.size() - 2, 2, "/*") == 0 &&
            contentType.compare(0, type.size() - 1, type, 0, type.size() - 1) == 0)
            return true;
    }
    return false;
}

int Session::refusedStatus(const std::string& messageId) const {
    for (const auto& [id, status] : refused_) {
        if (id == messageId)
            return status;
    }
    return 0;
}

void Session::refuse(const Message& request, int status, const ByteRange& range) {
    std::string id = request.messageId();
    incoming_.erase(id);
    connection_->answer(request, status, reasonOf(status));
    // The sender may have sent more chunks before our answer reached it: refused too, quietly.
    if (refusedStatus(id))
        return;
    refused_.emplace_back(id, status);
    if (refused_.size() > kRememberedIds)
        refused_.pop_front();
    // The sender also learns it from a REPORT unless it asked for none (RFC 4975 §7.1.2).
    if (request.failureReport() != "no")
        sendReport(request, status, reasonOf(status), range);
    if (open_)
        handler_.onDropped(*this, id, status);
}

void Session::receiveSend(Message& request) {
    std::string id = request.messageId();
    if (id.empty()) {
        connection_->answer(request, 400, "no Message-ID");
        return;
    }
    ByteRange range = request.byteRange();  // checked by the parser
    auto found = incoming_.find(id);
    bool first = found == incoming_.end();
    if (int status = first ? refusedStatus(id) : 0) {
        connection_->answer(request, status, reasonOf(status));
        return;
    }
    if (first && held_.count(id))
        return;  // a copy of a message being stored: its held answer is the one the sender gets
    if (first && std::find(delivered_.begin(), delivered_.end(), id) != delivered_.end()) {
        connection_->answer(request, 200, "OK");
        return;
    }
    std::string contentType = request.contentType();
    // A bodiless SEND binds a session or keeps it alive (RFC 4975 §5.4): nothing to deliver.
    if (first && request.body.empty() && !request.header("Content-Type") && request.continuation == Continuation::End &&
        range.start == 1) {
        connection_->answer(request, 200, "OK");
        return;
    }
    uint64_t limit = setup_.maxMessageSize ? setup_.maxMessageSize : stack_.config().maxMessageSize;
    uint64_t chunkEnd = range.start - 1 + request.body.size();
    if ((range.total && *range.total > limit) || chunkEnd > limit) {
        refuse(request, 413, range);
        return;
    }
    if (first && request.continuation != Continuation::Abort) {
        // Each message being received holds memory: a peer gets only so many at once.
        if (incoming_.size() >= kIncomingAtOnce) {
            refuse(request, 413, range);
            return;
        }
        if (!contentType.empty() && !accepts(contentType)) {
            refuse(request, 415, range);
            return;
        }
        int admitted = 200;
        try {
            admitted = handler_.admit(*this, request);
        } catch (const std::exception& error) {
            SYLK_LOG(LOG_ERR, kLog, "the handler's admit() threw: %s", error.what());
            admitted = 500;
        }
        if (!open_)
            return;
        if (admitted != 200) {
            refuse(request, admitted, range);
            return;
        }
        bool streaming = false;
        try {
            streaming = handler_.streams(*this, request);
        } catch (const std::exception& error) {
            SYLK_LOG(LOG_ERR, kLog, "the handler's streams() threw: %s", error.what());
        }
        if (!open_)
            return;
        if (streaming && connection_)
            connection_->sendWithoutDelay();  // a file: its REPORT must not wait for an ACK
        found = incoming_.emplace(id, IncomingAssembly(streaming)).first;
        found->second.contentType = request.header("Content-Type").value_or("");
        found->second.headers = request.headers;
    }
    if (request.continuation == Continuation::Abort) {
        // The sender gave up on it (RFC 4975 §7.1.4): what came is dropped.
        if (!first)
            incoming_.erase(found);
        connection_->answer(request, 200, "OK");
        handler_.onDropped(*this, id, 499);
        return;
    }
    IncomingAssembly& assembly = found->second;
    uint64_t newOffset = 0;
    std::string_view fresh =
        assembly.add(range.start - 1, request.body, request.continuation == Continuation::End, range.total, &newOffset);
    if (assembly.extent() > limit) {
        refuse(request, 413, range);
        return;
    }
    // The handler stores the message before the sender may forget it: its last chunk's 200 waits.
    const bool hold = setup_.holdLastAnswer && !assembly.streaming() && assembly.complete();
    if (!hold)
        connection_->answer(request, 200, "OK");
    if (assembly.streaming() && !fresh.empty()) {
        // All of the chunk is new (the usual case): its body is handed over, not copied.
        bool whole = fresh.data() == request.body.data() && fresh.size() == request.body.size();
        handler_.onData(*this, id, newOffset, whole ? std::move(request.body) : std::string(fresh));
        if (!open_)
            return;
    }
    bool chunked = request.continuation != Continuation::End || range.start > 1 || assembly.received() < assembly.extent();
    if (chunked) {
        handler_.onProgress(*this, id, assembly.received(), assembly.total());
        if (!open_)
            return;
    }
    found = incoming_.find(id);
    if (found == incoming_.end() || !found->second.complete())
        return;
    IncomingMessage message;
    message.messageId = id;
    message.contentType = found->second.contentType;
    message.headers = std::move(found->second.headers);
    message.size = found->second.received();
    if (!found->second.streaming())
        message.body = found->second.take();
    incoming_.erase(found);
    delivered_.push_back(id);
    if (delivered_.size() > kRememberedIds)
        delivered_.pop_front();
    bool report = request.successReportWanted();
    uint64_t size = message.size;
    if (hold) {
        Held& held = held_[id];
        held.lastChunk = request;  // the caller's: copied (one chunk at most), without its body
        held.lastChunk.body.clear();
        held.size = size;
        handler_.onMessage(*this, std::move(message));
        return;
    }
    handler_.onMessage(*this, std::move(message));
    if (report && open_ && connection_) {
        ByteRange whole;
        whole.start = 1;
        whole.end = size;
        whole.total = size;
        sendReport(request, 200, "OK", whole);
    }
}

bool Session::answerHeld(const std::string& messageId, int status) {
    auto found = held_.find(messageId);
    if (found == held_.end())
        return false;
    Held held = std::move(found->second);
    held_.erase(found);
    if (!open_ || !connection_)
        return true;  // the connection went: the sender learns nothing and sends it again
    ByteRange whole;
    whole.start = 1;
    whole.end = held.size;
    whole.total = held.size;
    if (status == 200) {
        connection_->answer(held.lastChunk, 200, "OK");
        if (held.lastChunk.successReportWanted())
            sendReport(held.lastChunk, 200, "OK", whole);
        return true;
    }
    // Not stored: a later copy of it (the sender's retry) is a new message, not a retransmission.
    delivered_.erase(std::remove(delivered_.begin(), delivered_.end(), messageId), delivered_.end());
    connection_->answer(held.lastChunk, status, reasonOf(status));
    if (held.lastChunk.failureReport() != "no")
        sendReport(held.lastChunk, status, reasonOf(status), whole);
    return true;
}

void Session::sendReport(const Message& request, int status, const std::string& comment, const ByteRange& range) {
    if (!connection_)
        return;
    Message report = Message::makeRequest("REPORT", request.fromPath, {localUri_});
    report.setHeader("Message-ID", request.messageId());
    report.setHeader("Byte-Range", range.str());
    report.setHeader("Status", "000 " + std::to_string(status) + " " + comment);
    connection_->write(report);
}

void Session::receiveReport(const Message& report) {
    auto [status, comment] = statusOf(report.header("Status").value_or(""));
    std::string id = report.messageId();
    auto found = sending_.find(id);
    if (found != sending_.end() && status != 0) {
        auto outgoing = found->second;
        if (status != 200) {
            finish(id, status, comment);
        } else if (outgoing->message.successReport && outgoing->allWritten) {
            // A Success-Report covers the bytes it names; the message is delivered once they are all.
            ByteRange range;
            try {
                range = report.byteRange();
            } catch (const ParseError&) {
            }
            if (!range.end || *range.end >= outgoing->size)
                finish(id, 200, comment.empty() ? "OK" : comment);
        }
    }
    if (open_)
        handler_.onReport(*this, report);
}

void Session::connectionLost(const std::string& why) {
    connection_.reset();
    fail("connection lost: " + why);
}

void Session::release(int status, const std::string& comment) {
    open_ = false;
    bindTimer_.cancel();
    if (connection_) {
        connection_->detach(this);
        connection_.reset();
    }
    auto sending = sending_;
    for (auto& [id, outgoing] : sending)
        finish(id, status, comment);
    queue_.clear();
    queuedBytes_ = 0;
    incoming_.clear();
    held_.clear();
    releaseWaitingPeers();  // their requests now find no session (481)
    stack_.forget(this);
}

void Session::close() {
    if (!open_)
        return;
    auto self = shared_from_this();
    release(481, "session closed");
}

void Session::fail(const std::string& why) {
    if (!open_)
        return;
    auto self = shared_from_this();
    SYLK_LOG(LOG_INFO, kLog, "MSRP session %s ends: %s", id_.c_str(), why.c_str());
    release(481, why);
    handler_.onClosed(*this, why);
}

}  // namespace sylk::msrp
