// Checks an entry before either backend stores it: what a sync reader relies on.
#pragma once

#include "journal_entry.hpp"
#include "journal_error.hpp"

namespace sylk::store {

inline constexpr size_t kMaxContentBytes = 1024 * 1024;  // the journal's own bound; callers set tighter ones

inline void validateEntry(const JournalEntry& entry) {
    auto refuse = [](const std::string& why) { throw JournalError(JournalError::Kind::Invalid, "journal entry: " + why); };
    if (entry.account.empty())
        refuse("no account");
    bool byMessage = entry.kind == kind::kMessage || entry.kind == kind::kState || entry.kind == kind::kRemove ||
                     entry.kind == kind::kCall;
    bool byConversation = entry.kind == kind::kRead || entry.kind == kind::kRemoveConversation;
    if (!byMessage && !byConversation)
        refuse("unknown kind '" + entry.kind + "'");
    if (byMessage && entry.messageId.empty())
        refuse(entry.kind + " without a message id");
    if (byConversation && entry.conversation.empty())
        refuse(entry.kind + " without a conversation");
    if (entry.kind == kind::kState && entry.state != "delivered" && entry.state != "displayed")
        refuse("state must be delivered or displayed");
    if (entry.kind == kind::kCall && entry.state != "answered" && entry.state != "missed" && entry.state != "declined" &&
        entry.state != "unanswered")
        refuse("a call's state must be answered, missed, declined or unanswered");
    if (entry.content.size() > kMaxContentBytes)
        refuse("content over " + std::to_string(kMaxContentBytes) + " bytes");
}

}  // namespace sylk::store
