#include "stox_stanzas.hpp"

#include <gloox/tag.h>

#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {

ChatRead readChat(const gloox::Tag& message) {
    ChatRead read;
    read.message = readMessage(message);
    for (const gloox::Tag* child : message.children()) {
        std::string xmlns = child->findAttribute("xmlns");
        const std::string& name = child->name();
        if (xmlns == ns::kReceipts) {
            if (name == "request")
                read.receiptRequest = true;
            else if (name == "received")
                read.receivedId = child->findAttribute("id");
        } else if (xmlns == ns::kMarkers) {
            if (name == "markable")
                read.markable = true;
            else if (name == "displayed")
                read.displayedId = child->findAttribute("id");
            else if (name == "received" && read.receivedId.empty())
                read.receivedId = child->findAttribute("id");
        }
    }
    return read;
}

std::string errorCondition(const gloox::Tag& stanza) {
    const gloox::Tag* error = stanza.findChild("error");
    if (!error)
        return "";
    for (const gloox::Tag* child : error->children()) {
        if (child->findAttribute("xmlns") == ns::kStanzas && child->name() != "text")
            return child->name();
    }
    return "";
}

std::unique_ptr<gloox::Tag> chatMessage(const ChatMessage& message) {
    auto tag = std::make_unique<gloox::Tag>("message");
    tag->addAttribute("type", "chat");
    tag->addAttribute("from", message.from);
    tag->addAttribute("to", message.to);
    if (!message.id.empty())
        tag->addAttribute("id", message.id);
    if (!message.body.empty())
        new gloox::Tag(tag.get(), "body", message.body);
    if (message.state != ChatState::None)
        new gloox::Tag(tag.get(), chatStateName(message.state), "xmlns", ns::kChatStates);
    if (message.requestReceipt && !message.body.empty()) {
        new gloox::Tag(tag.get(), "request", "xmlns", ns::kReceipts);
        new gloox::Tag(tag.get(), "markable", "xmlns", ns::kMarkers);
    }
    if (!message.receivedId.empty())
        (new gloox::Tag(tag.get(), "received", "xmlns", ns::kReceipts))->addAttribute("id", message.receivedId);
    if (!message.displayedId.empty())
        (new gloox::Tag(tag.get(), "displayed", "xmlns", ns::kMarkers))->addAttribute("id", message.displayedId);
    return tag;
}

}  // namespace sylk::xmpp
