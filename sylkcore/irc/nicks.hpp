// IRC nicknames (RFC 2812 §2.3.1) as the bot needs them: checking a configured nick, the
// nick to try after a 433 (in use) or a 432 (refused: too long for the server), and comparing
// names as servers do (RFC 1459 case mapping: {}|^ are the lower case of []\~).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "../api.hpp"

namespace sylk::irc {

// letter or []\`_^{|} first, then those, digits and '-'.
SYLK_API bool isValidNick(std::string_view nick);
// The nick for the attempt-th try (0: wanted itself) in at most maxLength bytes: wanted cut to
// fit, with the attempt number as a suffix from 1 on ("sylkbot" -> "sylkbot1", "sylkbo12").
SYLK_API std::string retryNick(std::string_view wanted, unsigned attempt, size_t maxLength);
SYLK_API std::string lowerName(std::string_view name);
SYLK_API bool sameName(std::string_view a, std::string_view b);
// A channel name: '#', '&', '+' or '!' first, then no space, comma, BEL, NUL, CR or LF; at most 50 bytes.
SYLK_API bool isValidChannel(std::string_view channel);

}  // namespace sylk::irc
