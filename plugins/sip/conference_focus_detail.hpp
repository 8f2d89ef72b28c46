// Small helpers shared by the conference focus's source files (conference_focus*.cpp): one class,
// split by topic.
#pragma once

#include <string>

namespace sylk::sip::conference_focus_detail {

inline constexpr const char* kPackage = "janus.plugin.sylk.sip";

// "janus.plugin.sylk.videoroom/42" -> "urn:sylk:janus.plugin.sylk.videoroom:42": a URI for a
// participant that has no SIP address.
std::string memberUri(const std::string& memberId);

// reason as the text of a Warning's quoted string: quotes, backslashes and control characters
// (from another plugin's error message) left out.
std::string quotable(const std::string& reason);

// A Warning header value: 399 sylk "<reason>".
std::string warningOf(const std::string& reason);

}  // namespace sylk::sip::conference_focus_detail
