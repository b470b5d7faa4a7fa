#pragma once

#include "result.h"

#include <QString>

class QSqlError;
class QSqlQuery;

namespace es {

// What a failed SQLite call means for the user, from SQLite's own result code
// (QSQLITE reports it, extended, as the native error code) rather than from the
// driver's wording ("Unable to fetch row" says nothing about the file).
enum class SqlFailure {
    None,
    Damaged,      // SQLITE_CORRUPT: a page does not hold what SQLite expects
    NotADatabase, // SQLITE_NOTADB: the header is not SQLite's (a foreign file, or a damaged first page)
    Io,           // SQLITE_IOERR: the file system failed a read or a write
    DiskFull,     // SQLITE_FULL
    ReadOnly,     // SQLITE_READONLY: the file (or its -wal/-shm) cannot be written
    CantOpen,     // SQLITE_CANTOPEN
    Busy,         // SQLITE_BUSY / SQLITE_LOCKED after the busy timeout
    Interrupted,  // SQLITE_INTERRUPT: we asked it to stop
    Constraint,   // SQLITE_CONSTRAINT: callers name the constraint themselves
    Other,
};

struct SqlProblem {
    SqlFailure kind = SqlFailure::None;
    int code = 0;   // SQLite's extended result code (0 when not SQLite)
    QString detail; // SQLite's own words ("database disk image is malformed"), without the driver's
};

SqlProblem classifySqlError(const QSqlError &error);
SqlProblem classifySqliteCode(int resultCode, const QString &sqliteMessage);

// True when a loop over q.next() ended on an error rather than at the last row.
bool endedOnError(const QSqlQuery &q);

// An error in the user's terms for a failed operation (`what`: "read the command
// log") on a store (`store`: its display name). Damage names the way out.
Error storeError(const QString &store, const QString &what, const SqlProblem &problem);
Error storeError(const QString &store, const QString &what, const QSqlError &error);

// What to do with a damaged store, for messages and the workbench's banner.
QString damagedStoreAdvice(const QString &store);
// "STORE is damaged (SQLite reports: …)".
QString damagedStoreSentence(const QString &store, const QString &detail);

} // namespace es
