#include "imdn.hpp"

#include <glib.h>

#include "conference_info.hpp"

namespace sylk::sip {
namespace {

constexpr size_t kMaxXml = 16 * 1024;
const char* kStatuses[] = {"delivered", "displayed", "failed", "forbidden", "error"};

// The text between <name> and </name> (no attributes, no nesting: the IMDN and is-composing
// elements we read are simple), or nullopt.
std::optional<std::string> element(const std::string& xml, const std::string& name) {
    std::string open = "<" + name + ">";
    std::string close = "</" + name + ">";
    size_t begin = xml.find(open);
    if (begin == std::string::npos)
        return std::nullopt;
    begin += open.size();
    size_t end = xml.find(close, begin);
    if (end == std::string::npos || end - begin > 256)
        return std::nullopt;
    return xml.substr(begin, end - begin);
}

}  // namespace

std::string buildImdnXml(const ImdnNotification& notification) {
    std::string kind = notification.status == "displayed" ? "display-notification" : "delivery-notification";
    std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                      "<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">\n"
                      "  <message-id>" + xmlEscape(notification.messageId) + "</message-id>\n";
    if (!notification.dateTime.empty())
        xml += "  <datetime>" + xmlEscape(notification.dateTime) + "</datetime>\n";
    xml += "  <" + kind + "><status><" + xmlEscape(notification.status) + "/></status></" + kind + ">\n</imdn>\n";
    return xml;
}

std::optional<ImdnNotification> parseImdnXml(const std::string& xml) {
    if (xml.size() > kMaxXml || xml.find("urn:ietf:params:xml:ns:imdn") == std::string::npos)
        return std::nullopt;
    auto messageId = element(xml, "message-id");
    if (!messageId || messageId->empty())
        return std::nullopt;
    // Message-IDs are tokens (RFC 5438): printable, no markup. Anything else is not an IMDN of
    // ours and would not survive being written back.
    for (unsigned char c : *messageId) {
        if (c <= 0x20 || c >= 0x7f || c == '<' || c == '>' || c == '&' || c == '"' || c == '\'')
            return std::nullopt;
    }
    ImdnNotification notification;
    notification.messageId = *messageId;
    notification.dateTime = element(xml, "datetime").value_or("");
    auto status = element(xml, "status");
    if (!status)
        return std::nullopt;
    for (const char* known : kStatuses) {
        if (status->find(std::string("<") + known + "/>") != std::string::npos) {
            notification.status = known;
            return notification;
        }
    }
    return std::nullopt;
}

std::optional<cpim::CpimMessage> imdnReply(const cpim::CpimMessage& original, const std::string& status, const std::string& from) {
    std::string wanted = original.header("imdn.Disposition-Notification");
    std::string messageId = original.header("imdn.Message-ID");
    std::string asked = status == "displayed" ? "display" : "positive-delivery";
    if (messageId.empty() || wanted.find(asked) == std::string::npos)
        return std::nullopt;
    cpim::CpimMessage reply;
    reply.from = from;
    reply.to = original.from;
    reply.dateTime = cpim::cpimNow();
    gchar* uuid = g_uuid_string_random();
    reply.headers = {{"NS", "imdn <urn:ietf:params:imdn>"}, {"imdn.Message-ID", uuid}};
    g_free(uuid);
    reply.contentType = "message/imdn+xml";
    reply.contentDisposition = "notification";
    reply.body = buildImdnXml({messageId, original.dateTime, status});
    return reply;
}

std::optional<std::string> parseIsComposing(const std::string& xml) {
    if (xml.size() > kMaxXml || xml.find("urn:ietf:params:xml:ns:im-iscomposing") == std::string::npos)
        return std::nullopt;
    auto state = element(xml, "state");
    if (!state || (*state != "active" && *state != "idle"))
        return std::nullopt;
    return state;
}

std::string buildIsComposing(bool active) {
    return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                       "<isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\n"
                       "  <state>") + (active ? "active" : "idle") + "</state>\n"
           "  <contenttype>text/plain</contenttype>\n" +
           (active ? "  <refresh>60</refresh>\n" : "") + "</isComposing>\n";
}

}  // namespace sylk::sip
