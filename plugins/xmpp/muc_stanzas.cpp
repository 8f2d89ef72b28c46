#include "muc_stanzas.hpp"

#include <gloox/tag.h>
#include <gloox/util.h>

#include <ctime>
#include <stdexcept>

#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {
namespace {

TagPtr stanza(const char* name, const std::string& type, const std::string& from, const std::string& to,
              const std::string& id) {
    auto tag = std::make_unique<gloox::Tag>(name);
    if (!type.empty())
        tag->addAttribute("type", type);
    tag->addAttribute("from", from);
    if (!to.empty())  // empty: a fan-out's text, addressed per copy (appendAddressed)
        tag->addAttribute("to", to);
    if (!id.empty())
        tag->addAttribute("id", id);
    return tag;
}

}  // namespace

TagPtr occupantPresence(const OccupantPresence& presence) {
    TagPtr tag = stanza("presence", presence.available ? "" : "unavailable", presence.from, presence.to, "");
    auto* x = new gloox::Tag(tag.get(), "x", "xmlns", ns::kMucUser);
    auto* item = new gloox::Tag(x, "item");
    item->addAttribute("affiliation", presence.affiliation);
    // A nickname change's unavailable keeps the role (XEP-0045 §7.6.3): the occupant stays.
    item->addAttribute("role", presence.available || !presence.newNick.empty() ? presence.role : "none");
    if (!presence.newNick.empty())
        item->addAttribute("nick", presence.newNick);
    if (!presence.actorNick.empty())
        new gloox::Tag(item, "actor", "nick", presence.actorNick);
    if (!presence.reason.empty())
        new gloox::Tag(item, "reason", presence.reason);
    for (int code : presence.statusCodes)
        new gloox::Tag(x, "status", "code", std::to_string(code));
    return tag;
}

TagPtr roomMessage(const RoomMessage& message) {
    TagPtr tag = stanza("message", message.type, message.from, message.to, message.id);
    if (!message.body.empty() || message.state == ChatState::None)
        new gloox::Tag(tag.get(), "body", message.body);
    if (message.state != ChatState::None)
        new gloox::Tag(tag.get(), chatStateName(message.state), "xmlns", ns::kChatStates);
    if (message.type == "chat")
        new gloox::Tag(tag.get(), "x", "xmlns", ns::kMucUser);
    return tag;
}

TagPtr historyMessage(const RoomMessage& message, int64_t stampMs, const std::string& roomJid) {
    TagPtr tag = roomMessage(message);
    auto* delay = new gloox::Tag(tag.get(), "delay", "xmlns", ns::kDelay);
    delay->addAttribute("stamp", xmppTimestamp(stampMs));
    delay->addAttribute("from", roomJid);
    return tag;
}

TagPtr invitationMessage(const std::string& roomJid, const std::string& to, const std::string& inviter,
                         const std::string& reason) {
    TagPtr tag = stanza("message", "", roomJid, to, "");
    auto* x = new gloox::Tag(tag.get(), "x", "xmlns", ns::kMucUser);
    auto* invite = new gloox::Tag(x, "invite", "from", inviter);
    if (!reason.empty())
        new gloox::Tag(invite, "reason", reason);
    return tag;
}

TagPtr subjectMessage(const std::string& roomJid, const std::string& to, const std::string& subject) {
    TagPtr tag = stanza("message", "groupchat", roomJid, to, "");
    new gloox::Tag(tag.get(), "subject", subject);
    return tag;
}

TagPtr errorReply(const gloox::Tag& original, const std::string& errorType, const std::string& condition,
                  const std::string& text) {
    TagPtr tag = stanza(original.name().c_str(), "error", original.findAttribute("to"), original.findAttribute("from"),
                        original.findAttribute("id"));
    if (original.name() == "presence") {
        if (original.findChild("x", "xmlns", ns::kMuc))
            new gloox::Tag(tag.get(), "x", "xmlns", ns::kMuc);
    }
    auto* error = new gloox::Tag(tag.get(), "error", "type", errorType);
    new gloox::Tag(error, condition, "xmlns", ns::kStanzas);
    if (!text.empty()) {
        auto* words = new gloox::Tag(error, "text", "xmlns", ns::kStanzas);
        words->setCData(text);
    }
    return tag;
}

TagPtr iqResult(const gloox::Tag& iq) {
    return stanza("iq", "result", iq.findAttribute("to"), iq.findAttribute("from"), iq.findAttribute("id"));
}

TagPtr discoInfoResult(const gloox::Tag& iq, const std::vector<DiscoIdentity>& identities,
                       const std::vector<std::string>& features) {
    TagPtr tag = iqResult(iq);
    auto* query = new gloox::Tag(tag.get(), "query", "xmlns", ns::kDiscoInfo);
    if (const gloox::Tag* asked = iq.findChild("query"); asked && asked->hasAttribute("node"))
        query->addAttribute("node", asked->findAttribute("node"));
    for (const auto& identity : identities) {
        auto* item = new gloox::Tag(query, "identity", "category", identity.category);
        item->addAttribute("type", identity.type);
        if (!identity.name.empty())
            item->addAttribute("name", identity.name);
    }
    for (const auto& feature : features)
        new gloox::Tag(query, "feature", "var", feature);
    return tag;
}

TagPtr discoItemsResult(const gloox::Tag& iq, const std::vector<std::pair<std::string, std::string>>& items) {
    TagPtr tag = iqResult(iq);
    auto* query = new gloox::Tag(tag.get(), "query", "xmlns", ns::kDiscoItems);
    for (const auto& [jid, name] : items) {
        auto* item = new gloox::Tag(query, "item", "jid", jid);
        if (!name.empty())
            item->addAttribute("name", name);
    }
    return tag;
}

std::string unaddressedText(const gloox::Tag& stanza) {
    if (stanza.hasAttribute("to"))
        throw std::logic_error("a fan-out's stanza is addressed per copy, not before");
    return stanza.xml();
}

void appendAddressed(std::string& out, const std::string& unaddressed, const std::string& to) {
    // gloox writes "<name" then " attr='...'" or ">" or "/>": the name ends at the first of those.
    size_t nameEnd = unaddressed.find_first_of(" />");
    if (unaddressed.empty() || unaddressed[0] != '<' || nameEnd == std::string::npos)
        throw std::logic_error("not a serialised stanza");
    out.append(unaddressed, 0, nameEnd);
    out += " to='";
    gloox::util::appendEscaped(out, to);
    out += '\'';
    out.append(unaddressed, nameEnd, std::string::npos);
}

void appendMulticast(std::string& out, const std::string& unaddressed, const std::string& service,
                     const std::vector<const std::string*>& recipients, MulticastFormat format) {
    // gloox ends an element with children with "</name>", one without with "/>": the
    // <addresses/> goes before the end tag, or the empty element is opened to hold it.
    size_t before = out.size();
    appendAddressed(out, unaddressed, service);
    std::string end;
    if (out.size() >= 2 && out.compare(out.size() - 2, 2, "/>") == 0 && out.find("</", before) == std::string::npos) {
        size_t nameEnd = unaddressed.find_first_of(" />");
        end = "</" + unaddressed.substr(1, nameEnd - 1) + ">";
        out.resize(out.size() - 2);
        out += '>';
    } else {
        size_t close = out.rfind("</");
        if (close == std::string::npos || close < before)
            throw std::logic_error("not a serialised stanza");
        end = out.substr(close);
        out.resize(close);
    }
    if (format == MulticastFormat::RecipientList) {
        out += "<recipients xmlns='";
        out += ns::kRecipientList;
        out += "'>";
        for (size_t i = 0; i < recipients.size(); ++i) {
            if (i != 0)
                out += '\n';
            gloox::util::appendEscaped(out, *recipients[i]);
        }
        out += "</recipients>";
        out += end;
        return;
    }
    out += "<addresses xmlns='";
    out += ns::kAddress;
    out += "'>";
    for (const std::string* recipient : recipients) {
        out += "<address type='bcc' jid='";
        gloox::util::appendEscaped(out, *recipient);
        out += "'/>";
    }
    out += "</addresses>";
    out += end;
}

std::string xmppTimestamp(int64_t ms) {
    ms = ms < 0 ? 0 : ms;
    time_t seconds = static_cast<time_t>(ms / 1000);
    struct tm utc {};
    gmtime_r(&seconds, &utc);
    char text[96];
    snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
             utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
    return text;
}

}  // namespace sylk::xmpp
