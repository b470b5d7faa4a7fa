#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

#include <atomic>
#include <functional>

namespace es {

// SQLite's own check of a store file's pages (PRAGMA quick_check): the
// b-trees, their order and their free lists, without cross-checking indexes
// against tables (integrity_check does that, several times slower). About
// 20 ms per MB here, cold; `eventscope-cli verify` checks the hash chain on top.
struct StoreVerdict {
    enum class State {
        Sound,      // quick_check said "ok"
        Damaged,    // malformed pages
        NotSqlite,  // SQLite does not recognise the header: a foreign file, or a damaged first page
        NotChecked, // too large to check before the first write, or not a SQLite file store
        Failed,     // the check itself could not run (I/O error, cancelled): no verdict
    };
    State state = State::NotChecked;
    QString summary;      // one line in the user's terms, for the status bar and the CLI
    QStringList problems; // SQLite's findings (at most the first 10)
    qint64 bytes = 0;
    qint64 elapsedMs = 0;

    bool isDamaged() const { return state == State::Damaged; }
    // For Damaged: the damage as an error (ErrorCode::Damaged) saying what to do.
    Error error(const QString &store, const QString &nothingDone) const;
};

class StoreCheck {
public:
    // The CLI checks before writing only up to this size (about a second or two).
    static constexpr qint64 SynchronousLimit = 64LL * 1024 * 1024;

    // Checks the store file at `path` through a read-only SQLite connection of
    // its own, in the calling thread. `cancel` (may be null) stops it early,
    // with a Failed verdict. A path that is not a SQLite file store (missing,
    // :memory:, PostgreSQL) is NotChecked.
    static StoreVerdict run(const QString &path, const std::atomic<bool> *cancel = nullptr);

    // Before a process's first write to a store: an error when it is damaged
    // (nothing is to be written then); NotChecked with the reason in the
    // summary for a store larger than `limit`; Sound otherwise. A missing file
    // is fine: the command creates it.
    static Result<StoreVerdict> beforeWrite(const QString &path, qint64 limit = SynchronousLimit);
};

} // namespace es

#include <QMetaType>
Q_DECLARE_METATYPE(es::StoreVerdict)
