// What one IRC bot connects to and how it behaves (the irc plugin fills it from a bridge's
// configuration). The password is never logged.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "../net/tls_options.hpp"

namespace sylk::irc {

struct ClientSettings {
    std::string host;
    uint16_t port = 6667;
    net::TlsOptions tls;
    std::string password;  // PASS, when the server wants one
    std::string nick = "sylkbot";
    std::string user = "sylk";
    std::string realname = "Sylk room bridge";
    std::string channel;
    std::string channelKey;
    // NOTICEd to whoever sends the bot a private message; empty: no answer.
    std::string privateReply = "Sorry, I only relay this channel to a Sylk room and cannot take private messages.";
    std::string quitMessage = "the room ended";
    // Flood control: lines per second after a burst (servers allow about one a second).
    double linesPerSecond = 1.0;
    double burst = 4.0;
    std::chrono::milliseconds backoffMin{1000};
    std::chrono::milliseconds backoffMax{30000};
    // Lines held for the channel while the bot is away (reconnecting) or throttled; past it a
    // message is refused (counted as dropped), never silently lost halfway.
    size_t maxQueued = 2000;
    // Registration must finish, and a silent server answer a PING, within this.
    std::chrono::milliseconds timeout{30000};
};

}  // namespace sylk::irc
