#include "conference_info.hpp"

namespace sylk::sip {

std::string xmlEscape(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        unsigned char byte = static_cast<unsigned char>(c);
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&quot;"; break;
        case '\'': out += "&apos;"; break;
        default:
            if (byte >= 0x20 || c == '\t' || c == '\n' || c == '\r')
                out += c;
            break;
        }
    }
    return out;
}

std::string fileSelectorHash(const std::string& sha1) {
    auto upper = [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; };
    std::string out = "sha-1:";
    for (size_t i = 0; i + 1 < sha1.size(); i += 2) {
        if (i)
            out += ':';
        out += upper(sha1[i]);
        out += upper(sha1[i + 1]);
    }
    return out;
}

namespace {

// SylkServer's list of the room's files (its conference-info extension), so a SIP client can
// show them and pull one by its hash (RFC 5547).
std::string filesXml(const std::vector<ConferenceFile>& files) {
    if (files.empty())
        return "";
    std::string xml = std::string("    <agp-conf:resources xmlns:agp-conf=\"") + kAgConferenceNamespace + "\">\n"
                      "      <agp-conf:files>\n";
    for (const auto& file : files) {
        xml += "        <agp-conf:file name=\"" + xmlEscape(file.name) + "\" hash=\"" + xmlEscape(fileSelectorHash(file.sha1)) +
               "\" size=\"" + std::to_string(file.size) + "\" sender=\"" + xmlEscape(file.sender) + "\" status=\"OK\"/>\n";
    }
    xml += "      </agp-conf:files>\n"
           "    </agp-conf:resources>\n";
    return xml;
}

}  // namespace

std::string conferenceInfoXml(const std::string& entity, const std::string& subject, uint64_t version,
                              const std::vector<ConferenceUser>& users, const std::vector<ConferenceFile>& files) {
    bool video = false, chat = false;
    for (const auto& user : users) {
        for (const auto& medium : user.media) {
            video = video || medium == "video";
            chat = chat || medium == "message";
        }
    }
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<conference-info xmlns=\"urn:ietf:params:xml:ns:conference-info\" entity=\"" +
                      xmlEscape(entity) + "\" state=\"full\" version=\"" + std::to_string(version) + "\">\n"
                      "  <conference-description>\n"
                      "    <subject>" + xmlEscape(subject) + "</subject>\n"
                      "    <available-media>\n"
                      "      <entry label=\"audio\"><type>audio</type><status>sendrecv</status></entry>\n";
    if (video)
        xml += "      <entry label=\"video\"><type>video</type><status>sendrecv</status></entry>\n";
    if (chat)  // MSRP chat (SylkServer names the stream type "message", as its m= line)
        xml += "      <entry label=\"message\"><type>message</type><status>sendrecv</status></entry>\n";
    xml += "    </available-media>\n" + filesXml(files) +
           "  </conference-description>\n"
           "  <conference-state>\n"
           "    <user-count>" + std::to_string(users.size()) + "</user-count>\n"
           "    <active>true</active>\n"
           "  </conference-state>\n"
           "  <users>\n";
    for (const auto& user : users) {
        std::string entityAttr = xmlEscape(user.entity);
        xml += "    <user entity=\"" + entityAttr + "\" state=\"full\">\n"
               "      <display-text>" + xmlEscape(user.display) + "</display-text>\n"
               "      <endpoint entity=\"" + entityAttr + "\">\n"
               "        <status>" + xmlEscape(user.status) + "</status>\n";
        int id = 1;
        for (const auto& medium : user.media) {
            // Hold stops RTP; an MSRP chat goes on.
            const char* direction = user.status == "on-hold" && medium != "message" ? "inactive"
                                    : medium == "audio" && (user.audioMuted || user.status == "muted-via-focus") ? "recvonly"
                                                                                     : "sendrecv";
            xml += "        <media id=\"" + std::to_string(id++) + "\"><type>" + xmlEscape(medium) +
                   "</type><label>" + xmlEscape(medium) + "</label><status>" + direction + "</status></media>\n";
        }
        xml += "      </endpoint>\n"
               "    </user>\n";
    }
    xml += "  </users>\n"
           "</conference-info>\n";
    return xml;
}

}  // namespace sylk::sip
