#include "sip_sdp.hpp"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <map>
#include <optional>
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
    std::string formatText;  // the format list as offered, for a rejecting answer
    std::vector<int> formats;
    struct Format {
        std::string name;  // encoding name, lower case
        unsigned long rate = 0;
    };
    std::map<int, Format> rtpmap;  // pt -> its a=rtpmap
    std::map<int, std::string> fmtp;  // pt -> its a=fmtp parameters, as written (iLBC's mode)
    std::string connection;
    std::string direction = "sendrecv";
    struct Crypto {
        int tag;
        std::string suite;
        std::string key;
    };
    std::vector<Crypto> crypto;  // the usable ones (suite we have, a 30-byte inline key)
    std::string zrtpHash;        // a=zrtp-hash (RFC 6189 §8.1), when well formed
    // MSRP (m=message): the attributes' values as written; chooseMessage checks them.
    std::optional<std::string> path, acceptTypes, acceptWrappedTypes, setup, fingerprint, maxSize;
    std::optional<std::string> fileSelector, fileTransferId, fileDisposition, fileDate, fileIcon;
};

// What parse() reads of an SDP.
struct Description {
    std::string connection;  // session-level c=
    std::optional<std::string> setup, fingerprint;  // session-level (RFC 4145 / 4572 allow it)
    std::string zrtpHash;    // session-level a=zrtp-hash
    std::vector<Media> media;
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

// "IN IP4 192.0.2.1" -> "192.0.2.1". RFC 4566 also allows a host name (RFC 4975's examples
// have one; MSRP goes by a=path, not c=): ipAddress() tells them apart.
std::string connectionAddress(const std::string& value) {
    auto parts = split(value, ' ');
    if (parts.size() != 3 || parts[0] != "IN" || (parts[1] != "IP4" && parts[1] != "IP6"))
        return "";
    std::string address = parts[2].substr(0, parts[2].find('/'));
    for (char c : address) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != ':' && c != '-')
            return "";
    }
    return address;
}

bool ipAddress(const std::string& address) {
    for (char c : address) {
        if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.' && c != ':')
            return false;
    }
    return true;
}

const char* kSupported[] = {"opus", "g722", "pcmu", "pcma", "ilbc"};
const std::map<int, std::string> kStatic = {{0, "pcmu"}, {8, "pcma"}, {9, "g722"}};

// The RTP clock rate of the codecs we take (G.722's is 8000 by RFC 3551's historical error).
unsigned long clockRate(const std::string& codec) { return codec == "opus" ? 48000 : 8000; }

// An a=zrtp-hash value, "<version> <64 hex digits>" (RFC 6189 §8.1: SHA-256 of our Hello), as
// written; "" when it is not of that form.
std::string zrtpHashOf(const std::string& value) {
    size_t space = value.find(' ');
    if (space == std::string::npos || space == 0 || space > 8 || value.size() != space + 65)
        return "";
    for (size_t i = 0; i < space; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(value[i])) && value[i] != '.')
            return "";
    }
    for (size_t i = space + 1; i < value.size(); ++i) {
        if (!std::isxdigit(static_cast<unsigned char>(value[i])))
            return "";
    }
    return value;
}

// The value of "a=<name>:<value>" (or "a=<name>" alone, as "") when value names that attribute.
std::optional<std::string> attribute(const std::string& value, const char* name) {
    size_t length = std::char_traits<char>::length(name);
    if (value.compare(0, length, name) != 0)
        return std::nullopt;
    if (value.size() == length)
        return std::string();
    if (value[length] != ':')
        return std::nullopt;
    return value.substr(length + 1);
}

// Reads the lines of an SDP we act on (v=, c=, m=, and the a= attributes of audio and MSRP
// streams); false and why for anything malformed. Bounded: 16 KiB, 16 m= lines.
bool parse(const std::string& text, Description* sdp, std::string* why) {
    auto fail = [&](const char* reason) {
        *why = reason;
        return false;
    };
    if (text.size() > 16 * 1024)
        return fail("SDP larger than 16 KiB");
    std::vector<Media>& media = sdp->media;
    bool sawVersion = false;
    for (std::string line : split(text, '\n')) {
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
            (media.empty() ? sdp->connection : media.back().connection) = address;
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
                entry.formatText += (i > 3 ? " " : "") + parts[i];
            }
            media.push_back(std::move(entry));
        } else if (kind == 'a' && value.rfind("zrtp-hash:", 0) == 0) {
            std::string hash = zrtpHashOf(value.substr(10));
            (media.empty() ? sdp->zrtpHash : media.back().zrtpHash) = hash;
        } else if (kind == 'a' && media.empty()) {
            if (auto setup = attribute(value, "setup"))
                sdp->setup = setup;
            else if (auto fingerprint = attribute(value, "fingerprint"))
                sdp->fingerprint = fingerprint;
        } else if (kind == 'a' &&
                   (value == "sendrecv" || value == "sendonly" || value == "recvonly" || value == "inactive")) {
            media.back().direction = value;
        } else if (kind == 'a' && value.rfind("crypto:", 0) == 0) {
            // a=crypto:<tag> <suite> <key-params> [session-params]
            auto parts = split(value.substr(7), ' ');
            unsigned long tag;
            if (parts.size() >= 3 && number(parts[0], 999999999, &tag) && net::SrtpSession::supported(parts[1]) &&
                media.back().crypto.size() < 16) {
                std::string key = net::SrtpSession::keyOf(parts[2]);
                if (!key.empty())
                    media.back().crypto.push_back({static_cast<int>(tag), parts[1], key});
            }
        } else if (kind == 'a' && value.rfind("fmtp:", 0) == 0) {
            // a=fmtp:<pt> <parameters>: kept for the codecs whose parameters we act on (iLBC)
            size_t space = value.find(' ');
            unsigned long pt;
            if (space != std::string::npos && number(value.substr(5, space - 5), 127, &pt) &&
                media.back().fmtp.size() < 32 && value.size() - space <= 256)
                media.back().fmtp[static_cast<int>(pt)] = lower(value.substr(space + 1));
        } else if (kind == 'a' && value.rfind("rtpmap:", 0) == 0) {
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
        } else if (kind == 'a') {
            // MSRP's attributes (RFC 4975 §8, RFC 6135, RFC 4572, RFC 5547): kept as written.
            Media& entry = media.back();
            std::pair<const char*, std::optional<std::string>*> known[] = {
                {"path", &entry.path},
                {"accept-types", &entry.acceptTypes},
                {"accept-wrapped-types", &entry.acceptWrappedTypes},
                {"setup", &entry.setup},
                {"fingerprint", &entry.fingerprint},
                {"max-size", &entry.maxSize},
                {"file-selector", &entry.fileSelector},
                {"file-transfer-id", &entry.fileTransferId},
                {"file-disposition", &entry.fileDisposition},
                {"file-date", &entry.fileDate},
                {"file-icon", &entry.fileIcon},
            };
            for (auto& [name, field] : known) {
                if (auto found = attribute(value, name)) {
                    *field = std::move(found);
                    break;
                }
            }
        }
    }
    if (!sawVersion)
        return fail("not an SDP (no v=0)");
    return true;
}

}  // namespace

std::optional<AudioOffer> chooseAudio(const std::string& offer, std::string* reason) {
    auto fail = [&](const std::string& why) -> std::optional<AudioOffer> {
        if (reason)
            *reason = why;
        return std::nullopt;
    };
    Description sdp;
    std::string failure;
    if (!parse(offer, &sdp, &failure))
        return fail(failure);
    const std::string& sessionConnection = sdp.connection;
    const std::vector<Media>& media = sdp.media;
    std::string why = "no audio stream";
    for (size_t index = 0; index < media.size(); ++index) {
        const Media& entry = media[index];
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
        if (!ipAddress(address)) {
            why = "the audio's connection address is a host name, not an IP address";
            continue;
        }
        AudioOffer chosen;
        chosen.index = static_cast<int>(index);
        chosen.address = address;
        chosen.port = static_cast<uint16_t>(entry.port);
        chosen.direction = entry.direction;
        chosen.zrtpHash = entry.zrtpHash.empty() ? sdp.zrtpHash : entry.zrtpHash;
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
                    // RFC 3952 section 5: the mode the offer asks (a=fmtp mode=20|30); 30 when absent
                    auto parameters = entry.fmtp.find(pt);
                    if (name == "ilbc" && parameters != entry.fmtp.end() &&
                        parameters->second.find("mode=20") != std::string::npos)
                        chosen.codec = "ilbc20";
                }
            }
        }
        if (chosen.codec.empty()) {
            why = "no common codec (we take Opus, G.722, PCMU, PCMA, iLBC)";
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

namespace {

std::string sessionHeader(const std::string& localIp, uint64_t sessionId, uint64_t version) {
    const std::string ipType = localIp.find(':') != std::string::npos ? "IP6" : "IP4";
    return "v=0\r\n"
           "o=sylk " + std::to_string(sessionId) + " " + std::to_string(version) + " IN " + ipType + " " + localIp + "\r\n"
           "s=Sylk conference\r\n"
           "c=IN " + ipType + " " + localIp + "\r\n"
           "t=0 0\r\n";
}

std::string audioSection(uint16_t localPort, const AudioOffer& chosen, const std::string& direction,
                         const std::string& localKey, const std::string& zrtpHash) {
    std::string rtpmap;
    if (chosen.codec == "opus")
        rtpmap = "opus/48000/2";
    else if (chosen.codec == "g722")
        rtpmap = "G722/8000";
    else if (chosen.codec == "pcmu")
        rtpmap = "PCMU/8000";
    else if (chosen.codec == "ilbc" || chosen.codec == "ilbc20")
        rtpmap = "iLBC/8000";
    else
        rtpmap = "PCMA/8000";
    const bool ilbc20 = chosen.codec == "ilbc20";
    const bool ilbc = ilbc20 || chosen.codec == "ilbc";
    std::string formats = std::to_string(chosen.payloadType);
    if (chosen.telephoneEventPt >= 0)
        formats += " " + std::to_string(chosen.telephoneEventPt);
    std::string sdp = "m=audio " + std::to_string(localPort) + (chosen.srtp() ? " RTP/SAVP " : " RTP/AVP ") + formats + "\r\n"
                      "a=rtpmap:" + std::to_string(chosen.payloadType) + " " + rtpmap + "\r\n";
    if (ilbc)  // the mode the offer asked, so both ends send the same frames (RFC 3952 section 5)
        sdp += "a=fmtp:" + std::to_string(chosen.payloadType) + (ilbc20 ? " mode=20\r\n" : " mode=30\r\n");
    if (chosen.srtp())
        sdp += "a=crypto:" + std::to_string(chosen.cryptoTag) + " " + chosen.cryptoSuite + " inline:" + localKey + "\r\n";
    if (chosen.telephoneEventPt >= 0)
        sdp += "a=rtpmap:" + std::to_string(chosen.telephoneEventPt) + " telephone-event/" +
               std::to_string(chosen.telephoneEventRate) + "\r\n";
    // ZRTP only when the peer offered it (RFC 6189 §8.1) and SDES did not already key the call
    if (!chosen.zrtpHash.empty() && !chosen.srtp() && !zrtpHash.empty())
        sdp += "a=zrtp-hash:" + zrtpHash + "\r\n";
    sdp += std::string(ilbc && !ilbc20 ? "a=ptime:30\r\n" : "a=ptime:20\r\n") + "a=" + direction + "\r\n";
    return sdp;
}

std::string joined(const std::vector<std::string>& items) {
    std::string text;
    for (const auto& item : items)
        text += (text.empty() ? "" : " ") + item;
    return text;
}

std::string msrpSection(const MsrpAnswer& msrp, const std::string& sessionIp) {
    const std::string ipType = msrp.host.find(':') != std::string::npos ? "IP6" : "IP4";
    std::string sdp = "m=message " + std::to_string(msrp.port) + (msrp.secure ? " TCP/TLS/MSRP *\r\n" : " TCP/MSRP *\r\n");
    if (!msrp.host.empty() && msrp.host != sessionIp)
        sdp += "c=IN " + ipType + " " + msrp.host + "\r\n";
    sdp += "a=path:" + joined(msrp.path) + "\r\n";
    sdp += "a=accept-types:" + (msrp.acceptTypes.empty() ? std::string("*") : joined(msrp.acceptTypes)) + "\r\n";
    if (!msrp.acceptWrappedTypes.empty())
        sdp += "a=accept-wrapped-types:" + joined(msrp.acceptWrappedTypes) + "\r\n";
    if (!msrp.setup.empty())
        sdp += "a=setup:" + msrp.setup + "\r\n";
    if (!msrp.fingerprint.empty())
        sdp += "a=fingerprint:" + msrp.fingerprint + "\r\n";
    if (msrp.fileSelector)
        sdp += "a=file-selector" + (msrp.fileSelector->empty() ? "" : ":" + *msrp.fileSelector) + "\r\n";
    if (msrp.fileTransferId)
        sdp += "a=file-transfer-id:" + *msrp.fileTransferId + "\r\n";
    if (msrp.direction != "sendrecv")
        sdp += "a=" + msrp.direction + "\r\n";
    return sdp;
}

}  // namespace

std::string buildAnswer(const std::string& localIp, uint16_t localPort, const AudioOffer& chosen, uint64_t sessionId,
                        uint64_t version, const std::string& direction, const std::string& localKey,
                        const std::string& zrtpHash) {
    return sessionHeader(localIp, sessionId, version) + audioSection(localPort, chosen, direction, localKey, zrtpHash);
}

std::string buildStreamsAnswer(const std::string& localIp, uint64_t sessionId, uint64_t version,
                               const AnswerStreams& streams) {
    std::string sdp = sessionHeader(localIp, sessionId, version);
    for (size_t i = 0; i < streams.offered.size(); ++i) {
        const int index = static_cast<int>(i);
        const SdpMediaLine& line = streams.offered[i];
        if (streams.audio && streams.audio->index == index)
            sdp += audioSection(streams.audioPort, *streams.audio, streams.audioDirection, streams.localKey,
                                streams.zrtpHash);
        else if (streams.msrp && streams.msrpIndex == index)
            sdp += msrpSection(*streams.msrp, localIp);
        else
            sdp += "m=" + line.type + " 0 " + line.proto + " " + line.formats + "\r\n";
    }
    return sdp;
}

std::string buildOffer(const std::string& localIp, uint16_t localPort, uint64_t sessionId, uint64_t version,
                       const std::string& direction, const std::string& srtp, const std::string& localKey,
                       const std::string& zrtpHash) {
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
           "a=ptime:20\r\n" +
           (srtp.empty() && !zrtpHash.empty() ? "a=zrtp-hash:" + zrtpHash + "\r\n" : "") +
           "a=" + direction + "\r\n";
}

// ---------------------------------------------------------------- MSRP

namespace {

bool tokenChar(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("!#$%&'*+-.^_`{|}~", c) != nullptr;
}

bool token(const std::string& text) {
    return !text.empty() && text.size() <= 128 && std::all_of(text.begin(), text.end(), tokenChar);
}

// "*", "type/*" or "type/subtype" (RFC 4975 §9 accept-types).
bool mediaType(const std::string& text) {
    if (text == "*")
        return true;
    size_t slash = text.find('/');
    return slash != std::string::npos && token(text.substr(0, slash)) && token(text.substr(slash + 1));
}

// msrp[s]://authority/session-id;transport (RFC 4975 §9), checked for shape only: the msrp
// plugin parses it fully.
bool msrpUri(const std::string& text, bool* secure) {
    size_t separator = text.find("://");
    if (separator == std::string::npos || text.size() > 512)
        return false;
    std::string scheme = lower(text.substr(0, separator));
    if (scheme != "msrp" && scheme != "msrps")
        return false;
    *secure = scheme == "msrps";
    std::string rest = text.substr(scheme.size() + 3);
    size_t slash = rest.find('/');
    size_t semicolon = rest.find(';', slash == std::string::npos ? 0 : slash);
    return slash != std::string::npos && slash > 0 && semicolon != std::string::npos && semicolon > slash + 1 &&
           semicolon + 1 < rest.size();
}

// "sha-256 AB:CD:..." (RFC 4572 fingerprint-attribute).
bool fingerprint(const std::string& text) {
    auto parts = split(text, ' ');
    if (parts.size() != 2 || !token(parts[0]) || parts[1].size() > 256)
        return false;
    return std::all_of(parts[1].begin(), parts[1].end(),
                       [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == ':'; });
}

bool bigNumber(const std::string& text, uint64_t* value) {
    if (text.empty() || text.size() > 19 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
        return false;
    *value = std::stoull(text);
    return true;
}

}  // namespace

std::optional<MsrpOffer> chooseMessage(const std::string& text, std::string* reason) {
    auto fail = [&](const std::string& why) -> std::optional<MsrpOffer> {
        if (reason)
            *reason = why;
        return std::nullopt;
    };
    Description sdp;
    std::string failure;
    if (!parse(text, &sdp, &failure))
        return fail(failure);
    std::string why = "no MSRP stream (m=message)";
    for (size_t index = 0; index < sdp.media.size(); ++index) {
        const Media& entry = sdp.media[index];
        if (entry.type != "message" || entry.port == 0)
            continue;
        MsrpOffer offer;
        offer.index = static_cast<int>(index);
        offer.port = static_cast<uint16_t>(entry.port);
        if (entry.proto != "TCP/MSRP" && entry.proto != "TCP/TLS/MSRP") {
            why = "m=message is neither TCP/MSRP nor TCP/TLS/MSRP";
            continue;
        }
        offer.secure = entry.proto == "TCP/TLS/MSRP";
        offer.address = entry.connection.empty() ? sdp.connection : entry.connection;
        offer.direction = entry.direction;
        if (!entry.path) {
            why = "m=message without a=path";
            continue;
        }
        offer.path = split(*entry.path, ' ');
        bool pathOk = !offer.path.empty() && offer.path.size() <= 16;
        bool secure = false;
        for (const auto& uri : offer.path)
            pathOk = pathOk && msrpUri(uri, &secure);
        if (!pathOk || secure != offer.secure) {
            why = offer.secure ? "a=path is not a list of msrps URIs ending with the peer's"
                               : "a=path is not a list of msrp URIs ending with the peer's";
            continue;
        }
        if (!entry.acceptTypes) {
            why = "m=message without a=accept-types";
            continue;
        }
        offer.acceptTypes = split(*entry.acceptTypes, ' ');
        if (entry.acceptWrappedTypes)
            offer.acceptWrappedTypes = split(*entry.acceptWrappedTypes, ' ');
        auto typesOk = [](const std::vector<std::string>& types) {
            return types.size() <= 64 && std::all_of(types.begin(), types.end(), mediaType);
        };
        if (offer.acceptTypes.empty() || !typesOk(offer.acceptTypes) || !typesOk(offer.acceptWrappedTypes)) {
            why = "malformed a=accept-types or a=accept-wrapped-types";
            continue;
        }
        offer.setup = entry.setup ? *entry.setup : sdp.setup.value_or("");
        if (offer.setup == "holdconn") {
            why = "a=setup:holdconn: the peer wants no connection";
            continue;
        }
        if (!offer.setup.empty() && offer.setup != "active" && offer.setup != "passive" && offer.setup != "actpass") {
            why = "a=setup is none of active, passive, actpass";
            continue;
        }
        offer.fingerprint = entry.fingerprint ? *entry.fingerprint : sdp.fingerprint.value_or("");
        if (!offer.fingerprint.empty() && !fingerprint(offer.fingerprint)) {
            why = "malformed a=fingerprint";
            continue;
        }
        if (entry.maxSize && !bigNumber(*entry.maxSize, &offer.maxSize)) {
            why = "malformed a=max-size";
            continue;
        }
        offer.fileSelector = entry.fileSelector;
        offer.fileTransferId = entry.fileTransferId;
        offer.fileDisposition = entry.fileDisposition;
        offer.fileDate = entry.fileDate;
        offer.fileIcon = entry.fileIcon;
        return offer;
    }
    return fail(why);
}

std::string msrpAnswerRole(const std::string& offeredSetup) {
    return offeredSetup == "passive" || offeredSetup == "actpass" ? "active" : "passive";
}

int telephoneEventPt(const std::string& text, unsigned long rate) {
    Description sdp;
    std::string failure;
    if (!parse(text, &sdp, &failure))
        return -1;
    for (const auto& entry : sdp.media) {
        if (entry.type != "audio" || entry.port == 0)
            continue;
        for (int pt : entry.formats) {
            auto mapped = entry.rtpmap.find(pt);
            if (mapped != entry.rtpmap.end() && mapped->second.name == "telephone-event" && mapped->second.rate == rate)
                return pt;
        }
        return -1;
    }
    return -1;
}

std::vector<SdpMediaLine> mediaLines(const std::string& text) {
    Description sdp;
    std::string failure;
    std::vector<SdpMediaLine> lines;
    if (parse(text, &sdp, &failure)) {
        for (const auto& entry : sdp.media)
            lines.push_back({entry.type, entry.proto, entry.formatText});
    }
    return lines;
}

std::optional<std::string> withMessagePath(const std::string& sdp, const std::vector<std::string>& path,
                                           uint64_t version) {
    if (path.empty())
        return std::nullopt;
    std::string newPath = "a=path:";
    for (size_t i = 0; i < path.size(); ++i)
        newPath += (i ? " " : "") + path[i];
    std::string out;
    bool versioned = false, replaced = false, inMessage = false;
    size_t start = 0;
    while (start < sdp.size()) {
        size_t end = sdp.find('\n', start);
        size_t next = end == std::string::npos ? sdp.size() : end + 1;
        std::string line = sdp.substr(start, next - start);
        std::string eol = line.size() >= 2 && line.compare(line.size() - 2, 2, "\r\n") == 0 ? "\r\n"
                          : !line.empty() && line.back() == '\n'                        ? "\n"
                                                                                       : "";
        std::string text = line.substr(0, line.size() - eol.size());
        start = next;
        if (text.rfind("m=", 0) == 0) {
            // m=message <port> ...: port 0 is a refused stream, whose a=path (if any) stays.
            inMessage = text.rfind("m=message ", 0) == 0 && text.compare(10, 2, "0 ") != 0 && !replaced;
        } else if (text.rfind("o=", 0) == 0 && !versioned) {
            // o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
            size_t first = text.find(' ');
            size_t second = first == std::string::npos ? first : text.find(' ', first + 1);
            size_t third = second == std::string::npos ? second : text.find(' ', second + 1);
            if (third == std::string::npos)
                return std::nullopt;
            text = text.substr(0, second + 1) + std::to_string(version) + text.substr(third);
            versioned = true;
        } else if (inMessage && text.rfind("a=path:", 0) == 0) {
            text = newPath;
            replaced = true;
            inMessage = false;
        }
        out += text + eol;
    }
    if (!versioned || !replaced)
        return std::nullopt;
    return out;
}

}  // namespace sylk::sip
