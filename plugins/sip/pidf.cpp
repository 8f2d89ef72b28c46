#include "pidf.hpp"

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

}  // namespace

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
