#include "stanza_reader.hpp"

#include <gloox/tag.h>

#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {

const char* chatStateName(ChatState state) {
    switch (state) {
        case ChatState::Active: return "active";
        case ChatState::Composing: return "composing";
        case ChatState::Paused: return "paused";
        case ChatState::Inactive: return "inactive";
        case ChatState::Gone: return "gone";
        case ChatState::None: break;
    }
    return "";
}

std::optional<size_t> readCount(const std::string& text) {
    if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return static_cast<size_t>(std::stoul(text));
}

StanzaHeader readHeader(const gloox::Tag& stanza) {
    StanzaHeader header;
    header.name = stanza.name();
    header.type = stanza.findAttribute("type");
    header.id = stanza.findAttribute("id");
    header.fromPresent = stanza.hasAttribute("from");
    header.toPresent = stanza.hasAttribute("to");
    if (header.fromPresent)
        header.from = Jid::parse(stanza.findAttribute("from"));
    if (header.toPresent)
        header.to = Jid::parse(stanza.findAttribute("to"));
    return header;
}

PresenceRead readPresence(const gloox::Tag& presence) {
    PresenceRead read;
    const gloox::Tag* x = presence.findChild("x", "xmlns", ns::kMuc);
    if (!x)
        return read;
    read.mucJoin = true;
    if (const gloox::Tag* password = x->findChild("password"))
        read.password = password->cdata();
    if (const gloox::Tag* history = x->findChild("history")) {
        auto count = [&](const char* name, std::optional<size_t>& into) {
            if (history->hasAttribute(name)) {
                into = readCount(history->findAttribute(name));
                read.badHistory = read.badHistory || !into;
            }
        };
        count("maxstanzas", read.maxStanzas);
        count("maxchars", read.maxChars);
        count("seconds", read.seconds);
    }
    return read;
}

MessageRead readMessage(const gloox::Tag& message) {
    MessageRead read;
    for (const gloox::Tag* child : message.children()) {
        const std::string& name = child->name();
        std::string xmlns = child->findAttribute("xmlns");
        if (name == "body" && (xmlns.empty() || xmlns == ns::kClient || xmlns == ns::kComponent)) {
            if (!read.body)
                read.body = child->cdata();
        } else if (name == "subject" && (xmlns.empty() || xmlns == ns::kClient || xmlns == ns::kComponent)) {
            read.subject = true;
        } else if (xmlns == ns::kChatStates) {
            if (name == "active")
                read.state = ChatState::Active;
            else if (name == "composing")
                read.state = ChatState::Composing;
            else if (name == "paused")
                read.state = ChatState::Paused;
            else if (name == "inactive")
                read.state = ChatState::Inactive;
            else if (name == "gone")
                read.state = ChatState::Gone;
        } else if (name == "x" && xmlns == ns::kMucUser) {
            for (const gloox::Tag* invite : child->findChildren("invite")) {
                read.invite = true;
                if (read.inviteTo.size() < 16)  // more in one message is not an invitation, it is a flood
                    read.inviteTo.push_back(invite->findAttribute("to"));
                if (const gloox::Tag* reason = invite->findChild("reason"); reason && read.inviteReason.empty())
                    read.inviteReason = reason->cdata();
            }
        }
    }
    return read;
}

IqRead readIq(const gloox::Tag& iq) {
    IqRead read;
    for (const gloox::Tag* child : iq.children()) {
        if (child->name() == "error")
            continue;
        if (read.payloads++ == 0) {
            read.payload = child->name();
            read.xmlns = child->findAttribute("xmlns");
            read.node = child->findAttribute("node");
        }
    }
    return read;
}

AdminRead readAdmin(const gloox::Tag& iq) {
    AdminRead read;
    const gloox::Tag* query = iq.findChild("query", "xmlns", ns::kMucAdmin);
    if (!query)
        return read;
    for (const gloox::Tag* item : query->findChildren("item")) {
        if (read.items++ != 0)
            continue;
        read.nick = item->findAttribute("nick");
        read.role = item->findAttribute("role");
        read.affiliation = item->findAttribute("affiliation");
        read.jid = item->findAttribute("jid");
        if (const gloox::Tag* reason = item->findChild("reason"))
            read.reason = reason->cdata();
    }
    return read;
}

bool discoInfoHasFeature(const gloox::Tag& iq, const std::string& feature) {
    const gloox::Tag* query = iq.findChild("query", "xmlns", ns::kDiscoInfo);
    if (!query)
        return false;
    for (const gloox::Tag* child : query->children()) {
        if (child->name() == "feature" && child->findAttribute("var") == feature)
            return true;
    }
    return false;
}

}  // namespace sylk::xmpp
