#include "component_stream.hpp"

#include <gloox/connectiontcpbase.h>

#include <exception>

#include "sylkcore/log.hpp"

namespace sylk::xmpp {

ComponentStream::ComponentStream(const std::string& host, int port, const std::string& domain,
                                 const std::string& secret, StanzaSink sink, size_t maxBacklog, size_t maxStanza,
                                 BufferedTcpConnection::Hooks hooks)
    : gloox::Component(gloox::XMLNS_COMPONENT_ACCEPT, host, domain, secret, port),
      sink_(std::move(sink)),
      lost_(hooks.stuck),
      maxStanza_(maxStanza),
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

void ComponentStream::handleReceivedData(const gloox::ConnectionBase* connection, const std::string& data) {
    if (oversized_)
        return;  // the link is being dropped: the rest of this stanza is not read
    // Counted per read, not per byte: a read in which a stanza completes starts the count again,
    // so a stanza is cut between maxStanza and maxStanza plus one read (gloox reads 8 KiB).
    unfinished_ += data.size();
    completed_ = false;
    gloox::Component::handleReceivedData(connection, data);
    if (completed_)
        unfinished_ = 0;
    if (unfinished_ <= maxStanza_ || oversized_)
        return;
    oversized_ = true;
    // RFC 6120 §4.9.3.14: the server hears why before the link goes (if its socket takes it).
    send(std::string("<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
                     "</stream:stream>"));
    if (lost_)
        lost_("the server sent a stanza over " + std::to_string(maxStanza_ / 1024) + " KiB");
}

bool ComponentStream::handleNormalNode(gloox::Tag* tag) {
    completed_ = true;
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
