#include "sip_domain_service.hpp"

#include <gloox/tag.h>

#include "stanza_reader.hpp"
#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {

SipDomainService::SipDomainService(net::StackThread& thread, const XmppSettings& settings) {
    LinkSettings link;
    link.host = settings.serverHost;
    link.port = settings.serverPort;
    link.domain = settings.sipDomain;
    link.secret = settings.secret;
    link.backoffMin = settings.backoffMin;
    link.backoffMax = settings.backoffMax;
    link_ = std::make_shared<ComponentLink>(thread, link, *this);
}

SipDomainService::~SipDomainService() = default;

void SipDomainService::start() { link_->start(); }

void SipDomainService::onStanza(const gloox::Tag& stanza) {
    StanzaHeader header = readHeader(stanza);
    if (header.type == "error" || header.type == "result" || header.type == "headline" || !header.from)
        return;  // never answered
    if (header.name == "presence")
        return;  // SIP presence interworking is not built yet: presence is not answered
    if (header.name == "iq" && header.to && header.to->local.empty() && header.type == "get") {
        IqRead iq = readIq(stanza);
        if (iq.payloads == 1 && iq.payload == "query" && iq.xmlns == ns::kDiscoInfo) {
            link_->send(discoInfoResult(stanza, {{"gateway", "sip", "Sylk SIP users"}}, {ns::kDiscoInfo, ns::kPing}));
            return;
        }
        if (iq.payloads == 1 && iq.payload == "ping" && iq.xmlns == ns::kPing) {
            link_->send(iqResult(stanza));
            return;
        }
    }
    if (header.name == "iq" || header.name == "message")
        link_->send(errorReply(stanza, "cancel", "service-unavailable", "SIP users cannot be reached from XMPP yet"));
}

Json SipDomainService::status() const { return Json::object().set("link", link_->status()); }

}  // namespace sylk::xmpp
