#include "component_stream.hpp"

#include <gloox/connectiontcpbase.h>

#include <exception>

#include "sylkcore/log.hpp"

namespace sylk::xmpp {

ComponentStream::ComponentStream(const std::string& host, int port, const std::string& domain,
                                 const std::string& secret, StanzaSink sink, size_t maxBacklog,
                                 BufferedTcpConnection::Hooks hooks)
    : gloox::Component(gloox::XMLNS_COMPONENT_ACCEPT, host, domain, secret, port),
      sink_(std::move(sink)),
      connection_(new BufferedTcpConnection(this, logInstance(), host, port, maxBacklog, std::move(hooks))) {
    // A component stream is plain TCP to the local server (XEP-0114 has no TLS negotiation).
    setTls(gloox::TLSDisabled);
    setCompression(false);
    setConnectionImpl(connection_);  // gloox's ClientBase owns and deletes it
}

int ComponentStream::socketFd() const {
    auto* tcp = dynamic_cast<gloox::ConnectionTCPBase*>(connectionImpl());
    return tcp ? tcp->socket() : -1;
}

bool ComponentStream::handleNormalNode(gloox::Tag* tag) {
    // gloox calls us from recv(): nothing may be thrown back into it (the handshake's
    // onConnect runs inside Component::handleNormalNode, hence the whole body).
    try {
        if (gloox::Component::handleNormalNode(tag))  // the handshake
            return true;
        if (!authed())
            return false;
        sink_(*tag);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, "janus.plugin.sylk.xmpp", "stanza <%s> dropped: %s", tag->name().c_str(), e.what());
    } catch (...) {
        SYLK_LOG(LOG_ERR, "janus.plugin.sylk.xmpp", "stanza <%s> dropped", tag->name().c_str());
    }
    return true;
}

}  // namespace sylk::xmpp
