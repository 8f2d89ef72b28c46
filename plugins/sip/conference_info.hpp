// RFC 4575 conference state documents (application/conference-info+xml) for the conference
// event package: who is in a room, with which media, as the focus sees it. Pure functions,
// unit-tested and validated against the RFC's schema by the integration test.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace sylk::sip {

struct ConferenceUser {
    std::string entity;                // a URI for the user
    std::string display;
    std::vector<std::string> media;    // "audio", "video", "message" (MSRP chat)
    std::string status = "connected";  // RFC 4575 endpoint status: connected, on-hold, muted-via-focus
    bool audioMuted = false;           // muted by themselves: their audio is recvonly
};

// A file shared in the room, as SylkServer lists it: an extension of conference-description
// in AG Projects' namespace, <agp-conf:resources><agp-conf:files><agp-conf:file .../>.
struct ConferenceFile {
    std::string name;
    std::string sha1;    // 40 hex digits; written as RFC 5547's hash, "sha-1:AB:CD:..."
    uint64_t size = 0;
    std::string sender;  // who shared it (display name, or the member's address)
};

inline constexpr char kAgConferenceNamespace[] = "urn:ag-projects:xml:ns:conference-info";

// A full-state document (state="full") of version for the conference entity.
std::string conferenceInfoXml(const std::string& entity, const std::string& subject, uint64_t version,
                              const std::vector<ConferenceUser>& users, const std::vector<ConferenceFile>& files = {});

// A SHA-1 of 40 hex digits as RFC 5547 writes it: "sha-1:" and upper-case byte pairs joined by ':'.
std::string fileSelectorHash(const std::string& sha1);

// Text escaped for XML character data and attribute values; control characters XML 1.0 does
// not allow are dropped.
std::string xmlEscape(const std::string& text);

}  // namespace sylk::sip
