// An incremental MSRP frame reader over a byte stream (RFC 4975 §7.1): bytes go in as they
// arrive, split anywhere; complete frames come out in order. The end of a body is the first
// "CRLF -------<tid><flag> CRLF" after it (the sender picks a tid that does not occur in the
// body), so the reader keeps no more than an end-line's worth of bytes undecided.
// A ParseError is a framing error: nothing more can be read from this stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "message.hpp"
#include "parse_error.hpp"
#include "sylkcore/api.hpp"

namespace sylk::msrp {

class SYLK_API Parser {
public:
    struct Limits {
        size_t maxHeaderBytes = 16 * 1024;      // start line and headers of one frame
        size_t maxBodyBytes = 4 * 1024 * 1024;  // one chunk's body (a message may have many)
    };

    Parser() : Parser(Limits{}) {}
    explicit Parser(Limits limits) : limits_(limits) {}

    // Appends the frames completed by these bytes to out. Throws ParseError (and stays failed:
    // every later feed throws too).
    void feed(std::string_view bytes, std::vector<Message>& out);
    // Bytes received and not yet part of a complete frame.
    size_t pending() const { return buffer_.size() - consumed_ + (state_ == State::Body ? current_.body.size() : 0); }

private:
    enum class State { StartLine, Headers, Body };
    bool step(std::vector<Message>& out);
    bool readStartLine();
    bool readHeaders(std::vector<Message>& out);
    bool readBody(std::vector<Message>& out);
    void startBody();
    // The body ends at bodyEnd, the frame (end-line included) at frameEnd, both in the body.
    void endBody(size_t bodyEnd, size_t frameEnd, char flag, std::vector<Message>& out);
    void finishHeaders();
    // body.find(endMarker_, from), cheaper on binary bodies (see there).
    size_t findEndMarker(const std::string& body, size_t from) const;
    [[noreturn]] void fail(const std::string& why);

    Limits limits_;
    std::string buffer_;
    size_t consumed_ = 0;  // bytes of buffer_ already turned into frames
    State state_ = State::StartLine;
    size_t frameStart_ = 0;   // offset of the current frame in buffer_
    size_t bodyStart_ = 0;    // offset of the body in buffer_ when its headers ended
    // Where the search for the end-line goes on: in buffer_ while reading headers, in the
    // frame's body while reading it (a body is gathered there, see feed()).
    size_t scanFrom_ = 0;
    bool bodyStartChecked_ = false;  // the body is known not to be empty
    std::string endMarker_;   // "\r\n-------<tid>"
    // Where the frame in the body ends (end-line included) when Byte-Range says; 0: unknown,
    // or passed. Bytes past it are not put into the body (feed(), startBody()).
    size_t frameExpected_ = 0;
    std::vector<std::string> headerLines_;
    Message current_;
    bool failed_ = false;
    std::string failure_;
};

}  // namespace sylk::msrp
