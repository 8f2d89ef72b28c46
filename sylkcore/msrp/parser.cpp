#include "parser.hpp"

#include <algorithm>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "sylkcore/buffer_pool.hpp"
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
    if (state_ == State::Body) {
        // A body's bytes go straight into the frame's body: one copy of them, not two (into the
        // buffer, then out of it). The end-line is searched there (readBody). No more than the
        // frame's end that Byte-Range gave: bytes past it would grow the body past the room
        // reserved (a new allocation of twice the size, above malloc's mmap threshold for file
        // chunks: fresh pages every chunk) only to be copied back to the buffer.
        size_t have = current_.body.size();
        if (frameExpected_ > have && bytes.size() > frameExpected_ - have) {
            size_t take = frameExpected_ - have;
            current_.body.append(bytes.substr(0, take));
            frameExpected_ = 0;
            while (step(out)) {
            }
            feed(bytes.substr(take), out);  // the next frames, or more of this body when Byte-Range was wrong
            return;
        }
        current_.body.append(bytes);
        while (step(out)) {
        }
        return;
    }
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
            // The body starts after this empty line and is gathered in the frame's body itself:
            // what is buffered after the headers moves there now, later bytes go there directly.
            bodyStart_ = scanFrom_;
            finishHeaders();
            startBody();
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

void Parser::startBody() {
    std::string& body = current_.body;
    body.clear();
    frameExpected_ = 0;
    // Room for the whole chunk at once when Byte-Range says its size (one allocation, no
    // regrowth copies); a bigger claim than the limit is left to the limit check.
    try {
        if (auto value = current_.header("Byte-Range")) {
            ByteRange range = ByteRange::parse(*value);
            if (range.end && *range.end >= range.start && *range.end - range.start < limits_.maxBodyBytes) {
                frameExpected_ = static_cast<size_t>(*range.end - range.start + 1) + endMarker_.size() + 3;
                // A file chunk's: a recycled buffer (warm pages; see BufferPool), given back
                // by the file's writer once written.
                if (frameExpected_ >= BufferPool::kMinCapacity)
                    body = BufferPool::chunks().take(frameExpected_);
                else
                    body.reserve(frameExpected_);
            }
        }
    } catch (const ParseError&) {
        // malformed already says so (finishHeaders); the body is read all the same
    }
    // The bytes received past the frame's expected end stay in the buffer (see feed()).
    size_t take = buffer_.size() - bodyStart_;
    if (frameExpected_ > 0 && take > frameExpected_)
        take = frameExpected_;
    body.append(buffer_, bodyStart_, take);
    consumed_ = bodyStart_ + take;
    scanFrom_ = 0;
    bodyStartChecked_ = false;
    state_ = State::Body;
}

void Parser::endBody(size_t bodyEnd, size_t frameEnd, char flag, std::vector<Message>& out) {
    // What follows the end-line is the next frames': back to the buffer, before the bytes that
    // startBody left there (at consumed_; usually none of either).
    buffer_.insert(consumed_, current_.body, frameEnd, std::string::npos);
    frameExpected_ = 0;
    current_.body.resize(bodyEnd);
    current_.continuation = static_cast<Continuation>(flag);
    out.push_back(std::move(current_));
    state_ = State::StartLine;
}

bool Parser::readBody(std::vector<Message>& out) {
    const std::string& body = current_.body;
    const std::string_view endLine = std::string_view(endMarker_).substr(kCrlf.size());  // "-------tid"
    const size_t tail = endMarker_.size() + 1 + kCrlf.size();  // marker, flag, CRLF
    if (!bodyStartChecked_) {
        // An empty body: the end-line follows the empty line at once, whose CRLF is also the
        // one before the end-line ("\r\n\r\n-------tid$").
        size_t known = std::min(body.size(), endLine.size());
        bool couldBe = body.compare(0, known, endLine, 0, known) == 0 &&
                       (body.size() <= endLine.size() || isFlag(body[endLine.size()])) &&
                       (body.size() <= endLine.size() + 1 || body[endLine.size() + 1] == '\r') &&
                       (body.size() <= endLine.size() + 2 || body[endLine.size() + 2] == '\n');
        if (couldBe && body.size() < endLine.size() + kCrlf.size() + 1)
            return false;  // undecided yet
        if (couldBe) {
            endBody(0, endLine.size() + 1 + kCrlf.size(), body[endLine.size()], out);
            return true;
        }
        bodyStartChecked_ = true;
    }
    while (true) {
        auto found = findEndMarker(body, scanFrom_);
        if ((found == std::string::npos || found + tail > body.size()) && consumed_ < buffer_.size()) {
            // Byte-Range promised an end that is not there: the bytes startBody left in the
            // buffer are this body's too.
            current_.body.append(buffer_, consumed_, std::string::npos);
            consumed_ = buffer_.size();
            frameExpected_ = 0;
            continue;
        }
        if (found == std::string::npos) {
            // Keep the bytes that may still begin an end-line undecided.
            size_t keep = endMarker_.size() - 1;
            scanFrom_ = std::max(scanFrom_, body.size() > keep ? body.size() - keep : 0);
            if (body.size() > limits_.maxBodyBytes + tail)
                fail("chunk too big");
            return false;
        }
        if (found + tail > body.size()) {
            scanFrom_ = found;
            if (body.size() > limits_.maxBodyBytes + tail)
                fail("chunk too big");
            return false;
        }
        char flag = body[found + endMarker_.size()];
        if (isFlag(flag) && body.compare(found + endMarker_.size() + 1, kCrlf.size(), kCrlf) == 0) {
            if (found > limits_.maxBodyBytes)
                fail("chunk too big");
            endBody(found, found + tail, flag, out);
            return true;
        }
        // "-------<tid>" followed by something else is body text (another tid's prefix).
        scanFrom_ = found + 1;
    }
}

size_t Parser::findEndMarker(const std::string& body, size_t from) const {
    const size_t size = body.size(), length = endMarker_.size();  // "\r\n-------<tid>": 9 bytes or more
    const char* data = body.data();
    const char* marker = endMarker_.data();
#if defined(__SSE2__)
    // 16 candidate starts at a time: where the marker's first byte (CR) and its last byte (the
    // tid's last) both match, two compares of unaligned loads. memchr stopped at every CR, which
    // in a binary file chunk comes every 256 bytes (its restarts were 6.8% of janus's samples in
    // an upload); a CR with the right byte length-1 further comes every 64 KiB of such data.
    // Candidates are tried in order, so the first marker is found, as by the scan below.
    const __m128i first = _mm_set1_epi8(marker[0]);
    const __m128i last = _mm_set1_epi8(marker[length - 1]);
    auto candidatesAt = [&](size_t at) {  // bit i: the start at + i is a candidate
        __m128i starts = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at));
        __m128i ends = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + at + length - 1));
        return static_cast<unsigned>(_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(starts, first), _mm_cmpeq_epi8(ends, last))));
    };
    auto confirmed = [&](size_t at, unsigned candidates) -> size_t {  // the first real marker among them
        for (; candidates; candidates &= candidates - 1) {
            size_t start = at + static_cast<size_t>(__builtin_ctz(candidates));
            if (memcmp(data + start + 1, marker + 1, length - 2) == 0)
                return start;
        }
        return std::string::npos;
    };
    // 64 starts per turn while their markers fit in the body (one branch for four blocks: almost
    // always none), then 16.
    while (size >= length + 63 && from <= size - length - 63) {
        unsigned blocks[4] = {candidatesAt(from), candidatesAt(from + 16), candidatesAt(from + 32), candidatesAt(from + 48)};
        if (blocks[0] | blocks[1] | blocks[2] | blocks[3]) {
            for (size_t i = 0; i < 4; ++i) {
                size_t found = confirmed(from + 16 * i, blocks[i]);
                if (found != std::string::npos)
                    return found;
            }
        }
        from += 64;
    }
    while (size >= length + 15 && from <= size - length - 15) {
        size_t found = confirmed(from, candidatesAt(from));
        if (found != std::string::npos)
            return found;
        from += 16;
    }
#endif
    // The rest (and without SSE2): memchr for the CR, the marker's next two bytes ("\n-") checked
    // in place before a compare call.
    while (from + length <= size) {
        const void* hit = memchr(data + from, marker[0], size - length - from + 1);
        if (!hit)
            return std::string::npos;
        size_t at = static_cast<size_t>(static_cast<const char*>(hit) - data);
        if (data[at + 1] == marker[1] && data[at + 2] == marker[2] && memcmp(data + at + 3, marker + 3, length - 3) == 0)
            return at;
        from = at + 1;
    }
    return std::string::npos;
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
