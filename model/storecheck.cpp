#include "storecheck.h"

#include "eventstore.h"
#include "sqliteerror.h"
#include "storeaddress.h"
#include "storefileaccess.h"

#include <QAtomicInteger>
#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlError>
#include <QSqlQuery>

#include <sqlite3.h>

Q_LOGGING_CATEGORY(lcStoreCheck, "eventscope.store.check", QtInfoMsg)

using namespace Qt::StringLiterals;

namespace es {

namespace {

QAtomicInteger<quint64> s_checkCounter;

QString megabytes(qint64 bytes)
{
    return u"%1 MB"_s.arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', bytes < 10 * 1024 * 1024 ? 1 : 0);
}

int stopWhenCancelled(void *flag)
{
    return static_cast<const std::atomic<bool> *>(flag)->load() ? 1 : 0;
}

sqlite3 *sqliteHandle(const QSqlDatabase &db)
{
    const QVariant handle = db.driver()->handle();
    if (!handle.isValid() || qstrcmp(handle.typeName(), "sqlite3*") != 0)
        return nullptr;
    return *static_cast<sqlite3 *const *>(handle.constData());
}

// The check on an open connection.
void check(QSqlDatabase &db, const std::atomic<bool> *cancel, StoreVerdict &v)
{
    sqlite3 *handle = sqliteHandle(db);
    if (cancel && handle)
        sqlite3_progress_handler(handle, 10000, stopWhenCancelled, const_cast<std::atomic<bool> *>(cancel));
    QSqlQuery q(db);
    q.setForwardOnly(true);
    // At most 10 findings: the first ones say enough, and the rest may be thousands.
    bool ok = q.exec(u"PRAGMA quick_check(10)"_s);
    QStringList rows;
    while (ok && q.next())
        rows << q.value(0).toString();
    if (!ok || endedOnError(q)) {
        const SqlProblem p = classifySqlError(q.lastError());
        switch (p.kind) {
        case SqlFailure::Damaged:
            v.state = StoreVerdict::State::Damaged;
            v.problems = {p.detail};
            break;
        case SqlFailure::NotADatabase:
            v.state = StoreVerdict::State::NotSqlite;
            v.problems = {p.detail};
            break;
        case SqlFailure::Interrupted:
            v.state = StoreVerdict::State::Failed;
            v.summary = u"not checked: the check was stopped"_s;
            break;
        default:
            v.state = StoreVerdict::State::Failed;
            v.summary = u"not checked: SQLite could not read it (%1)"_s.arg(p.detail);
            break;
        }
    } else if (rows == QStringList{u"ok"_s}) {
        v.state = StoreVerdict::State::Sound;
    } else {
        v.state = StoreVerdict::State::Damaged;
        v.problems = rows;
    }
    q.finish();
    if (cancel && handle)
        sqlite3_progress_handler(handle, 0, nullptr, nullptr);
}

} // namespace

Error StoreVerdict::error(const QString &store, const QString &nothingDone) const
{
    if (state == State::NotSqlite)
        return Error::make(ErrorCode::NotAStore,
                           u"%1 is not an Eventscope store: it is not a SQLite database, or its first page is damaged "
                           "(SQLite reports: %2): %3"_s.arg(store, problems.value(0), nothingDone));
    if (state != State::Damaged)
        return {};
    QString found = problems.value(0);
    if (problems.size() > 1)
        found += u"; and %1 more finding(s)"_s.arg(problems.size() - 1);
    return Error::make(ErrorCode::Damaged,
                       u"%1: %2. %3"_s.arg(damagedStoreSentence(store, found), nothingDone, damagedStoreAdvice(store)));
}

StoreVerdict StoreCheck::run(const QString &path, const std::atomic<bool> *cancel)
{
    StoreVerdict v;
    if (path.isEmpty() || path == u":memory:"_s || EventStore::isMemoryUri(path) || StoreAddress::isPostgresUrl(path)) {
        v.summary = StoreAddress::isPostgresUrl(path) ? u"not checked: the PostgreSQL server checks its own pages"_s
                                                      : u"not checked: an in-memory store"_s;
        return v;
    }
    // stat(2) and access(2) only: the file is read through SQLite alone.
    const StoreFileAccess access = StoreFileAccess::probe(path);
    if (!access.exists || access.isDirectory) {
        v.summary = u"not checked: no store file"_s;
        return v;
    }
    v.bytes = access.size;
    QElapsedTimer clock;
    clock.start();
    const QString name = u"eventscope-check-%1"_s.arg(s_checkCounter.fetchAndAddRelaxed(1));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(u"QSQLITE"_s, name);
        // Read-only, and as immutable where SQLite would otherwise create -wal and
        // -shm with the file's read-only mode (see EventStore::initialise).
        const bool snapshot = !access.writable && !access.walHasContent;
        db.setDatabaseName(snapshot ? immutableSqliteUri(path) : path);
        db.setConnectOptions(snapshot ? u"QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI"_s
                                      : u"QSQLITE_OPEN_READONLY;QSQLITE_BUSY_TIMEOUT=10000"_s);
        if (!db.open()) {
            v.state = StoreVerdict::State::Failed;
            v.summary = u"not checked: SQLite cannot open it (%1)"_s.arg(classifySqlError(db.lastError()).detail);
        } else {
            check(db, cancel, v);
            db.close();
        }
    }
    QSqlDatabase::removeDatabase(name);
    v.elapsedMs = clock.elapsed();
    const QString took = u"%1 in %2 s"_s.arg(megabytes(v.bytes)).arg(double(v.elapsedMs) / 1000.0, 0, 'f', 1);
    switch (v.state) {
    case StoreVerdict::State::Sound:
        v.summary = u"checked: sound (SQLite's quick_check, %1)"_s.arg(took);
        break;
    case StoreVerdict::State::Damaged:
        v.summary = u"damaged: SQLite's quick_check reports %1"_s.arg(v.problems.value(0));
        break;
    case StoreVerdict::State::NotSqlite:
        v.summary =
            u"not a SQLite database, or its first page is damaged (SQLite reports: %1)"_s.arg(v.problems.value(0));
        break;
    case StoreVerdict::State::NotChecked:
    case StoreVerdict::State::Failed:
        break;
    }
    qCDebug(lcStoreCheck).noquote() << path << v.summary;
    return v;
}

Result<StoreVerdict> StoreCheck::beforeWrite(const QString &path, qint64 limit)
{
    if (path.isEmpty() || path == u":memory:"_s || EventStore::isMemoryUri(path) || StoreAddress::isPostgresUrl(path))
        return run(path); // NotChecked, with the reason
    const StoreFileAccess access = StoreFileAccess::probe(path);
    if (!access.exists || access.isDirectory || access.size == 0)
        return StoreVerdict{}; // created by the command, or refused by it with its own message
    if (!access.writable)
        return Error::make(ErrorCode::ReadOnly,
                           u"%1 cannot be written here: %2; nothing was written"_s.arg(path, access.whyNotWritable));
    if (access.size > limit) {
        StoreVerdict v;
        v.bytes = access.size;
        v.summary = u"%1 was not checked before writing: it is %2, and SQLite's quick_check takes about 20 ms per MB. "
                    "The workbench checks it in the background when it opens it."_s.arg(path, megabytes(access.size));
        return v;
    }
    StoreVerdict v = run(path);
    switch (v.state) {
    case StoreVerdict::State::Damaged:
    case StoreVerdict::State::NotSqlite:
        return v.error(path, u"nothing was written"_s);
    case StoreVerdict::State::Failed:
        return Error::make(ErrorCode::Io,
                           u"%1: cannot check it before writing, nothing was written: %2"_s.arg(path, v.summary));
    case StoreVerdict::State::Sound:
    case StoreVerdict::State::NotChecked:
        break;
    }
    return v;
}

} // namespace es
