// The XML namespaces the plugin reads and writes, spelled once.
#pragma once

namespace sylk::xmpp::ns {

inline constexpr char kClient[] = "jabber:client";
inline constexpr char kComponent[] = "jabber:component:accept";
inline constexpr char kMuc[] = "http://jabber.org/protocol/muc";
inline constexpr char kMucUser[] = "http://jabber.org/protocol/muc#user";
inline constexpr char kMucAdmin[] = "http://jabber.org/protocol/muc#admin";
inline constexpr char kDiscoInfo[] = "http://jabber.org/protocol/disco#info";
inline constexpr char kDiscoItems[] = "http://jabber.org/protocol/disco#items";
inline constexpr char kDelay[] = "urn:xmpp:delay";                    // XEP-0203
inline constexpr char kChatStates[] = "http://jabber.org/protocol/chatstates";  // XEP-0085
inline constexpr char kPing[] = "urn:xmpp:ping";                      // XEP-0199
inline constexpr char kStanzas[] = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr char kStanzaId[] = "urn:xmpp:sid:0";                 // XEP-0359
inline constexpr char kAddress[] = "http://jabber.org/protocol/address";  // XEP-0033 multicast
// mod_sylk_multicast's recipients' list (docs/xmpp.md, "Fan-out by the server"): one text of
// LF-separated JIDs instead of an <address/> element each, which Prosody parses far cheaper.
inline constexpr char kRecipientList[] = "urn:sylk:multicast:0";

}  // namespace sylk::xmpp::ns
