// Small helpers shared by the conference focus's source files (conference_focus*.cpp): one class,
// split by topic.
#pragma once

#include <string>

namespace sylk::sip::conference_focus_detail {

inline constexpr const char* kPackage = "janus.plugin.sylk.sip";

// "janus.plugin.sylk.videoroom/42" -> "urn:sylk:janus.plugin.sylk.videoroom:42": a URI for a
// participant that has no SIP address.
std::string memberUri(const std::string& memberId);

}  // namespace sylk::sip::conference_focus_detail
