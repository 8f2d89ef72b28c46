#include "text_lines.hpp"

namespace sylk::irc {
namespace {

bool continuationByte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The longest prefix of text of at most budget bytes that ends on a character boundary,
// preferring to end after a space in its second half.
size_t cutAt(std::string_view text, size_t budget) {
    if (text.size() <= budget)
        return text.size();
    size_t cut = budget;
    while (cut > 0 && continuationByte(text[cut]))
        --cut;
    size_t space = text.rfind(' ', cut == 0 ? 0 : cut - 1);
    if (space != std::string_view::npos && space + 1 > budget / 2)
        return space + 1;
    return cut == 0 ? budget : cut;  // a budget smaller than one character: cut it anyway
}

}  // namespace

std::vector<std::string> splitText(std::string_view lead, std::string_view text, size_t maxBytes) {
    std::vector<std::string> lines;
    size_t budget = maxBytes > lead.size() + 1 ? maxBytes - lead.size() : 1;
    size_t start = 0;
    while (start <= text.size()) {
        size_t end = text.find('\n', start);
        std::string line;
        for (char c : text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)) {
            if (c == '\t')
                line += ' ';
            else if (static_cast<unsigned char>(c) >= 0x20 || c == '\x01' || c == '\x02' || c == '\x03' ||
                     c == '\x0f' || c == '\x16' || c == '\x1d' || c == '\x1f')
                line += c;  // IRC formatting codes pass; NUL, CR and the other controls do not
        }
        std::string_view rest(line);
        while (!rest.empty() && rest.find_first_not_of(' ') != std::string_view::npos) {
            size_t cut = cutAt(rest, budget);
            std::string piece(rest.substr(0, cut));
            while (!piece.empty() && piece.back() == ' ')
                piece.pop_back();
            if (!piece.empty())
                lines.push_back(std::string(lead) + piece);
            rest.remove_prefix(cut);
        }
        if (end == std::string_view::npos)
            break;
        start = end + 1;
    }
    return lines;
}

std::string plainText(std::string_view line) {
    std::string text;
    text.reserve(line.size());
    auto digit = [&](size_t at) { return at < line.size() && line[at] >= '0' && line[at] <= '9'; };
    for (size_t i = 0; i < line.size(); ++i) {
        char c = line[i];
        if (c == '\x03') {  // colour: up to two digits, then ",bg" with up to two digits
            size_t at = i + 1;
            for (int n = 0; n < 2 && digit(at); ++n)
                ++at;
            if (at > i + 1 && at < line.size() && line[at] == ',' && digit(at + 1)) {
                ++at;
                for (int n = 0; n < 2 && digit(at); ++n)
                    ++at;
            }
            i = at - 1;
            continue;
        }
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
            continue;  // ^B ^O ^V ^] ^^ ^Q ^_ and any other control byte
        text += c;
    }
    return text;
}

}  // namespace sylk::irc
