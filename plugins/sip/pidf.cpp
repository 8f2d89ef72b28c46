#include "pidf.hpp"

#include <string>
#include <utility>
#include <vector>

namespace sylk::sip {
namespace {

std::string xmlEscape(const std::string& text) {
    std::string out;
    for (char c : text) {
        switch (c) {
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '&': out += "&amp;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n')
                out += c;  // other control characters cannot be in XML 1.0
        }
    }
    return out;
}

constexpr size_t kMaxPidf = 64 * 1024;

std::string trim(const std::string& text) {
    size_t begin = text.find_first_not_of(" \t\r\n");
    size_t end = text.find_last_not_of(" \t\r\n");
    return begin == std::string::npos ? "" : text.substr(begin, end - begin + 1);
}

std::string xmlUnescape(const std::string& text) {
    static const std::pair<const char*, char> kEntities[] = {
        {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}, {"&apos;", '\''}};
    std::string out;
    for (size_t i = 0; i < text.size(); ++i) {
        bool replaced = false;
        if (text[i] == '&') {
            for (const auto& [entity, c] : kEntities) {
                if (text.compare(i, std::char_traits<char>::length(entity), entity) == 0) {
                    out += c;
                    i += std::char_traits<char>::length(entity) - 1;
                    replaced = true;
                    break;
                }
            }
        }
        if (!replaced)
            out += text[i];
    }
    return out;
}

// The text (up to its first child or end tag) of every element whose local name is name,
// whatever its namespace prefix, in document order.
std::vector<std::string> elementTexts(const std::string& xml, const std::string& name) {
    std::vector<std::string> texts;
    for (size_t at = xml.find('<'); at != std::string::npos; at = xml.find('<', at + 1)) {
        if (at + 1 >= xml.size() || xml[at + 1] == '/' || xml[at + 1] == '?' || xml[at + 1] == '!')
            continue;
        size_t nameEnd = xml.find_first_of(" \t\r\n/>", at + 1);
        if (nameEnd == std::string::npos)
            break;
        std::string tag = xml.substr(at + 1, nameEnd - at - 1);
        if (size_t colon = tag.rfind(':'); colon != std::string::npos)
            tag = tag.substr(colon + 1);
        if (tag != name)
            continue;
        size_t close = xml.find('>', nameEnd);
        if (close == std::string::npos)
            break;
        if (xml[close - 1] == '/')
            continue;  // <note/>: empty
        size_t end = xml.find('<', close + 1);
        if (end == std::string::npos)
            break;
        texts.push_back(xml.substr(close + 1, end - close - 1));
    }
    return texts;
}

}  // namespace

std::optional<PidfStatus> parsePidf(const std::string& xml) {
    if (xml.size() > kMaxPidf || xml.find("urn:ietf:params:xml:ns:pidf") == std::string::npos)
        return std::nullopt;
    PidfStatus status;
    bool any = false;
    for (const std::string& basic : elementTexts(xml, "basic")) {
        std::string value = trim(basic);
        if (value != "open" && value != "closed")
            continue;
        any = true;
        status.open = status.open || value == "open";
    }
    if (!any)
        return std::nullopt;
    auto notes = elementTexts(xml, "note");
    if (!notes.empty())
        status.note = trim(trim(xmlUnescape(notes.front())).substr(0, 1024));
    return status;
}

std::string buildPidf(const std::string& entity, bool open, const std::string& note) {
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"" + xmlEscape(entity) + "\">\n"
                      "  <tuple id=\"xmpp\">\n"
                      "    <status><basic>" + std::string(open ? "open" : "closed") + "</basic></status>\n";
    if (!note.empty())
        xml += "    <note>" + xmlEscape(note) + "</note>\n";
    xml += "  </tuple>\n</presence>\n";
    return xml;
}

}  // namespace sylk::sip
