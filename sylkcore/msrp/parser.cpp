#include "parser.hpp"

#include <algorithm>

#include "text.hpp"

namespace sylk::msrp {

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kDashes = "-------";

bool isIdentChar(char c) { return text::isAlnum(c) || c == '.' || c == '-' || c == '+' || c == '%' || c == '='; }

bool isFlag(char c) { return c == '$' || c == '+' || c == '#'; }

bool isTokenChar(char c) {
    return text::isAlnum(c) || c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+' ||
           c == '`' || c == '\'' || c == '~';
}

}  // namespace

void Parser::fail(const std::string& why) {
    failed_ = true;
    failure_ = why;
    throw ParseError(why);
}

void Parser::feed(std::string_view bytes, std::vector<Message>& out) {
    if (failed_)
        throw ParseError(failure_);
    // Drop what earlier frames used before growing the buffer again.
    if (consumed_ > 0 && (consumed_ >= buffer_.size() / 2 || consumed_ > 64 * 1024)) {
        buffer_.erase(0, consumed_);
        frameStart_ = frameStart_ >= consumed_ ? frameStart_ - consumed_ : 0;
        bodyStart_ = bodyStart_ >= consumed_ ? bodyStart_ - consumed_ : 0;
        scanFrom_ = scanFrom_ >= consumed_ ? scanFrom_ - consumed_ : 0;
        consumed_ = 0;
    }
    buffer_.append(bytes);
    while (step(out)) {
    }
}

bool Parser::step(std::vector<Message>& out) {
    switch (state_) {
        case State::StartLine:
            return readStartLine();
        case State::Headers:
            return readHeaders(out);
        case State::Body:
            return readBody(out);
    }
    return false;
}

bool Parser::readStartLine() {
    frameStart_ = consumed_;
    std::string_view rest = std::string_view(buffer_).substr(frameStart_);
    if (rest.empty())
        return false;
    // Refuse what is not MSRP as soon as it shows, rather than after a header's worth of bytes.
    constexpr std::string_view kStart = "MSRP ";
    if (rest.substr(0, kStart.size()) != kStart.substr(0, std::min(rest.size(), kStart.size())))
        fail("not an MSRP frame");
    auto lineEnd = rest.find(kCrlf);
    if (lineEnd == std::string_view::npos) {
        if (rest.size() > limits_.maxHeaderBytes)
            fail("start line too long");
        return false;
    }
    std::string_view line = rest.substr(kStart.size(), lineEnd - kStart.size());
    auto space = line.find(' ');
    if (space == std::string_view::npos)
        fail("start line without method or status");
    std::string_view tid = line.substr(0, space);
    if (tid.size() < 4 || tid.size() > 32 || !text::isAlnum(tid.front()))
        fail("bad transaction id");
    for (char c : tid) {
        if (!isIdentChar(c))
            fail("bad transaction id");
    }
    current_ = Message{};
    current_.transactionId = std::string(tid);
    std::string_view what = line.substr(space + 1);
    if (what.size() >= 3 && text::isDigit(what[0]) && text::isDigit(what[1]) && text::isDigit(what[2]) &&
        (what.size() == 3 || what[3] == ' ')) {
        current_.request = false;
        current_.status = (what[0] - '0') * 100 + (what[1] - '0') * 10 + (what[2] - '0');
        if (what.size() > 4)
            current_.comment = std::string(what.substr(4));
    } else {
        if (what.empty())
            fail("empty method");
        for (char c : what) {
            if (c < 'A' || c > 'Z')
                fail("bad method");
        }
        current_.request = true;
        current_.method = std::string(what);
    }
    endMarker_.assign(kCrlf).append(kDashes).append(tid);  // in place: no new string per frame
    headerLines_.clear();
    scanFrom_ = frameStart_ + lineEnd + kCrlf.size();
    state_ = State::Headers;
    return true;
}

bool Parser::readHeaders(std::vector<Message>& out) {
    std::string_view all(buffer_);
    const std::string_view endLine = std::string_view(endMarker_).substr(kCrlf.size());  // "-------tid"
    while (true) {
        auto lineEnd = all.find(kCrlf, scanFrom_);
        if (lineEnd == std::string_view::npos) {
            if (all.size() - frameStart_ > limits_.maxHeaderBytes)
                fail("headers too long");
            return false;
        }
        if (lineEnd + kCrlf.size() - frameStart_ > limits_.maxHeaderBytes)
            fail("headers too long");
        std::string_view line = all.substr(scanFrom_, lineEnd - scanFrom_);
        scanFrom_ = lineEnd + kCrlf.size();
        if (line.empty()) {
            // The body starts after this empty line; its end-line is searched from the CRLF
            // before it, so that an empty body ("\r\n\r\n-------tid$") ends there too.
            bodyStart_ = scanFrom_;
            scanFrom_ = bodyStart_ - kCrlf.size();
            finishHeaders();
            state_ = State::Body;
            return true;
        }
        if (line.substr(0, kDashes.size()) == kDashes) {
            if (line.size() != endLine.size() + 1 || line.substr(0, endLine.size()) != endLine || !isFlag(line.back()))
                fail("bad end-line");
            finishHeaders();
            current_.continuation = static_cast<Continuation>(line.back());
            out.push_back(std::move(current_));
            consumed_ = scanFrom_;
            state_ = State::StartLine;
            return true;
        }
        headerLines_.emplace_back(line);
    }
}

bool Parser::readBody(std::vector<Message>& out) {
    std::string_view all(buffer_);
    const size_t tail = endMarker_.size() + 1 + kCrlf.size();  // marker, flag, CRLF
    while (true) {
        auto found = all.find(endMarker_, scanFrom_);
        if (found == std::string_view::npos) {
            // Keep the bytes that may still begin an end-line undecided.
            size_t keep = endMarker_.size() - 1;
            size_t from = all.size() > keep ? all.size() - keep : 0;
            scanFrom_ = std::max(scanFrom_, std::max(from, bodyStart_ - kCrlf.size()));
            if (all.size() - bodyStart_ > limits_.maxBodyBytes + tail)
                fail("chunk too big");
            return false;
        }
        if (found + tail > all.size()) {
            scanFrom_ = found;
            if (all.size() - bodyStart_ > limits_.maxBodyBytes + tail)
                fail("chunk too big");
            return false;
        }
        char flag = all[found + endMarker_.size()];
        if (isFlag(flag) && all.substr(found + endMarker_.size() + 1, kCrlf.size()) == kCrlf) {
            size_t bodyEnd = std::max(found, bodyStart_);
            if (bodyEnd - bodyStart_ > limits_.maxBodyBytes)
                fail("chunk too big");
            current_.body = std::string(all.substr(bodyStart_, bodyEnd - bodyStart_));
            current_.continuation = static_cast<Continuation>(flag);
            out.push_back(std::move(current_));
            consumed_ = found + tail;
            state_ = State::StartLine;
            return true;
        }
        // "-------<tid>" followed by something else is body text (another tid's prefix).
        scanFrom_ = found + 1;
    }
}

void Parser::finishHeaders() {
    bool sawTo = false, sawFrom = false;
    for (const auto& line : headerLines_) {
        std::string_view view(line);
        auto colon = view.find(':');
        if (colon == std::string_view::npos || colon == 0) {
            current_.malformed = "a header line without a name";
            continue;
        }
        std::string_view name = view.substr(0, colon);
        bool token = true;
        for (char c : name)
            token = token && isTokenChar(c);
        if (!token) {
            current_.malformed = "a bad header name";
            continue;
        }
        std::string_view value = text::trimmed(view.substr(colon + 1));
        try {
            if (text::equalsIgnoringCase(name, "To-Path")) {
                current_.toPath = Uri::parsePath(value);
                sawTo = true;
            } else if (text::equalsIgnoringCase(name, "From-Path")) {
                current_.fromPath = Uri::parsePath(value);
                sawFrom = true;
            } else {
                if (text::equalsIgnoringCase(name, "Byte-Range"))
                    ByteRange::parse(value);
                current_.headers.emplace_back(std::string(name), std::string(value));
            }
        } catch (const ParseError& error) {
            current_.malformed = error.what();
        }
    }
    if (current_.malformed.empty() && current_.request && (!sawTo || !sawFrom))
        current_.malformed = "a request without To-Path and From-Path";
    headerLines_.clear();
}

}  // namespace sylk::msrp
