#include "conference_focus_detail.hpp"

#include <cctype>

namespace sylk::sip::conference_focus_detail {

// "janus.plugin.sylk.videoroom/42" -> "urn:sylk:janus.plugin.sylk.videoroom:42": a URI for a
// participant that has no SIP address.
std::string memberUri(const std::string& memberId) {
    std::string uri = "urn:sylk:";
    for (char c : memberId)
        uri += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : ':';
    return uri;
}

std::string quotable(const std::string& reason) {
    std::string text;
    for (char c : reason) {
        if (c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)
            text += c;
    }
    return text;
}

std::string warningOf(const std::string& reason) { return "399 sylk \"" + quotable(reason) + "\""; }

}  // namespace sylk::sip::conference_focus_detail
