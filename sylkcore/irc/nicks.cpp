#include "nicks.hpp"

#include <cctype>

namespace sylk::irc {
namespace {

bool isSpecial(char c) { return c == '[' || c == ']' || c == '\\' || c == '`' || c == '_' || c == '^' || c == '{' || c == '|' || c == '}'; }
bool isLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool isValidNick(std::string_view nick) {
    if (nick.empty() || !(isLetter(nick[0]) || isSpecial(nick[0])))
        return false;
    for (char c : nick)
        if (!(isLetter(c) || isSpecial(c) || isDigit(c) || c == '-'))
            return false;
    return true;
}

std::string retryNick(std::string_view wanted, unsigned attempt, size_t maxLength) {
    std::string suffix = attempt == 0 ? std::string() : std::to_string(attempt);
    if (maxLength <= suffix.size())
        maxLength = suffix.size() + 1;  // keep the first character: a nick cannot start with a digit
    std::string nick(wanted.substr(0, maxLength - suffix.size()));
    return nick + suffix;
}

std::string lowerName(std::string_view name) {
    std::string lower;
    lower.reserve(name.size());
    for (char c : name) {
        switch (c) {
            case '[': c = '{'; break;
            case ']': c = '}'; break;
            case '\\': c = '|'; break;
            case '~': c = '^'; break;
            default: c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        lower += c;
    }
    return lower;
}

bool sameName(std::string_view a, std::string_view b) { return a.size() == b.size() && lowerName(a) == lowerName(b); }

bool isValidChannel(std::string_view channel) {
    if (channel.size() < 2 || channel.size() > 50)
        return false;
    if (channel[0] != '#' && channel[0] != '&' && channel[0] != '+' && channel[0] != '!')
        return false;
    return channel.find_first_of(std::string_view(" ,\a\0\r\n", 6)) == std::string_view::npos;
}

}  // namespace sylk::irc
