// Whether the XMPP server makes a room's copies itself (XEP-0033 multicast, docs/xmpp.md): a
// room of N occupants then sends one stanza with the N recipients as bcc addresses to the
// server's domain instead of N copies (docs/decisions.md, "XMPP MUC fan-out by the server").
// Prosody does it with Sylk's mod_sylk_multicast, which offers it only to the components it
// trusts. Used only when the server says so, in its disco#info answer to our component (mode
// Auto, asked on every link up), or when configured (On); Off, a server that does not answer
// with the feature (ejabberd, a Prosody without the module, a component it does not trust) and
// the time before the answer: one copy per recipient, as before.
// A multicast stanza the server bounces (the module went away on a reload) turns it off until
// the next link up, which asks again. Stack thread only.
#pragma once

#include <cstdint>
#include <string>

#include "muc_stanzas.hpp"
#include "sylkcore/json.hpp"
#include "xmpp_settings.hpp"

namespace gloox {
class Tag;
}

namespace sylk::xmpp {

class ServerMulticast {
public:
    // service: the server's domain (where multicast stanzas go); component: our domain (the
    // query's from).
    ServerMulticast(MulticastMode mode, std::string service, std::string component);

    // The link is up: the disco#info query to send (Auto), else nullptr.
    TagPtr linkUp();
    void linkDown();
    // An iq result or error from the server: true if it answers our query (then it is consumed).
    bool answer(const gloox::Tag& iq, const StanzaHeader& header);
    // A message or presence error from the server's domain: multicast stops until the next link up. True
    // if it was one (consumed).
    bool bounced(const StanzaHeader& header);

    bool available() const { return available_; }
    // RecipientList when the server offers mod_sylk_multicast's list, else XEP-0033 addresses.
    MulticastFormat format() const { return format_; }
    const std::string& service() const { return service_; }
    Json status() const;

private:
    const MulticastMode mode_;
    const std::string service_;
    const std::string component_;
    bool available_ = false;
    MulticastFormat format_ = MulticastFormat::Addresses;
    std::string queryId_;  // the outstanding disco#info query's id, "" when none
    uint64_t queries_ = 0;
    uint64_t bounces_ = 0;
};

}  // namespace sylk::xmpp
