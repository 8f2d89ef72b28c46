#include "gateway_detail.hpp"

#include <glib.h>

#include <cctype>
#include <cstdlib>

#include "sofia.hpp"

namespace sylk::sip::gateway_detail {

Json result(const char* event) { return Json::object().set("event", event); }

// "sip:alice@example.com:5070;transport=tcp" -> user "alice", false unless sip:/sips: user@host.
bool splitUri(const std::string& uri, std::string* user) {
    size_t scheme = uri.rfind("sip:", 0) == 0 ? 4 : uri.rfind("sips:", 0) == 0 ? 5 : 0;
    size_t at = uri.find('@');
    if (scheme == 0 || at == std::string::npos || at == scheme || at + 1 >= uri.size())
        return false;
    for (char c : uri) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
            return false;
    }
    *user = uri.substr(scheme, at - scheme);
    return true;
}

bool validUri(const std::string& uri) {
    if (uri.rfind("sip:", 0) != 0 && uri.rfind("sips:", 0) != 0)
        return false;
    if (uri.size() < 6 || uri.size() > 512)
        return false;
    for (char c : uri) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '"')
            return false;
    }
    return true;
}

std::string randomToken() {
    char token[9];
    g_snprintf(token, sizeof(token), "%08x", g_random_int());
    return token;
}

// "Signal=5\r\nDuration=160" (application/dtmf-relay) -> the signal and its duration.
bool readDtmfRelay(const std::string& body, std::string* signal, int* duration) {
    *duration = 0;
    size_t at = 0;
    while (at < body.size()) {
        size_t end = body.find('\n', at);
        std::string line = body.substr(at, end == std::string::npos ? std::string::npos : end - at);
        at = end == std::string::npos ? body.size() : end + 1;
        while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
            line.pop_back();
        size_t equals = line.find('=');
        if (equals == std::string::npos)
            continue;
        std::string key = line.substr(0, equals);
        std::string value = line.substr(equals + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(value.begin());
        for (char& c : key)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (key == "signal")
            *signal = value;
        else if (key == "duration")
            *duration = std::atoi(value.c_str());
    }
    return !signal->empty();
}

std::optional<audio::CodecId> codecOf(const AudioOffer& audio) { return audio::codecFromName(audio.codec); }

bool hostIsName(const std::string& uri) {
    std::string bare = uri.size() > 1 && uri.front() == '<' && uri.back() == '>' ? uri.substr(1, uri.size() - 2) : uri;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    url_t* url = url_make(home, bare.c_str());
    std::string host = url && url->url_host ? url->url_host : "";
    su_home_deinit(home);
    return !host.empty() && host.front() != '[' && !g_hostname_is_ip_address(host.c_str());
}

}  // namespace sylk::sip::gateway_detail
