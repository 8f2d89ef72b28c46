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
    // More than maxStanza bytes read without a stanza completing drops the link (hooks.stuck):
    // gloox's parser would otherwise grow one stanza for as long as the server sends it.
    ComponentStream(const std::string& host, int port, const std::string& domain, const std::string& secret,
                    StanzaSink sink, size_t maxBacklog, size_t maxStanza, BufferedTcpConnection::Hooks hooks);

    // Writes stanzas already serialised (a room's fan-out: N copies in one buffer) to the
    // server in one send, where send(Tag*) serialises and writes each stanza on its own.
    void sendText(const std::string& xml) { send(xml); }

    // The connected socket, or -1.
    int socketFd() const;
    // The socket is writable: writes what waits; true when nothing waits.
    bool flush() { return connection_->flush(); }
    size_t backlog() const { return connection_->backlog(); }

    void handleReceivedData(const gloox::ConnectionBase* connection, const std::string& data) override;

protected:
    bool handleNormalNode(gloox::Tag* tag) override;

private:
    StanzaSink sink_;
    std::function<void(const std::string&)> lost_;  // hooks.stuck
    size_t maxStanza_;
    size_t unfinished_ = 0;    // bytes read since the last stanza completed (one read more at most)
    bool completed_ = false;   // a stanza completed in the data being parsed
    bool oversized_ = false;   // the bound was crossed: nothing more is parsed
    BufferedTcpConnection* connection_;  // owned by gloox's ClientBase (setConnectionImpl)
};

}  // namespace sylk::xmpp
