#include "sip_sdp.hpp"

#include <cctype>
#include <map>
#include <vector>

#include "sylkcore/net/srtp_session.hpp"

namespace sylk::sip {
namespace {

// Phone offers are read here rather than with Sofia-SIP's SDP parser: fuzzing found that one
// allocating gigabytes on malformed m= lines ("m=audio 0FFFF...", odd media or protocol tokens).
// This reader takes only what we need (c=, m=, a=rtpmap) and refuses anything it does not
// recognise, in bounded time and memory.

struct Media {
    std::string type;
    unsigned long port = 0;
    std::string proto;
    std::vector<int> formats;
    struct Format {
        std::string name;  // encoding name, lower case
        unsigned long rate = 0;
    };
    std::map<int, Format> rtpmap;  // pt -> its a=rtpmap
    std::string connection;
    std::string direction = "sendrecv";
    struct Crypto {
        int tag;
        std::string suite;
        std::string key;
    };
    std::vector<Crypto> crypto;  // the usable ones (suite we have, a 30-byte inline key)
};

std::vector<std::string> split(const std::string& text, char separator) {
    std::vector<std::string> parts;
    size_t at = 0;
    while (at <= text.size()) {
        size_t next = text.find(separator, at);
        if (next == std::string::npos)
            next = text.size();
        if (next > at)
            parts.push_back(text.substr(at, next - at));
        at = next + 1;
    }
    return parts;
}

bool number(const std::string& text, unsigned long max, unsigned long* value) {
    if (text.empty() || text.size() > 5)
        return false;
    unsigned long result = 0;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return false;
        result = result * 10 + static_cast<unsigned long>(c - '0');
    }
    if (result > max)
        return false;
    *value = result;
    return true;
}

std::string lower(std::string text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// "IN IP4 192.0.2.1" -> "192.0.2.1"
std::string connectionAddress(const std::string& value) {
    auto parts = split(value, ' ');
    if (parts.size() != 3 || parts[0] != "IN" || (parts[1] != "IP4" && parts[1] != "IP6"))
        return "";
    std::string address = parts[2].substr(0, parts[2].find('/'));
    for (char c : address) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':')
            return "";
    }
    return address;
}

const char* kSupported[] = {"opus", "g722", "pcmu", "pcma"};
const std::map<int, std::string> kStatic = {{0, "pcmu"}, {8, "pcma"}, {9, "g722"}};

// The RTP clock rate of the codecs we take (G.722's is 8000 by RFC 3551's historical error).
unsigned long clockRate(const std::string& codec) { return codec == "opus" ? 48000 : 8000; }

}  // namespace

std::optional<AudioOffer> chooseAudio(const std::string& offer, std::string* reason) {
    auto fail = [&](const std::string& why) -> std::optional<AudioOffer> {
        if (reason)
            *reason = why;
        return std::nullopt;
    };
    if (offer.size() > 16 * 1024)
        return fail("SDP larger than 16 KiB");
    std::string sessionConnection;
    std::vector<Media> media;
    bool sawVersion = false;
    for (std::string line : split(offer, '\n')) {
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.size() < 2 || line[1] != '=')
            return fail("malformed SDP line");
        for (unsigned char c : line) {
            if (c < 0x20 || c > 0x7e)
                return fail("SDP with bytes that are not printable ASCII");
        }
        char kind = line[0];
        std::string value = line.substr(2);
        if (kind == 'v') {
            sawVersion = value == "0";
        } else if (kind == 'c') {
            std::string address = connectionAddress(value);
            if (address.empty())
                return fail("malformed c= line");
            (media.empty() ? sessionConnection : media.back().connection) = address;
        } else if (kind == 'm') {
            auto parts = split(value, ' ');
            if (parts.size() < 4 || media.size() >= 16)
                return fail("malformed m= line");
            Media entry;
            entry.type = parts[0];
            if (!number(parts[1].substr(0, parts[1].find('/')), 65535, &entry.port))
                return fail("malformed m= port");
            entry.proto = parts[2];
            for (size_t i = 3; i < parts.size() && i < 64; ++i) {
                unsigned long pt;
                if (number(parts[i], 127, &pt))
                    entry.formats.push_back(static_cast<int>(pt));
            }
            media.push_back(std::move(entry));
        } else if (kind == 'a' && !media.empty() &&
                   (value == "sendrecv" || value == "sendonly" || value == "recvonly" || value == "inactive")) {
            media.back().direction = value;
        } else if (kind == 'a' && !media.empty() && value.rfind("crypto:", 0) == 0) {
            // a=crypto:<tag> <suite> <key-params> [session-params]
            auto parts = split(value.substr(7), ' ');
            unsigned long tag;
            if (parts.size() >= 3 && number(parts[0], 999999999, &tag) && net::SrtpSession::supported(parts[1]) &&
                media.back().crypto.size() < 16) {
                std::string key = net::SrtpSession::keyOf(parts[2]);
                if (!key.empty())
                    media.back().crypto.push_back({static_cast<int>(tag), parts[1], key});
            }
        } else if (kind == 'a' && !media.empty() && value.rfind("rtpmap:", 0) == 0) {
            auto parts = split(value.substr(7), ' ');
            unsigned long pt;
            if (parts.size() == 2 && number(parts[0], 127, &pt)) {
                // "<name>/<rate>[/<channels>]"; a rate that is not a number counts as none.
                auto encoding = split(parts[1], '/');
                Media::Format format;
                format.name = lower(encoding.empty() ? "" : encoding[0]);
                if (encoding.size() < 2 || !number(encoding[1], 99999, &format.rate))
                    format.rate = 0;
                media.back().rtpmap[static_cast<int>(pt)] = format;
            }
        }
    }
    if (!sawVersion)
        return fail("not an SDP (no v=0)");
    std::string why = "no audio stream";
    for (const auto& entry : media) {
        if (entry.type != "audio" || entry.port == 0)
            continue;
        if (entry.proto != "RTP/AVP" && entry.proto != "RTP/SAVP") {
            why = "audio is neither RTP/AVP nor RTP/SAVP";
            continue;
        }
        if (entry.proto == "RTP/SAVP" && entry.crypto.empty()) {
            why = "RTP/SAVP without an a=crypto we take (AES_CM_128_HMAC_SHA1_80 or _32, inline key)";
            continue;
        }
        std::string address = entry.connection.empty() ? sessionConnection : entry.connection;
        if (address.empty()) {
            why = "no connection address";
            continue;
        }
        AudioOffer chosen;
        chosen.address = address;
        chosen.port = static_cast<uint16_t>(entry.port);
        chosen.direction = entry.direction;
        if (!entry.crypto.empty()) {
            chosen.cryptoTag = entry.crypto.front().tag;
            chosen.cryptoSuite = entry.crypto.front().suite;
            chosen.cryptoKey = entry.crypto.front().key;
        }
        for (int pt : entry.formats) {
            auto mapped = entry.rtpmap.find(pt);
            std::string name = mapped != entry.rtpmap.end() ? mapped->second.name
                               : kStatic.count(pt) ? kStatic.at(pt) : "";
            // A dynamic type at another clock rate is another codec (e.g. PCMU/16000).
            if (mapped != entry.rtpmap.end() && mapped->second.rate != clockRate(name))
                continue;
            for (const char* supported : kSupported) {
                if (name == supported && chosen.codec.empty()) {
                    chosen.codec = name;
                    chosen.payloadType = pt;
                }
            }
        }
        if (chosen.codec.empty()) {
            why = "no common codec (we take Opus, G.722, PCMU, PCMA)";
            continue;
        }
        for (int pt : entry.formats) {
            auto mapped = entry.rtpmap.find(pt);
            if (mapped == entry.rtpmap.end() || mapped->second.name != "telephone-event" || mapped->second.rate == 0)
                continue;
            bool better = chosen.telephoneEventPt < 0 || (mapped->second.rate == clockRate(chosen.codec) &&
                                                          chosen.telephoneEventRate != static_cast<int>(clockRate(chosen.codec)));
            if (better) {
                chosen.telephoneEventPt = pt;
                chosen.telephoneEventRate = static_cast<int>(mapped->second.rate);
            }
        }
        return chosen;
    }
    return fail(why);
}

std::string answerDirection(const std::string& offered) {
    if (offered == "sendonly")
        return "recvonly";
    if (offered == "recvonly")
        return "sendonly";
    return offered;
}

std::string buildAnswer(const std::string& localIp, uint16_t localPort, const AudioOffer& chosen, uint64_t sessionId,
                        uint64_t version, const std::string& direction, const std::string& localKey) {
    const bool v6 = localIp.find(':') != std::string::npos;
    std::string ipType = v6 ? "IP6" : "IP4";
    std::string rtpmap;
    if (chosen.codec == "opus")
        rtpmap = "opus/48000/2";
    else if (chosen.codec == "g722")
        rtpmap = "G722/8000";
    else if (chosen.codec == "pcmu")
        rtpmap = "PCMU/8000";
    else
        rtpmap = "PCMA/8000";
    std::string formats = std::to_string(chosen.payloadType);
    if (chosen.telephoneEventPt >= 0)
        formats += " " + std::to_string(chosen.telephoneEventPt);
    std::string sdp = "v=0\r\n"
                      "o=sylk " + std::to_string(sessionId) + " " + std::to_string(version) + " IN " + ipType + " " + localIp + "\r\n"
                      "s=Sylk conference\r\n"
                      "c=IN " + ipType + " " + localIp + "\r\n"
                      "t=0 0\r\n"
                      "m=audio " + std::to_string(localPort) + (chosen.srtp() ? " RTP/SAVP " : " RTP/AVP ") + formats + "\r\n"
                      "a=rtpmap:" + std::to_string(chosen.payloadType) + " " + rtpmap + "\r\n";
    if (chosen.srtp())
        sdp += "a=crypto:" + std::to_string(chosen.cryptoTag) + " " + chosen.cryptoSuite + " inline:" + localKey + "\r\n";
    if (chosen.telephoneEventPt >= 0)
        sdp += "a=rtpmap:" + std::to_string(chosen.telephoneEventPt) + " telephone-event/" +
               std::to_string(chosen.telephoneEventRate) + "\r\n";
    sdp += "a=ptime:20\r\na=" + direction + "\r\n";
    return sdp;
}

std::string buildOffer(const std::string& localIp, uint16_t localPort, uint64_t sessionId, uint64_t version,
                       const std::string& direction, const std::string& srtp, const std::string& localKey) {
    const bool v6 = localIp.find(':') != std::string::npos;
    std::string ipType = v6 ? "IP6" : "IP4";
    std::string opus = std::to_string(kOfferOpusPt);
    std::string dtmf = std::to_string(kOfferDtmfPt);
    return "v=0\r\n"
           "o=sylk " + std::to_string(sessionId) + " " + std::to_string(version) + " IN " + ipType + " " + localIp + "\r\n"
           "s=Sylk call\r\n"
           "c=IN " + ipType + " " + localIp + "\r\n"
           "t=0 0\r\n"
           "m=audio " + std::to_string(localPort) + (srtp == "mandatory" ? " RTP/SAVP " : " RTP/AVP ") + opus +
           " 9 0 8 " + dtmf + "\r\n" +
           (srtp.empty() ? "" : "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + localKey + "\r\n") +
           "a=rtpmap:" + opus + " opus/48000/2\r\n"
           "a=fmtp:" + opus + " useinbandfec=1\r\n"
           "a=rtpmap:9 G722/8000\r\n"
           "a=rtpmap:0 PCMU/8000\r\n"
           "a=rtpmap:8 PCMA/8000\r\n"
           "a=rtpmap:" + dtmf + " telephone-event/8000\r\n"
           "a=fmtp:" + dtmf + " 0-16\r\n"
           "a=ptime:20\r\n"
           "a=" + direction + "\r\n";
}

}  // namespace sylk::sip
