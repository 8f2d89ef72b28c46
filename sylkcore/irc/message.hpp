// One IRC protocol message (RFC 1459 §2.3.1, RFC 2812 §2.3.1, IRCv3 message tags skipped): what
// the bridge's client reads from a server line and writes back. Pure: no socket, no thread.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "../api.hpp"

namespace sylk::irc {

// A line that is no IRC message (empty command, a NUL, too many parameters...), or a message we
// were asked to write that IRC cannot carry (a space in a middle parameter, a line break).
class SYLK_API MessageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Message {
    std::string prefix;               // "nick!user@host" or a server name; empty when absent
    std::string command;              // upper-cased letters, or three digits
    std::vector<std::string> params;  // the trailing parameter last, without its ':'

    // The nick of a "nick!user@host" prefix (the whole prefix when it has no '!' or '@').
    std::string nick() const;
    // params[index], or "" when there are fewer.
    const std::string& param(size_t index) const;

    // One line, CR LF not included. Throws MessageError for an empty, non-letter or non-numeric
    // command, a NUL, CR or LF, more than 15 parameters, or more than kMaxLineBytes before tags.
    static Message parse(std::string_view line);
    // The line to send, CR LF included. Throws MessageError for what the wire cannot carry: a
    // CR, LF or NUL anywhere, an empty or spaced or ':'-led parameter that is not the last, more
    // than 512 bytes.
    std::string str() const;
};

// RFC 2812: 512 bytes with CR LF. Tags (IRCv3) may add up to 8191 before them.
inline constexpr size_t kMaxLineBytes = 512;
inline constexpr size_t kMaxTagBytes = 8191;

}  // namespace sylk::irc
