#include "server_multicast.hpp"

#include <gloox/tag.h>

#include <utility>

#include "muc_room.hpp"
#include "sylkcore/log.hpp"
#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {

ServerMulticast::ServerMulticast(MulticastMode mode, std::string service, std::string component)
    : mode_(mode), service_(std::move(service)), component_(std::move(component)) {}

TagPtr ServerMulticast::linkUp() {
    available_ = mode_ == MulticastMode::On;
    format_ = MulticastFormat::Addresses;  // "on" assumes XEP-0033 only: any server's multicast
    if (mode_ != MulticastMode::Auto)
        return nullptr;
    queryId_ = "sylk-multicast-" + std::to_string(++queries_);
    TagPtr iq(new gloox::Tag("iq"));
    iq->addAttribute("type", "get");
    iq->addAttribute("from", component_);
    iq->addAttribute("to", service_);
    iq->addAttribute("id", queryId_);
    new gloox::Tag(iq.get(), "query", "xmlns", ns::kDiscoInfo);
    return iq;
}

void ServerMulticast::linkDown() {
    available_ = false;
    queryId_.clear();
}

bool ServerMulticast::answer(const gloox::Tag& iq, const StanzaHeader& header) {
    if (queryId_.empty() || header.id != queryId_ || !header.from || header.from->full() != service_)
        return false;
    queryId_.clear();
    available_ = header.type == "result" && discoInfoHasFeature(iq, ns::kAddress);
    format_ = available_ && discoInfoHasFeature(iq, ns::kRecipientList) ? MulticastFormat::RecipientList
                                                                         : MulticastFormat::Addresses;
    SYLK_LOG(LOG_INFO, MucRoom::kPackage, "%s: %s", service_.c_str(),
             !available_ ? "no multicast offered: one copy per occupant"
             : format_ == MulticastFormat::RecipientList
                 ? "multicast offered with recipients' lists (mod_sylk_multicast): the server makes the rooms' copies"
                 : "multicast (XEP-0033) offered: the server makes the rooms' copies");
    return true;
}

bool ServerMulticast::bounced(const StanzaHeader& header) {
    if ((header.name != "message" && header.name != "presence") || header.type != "error" || !header.from ||
        header.from->full() != service_)
        return false;
    ++bounces_;
    if (available_)
        SYLK_LOG(LOG_WARN, MucRoom::kPackage,
                 "%s refused a multicast stanza (none of its recipients got it): one copy per occupant "
                 "until the link is made again", service_.c_str());
    available_ = false;
    return true;
}

Json ServerMulticast::status() const {
    Json json = Json::object();
    json.set("mode", mode_ == MulticastMode::Auto ? "auto" : mode_ == MulticastMode::On ? "on" : "off")
        .set("service", service_)
        .setBool("available", available_)
        .set("format", format_ == MulticastFormat::RecipientList ? "recipients" : "addresses")
        .set("bounces", static_cast<json_int_t>(bounces_));
    return json;
}

}  // namespace sylk::xmpp
