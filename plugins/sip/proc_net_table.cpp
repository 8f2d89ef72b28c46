#include "proc_net_table.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace sylk::sip {

namespace {

constexpr const char* kEstablished = "01";  // TCP_ESTABLISHED in the st column

// Hex digits only (strtoul alone would take signs, spaces and "0x").
bool isHex(const std::string& text) {
    if (text.empty())
        return false;
    for (char c : text) {
        if (!std::isxdigit(static_cast<unsigned char>(c)))
            return false;
    }
    return true;
}

// "0100007F:13C4" (IPv4, the kernel's byte order) or 32 hex digits (IPv6, four host-order words)
// and a hex port: the address as text and the port. False when unreadable.
bool parseEndpoint(const std::string& field, bool ipv6, std::string& address, uint16_t& port) {
    auto colon = field.find(':');
    if (colon == std::string::npos)
        return false;
    std::string hex = field.substr(0, colon);
    std::string portText = field.substr(colon + 1);
    if (!isHex(hex) || !isHex(portText) || portText.size() > 4)
        return false;
    char* end = nullptr;
    unsigned long portValue = std::strtoul(portText.c_str(), &end, 16);
    if (*end != '\0' || portValue > 65535)
        return false;
    port = static_cast<uint16_t>(portValue);
    char text[INET6_ADDRSTRLEN] = {};
    if (!ipv6) {
        if (hex.size() != 8)
            return false;
        uint32_t raw = static_cast<uint32_t>(std::strtoul(hex.c_str(), &end, 16));
        if (*end != '\0')
            return false;
        in_addr ip{};
        ip.s_addr = raw;  // printed from the host-order word of the bytes as they are in memory
        inet_ntop(AF_INET, &ip, text, sizeof text);
    } else {
        if (hex.size() != 32)
            return false;
        in6_addr ip{};
        for (int word = 0; word < 4; ++word) {
            const std::string part = hex.substr(word * 8, 8);  // kept: end points into it
            uint32_t raw = static_cast<uint32_t>(std::strtoul(part.c_str(), &end, 16));
            if (*end != '\0')
                return false;
            std::memcpy(ip.s6_addr + word * 4, &raw, 4);
        }
        // An IPv4 client of a dual-stack socket: its IPv4 address, as the IPv4 table would name it.
        if (IN6_IS_ADDR_V4MAPPED(&ip))
            inet_ntop(AF_INET, ip.s6_addr + 12, text, sizeof text);
        else
            inet_ntop(AF_INET6, &ip, text, sizeof text);
    }
    address = text;
    return true;
}

}  // namespace

std::vector<ProcNetTable::Socket> ProcNetTable::established(const std::string& text, bool ipv6) {
    std::vector<Socket> sockets;
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
            continue;
        if (state != kEstablished || inode == 0)
            continue;
        Socket socket;
        std::string localAddress;
        uint16_t remotePort = 0;
        if (!parseEndpoint(local, ipv6, localAddress, socket.localPort) ||
            !parseEndpoint(remote, ipv6, socket.source, remotePort))
            continue;
        socket.inode = inode;
        sockets.push_back(std::move(socket));
    }
    return sockets;
}

}  // namespace sylk::sip
