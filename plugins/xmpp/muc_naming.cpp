#include "muc_naming.hpp"

#include "jid.hpp"
#include "xep0106.hpp"

namespace sylk::xmpp {
namespace {

constexpr size_t kMaxRoomName = 256;

using xep0106::hexValue;
using xep0106::kEscapes;

}  // namespace

std::optional<std::string> roomFromLocal(std::string_view local) {
    std::string room;
    room.reserve(local.size());
    for (size_t i = 0; i < local.size(); ++i) {
        if (local[i] == '\\' && i + 2 < local.size()) {
            int high = hexValue(local[i + 1]);
            int low = hexValue(local[i + 2]);
            char decoded = high < 0 || low < 0 ? 0 : static_cast<char>(high * 16 + low);
            bool known = false;
            for (const auto& [plain, escape] : kEscapes)
                known = known || plain == decoded;
            // Only the ten escapes decode; any other backslash is the character itself.
            if (known) {
                room += decoded;
                i += 2;
                continue;
            }
        }
        room += local[i];
    }
    if (room.empty() || room.size() > kMaxRoomName)
        return std::nullopt;
    return room;
}

std::string localFromRoom(std::string_view room) {
    if (room.empty() || !printableUtf8(room))
        return "";
    std::string local;
    for (char c : room) {
        const char* escape = nullptr;
        for (const auto& [plain, code] : kEscapes)
            escape = plain == c ? code : escape;
        if (escape)
            local += escape;
        else
            local += c;
    }
    return local.size() > 1023 ? "" : local;
}

std::string nickInvalidReason(std::string_view nick) {
    if (nick.empty())
        return "the nickname is empty";
    if (nick.size() > kMaxNickBytes)
        return "the nickname is longer than 256 bytes";
    if (!printableUtf8(nick))
        return "the nickname has control characters or is not UTF-8";
    if (nick.find_first_not_of(" \t") == std::string_view::npos)
        return "the nickname is only white space";
    return "";
}

}  // namespace sylk::xmpp
