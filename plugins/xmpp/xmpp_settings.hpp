// janus.plugin.sylk.xmpp.jcfg, read once at start (conf/janus.plugin.sylk.xmpp.jcfg.sample).
#pragma once

#include <chrono>
#include <cstddef>
#include <set>
#include <string>

namespace sylk::xmpp {

// Whether the rooms let the server make their copies (XEP-0033, server_multicast.hpp): when
// its disco#info says so (Auto), always (On), never (Off).
enum class MulticastMode { Auto, On, Off };

struct XmppSettings {
    std::string serverHost = "127.0.0.1";
    int serverPort = 5347;
    std::string domain = "localhost";
    std::string mucDomain;   // default conference.<domain>
    std::string sipDomain;   // default sip.<domain>
    std::string secret;      // component_secret: never logged
    size_t history = 20;     // messages replayed on join
    size_t maxBodyBytes = 64 * 1024;
    // How long a message from SIP waits for an error the XMPP server bounces before SIP gets 200.
    std::chrono::milliseconds stoxBounceWait{1000};
    // How long a SIP call to an XMPP user waits for a resource to proceed (XEP-0353) before 480.
    std::chrono::milliseconds stoxRingTimeout{45000};
    std::chrono::milliseconds backoffMin{1000};
    std::chrono::milliseconds backoffMax{30000};
    std::chrono::milliseconds standbyRetry{2000};  // a domain another node holds (LinkSettings)
    // A join whose nickname another node's XMPP occupant holds waits this long for it to go
    // (MucRoom::holdJoin): after a takeover, the dead holder's occupants stay in the hub room
    // until the cluster sees the node gone (its lease), and they are the joiners themselves.
    std::chrono::milliseconds ghostNickWait{8000};
    // A component link whose server stops reading: bytes that may wait to be written, and how
    // long they may wait without the server reading any, before the link is dropped and made
    // again (buffered_tcp_connection.hpp).
    size_t linkBacklogBytes = 8 * 1024 * 1024;
    std::chrono::milliseconds linkStall{30000};
    // The most bytes of one stanza (or of what the server sends before closing it) the plugin
    // reads: beyond it the link is dropped, so a server cannot make it hold without bound.
    size_t linkStanzaBytes = 1024 * 1024;
    // Bare JIDs whose occupants moderate every room (role moderator: may kick). Other members
    // moderate as their own plugin says (hub::Member::moderator).
    std::set<std::string> moderators;
    MulticastMode multicast = MulticastMode::Auto;
};

}  // namespace sylk::xmpp
