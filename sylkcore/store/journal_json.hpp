// A journal entry as the APIs show it (the gateway's sync_conversations and the web app
// server's /messages/history): docs/sip-api.md. Bodies are bytes; one that is not UTF-8 goes
// as base64 with "content_encoding": "base64".
#pragma once

#include "../api.hpp"
#include "../json.hpp"
#include "journal_entry.hpp"

namespace sylk::store {

SYLK_API Json entryToJson(const JournalEntry& entry);

}  // namespace sylk::store
