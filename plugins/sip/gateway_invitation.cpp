// Conference invitations to web users (issue 12): the xmpp plugin's mediated invitation
// (XEP-0045 §7.8.2) of a SIP user who is a web user of this gateway becomes an event on every
// handle of that account, so the web app can offer to join the room; nothing goes out on SIP.
// Part of class Gateway (gateway.hpp).
#include "gateway.hpp"

#include "sylkcore/request_reader.hpp"

#include "gateway_detail.hpp"

namespace sylk::sip {

using namespace gateway_detail;

Json Gateway::conferenceInvitation(const Json& request) {
    RequestReader reader(request.get());
    std::string uri = reader.requireString("uri", 512);
    std::string room = reader.requireString("room", 256);
    std::string from = reader.requireString("from", 512);
    std::string display = reader.optionalString("display", 256).value_or("");
    std::string reason = reader.optionalString("reason", 4096).value_or("");
    reader.rejectUnknownFields();
    auto handles = handlesOf(uri, nullptr);
    Json event = result("conference_invitation");
    event.set("room", room).set("from", from);
    if (!display.empty())
        event.set("display", display);
    if (!reason.empty())
        event.set("reason", reason);
    for (const auto& session : handles)
        emit(*session, event);
    Json answer = Json::object();
    answer.set("delivered", static_cast<json_int_t>(handles.size()));
    return answer;
}

}  // namespace sylk::sip
