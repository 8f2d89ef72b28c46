// Instant messaging notifications carried in SIP MESSAGE bodies: IMDN delivery and display
// notifications (RFC 5438, message/imdn+xml inside CPIM) and is-composing indications
// (RFC 3994, application/im-iscomposing+xml). Pure functions, fuzzed.
#pragma once

#include <optional>
#include <string>

#include "sylkcore/cpim/cpim.hpp"

namespace sylk::sip {

struct ImdnNotification {
    std::string messageId;
    std::string dateTime;   // of the original message
    std::string status;     // "delivered", "displayed", "failed", "forbidden", "error"
};

// The message/imdn+xml document of a notification.
std::string buildImdnXml(const ImdnNotification& notification);
// The notification in an IMDN document; nullopt unless it has a message-id and a known status.
std::optional<ImdnNotification> parseImdnXml(const std::string& xml);

// The CPIM message that answers original (a CPIM message that asked for notifications) with
// status, from us to its sender; nullopt when it asked for none of that kind.
std::optional<cpim::CpimMessage> imdnReply(const cpim::CpimMessage& original, const std::string& status, const std::string& from);

// "active" or "idle" of an is-composing document, or nullopt.
std::optional<std::string> parseIsComposing(const std::string& xml);
std::string buildIsComposing(bool active);

}  // namespace sylk::sip
