#include "journal_json.hpp"

#include <glib.h>

namespace sylk::store {

Json entryToJson(const JournalEntry& entry) {
    Json item = Json::object();
    item.set("seq", static_cast<json_int_t>(entry.seq)).set("kind", entry.kind);
    if (!entry.messageId.empty())
        item.set("message_id", entry.messageId);
    item.set("conversation", entry.conversation);
    item.set("timestamp", static_cast<json_int_t>(entry.timestampUs / G_USEC_PER_SEC));
    if (entry.kind == kind::kMessage) {
        item.set("direction", entry.direction).set("content_type", entry.contentType).set("state", entry.state);
        item.setBool("read", entry.read);
        if (g_utf8_validate(entry.content.data(), static_cast<gssize>(entry.content.size()), nullptr)) {
            item.set("content", entry.content);
        } else {
            gchar* encoded = g_base64_encode(reinterpret_cast<const guchar*>(entry.content.data()), entry.content.size());
            item.set("content", encoded).set("content_encoding", "base64");
            g_free(encoded);
        }
    } else if (entry.kind == kind::kState) {
        item.set("state", entry.state);
    } else if (entry.kind == kind::kCall) {
        item.set("direction", entry.direction).set("state", entry.state);
        // Its details, stored by the gateway as a JSON object: shown as the entry's own members.
        Json details = Json::parse(entry.content);
        for (const char* key : {"duration", "code", "reason", "media"}) {
            if (json_t* value = details.member(key))
                item.set(key, Json::borrow(value));
        }
    }
    return item;
}

}  // namespace sylk::store
