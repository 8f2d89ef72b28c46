// What a ComponentLink tells the service behind it (the rooms, the SIP users' domain).
#pragma once

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

// All on the stack thread.
class LinkListener {
public:
    virtual ~LinkListener() = default;
    virtual void onLinkUp() = 0;
    // The link went (after onLinkUp); it reconnects by itself.
    virtual void onLinkDown() = 0;
    virtual void onStanza(const gloox::Tag& stanza) = 0;
};

}  // namespace sylk::xmpp
