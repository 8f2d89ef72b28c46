#include "message.hpp"

#include <cctype>

namespace sylk::irc {
namespace {

constexpr size_t kMaxParams = 15;

bool isLetters(std::string_view text) {
    for (char c : text)
        if (!std::isalpha(static_cast<unsigned char>(c)))
            return false;
    return !text.empty();
}

bool isNumeric(std::string_view text) {
    return text.size() == 3 && std::isdigit(static_cast<unsigned char>(text[0])) &&
           std::isdigit(static_cast<unsigned char>(text[1])) && std::isdigit(static_cast<unsigned char>(text[2]));
}

// Cuts the next space-delimited word off text (leading spaces skipped: servers pad with more than one).
std::string_view nextWord(std::string_view& text) {
    size_t start = text.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        text = {};
        return {};
    }
    text.remove_prefix(start);
    size_t end = text.find(' ');
    std::string_view word = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end);
    return word;
}

}  // namespace

std::string Message::nick() const {
    size_t end = prefix.find_first_of("!@");
    return prefix.substr(0, end);
}

const std::string& Message::param(size_t index) const {
    static const std::string none;
    return index < params.size() ? params[index] : none;
}

Message Message::parse(std::string_view line) {
    if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string_view::npos)
        throw MessageError("a NUL, CR or LF inside the line");
    if (!line.empty() && line.front() == '@') {  // IRCv3 tags: we asked for none, so only skip them
        size_t space = line.find(' ');
        if (space == std::string_view::npos || space > kMaxTagBytes)
            throw MessageError("message tags without a message, or longer than 8191 bytes");
        line.remove_prefix(space + 1);
    }
    if (line.size() > kMaxLineBytes - 2)
        throw MessageError("line longer than 510 bytes");
    Message message;
    line.remove_prefix(std::min(line.find_first_not_of(' '), line.size()));
    if (!line.empty() && line.front() == ':') {
        line.remove_prefix(1);
        if (line.empty() || line.front() == ' ')
            throw MessageError("an empty prefix");
        std::string_view prefix = nextWord(line);
        if (prefix.empty())
            throw MessageError("an empty prefix");
        message.prefix = prefix;
    }
    std::string_view command = nextWord(line);
    if (!isLetters(command) && !isNumeric(command))
        throw MessageError("the command is neither letters nor three digits");
    for (char c : command)
        message.command += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    while (true) {
        size_t start = line.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        line.remove_prefix(start);
        if (message.params.size() == kMaxParams)
            throw MessageError("more than 15 parameters");
        if (line.front() == ':') {
            message.params.emplace_back(line.substr(1));
            break;
        }
        // RFC 2812: the 15th parameter takes the rest of the line even without ':'
        if (message.params.size() == kMaxParams - 1) {
            message.params.emplace_back(line);
            break;
        }
        message.params.emplace_back(nextWord(line));
    }
    return message;
}

std::string Message::str() const {
    if (!isLetters(command) && !isNumeric(command))
        throw MessageError("the command is neither letters nor three digits");
    if (params.size() > kMaxParams)
        throw MessageError("more than 15 parameters");
    std::string line;
    if (!prefix.empty()) {
        if (prefix.find_first_of(std::string_view(" \0\r\n", 4)) != std::string::npos)
            throw MessageError("a space, NUL, CR or LF in the prefix");
        line += ':' + prefix + ' ';
    }
    line += command;
    for (size_t i = 0; i < params.size(); ++i) {
        const std::string& param = params[i];
        if (param.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
            throw MessageError("a NUL, CR or LF in parameter " + std::to_string(i + 1));
        bool last = i + 1 == params.size();
        bool needsColon = param.empty() || param.front() == ':' || param.find(' ') != std::string::npos;
        if (needsColon && !last)
            throw MessageError("parameter " + std::to_string(i + 1) + " is empty, spaced or starts with ':'");
        line += needsColon ? " :" : " ";
        line += param;
    }
    line += "\r\n";
    if (line.size() > kMaxLineBytes)
        throw MessageError("the line would be longer than 512 bytes");
    return line;
}

}  // namespace sylk::irc
