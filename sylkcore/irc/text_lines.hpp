// Room chat as IRC lines: a message may hold line breaks and be longer than a PRIVMSG can carry
// (512 bytes with the command, target and the prefix the server adds for the others), so it
// becomes several lines, each cut at a UTF-8 character boundary (at a space when there is one
// late enough), none empty, with no control byte that would break the line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "../api.hpp"

namespace sylk::irc {

// Every line starts with lead ("nick: ") and is at most maxBytes long, lead included.
SYLK_API std::vector<std::string> splitText(std::string_view lead, std::string_view text, size_t maxBytes);

// An IRC line as room chat: mIRC formatting (bold ^B, colour ^C with its "fg[,bg]" digits,
// reset ^O, reverse ^V, italics ^], strike ^^, monospace ^Q, underline ^_) removed, other
// control bytes dropped, the text itself kept.
SYLK_API std::string plainText(std::string_view line);

}  // namespace sylk::irc
