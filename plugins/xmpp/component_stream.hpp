// One XEP-0114 component stream to the XMPP server: gloox's Component (stream header and
// handshake), with every stanza after the handshake handed raw to a sink instead of to gloox's
// typed handlers. The MUC service answers for many JIDs (the domain, each room, each occupant),
// which gloox's client-side dispatch (one Disco, handlers by extension type) cannot express,
// and reading the Tag ourselves means any namespace reaches us, so each gets a stanza error
// instead of being dropped.
#pragma once

#include <gloox/component.h>

#include <functional>
#include <string>

namespace sylk::xmpp {

class ComponentStream : public gloox::Component {
public:
    using StanzaSink = std::function<void(const gloox::Tag&)>;

    ComponentStream(const std::string& host, int port, const std::string& domain, const std::string& secret,
                    StanzaSink sink);

    // Writes stanzas already serialised (a room's fan-out: N copies in one buffer) to the
    // server in one send, where send(Tag*) serialises and writes each stanza on its own.
    void sendText(const std::string& xml) { send(xml); }

    // The connected socket, or -1.
    int socketFd() const;

protected:
    bool handleNormalNode(gloox::Tag* tag) override;

private:
    StanzaSink sink_;
};

}  // namespace sylk::xmpp
