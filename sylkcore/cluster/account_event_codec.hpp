// What one node tells the others about a SIP gateway account (issue 15: account events for
// multi-device sync): an event the gateway gave the account's handles on its node (a call
// record, a message one device sent, a read mark, a removal), so that the account's handles on
// the other nodes get it too. On the wire:
//   {"v":1,"type":"account-event","node":"a","account":"sip:alice@example.com","event":{"event":"call",...}}
// on subject sylk.account.<token of the account>.events. Decoding trusts nothing: a payload over
// the bus limit, another version or type, a bad node id, an account that is not a sip:/sips: URI,
// an event that is not an object or whose "event" does not travel is refused with the reason.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "../api.hpp"
#include "../json.hpp"

namespace sylk::cluster {

struct AccountEvent {
    std::string node;     // who sent it
    std::string account;  // the account's address of record
    Json event;           // the gateway's event object, as its handles get it
};

class SYLK_API AccountEventCodec {
public:
    static constexpr size_t kMaxAccount = 1024;

    // The gateway events that are records every device of the account shows: call (a call's
    // history entry), outgoing_message (what another device sent), conversation_read,
    // message_removed, conversation_removed. Not incoming messages: a proxy forks those to every
    // device's node itself.
    static bool carries(std::string_view name);
    // "sylk.account.<token>.events" (RoomSubject's token: any account string is one token).
    static std::string subject(std::string_view account);
    // Every account's subject, for one subscription: "sylk.account.*.events".
    static std::string anyAccount();

    static std::string encode(const AccountEvent& event);
    // nullopt with *error set (never empty) when the payload is refused.
    static std::optional<AccountEvent> decode(std::string_view text, std::string* error);
};

}  // namespace sylk::cluster
