#include "pn_params.hpp"

#include <cctype>
#include <map>

namespace sylk::push {
namespace {

bool lower(std::string& text) {
    for (char& c : text)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return true;
}

// %XX escapes of URI parameters (RFC 3261 paramchar); false on a broken escape.
bool unescape(std::string_view in, std::string& out) {
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
            !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
            return false;
        out.push_back(static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16)));
        i += 2;
    }
    return true;
}

// Collects name=value pairs from a ';'-separated parameter list (stops at '?' or '>').
void collect(std::string_view text, std::map<std::string, std::string>& params, bool& broken) {
    size_t pos = 0;
    while (pos < text.size()) {
        size_t end = text.find(';', pos);
        std::string_view item = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        size_t eq = item.find('=');
        std::string name(item.substr(0, eq));
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.back())))
            name.pop_back();
        while (!name.empty() && std::isspace(static_cast<unsigned char>(name.front())))
            name.erase(name.begin());
        lower(name);
        if (name.rfind("pn-", 0) == 0) {
            std::string value;
            if (eq == std::string_view::npos || !unescape(item.substr(eq + 1), value))
                broken = true;
            else if (!params.emplace(name, value).second)
                broken = true;  // the same parameter twice: refuse rather than guess
        }
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
}

bool tokenChars(const std::string& value) {
    for (unsigned char c : value) {
        if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\')
            return false;
    }
    return !value.empty();
}

}  // namespace

std::optional<PushTarget> parsePnParams(std::string_view contact, std::string* error) {
    std::string ignored;
    std::string& why = error ? *error : ignored;
    why.clear();
    std::map<std::string, std::string> params;
    bool broken = false;
    size_t open = contact.find('<');
    if (open != std::string_view::npos) {
        size_t close = contact.find('>', open);
        if (close == std::string_view::npos) {
            why = "Contact: '<' without '>'";
            return std::nullopt;
        }
        std::string_view uri = contact.substr(open + 1, close - open - 1);
        size_t headers = uri.find('?');
        uri = uri.substr(0, headers);
        size_t semi = uri.find(';');
        if (semi != std::string_view::npos)
            collect(uri.substr(semi + 1), params, broken);
        std::string_view after = contact.substr(close + 1);
        size_t hsemi = after.find(';');
        if (hsemi != std::string_view::npos)
            collect(after.substr(hsemi + 1), params, broken);
    } else {
        size_t semi = contact.find(';');
        if (semi != std::string_view::npos)
            collect(contact.substr(semi + 1), params, broken);
    }
    if (broken) {
        why = "Contact: a pn- parameter without a value, with a broken %-escape, or twice";
        return std::nullopt;
    }
    auto provider = params.find("pn-provider");
    if (provider == params.end())
        return std::nullopt;  // not a push binding; error stays empty
    PushTarget target;
    target.provider = provider->second;
    lower(target.provider);
    if (target.provider != "apns" && target.provider != "fcm") {
        why = "pn-provider: '" + target.provider.substr(0, 32) + "' is not apns or fcm";
        return std::nullopt;
    }
    auto prid = params.find("pn-prid");
    if (prid == params.end() || !tokenChars(prid->second) || prid->second.size() > kMaxPushTokenLength) {
        why = "pn-prid: missing, empty, too long or with characters a token cannot have";
        return std::nullopt;
    }
    target.token = prid->second;
    auto param = params.find("pn-param");
    if (param == params.end() || !tokenChars(param->second) || param->second.size() > 255) {
        why = "pn-param: missing or malformed";
        return std::nullopt;
    }
    if (target.provider == "apns") {
        size_t dot = param->second.find('.');
        if (dot == std::string::npos || dot == 0 || dot + 1 >= param->second.size()) {
            why = "pn-param: APNs needs <team id>.<topic>";
            return std::nullopt;
        }
        std::string topic = param->second.substr(dot + 1);
        constexpr std::string_view kVoip = ".voip";
        if (topic.size() > kVoip.size() && topic.compare(topic.size() - kVoip.size(), kVoip.size(), kVoip) == 0) {
            target.voip = true;
            topic.resize(topic.size() - kVoip.size());
        }
        target.app = topic;
    } else {
        target.app = param->second;
    }
    target.device = target.token;
    return target;
}

}  // namespace sylk::push
