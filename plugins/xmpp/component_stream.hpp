// One XEP-0114 component stream to the XMPP server: gloox's Component (stream header and
// handshake), with every stanza after the handshake handed raw to a sink instead of to gloox's
// typed handlers. The MUC service answers for many JIDs (the domain, each room, each occupant),
// which gloox's client-side dispatch (one Disco, handlers by extension type) cannot express,
// and reading the Tag ourselves means any namespace reaches us, so each gets a stanza error
// instead of being dropped.
#pragma once

#include <gloox/component.h>

#include <cstddef>
#include <functional>
#include <string>

#include "buffered_tcp_connection.hpp"

namespace sylk::xmpp {

class ComponentStream : public gloox::Component {
public:
    using StanzaSink = std::function<void(const gloox::Tag&)>;

    // Its writes never block (BufferedTcpConnection): maxBacklog and hooks are the connection's.
    ComponentStream(const std::string& host, int port, const std::string& domain, const std::string& secret,
                    StanzaSink sink, size_t maxBacklog, BufferedTcpConnection::Hooks hooks);

    // Writes stanzas already serialised (a room's fan-out: N copies in one buffer) to the
    // server in one send, where send(Tag*) serialises and writes each stanza on its own.
    void sendText(const std::string& xml) { send(xml); }

    // The connected socket, or -1.
    int socketFd() const;
    // The socket is writable: writes what waits; true when nothing waits.
    bool flush() { return connection_->flush(); }
    size_t backlog() const { return connection_->backlog(); }

protected:
    bool handleNormalNode(gloox::Tag* tag) override;

private:
    StanzaSink sink_;
    BufferedTcpConnection* connection_;  // owned by gloox's ClientBase (setConnectionImpl)
};

}  // namespace sylk::xmpp
