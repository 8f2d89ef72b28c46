// Fuzz target for the IRC bridge's reader (sylkcore/irc): bytes from a server cut into lines
// (LineReader), each line parsed (Message::parse); what parses writes back (str()) as a line
// that parses to the same message. The same bytes as room chat (splitText) give lines within
// the limit, each with its lead, none with a line break or NUL; nick helpers stay in bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sylkcore/irc/line_reader.hpp"
#include "sylkcore/irc/message.hpp"
#include "sylkcore/irc/nicks.hpp"
#include "sylkcore/irc/text_lines.hpp"

using sylk::irc::LineReader;
using sylk::irc::Message;
using sylk::irc::MessageError;

namespace {

void checkLine(std::string_view line) {
    Message message;
    try {
        message = Message::parse(line);
    } catch (const MessageError&) {
        return;
    }
    if (message.command.empty())
        __builtin_trap();
    std::string written;
    try {
        written = message.str();
    } catch (const MessageError&) {
        return;  // longer than 512 once written canonically (a ':' added)
    }
    if (written.size() < 2 || written.compare(written.size() - 2, 2, "\r\n") != 0)
        __builtin_trap();
    Message again = Message::parse(std::string_view(written).substr(0, written.size() - 2));
    if (again.prefix != message.prefix || again.command != message.command || again.params != message.params)
        __builtin_trap();
    (void)message.nick();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    LineReader reader;
    try {
        // Fed in two pieces, so a line split across reads is exercised.
        size_t half = size / 2;
        reader.feed(data, half, checkLine);
        reader.feed(data + half, size - half, checkLine);
    } catch (const MessageError&) {
    }
    std::string_view text(reinterpret_cast<const char*>(data), size);
    size_t limit = 16 + size % 200;
    for (const auto& line : sylk::irc::splitText("nick: ", text, limit)) {
        if (line.size() > limit || line.rfind("nick: ", 0) != 0 || line.size() == 6)
            __builtin_trap();
        if (line.find_first_of(std::string_view("\0\r\n", 3)) != std::string::npos)
            __builtin_trap();
    }
    std::string nick = sylk::irc::retryNick(text.substr(0, 40), static_cast<unsigned>(size % 1000), 1 + size % 30);
    if (nick.size() > 1 + size % 30 + 3)
        __builtin_trap();
    std::string plain = sylk::irc::plainText(text);
    if (plain.size() > text.size())
        __builtin_trap();
    for (char c : plain)
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t')
            __builtin_trap();
    (void)sylk::irc::isValidNick(text);
    (void)sylk::irc::isValidChannel(text);
    if (sylk::irc::lowerName(text).size() != text.size())
        __builtin_trap();
    return 0;
}
