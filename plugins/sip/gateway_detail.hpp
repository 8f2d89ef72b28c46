// Small helpers shared by the gateway's source files (gateway*.cpp): one class, split by topic.
#pragma once

#include <optional>
#include <string>

#include "sip_sdp.hpp"
#include "sylkcore/audio/codec.hpp"
#include "sylkcore/json.hpp"

namespace sylk::files {
struct SharedFile;
}
namespace sylk::msrp {
struct FileSelector;
}

namespace sylk::sip::gateway_detail {

inline constexpr const char* kPackage = "janus.plugin.sylk.sip";
// File dialogs per web user, offered, requested or sent (more get 486, or an error to the page).
inline constexpr size_t kMaxFileCalls = 8;

// {"event": event}: the "result" of every gateway event.
Json result(const char* event);
// "sip:alice@example.com:5070;transport=tcp" -> user "alice"; false unless sip:/sips: user@host.
bool splitUri(const std::string& uri, std::string* user);
bool validUri(const std::string& uri);
std::string randomToken();
// user@host of a SIP URI (host lower-cased; no scheme, port or parameters): a peer's identity,
// as the web user addressed it and as its From names it later (gateway_files_pull.cpp).
std::string peerAddress(const std::string& uri);
// The RFC 5547 selector of a stored file: name, type, size, hash:sha-1 (gateway_files_pull.cpp).
msrp::FileSelector storedFileSelector(const files::SharedFile& stored);
// "Signal=5\r\nDuration=160" (application/dtmf-relay) -> the signal and its duration.
bool readDtmfRelay(const std::string& body, std::string* signal, int* duration);
// The URI's host is a name, not an address literal: it may resolve in one family only (dual stack).
bool hostIsName(const std::string& uri);
std::optional<audio::CodecId> codecOf(const AudioOffer& audio);

}  // namespace sylk::sip::gateway_detail
