#include "message_journal.hpp"

#include "postgres_journal.hpp"
#include "sqlite_journal.hpp"

namespace sylk::store {

std::unique_ptr<MessageJournal> MessageJournal::open(const JournalSettings& settings) {
    if (settings.backend == "sqlite") {
        if (settings.sqlitePath.empty())
            throw JournalError(JournalError::Kind::Invalid, "journal: no SQLite file named");
        return std::make_unique<SqliteJournal>(settings.sqlitePath);
    }
    if (settings.backend == "postgresql")
        return std::make_unique<PostgresJournal>(settings.postgresConninfo);
    throw JournalError(JournalError::Kind::Invalid,
                       "journal_backend must be sqlite or postgresql, not '" + settings.backend + "'");
}

}  // namespace sylk::store
