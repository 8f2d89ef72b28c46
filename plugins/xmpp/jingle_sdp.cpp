#include "jingle_sdp.hpp"

#include <gloox/tag.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <sstream>

#include "jingle_namespaces.hpp"

namespace sylk::xmpp {
namespace {

bool within(const std::string& text, size_t min, size_t max) { return text.size() >= min && text.size() <= max; }

bool allOf(const std::string& text, bool (*ok)(char)) {
    for (char c : text)
        if (!ok(c))
            return false;
    return true;
}

bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool iceChar(char c) { return alnum(c) || c == '+' || c == '/'; }
// RFC 4566 token characters, without the quote and ampersand (XML) and backquote.
bool tokenChar(char c) { return alnum(c) || std::string_view("!#$%*+-.^_{|}~").find(c) != std::string_view::npos; }
bool hexOrColon(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':'; }
bool hostChar(char c) { return alnum(c) || c == '.' || c == ':' || c == '-'; }
// Visible ASCII but the separators of the lines they go into (fmtp values, URIs).
bool valueChar(char c) { return c > 0x20 && c < 0x7f && c != ';' && c != '<' && c != '>' && c != '"' && c != '\''; }
bool parameterNameChar(char c) { return valueChar(c) && c != '='; }
// A source's msid is "stream track": one space inside.
bool sourceValueChar(char c) { return valueChar(c) || c == ' '; }
bool digit(char c) { return c >= '0' && c <= '9'; }

bool isToken(const std::string& text, size_t max = 64) { return within(text, 1, max) && allOf(text, tokenChar); }

// A decimal number of at most 10 digits within [min, max].
std::optional<uint64_t> number(const std::string& text, uint64_t min, uint64_t max) {
    if (!within(text, 1, 10) || !allOf(text, digit))
        return std::nullopt;
    uint64_t value = std::strtoull(text.c_str(), nullptr, 10);
    if (value < min || value > max)
        return std::nullopt;
    return value;
}

bool oneOf(const std::string& text, std::initializer_list<const char*> values) {
    for (const char* value : values)
        if (text == value)
            return true;
    return false;
}

std::string fail(std::string& error, const std::string& why) {
    if (error.empty())
        error = why;
    return {};
}

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    std::string part;
    std::istringstream in(text);
    while (std::getline(in, part, separator))
        if (!part.empty())
            parts.push_back(part);
    return parts;
}

bool readCandidate(const gloox::Tag& tag, JingleCandidate& candidate, std::string& error) {
    candidate.foundation = tag.findAttribute("foundation");
    candidate.protocol = tag.findAttribute("protocol");
    candidate.ip = tag.findAttribute("ip");
    candidate.type = tag.findAttribute("type");
    candidate.id = tag.findAttribute("id");
    candidate.relAddr = tag.findAttribute("rel-addr");
    auto component = number(tag.findAttribute("component"), 1, 256);
    auto priority = number(tag.findAttribute("priority"), 0, UINT32_MAX);
    auto port = number(tag.findAttribute("port"), 0, 65535);
    auto generation = tag.hasAttribute("generation") ? number(tag.findAttribute("generation"), 0, 65535) : 0;
    if (!within(candidate.foundation, 1, 32) || !allOf(candidate.foundation, iceChar))
        return fail(error, "candidate foundation missing or malformed"), false;
    if (!component || !priority || !port || !generation)
        return fail(error, "candidate component, priority, port or generation missing or malformed"), false;
    if (!oneOf(candidate.protocol, {"udp", "UDP"}))
        return fail(error, "ICE-UDP candidates are udp"), false;
    candidate.protocol = "udp";
    if (!within(candidate.ip, 2, 253) || !allOf(candidate.ip, hostChar))
        return fail(error, "candidate ip missing or malformed"), false;
    if (!oneOf(candidate.type, {"host", "srflx", "prflx", "relay"}))
        return fail(error, "candidate type must be host, srflx, prflx or relay"), false;
    if (!candidate.id.empty() && (!within(candidate.id, 1, 64) || !allOf(candidate.id, tokenChar)))
        return fail(error, "candidate id malformed"), false;
    if (!candidate.relAddr.empty()) {
        auto relPort = number(tag.findAttribute("rel-port"), 0, 65535);
        if (!within(candidate.relAddr, 2, 253) || !allOf(candidate.relAddr, hostChar) || !relPort)
            return fail(error, "candidate rel-addr or rel-port malformed"), false;
        candidate.relPort = static_cast<unsigned>(*relPort);
    }
    candidate.component = static_cast<unsigned>(*component);
    candidate.priority = static_cast<uint32_t>(*priority);
    candidate.port = static_cast<unsigned>(*port);
    candidate.generation = static_cast<unsigned>(*generation);
    return true;
}

bool readPayload(const gloox::Tag& tag, JinglePayload& payload, std::string& error) {
    auto id = number(tag.findAttribute("id"), 0, 127);
    if (!id)
        return fail(error, "payload-type id must be 0..127"), false;
    payload.id = static_cast<unsigned>(*id);
    payload.name = tag.findAttribute("name");
    if (!payload.name.empty() && !isToken(payload.name, 32))
        return fail(error, "payload-type name malformed"), false;
    if (tag.hasAttribute("clockrate")) {
        auto rate = number(tag.findAttribute("clockrate"), 1, 1000000);
        if (!rate)
            return fail(error, "payload-type clockrate malformed"), false;
        payload.clockrate = static_cast<unsigned>(*rate);
    }
    if (tag.hasAttribute("channels")) {
        auto channels = number(tag.findAttribute("channels"), 1, 8);
        if (!channels)
            return fail(error, "payload-type channels malformed"), false;
        payload.channels = static_cast<unsigned>(*channels);
    }
    if (payload.name.empty() && payload.id >= 96)
        return fail(error, "a dynamic payload-type needs a name"), false;
    for (const gloox::Tag* child : tag.children()) {
        if (child->name() == "parameter") {
            // A bare fmtp value (RED's "111/111") comes as a parameter with a name only.
            std::string name = child->findAttribute("name"), value = child->findAttribute("value");
            if (!within(name, 1, 64) || !allOf(name, parameterNameChar) || !within(value, 0, 256) ||
                !allOf(value, valueChar))
                return fail(error, "payload-type parameter malformed"), false;
            payload.parameters.emplace_back(name, value);
        } else if (child->name() == "rtcp-fb" && child->xmlns() == jingle_ns::kRtcpFb) {
            std::string type = child->findAttribute("type"), subtype = child->findAttribute("subtype");
            if (!isToken(type, 32) || (!subtype.empty() && !isToken(subtype, 32)))
                return fail(error, "rtcp-fb malformed"), false;
            payload.feedback.emplace_back(type, subtype);
        }
    }
    return true;
}

bool readDescription(const gloox::Tag& tag, JingleContent& content, std::string& error) {
    content.media = tag.findAttribute("media");
    if (!isToken(content.media, 16))
        return fail(error, "the RTP description has no media"), false;
    std::vector<std::pair<std::string, std::string>> common;  // description-level rtcp-fb
    for (const gloox::Tag* child : tag.children()) {
        const std::string& name = child->name();
        if (name == "payload-type") {
            JinglePayload payload;
            if (!readPayload(*child, payload, error))
                return false;
            content.payloads.push_back(std::move(payload));
        } else if (name == "rtcp-mux") {
            content.rtcpMux = true;
        } else if (name == "rtcp-fb" && child->xmlns() == jingle_ns::kRtcpFb) {
            std::string type = child->findAttribute("type"), subtype = child->findAttribute("subtype");
            if (!isToken(type, 32) || (!subtype.empty() && !isToken(subtype, 32)))
                return fail(error, "rtcp-fb malformed"), false;
            common.emplace_back(type, subtype);
        } else if (name == "rtp-hdrext" && child->xmlns() == jingle_ns::kRtpHdrext) {
            auto id = number(child->findAttribute("id"), 1, 255);
            std::string uri = child->findAttribute("uri");
            if (!id || !within(uri, 1, 256) || !allOf(uri, valueChar))
                return fail(error, "rtp-hdrext malformed"), false;
            content.headerExtensions.emplace_back(static_cast<unsigned>(*id), uri);
        } else if (name == "source" && child->xmlns() == jingle_ns::kSsma) {
            auto ssrc = number(child->findAttribute("ssrc"), 0, UINT32_MAX);
            if (!ssrc)
                return fail(error, "source ssrc malformed"), false;
            JingleSource source;
            source.ssrc = static_cast<uint32_t>(*ssrc);
            for (const gloox::Tag* parameter : child->findChildren("parameter")) {
                std::string key = parameter->findAttribute("name"), value = parameter->findAttribute("value");
                if (!isToken(key, 32) || !within(value, 0, 256) || !allOf(value, sourceValueChar))
                    return fail(error, "source parameter malformed"), false;
                source.parameters.emplace_back(key, value);
            }
            content.sources.push_back(std::move(source));
        }
    }
    for (auto& payload : content.payloads)
        payload.feedback.insert(payload.feedback.end(), common.begin(), common.end());
    return true;
}

bool readTransport(const gloox::Tag& tag, JingleContent& content, std::string& error) {
    content.ufrag = tag.findAttribute("ufrag");
    content.pwd = tag.findAttribute("pwd");
    if (!content.ufrag.empty() && (!within(content.ufrag, 4, 256) || !allOf(content.ufrag, iceChar)))
        return fail(error, "ICE ufrag malformed"), false;
    if (!content.pwd.empty() && (!within(content.pwd, 22, 256) || !allOf(content.pwd, iceChar)))
        return fail(error, "ICE pwd malformed"), false;
    for (const gloox::Tag* child : tag.children()) {
        if (child->name() == "candidate") {
            JingleCandidate candidate;
            if (!readCandidate(*child, candidate, error))
                return false;
            content.candidates.push_back(std::move(candidate));
        } else if (child->name() == "fingerprint" && child->xmlns() == jingle_ns::kDtls) {
            content.fingerprintHash = child->findAttribute("hash");
            content.setup = child->findAttribute("setup");
            content.fingerprint = child->cdata();
            if (!isToken(content.fingerprintHash, 16) || !within(content.fingerprint, 2, 256) ||
                !allOf(content.fingerprint, hexOrColon))
                return fail(error, "DTLS fingerprint malformed"), false;
            if (!content.setup.empty() && !oneOf(content.setup, {"actpass", "active", "passive"}))
                return fail(error, "DTLS setup must be actpass, active or passive"), false;
        }
    }
    return true;
}

}  // namespace

JingleContent JingleSdp::readContent(const gloox::Tag& tag, std::string& error) {
    JingleContent content;
    content.name = tag.findAttribute("name");
    if (!isToken(content.name, 32))
        return fail(error, "content name missing or malformed"), content;
    if (tag.hasAttribute("creator")) {
        content.creator = tag.findAttribute("creator");
        if (!oneOf(content.creator, {"initiator", "responder"}))
            return fail(error, "content creator must be initiator or responder"), content;
    }
    if (tag.hasAttribute("senders")) {
        content.senders = tag.findAttribute("senders");
        if (!oneOf(content.senders, {"both", "initiator", "responder", "none"}))
            return fail(error, "content senders must be both, initiator, responder or none"), content;
    }
    content.media.clear();
    for (const gloox::Tag* child : tag.children()) {
        if (child->name() == "description" && child->xmlns() == jingle_ns::kRtp) {
            if (!readDescription(*child, content, error))
                return content;
        } else if (child->name() == "description") {
            return fail(error, "unsupported application " + child->xmlns().substr(0, 64)), content;
        } else if (child->name() == "transport" && child->xmlns() == jingle_ns::kIceUdp) {
            if (!readTransport(*child, content, error))
                return content;
        } else if (child->name() == "transport") {
            return fail(error, "unsupported transport " + child->xmlns().substr(0, 64)), content;
        }
    }
    return content;
}

JingleRead JingleSdp::read(const gloox::Tag& jingle) {
    JingleRead read;
    if (jingle.name() != "jingle" || jingle.xmlns() != jingle_ns::kJingle)
        return fail(read.error, "not a urn:xmpp:jingle:1 element"), read;
    read.action = jingle.findAttribute("action");
    read.sid = jingle.findAttribute("sid");
    read.initiator = jingle.findAttribute("initiator");
    if (!oneOf(read.action, {"content-accept", "content-add", "content-modify", "content-reject", "content-remove",
                             "description-info", "security-info", "session-accept", "session-info",
                             "session-initiate", "session-terminate", "transport-accept", "transport-info",
                             "transport-reject", "transport-replace", "source-add", "source-remove"}))
        return fail(read.error, "unknown or missing action"), read;
    if (!within(read.sid, 1, 256) || !allOf(read.sid, [](char c) { return c > 0x20 && c != 0x7f; }))
        return fail(read.error, "sid missing or malformed"), read;
    for (const gloox::Tag* child : jingle.children()) {
        if (child->name() == "content") {
            read.contents.push_back(readContent(*child, read.error));
            if (!read.error.empty())
                return read;
        } else if (child->name() == "reason") {
            for (const gloox::Tag* condition : child->children())
                if (condition->name() != "text" && read.reason.empty())
                    read.reason = condition->name().substr(0, 64);
        }
    }
    return read;
}

std::string JingleSdp::offerProblem(const JingleContent& content) {
    if (content.media != "audio")
        return "only audio contents are served";
    if (content.payloads.empty())
        return "the audio content has no payload-type";
    if (content.ufrag.empty() || content.pwd.empty())
        return "the transport has no ICE ufrag and pwd";
    if (content.fingerprint.empty())
        return "the transport has no DTLS fingerprint (XEP-0320): media must be DTLS-SRTP";
    return {};
}

std::string JingleSdp::candidateLine(const JingleCandidate& c) {
    std::string line = "candidate:" + c.foundation + " " + std::to_string(c.component) + " " + c.protocol + " " +
                       std::to_string(c.priority) + " " + c.ip + " " + std::to_string(c.port) + " typ " + c.type;
    if (!c.relAddr.empty())
        line += " raddr " + c.relAddr + " rport " + std::to_string(c.relPort);
    line += " generation " + std::to_string(c.generation);
    return line;
}

std::optional<JingleCandidate> JingleSdp::parseCandidate(const std::string& text) {
    std::string line = text;
    if (line.rfind("a=", 0) == 0)
        line.erase(0, 2);
    if (line.rfind("candidate:", 0) == 0)
        line.erase(0, 10);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.pop_back();
    std::vector<std::string> parts = split(line, ' ');
    if (parts.size() < 8 || parts[6] != "typ")
        return std::nullopt;
    JingleCandidate c;
    c.foundation = parts[0];
    c.protocol = parts[2];
    for (char& ch : c.protocol)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    c.ip = parts[4];
    c.type = parts[7];
    auto component = number(parts[1], 1, 256);
    auto priority = number(parts[3], 0, UINT32_MAX);
    auto port = number(parts[5], 0, 65535);
    if (!component || !priority || !port || !within(c.foundation, 1, 32) || !allOf(c.foundation, iceChar) ||
        !within(c.ip, 2, 253) || !allOf(c.ip, hostChar) || !oneOf(c.type, {"host", "srflx", "prflx", "relay"}) ||
        !isToken(c.protocol, 8))
        return std::nullopt;
    c.component = static_cast<unsigned>(*component);
    c.priority = static_cast<uint32_t>(*priority);
    c.port = static_cast<unsigned>(*port);
    for (size_t i = 8; i + 1 < parts.size(); i += 2) {
        if (parts[i] == "raddr") {
            if (!within(parts[i + 1], 2, 253) || !allOf(parts[i + 1], hostChar))
                return std::nullopt;
            c.relAddr = parts[i + 1];
        } else if (parts[i] == "rport") {
            auto relPort = number(parts[i + 1], 0, 65535);
            if (!relPort)
                return std::nullopt;
            c.relPort = static_cast<unsigned>(*relPort);
        } else if (parts[i] == "generation") {
            auto generation = number(parts[i + 1], 0, 65535);
            if (!generation)
                return std::nullopt;
            c.generation = static_cast<unsigned>(*generation);
        }
    }
    c.id = c.foundation + "-" + std::to_string(c.component) + "-" + std::to_string(c.port);
    return c;
}

std::string JingleSdp::offer(const JingleContent& content, uint64_t sessionId) {
    std::string sdp;
    auto line = [&sdp](const std::string& text) { sdp += text + "\r\n"; };
    line("v=0");
    line("o=- " + std::to_string(sessionId) + " 2 IN IP4 127.0.0.1");
    line("s=-");
    line("t=0 0");
    line("a=group:BUNDLE " + content.name);
    std::string formats;
    for (const auto& payload : content.payloads)
        formats += " " + std::to_string(payload.id);
    line("m=audio 9 UDP/TLS/RTP/SAVPF" + formats);
    line("c=IN IP4 0.0.0.0");
    line("a=ice-ufrag:" + content.ufrag);
    line("a=ice-pwd:" + content.pwd);
    line("a=ice-options:trickle");
    line("a=fingerprint:" + content.fingerprintHash + " " + content.fingerprint);
    line("a=setup:" + (content.setup.empty() ? std::string("actpass") : content.setup));
    line("a=mid:" + content.name);
    for (const auto& [id, uri] : content.headerExtensions)
        line("a=extmap:" + std::to_string(id) + " " + uri);
    // The offerer is the initiator: its senders say which way it sends.
    const std::string& s = content.senders;
    line(s == "initiator" ? "a=sendonly" : s == "responder" ? "a=recvonly" : s == "none" ? "a=inactive" : "a=sendrecv");
    if (content.rtcpMux)
        line("a=rtcp-mux");
    for (const auto& payload : content.payloads) {
        std::string id = std::to_string(payload.id);
        if (!payload.name.empty()) {
            std::string rtpmap = "a=rtpmap:" + id + " " + payload.name + "/" + std::to_string(payload.clockrate);
            if (payload.channels > 1)
                rtpmap += "/" + std::to_string(payload.channels);
            line(rtpmap);
        }
        if (!payload.parameters.empty()) {
            std::string fmtp = "a=fmtp:" + id + " ";
            for (size_t i = 0; i < payload.parameters.size(); ++i)
                fmtp += (i ? ";" : "") + payload.parameters[i].first +
                        (payload.parameters[i].second.empty() ? "" : "=" + payload.parameters[i].second);
            line(fmtp);
        }
        for (const auto& [type, subtype] : payload.feedback)
            line("a=rtcp-fb:" + id + " " + type + (subtype.empty() ? "" : " " + subtype));
    }
    for (const auto& source : content.sources)
        for (const auto& [key, value] : source.parameters)
            if (!value.empty())
                line("a=ssrc:" + std::to_string(source.ssrc) + " " + key + ":" + value);
    for (const auto& candidate : content.candidates)
        line("a=" + candidateLine(candidate));
    return sdp;
}

std::optional<JingleContent> JingleSdp::answer(const std::string& sdp, const std::string& mid, std::string& error) {
    JingleContent content;
    content.name = mid;
    content.creator = "initiator";
    std::string sessionFingerprint, sessionSetup, sessionUfrag, sessionPwd;
    bool inAudio = false, seenAudio = false;
    std::string direction = "sendrecv";
    std::map<unsigned, JinglePayload> payloads;
    std::vector<unsigned> order;
    std::map<uint32_t, size_t> sourceIndex;
    for (std::string line : split(sdp, '\n')) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.rfind("m=", 0) == 0) {
            if (seenAudio) {
                inAudio = false;
                continue;  // one audio m-line is all the mixer answers; others are ignored
            }
            std::vector<std::string> parts = split(line.substr(2), ' ');
            if (parts.size() < 4 || parts[0] != "audio")
                continue;
            if (parts[1] == "0")
                return fail(error, "the answer rejects the audio stream"), std::nullopt;
            inAudio = seenAudio = true;
            for (size_t i = 3; i < parts.size(); ++i) {
                auto pt = number(parts[i], 0, 127);
                if (!pt)
                    return fail(error, "malformed payload type in the answer"), std::nullopt;
                payloads[static_cast<unsigned>(*pt)].id = static_cast<unsigned>(*pt);
                order.push_back(static_cast<unsigned>(*pt));
            }
            continue;
        }
        if (line.rfind("a=", 0) != 0)
            continue;
        std::string attribute = line.substr(2);
        std::string name = attribute.substr(0, attribute.find(':'));
        std::string value = attribute.find(':') == std::string::npos ? "" : attribute.substr(attribute.find(':') + 1);
        std::string& ufrag = inAudio ? content.ufrag : sessionUfrag;
        std::string& pwd = inAudio ? content.pwd : sessionPwd;
        std::string& setup = inAudio ? content.setup : sessionSetup;
        if (name == "ice-ufrag")
            ufrag = value;
        else if (name == "ice-pwd")
            pwd = value;
        else if (name == "setup")
            setup = value;
        else if (name == "fingerprint") {
            auto space = value.find(' ');
            if (space == std::string::npos)
                return fail(error, "malformed fingerprint in the answer"), std::nullopt;
            if (inAudio) {
                content.fingerprintHash = value.substr(0, space);
                content.fingerprint = value.substr(space + 1);
            } else {
                sessionFingerprint = value;
            }
        }
        if (!inAudio)
            continue;
        if (name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive")
            direction = name;
        else if (name == "rtcp-mux")
            content.rtcpMux = true;
        else if (name == "mid" && isToken(value, 32))
            content.name = value;
        else if (name == "candidate") {
            auto candidate = parseCandidate(line);
            if (candidate && candidate->protocol == "udp")
                content.candidates.push_back(*candidate);
        } else if (name == "rtpmap" || name == "fmtp" || name == "rtcp-fb") {
            auto space = value.find(' ');
            auto pt = number(value.substr(0, space), 0, 127);
            if (!pt || space == std::string::npos || payloads.count(static_cast<unsigned>(*pt)) == 0)
                continue;
            JinglePayload& payload = payloads[static_cast<unsigned>(*pt)];
            std::string rest = value.substr(space + 1);
            if (name == "rtpmap") {
                std::vector<std::string> parts = split(rest, '/');
                if (parts.size() < 2 || !isToken(parts[0], 32))
                    return fail(error, "malformed rtpmap in the answer"), std::nullopt;
                auto rate = number(parts[1], 1, 1000000);
                auto channels = parts.size() > 2 ? number(parts[2], 1, 8) : 1;
                if (!rate || !channels)
                    return fail(error, "malformed rtpmap in the answer"), std::nullopt;
                payload.name = parts[0];
                payload.clockrate = static_cast<unsigned>(*rate);
                payload.channels = static_cast<unsigned>(*channels);
            } else if (name == "fmtp") {
                for (std::string parameter : split(rest, ';')) {
                    while (!parameter.empty() && parameter.front() == ' ')
                        parameter.erase(0, 1);
                    auto equals = parameter.find('=');
                    std::string key = parameter.substr(0, equals);
                    std::string val = equals == std::string::npos ? "" : parameter.substr(equals + 1);
                    if (within(key, 1, 64) && allOf(key, parameterNameChar) && within(val, 0, 256) &&
                        allOf(val, valueChar))
                        payload.parameters.emplace_back(key, val);
                }
            } else {
                std::vector<std::string> parts = split(rest, ' ');
                if (!parts.empty() && isToken(parts[0], 32) && (parts.size() < 2 || isToken(parts[1], 32)))
                    payload.feedback.emplace_back(parts[0], parts.size() > 1 ? parts[1] : "");
            }
        } else if (name == "extmap") {
            auto space = value.find(' ');
            std::string idText = value.substr(0, std::min(space, value.find('/')));
            auto id = number(idText, 1, 255);
            std::string uri = space == std::string::npos ? "" : value.substr(space + 1);
            uri = uri.substr(0, uri.find(' '));
            if (id && within(uri, 1, 256) && allOf(uri, valueChar))
                content.headerExtensions.emplace_back(static_cast<unsigned>(*id), uri);
        } else if (name == "ssrc") {
            auto space = value.find(' ');
            auto ssrc = number(value.substr(0, space), 0, UINT32_MAX);
            if (!ssrc || space == std::string::npos)
                continue;
            std::string rest = value.substr(space + 1);
            auto colon = rest.find(':');
            std::string key = rest.substr(0, colon);
            std::string val = colon == std::string::npos ? "" : rest.substr(colon + 1);
            if (!isToken(key, 32) || !within(val, 0, 256) || !allOf(val, sourceValueChar))
                continue;
            auto [it, added] = sourceIndex.emplace(static_cast<uint32_t>(*ssrc), content.sources.size());
            if (added)
                content.sources.push_back(JingleSource{static_cast<uint32_t>(*ssrc), {}});
            content.sources[it->second].parameters.emplace_back(key, val);
        }
    }
    if (!seenAudio)
        return fail(error, "the answer has no audio stream"), std::nullopt;
    if (content.ufrag.empty())
        content.ufrag = sessionUfrag;
    if (content.pwd.empty())
        content.pwd = sessionPwd;
    if (content.setup.empty())
        content.setup = sessionSetup;
    if (content.fingerprint.empty() && !sessionFingerprint.empty()) {
        auto space = sessionFingerprint.find(' ');
        content.fingerprintHash = sessionFingerprint.substr(0, space);
        content.fingerprint = space == std::string::npos ? "" : sessionFingerprint.substr(space + 1);
    }
    if (!within(content.ufrag, 1, 256) || !allOf(content.ufrag, iceChar) || !within(content.pwd, 1, 256) ||
        !allOf(content.pwd, iceChar))
        return fail(error, "the answer's ICE credentials are missing or malformed"), std::nullopt;
    if (!isToken(content.fingerprintHash, 16) || !within(content.fingerprint, 2, 256) ||
        !allOf(content.fingerprint, hexOrColon))
        return fail(error, "the answer's DTLS fingerprint is missing or malformed"), std::nullopt;
    if (!content.setup.empty() && !oneOf(content.setup, {"actpass", "active", "passive"}))
        return fail(error, "the answer's DTLS setup is malformed"), std::nullopt;
    // The answerer is the responder: recvonly means only the initiator sends.
    content.senders = direction == "recvonly" ? "initiator" : direction == "sendonly" ? "responder"
                    : direction == "inactive" ? "none" : "both";
    for (unsigned pt : order)
        if (!payloads[pt].name.empty() || pt < 96)
            content.payloads.push_back(payloads[pt]);
    if (content.payloads.empty())
        return fail(error, "the answer has no payload type"), std::nullopt;
    return content;
}

std::unique_ptr<gloox::Tag> JingleSdp::contentTag(const JingleContent& content, bool transportOnly) {
    auto tag = std::make_unique<gloox::Tag>("content");
    tag->addAttribute("creator", content.creator);
    tag->addAttribute("name", content.name);
    if (!transportOnly && content.senders != "both")
        tag->addAttribute("senders", content.senders);
    if (!transportOnly) {
        auto* description = new gloox::Tag(tag.get(), "description", "xmlns", jingle_ns::kRtp);
        description->addAttribute("media", content.media);
        for (const auto& payload : content.payloads) {
            auto* pt = new gloox::Tag(description, "payload-type");
            pt->addAttribute("id", std::to_string(payload.id));
            if (!payload.name.empty())
                pt->addAttribute("name", payload.name);
            if (payload.clockrate)
                pt->addAttribute("clockrate", std::to_string(payload.clockrate));
            if (payload.channels > 1)
                pt->addAttribute("channels", std::to_string(payload.channels));
            for (const auto& [key, value] : payload.parameters) {
                auto* parameter = new gloox::Tag(pt, "parameter");
                parameter->addAttribute("name", key);
                parameter->addAttribute("value", value);
            }
            for (const auto& [type, subtype] : payload.feedback) {
                auto* fb = new gloox::Tag(pt, "rtcp-fb", "xmlns", jingle_ns::kRtcpFb);
                fb->addAttribute("type", type);
                if (!subtype.empty())
                    fb->addAttribute("subtype", subtype);
            }
        }
        for (const auto& [id, uri] : content.headerExtensions) {
            auto* ext = new gloox::Tag(description, "rtp-hdrext", "xmlns", jingle_ns::kRtpHdrext);
            ext->addAttribute("id", std::to_string(id));
            ext->addAttribute("uri", uri);
        }
        for (const auto& source : content.sources) {
            auto* s = new gloox::Tag(description, "source", "xmlns", jingle_ns::kSsma);
            s->addAttribute("ssrc", std::to_string(source.ssrc));
            for (const auto& [key, value] : source.parameters) {
                auto* parameter = new gloox::Tag(s, "parameter");
                parameter->addAttribute("name", key);
                parameter->addAttribute("value", value);
            }
        }
        if (content.rtcpMux)
            new gloox::Tag(description, "rtcp-mux");
    }
    auto* transport = new gloox::Tag(tag.get(), "transport", "xmlns", jingle_ns::kIceUdp);
    if (!content.ufrag.empty())
        transport->addAttribute("ufrag", content.ufrag);
    if (!content.pwd.empty())
        transport->addAttribute("pwd", content.pwd);
    if (!content.fingerprint.empty()) {
        auto* fingerprint = new gloox::Tag(transport, "fingerprint", content.fingerprint);
        fingerprint->setXmlns(jingle_ns::kDtls);
        fingerprint->addAttribute("hash", content.fingerprintHash);
        if (!content.setup.empty())
            fingerprint->addAttribute("setup", content.setup);
    }
    for (const auto& c : content.candidates) {
        auto* candidate = new gloox::Tag(transport, "candidate");
        candidate->addAttribute("component", std::to_string(c.component));
        candidate->addAttribute("foundation", c.foundation);
        candidate->addAttribute("generation", std::to_string(c.generation));
        candidate->addAttribute("id", c.id.empty() ? c.foundation + "-" + std::to_string(c.port) : c.id);
        candidate->addAttribute("ip", c.ip);
        candidate->addAttribute("network", "0");
        candidate->addAttribute("port", std::to_string(c.port));
        candidate->addAttribute("priority", std::to_string(c.priority));
        candidate->addAttribute("protocol", c.protocol);
        candidate->addAttribute("type", c.type);
        if (!c.relAddr.empty()) {
            candidate->addAttribute("rel-addr", c.relAddr);
            candidate->addAttribute("rel-port", std::to_string(c.relPort));
        }
    }
    return tag;
}

}  // namespace sylk::xmpp
