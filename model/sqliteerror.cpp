#include "sqliteerror.h"

#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

using namespace Qt::StringLiterals;

namespace es {

SqlProblem classifySqliteCode(int resultCode, const QString &sqliteMessage)
{
    SqlProblem p;
    p.code = resultCode;
    p.detail = sqliteMessage.trimmed();
    switch (resultCode & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        p.kind = SqlFailure::None;
        break;
    case SQLITE_CORRUPT:
        p.kind = SqlFailure::Damaged;
        break;
    case SQLITE_NOTADB:
        p.kind = SqlFailure::NotADatabase;
        break;
    case SQLITE_IOERR:
        p.kind = SqlFailure::Io;
        break;
    case SQLITE_FULL:
        p.kind = SqlFailure::DiskFull;
        break;
    case SQLITE_READONLY:
        p.kind = SqlFailure::ReadOnly;
        break;
    case SQLITE_CANTOPEN:
        p.kind = SqlFailure::CantOpen;
        break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        p.kind = SqlFailure::Busy;
        break;
    case SQLITE_INTERRUPT:
        p.kind = SqlFailure::Interrupted;
        break;
    case SQLITE_CONSTRAINT:
        p.kind = SqlFailure::Constraint;
        break;
    default:
        p.kind = SqlFailure::Other;
        break;
    }
    return p;
}

SqlProblem classifySqlError(const QSqlError &error)
{
    if (!error.isValid())
        return {};
    bool isNumber = false;
    const int code = error.nativeErrorCode().toInt(&isNumber);
    // QSQLITE's database text is SQLite's message; the driver text is Qt's
    // ("Unable to fetch row"), which is noise to a user.
    const QString sqliteText = error.databaseText().trimmed();
    if (isNumber && code > 0 && code <= 0xffff)
        return classifySqliteCode(code, sqliteText.isEmpty() ? error.driverText() : sqliteText);
    // Not SQLite (PostgreSQL's SQLSTATE is not a number), or no code at all.
    SqlProblem p;
    p.kind = SqlFailure::Other;
    p.detail = error.text().trimmed();
    return p;
}

bool endedOnError(const QSqlQuery &q)
{
    return q.lastError().isValid() && q.lastError().type() != QSqlError::NoError;
}

QString damagedStoreAdvice(const QString &store)
{
    return u"Check it with `eventscope-cli verify %1`, restore it from a backup, or save what is still readable "
           "with `eventscope-cli export %1` (and `--from POSITION` to go on past the damaged part)."_s.arg(store);
}

QString damagedStoreSentence(const QString &store, const QString &detail)
{
    return u"%1 is damaged (SQLite reports: %2)"_s.arg(store, detail);
}

Error storeError(const QString &store, const QString &what, const SqlProblem &p)
{
    switch (p.kind) {
    case SqlFailure::Damaged:
    case SqlFailure::NotADatabase:
        return Error::make(ErrorCode::Damaged, u"%1: cannot %2. %3"_s.arg(damagedStoreSentence(store, p.detail), what,
                                                                          damagedStoreAdvice(store)));
    case SqlFailure::Io:
        return Error::make(ErrorCode::Io,
                           u"%1: cannot %2: the file system failed to read or write it (SQLite reports: %3)"_s.arg(
                               store, what, p.detail));
    case SqlFailure::DiskFull:
        return Error::make(ErrorCode::Io, u"%1: cannot %2: the disk is full, nothing was written (SQLite reports: "
                                          "%3)"_s.arg(store, what, p.detail));
    case SqlFailure::ReadOnly:
        return Error::make(ErrorCode::ReadOnly, u"%1: cannot %2: the file cannot be written (SQLite reports: %3)"_s.arg(
                                                    store, what, p.detail));
    case SqlFailure::CantOpen:
        return Error::make(ErrorCode::Io, u"%1: cannot %2: SQLite cannot open the file or its journal (%3)"_s.arg(
                                              store, what, p.detail));
    case SqlFailure::Busy:
        return Error::make(ErrorCode::Io, u"%1: cannot %2: another process holds the store's lock for too long "
                                          "(SQLite reports: %3)"_s.arg(store, what, p.detail));
    case SqlFailure::Interrupted:
        return Error::make(ErrorCode::Cancelled, u"%1: %2 was interrupted"_s.arg(store, what));
    case SqlFailure::None:
        return Error::make(ErrorCode::Io, u"%1: cannot %2"_s.arg(store, what));
    case SqlFailure::Constraint:
    case SqlFailure::Other:
        break;
    }
    return Error::make(ErrorCode::Io, u"%1: cannot %2: %3"_s.arg(store, what, p.detail));
}

Error storeError(const QString &store, const QString &what, const QSqlError &error)
{
    return storeError(store, what, classifySqlError(error));
}

} // namespace es
