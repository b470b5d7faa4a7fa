#include "commandlog/commandlogmodel.h"
#include "common/storebanner.h"
#include "eventstore.h"
#include "session.h"
#include "sessionsupport.h"
#include "storecheck.h"
#include "testsupport.h"
#include "windowsupport.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <sqlite3.h>

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace {

// The tests run as root, whom file permissions do not stop. Without
// CAP_DAC_OVERRIDE in its effective set, root obeys them like any user: a
// 0444 file is not writable, even for its owner. Effective set only, and of
// the calling thread (threads started afterwards inherit it): restored after.
class WithoutPermissionOverride {
public:
    WithoutPermissionOverride() { m_changed = set(false); }
    ~WithoutPermissionOverride()
    {
        if (m_changed)
            set(true);
    }

private:
    static bool set(bool on)
    {
        __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
        __user_cap_data_struct data[2] = {};
        if (syscall(SYS_capget, &header, data) != 0)
            return false;
        const quint32 bits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);
        if (!(data[0].permitted & bits))
            return false; // not root: permissions apply anyway
        data[0].effective = on ? (data[0].effective | bits) : (data[0].effective & ~bits);
        return syscall(SYS_capset, &header, data) == 0;
    }
    bool m_changed = false;
};

// The same for a CLI process: root without the override, through setpriv (util-linux).
QStringList withoutPermissionOverride(const QStringList &command)
{
    if (geteuid() != 0)
        return command;
    return QStringList{u"setpriv"_s, u"--bounding-set=-dac_override,-dac_read_search"_s, u"--"_s} + command;
}

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runProcess(const QStringList &command)
{
    QProcess p;
    p.start(command.constFirst(), command.mid(1));
    Run r;
    if (!p.waitForFinished(120000)) {
        r.err = "did not finish";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

Run cli(const QStringList &args)
{
    return runProcess(QStringList{cliPath()} + args);
}

// Read only when no connection of this process is open on the file.
QByteArray fileHash(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QCryptographicHash h(QCryptographicHash::Sha256);
    h.addData(&f);
    return h.result().toHex();
}

} // namespace

// A damaged store is neither read as if it were whole nor written to; a store
// that cannot be written opens read-only and says why.
class TestStoreSafety : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_base;   // a generated store, intact
    QString m_export; // its events, exported
    int m_pageSize = 0;
    int m_eventsPage = 0; // a leaf page of the events table, in the middle
    int m_logPage = 0;    // a leaf page of the command log, in the middle
    int m_commandCount = 0;

    // The page numbers of a table's leaves, asked from SQLite itself (dbstat).
    QList<int> leafPages(sqlite3 *db, const char *table)
    {
        QList<int> pages;
        sqlite3_stmt *stmt = nullptr;
        if (sqlite3_prepare_v2(db, "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", -1,
                               &stmt, nullptr) != SQLITE_OK)
            return pages;
        sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
        while (sqlite3_step(stmt) == SQLITE_ROW)
            pages << sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        return pages;
    }

    // A copy of the base store, damaged as the row says.
    QString damaged(const QString &kind)
    {
        const QString path =
            m_dir.filePath(u"%1-%2.db"_s.arg(kind, QString::fromLatin1(QTest::currentDataTag())).replace(u' ', u'-'));
        QFile::remove(path);
        if (kind == u"not-sqlite"_s) {
            QFile f(path);
            if (f.open(QIODevice::WriteOnly))
                f.write("name,balance\nAnn,10\nBo,20\n");
            return path;
        }
        QFile::copy(m_base, path);
        QFile f(path);
        if (!f.open(QIODevice::ReadWrite))
            return {};
        if (kind == u"events-page"_s || kind == u"log-page"_s) {
            const int page = kind == u"events-page"_s ? m_eventsPage : m_logPage;
            QByteArray noise(m_pageSize, Qt::Uninitialized);
            QRandomGenerator random(page); // the same bytes every run
            for (char &c : noise)
                c = char(random.bounded(256));
            f.seek(qint64(page - 1) * m_pageSize);
            f.write(noise);
        } else if (kind == u"header-zeroed"_s) {
            f.write(QByteArray(100, '\0'));
        } else if (kind == u"truncated"_s) {
            f.resize(f.size() * 6 / 10);
        }
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
        m_base = m_dir.filePath(u"base.db"_s);
        const Run made =
            cli({u"generate"_s, m_base, u"--domain"_s, bankPack(), u"--commands"_s, u"400"_s, u"--seed"_s, u"7"_s});
        QVERIFY2(made.exitCode == 0, made.err.constData());
        m_export = m_dir.filePath(u"base.jsonl"_s);
        const Run exported = cli({u"export"_s, m_base});
        QCOMPARE(exported.exitCode, 0);
        QFile out(m_export);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(exported.out);
        out.close();
        const Run logged = cli({u"commands"_s, m_base, u"--json"_s});
        QCOMPARE(logged.exitCode, 0);
        m_commandCount = int(QJsonDocument::fromJson(logged.out).array().size());
        QVERIFY(m_commandCount >= 400); // and the commands reactions issued

        sqlite3 *db = nullptr;
        QCOMPARE(sqlite3_open_v2(QFile::encodeName(m_base).constData(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt *stmt = nullptr;
        QCOMPARE(sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &stmt, nullptr), SQLITE_OK);
        QCOMPARE(sqlite3_step(stmt), SQLITE_ROW);
        m_pageSize = sqlite3_column_int(stmt, 0);
        sqlite3_finalize(stmt);
        const QList<int> events = leafPages(db, "events");
        const QList<int> log = leafPages(db, "command_log");
        sqlite3_close(db);
        QVERIFY2(events.size() > 4 && log.size() > 4, "the base store is too small to damage one page of it");
        m_eventsPage = events.at(events.size() / 2);
        m_logPage = log.at(log.size() / 2);
    }

    // Damage × what a user does with it. A write is refused before anything is
    // written (the file's bytes stay the same); a read ends with the damage
    // named, never with a short result; no message is driver noise.
    void damagedStoresAreNeitherMisreadNorWritten_data()
    {
        QTest::addColumn<QString>("damage");
        QTest::addColumn<QString>("operation");
        QTest::addColumn<int>("exitCode"); // 0: the operation succeeds (the damage is elsewhere)
        QTest::addColumn<QString>("message");

        const QString isDamaged = u"is damaged (SQLite reports: "_s;
        const QString notSqlite = u"not a SQLite database, or its first page is damaged"_s;
        struct Damage {
            QString name;
            QString message;
        };
        const QList<Damage> damages = {{u"events-page"_s, isDamaged},
                                       {u"log-page"_s, isDamaged},
                                       {u"truncated"_s, isDamaged},
                                       {u"header-zeroed"_s, notSqlite},
                                       {u"not-sqlite"_s, notSqlite}};
        for (const Damage &d : damages) {
            for (const QString &op : {u"init"_s, u"exec"_s, u"generate"_s, u"import"_s, u"project"_s, u"open"_s})
                QTest::addRow("%s %s", qPrintable(d.name), qPrintable(op)) << d.name << op << 2 << d.message;
            // Reading the command log: the damage is in it, or before it (the
            // file's first pages), or elsewhere (then the whole log is read).
            const bool logReadable = d.name == u"events-page"_s;
            QTest::addRow("%s commands", qPrintable(d.name))
                << d.name << u"commands"_s << (logReadable ? 0 : 2) << (logReadable ? QString() : d.message);
        }
    }
    void damagedStoresAreNeitherMisreadNorWritten()
    {
        QFETCH(QString, damage);
        QFETCH(QString, operation);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        const QString path = damaged(damage);
        QVERIFY(!path.isEmpty());
        const QByteArray before = fileHash(path);

        QString said;
        int code = 0;
        QByteArray out;
        if (operation == u"open"_s) {
            // The workbench's way in: a read-write session with the bank pack (and its projections).
            es::Session::Options o;
            o.storePath = path;
            o.packPath = bankPack();
            auto session = es::Session::open(o);
            if (!session) {
                said = session.error().message;
                code = 2;
            } else {
                (*session)->waitForHealth();
                QCoreApplication::processEvents();
                QCOMPARE((*session)->health(), es::Session::Health::Damaged);
                QVERIFY((*session)->isReadOnly());
                QVERIFY(!(*session)->mayWrite());
                said = (*session)->readOnlyReason();
                const auto r = runCommand(session->get(), u"OpenAccount"_s, u"account-new"_s,
                                          {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
                QVERIFY(!r.accepted());
                QVERIFY2(r.error.message.contains(message), qPrintable(r.error.message));
                code = 2;
            }
        } else {
            QStringList args{operation, path};
            if (operation == u"exec"_s)
                args << u"--domain"_s << bankPack() << u"--stream"_s << u"account-new"_s << u"OpenAccount"_s
                     << uR"({"owner":"Ann","currency":"EUR"})"_s;
            else if (operation == u"generate"_s || operation == u"project"_s)
                args << u"--domain"_s << bankPack()
                     << (operation == u"generate"_s ? QStringList{u"--commands"_s, u"5"_s} : QStringList{});
            else if (operation == u"import"_s)
                args << m_export;
            else if (operation == u"commands"_s)
                args << u"--json"_s;
            const Run r = cli(args);
            code = r.exitCode;
            said = QString::fromUtf8(r.err);
            out = r.out;
        }
        QVERIFY2(code == exitCode, qPrintable(u"exit %1: %2"_s.arg(code).arg(said)));
        QVERIFY2(said.contains(message), qPrintable(said));
        if (exitCode != 0) {
            QVERIFY2(said.contains(QFileInfo(path).fileName()), qPrintable(said));
            for (const QString &noise : {u"Unable to"_s, u"already exists"_s, u"no schema version"_s, u"empty"_s})
                QVERIFY2(!said.contains(noise), qPrintable(said));
            if (message == u"is damaged (SQLite reports: "_s)
                QVERIFY2(said.contains(u"eventscope-cli verify"_s), qPrintable(said));
        }
        if (operation == u"commands"_s && exitCode == 0) // all of it, or an error: never a short log
            QCOMPARE(QJsonDocument::fromJson(out).array().size(), m_commandCount);
        QCOMPARE(fileHash(path), before); // every connection is closed by now
    }

    // The command log view's model: a damaged page in the middle of the log is
    // reported as such, with the rows read before it; it is not the whole log.
    void theCommandLogSaysItStoppedAtDamage()
    {
        const QString path = damaged(u"log-page"_s);
        auto store = es::EventStore::open(path, es::EventStore::Mode::ReadOnly);
        QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
        es::CommandLogModel model;
        model.setPageSize(50);
        model.setStore(store->get());
        while (model.canFetchMore({}))
            model.fetchMore({});
        // The log opens at its newest end; scrolling to the top reads older pages until the damage.
        while (model.hasOlder() && model.lastError().isEmpty())
            model.fetchOlder();
        QVERIFY(model.rowCount() < m_commandCount);
        QVERIFY2(model.lastError().contains(u"is damaged (SQLite reports: "_s), qPrintable(model.lastError()));
        QVERIFY2(model.lastError().contains(u"read the command log"_s), qPrintable(model.lastError()));
        QCOMPARE((*store)->damage().code, es::ErrorCode::Damaged);
    }

    // Reads that answer with a plain value (the head, a stream's version)
    // cannot carry the error: the store remembers it and refuses every write.
    void damageSeenByAReadStopsEveryWrite()
    {
        const QString path = damaged(u"events-page"_s);
        const QByteArray before = fileHash(path);
        {
            auto store = es::EventStore::open(path, es::EventStore::Mode::ReadWrite);
            QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
            QVERIFY(!(*store)->verify()); // reads every event: meets the damaged page
            QCOMPARE((*store)->damage().code, es::ErrorCode::Damaged);
            es::AppendRequest req;
            req.stream = u"account-new"_s;
            req.streamType = u"Account"_s;
            req.events = {es::NewEvent{{}, u"AccountOpened"_s, {{u"owner"_s, u"Ann"_s}}, {}}};
            auto r = (*store)->append(req);
            QVERIFY(!r);
            QCOMPARE(r.error().code, es::ErrorCode::Damaged);
            QVERIFY2(r.error().message.contains(u"nothing was written"_s), qPrintable(r.error().message));
        }
        QCOMPARE(fileHash(path), before);
    }

    void theCheckSaysSoundForAnIntactStore()
    {
        const es::StoreVerdict v = es::StoreCheck::run(m_base);
        QCOMPARE(v.state, es::StoreVerdict::State::Sound);
        QVERIFY2(v.summary.contains(u"sound"_s), qPrintable(v.summary));
        auto before = es::StoreCheck::beforeWrite(m_base, 1); // over the limit: not checked, said so
        QVERIFY(before);
        QCOMPARE(before->state, es::StoreVerdict::State::NotChecked);
        QVERIFY2(before->summary.contains(u"was not checked before writing"_s), qPrintable(before->summary));
    }

    // The workbench: a damaged store opens read-only with a banner saying what
    // is wrong and what to do; the console says why it cannot send.
    void theWorkbenchShowsADamagedStore()
    {
        const QString path = damaged(u"events-page"_s);
        const QByteArray before = fileHash(path);
        {
            MainWindow w;
            w.show();
            QVERIFY2(w.openStore(path, false, false, bankPack()), qPrintable(w.lastError()));
            QTRY_VERIFY_WITH_TIMEOUT(w.session()->health() == es::Session::Health::Damaged, 20000);
            QVERIFY(w.session()->isReadOnly());
            QTRY_VERIFY(w.banner()->isVisible());
            QVERIFY2(w.banner()->headline().contains(u"damaged"_s), qPrintable(w.banner()->headline()));
            QVERIFY2(w.banner()->details().contains(u"is damaged (SQLite reports: "_s),
                     qPrintable(w.banner()->details()));
            for (const QString &todo : {u"eventscope-cli verify"_s, u"backup"_s, u"eventscope-cli export"_s})
                QVERIFY2(w.banner()->details().contains(todo), qPrintable(w.banner()->details()));
            QVERIFY(statusBarTexts(w).contains(u"DAMAGED"_s));
            QVERIFY(statusBarTexts(w).contains(u"READ-ONLY"_s));
            auto *send = w.console()->findChild<QAbstractButton *>(u"sendButton"_s);
            QVERIFY(send);
            QTRY_VERIFY(!send->isEnabled());
            QVERIFY2(w.console()->disabledReason().contains(u"damaged"_s), qPrintable(w.console()->disabledReason()));
        }
        QCOMPARE(fileHash(path), before);
    }

    void theWorkbenchShowsASoundStoreAsChecked()
    {
        const QString path = m_dir.filePath(u"sound-copy.db"_s);
        QVERIFY(QFile::copy(m_base, path));
        MainWindow w;
        w.show();
        QVERIFY2(w.openStore(path, false, false, bankPack()), qPrintable(w.lastError()));
        QTRY_VERIFY_WITH_TIMEOUT(w.session()->health() == es::Session::Health::Sound, 20000);
        QTRY_VERIFY(statusBarTexts(w).contains(u"checked: sound"_s));
        QVERIFY(!w.banner()->isVisible());
        QVERIFY(!w.session()->isReadOnly());
    }

    // A file this user cannot write opens read-only with the reason, creates
    // no -wal/-shm beside it, and refuses writes before any is attempted.
    void anUnwritableStoreOpensReadOnlyWithTheReason()
    {
        const QString path = m_dir.filePath(u"unwritable.db"_s);
        QVERIFY(QFile::copy(m_base, path));
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
        const QByteArray before = fileHash(path);
        {
            WithoutPermissionOverride asAUser;
            MainWindow w;
            w.show();
            QVERIFY2(w.openStore(path, false, false, bankPack()), qPrintable(w.lastError()));
            QVERIFY(w.session()->isReadOnly());
            QVERIFY2(w.session()->readOnlyReason().contains(u"no write permission on the file"_s),
                     qPrintable(w.session()->readOnlyReason()));
            QVERIFY(w.session()->store()->isSnapshot());
            QVERIFY(w.banner()->isVisible());
            QVERIFY2(w.banner()->headline().contains(u"read-only"_s), qPrintable(w.banner()->headline()));
            QVERIFY2(w.banner()->details().contains(u"no write permission"_s), qPrintable(w.banner()->details()));
            QVERIFY(statusBarTexts(w).contains(u"READ-ONLY"_s));
            QVERIFY2(w.lastMessage().contains(u"no write permission"_s), qPrintable(w.lastMessage()));
            QVERIFY2(w.console()->disabledReason().contains(u"no write permission"_s),
                     qPrintable(w.console()->disabledReason()));
            const auto r = runCommand(w.session(), u"OpenAccount"_s, u"account-new"_s,
                                      {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
            QVERIFY(!r.accepted());
            QVERIFY2(r.error.message.contains(u"no write permission"_s), qPrintable(r.error.message));
            QTRY_VERIFY_WITH_TIMEOUT(w.session()->health() != es::Session::Health::Checking, 20000);
            QVERIFY(w.session()->store()->headPosition() > 0);
        }
        QVERIFY(!QFile::exists(path + u"-wal"_s));
        QVERIFY(!QFile::exists(path + u"-shm"_s));
        QCOMPARE(fileHash(path), before);
    }

    void aStoreCannotBeCreatedWhereTheUserCannotWrite()
    {
        const QString dir = m_dir.filePath(u"locked"_s);
        QVERIFY(QDir().mkpath(dir));
        QVERIFY(QFile::setPermissions(dir, QFile::ReadOwner | QFile::ExeOwner));
        {
            WithoutPermissionOverride asAUser;
            auto store = es::EventStore::open(dir + u"/new.db"_s, es::EventStore::Mode::Create);
            QVERIFY(!store);
            QCOMPARE(store.error().code, es::ErrorCode::ReadOnly);
            QVERIFY2(store.error().message.contains(u"cannot create"_s) &&
                         store.error().message.contains(u"no write permission on the directory"_s),
                     qPrintable(store.error().message));
        }
        QVERIFY(QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        QVERIFY(!QFile::exists(dir + u"/new.db"_s));
    }

    // The CLI, as a user without write permission: reads work and create
    // nothing beside the file; writes are refused with the reason.
    void theCliOnAnUnwritableStore_data()
    {
        QTest::addColumn<QString>("operation");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("events") << u"events"_s << 0 << QString();
        QTest::newRow("commands") << u"commands"_s << 0 << QString();
        QTest::newRow("verify") << u"verify"_s << 0 << QString();
        for (const QString &op : {u"init"_s, u"exec"_s, u"generate"_s, u"import"_s, u"project"_s})
            QTest::newRow(qPrintable(op)) << op << 2 << u"cannot be written here: you have no write permission"_s;
    }
    void theCliOnAnUnwritableStore()
    {
        QFETCH(QString, operation);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        if (geteuid() == 0 && QStandardPaths::findExecutable(u"setpriv"_s).isEmpty())
            QSKIP("running as root without setpriv: cannot take write permission away from the CLI");
        const QString path = m_dir.filePath(u"unwritable-cli-%1.db"_s.arg(operation));
        QFile::remove(path);
        QVERIFY(QFile::copy(m_base, path));
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
        const QByteArray before = fileHash(path);
        QStringList args{cliPath(), operation, path};
        if (operation == u"exec"_s)
            args << u"--domain"_s << bankPack() << u"--stream"_s << u"account-new"_s << u"OpenAccount"_s
                 << uR"({"owner":"Ann","currency":"EUR"})"_s;
        else if (operation == u"generate"_s || operation == u"project"_s)
            args << u"--domain"_s << bankPack();
        if (operation == u"generate"_s)
            args << u"--commands"_s << u"5"_s;
        if (operation == u"import"_s)
            args << m_export;
        const Run r = runProcess(withoutPermissionOverride(args));
        QVERIFY2(r.exitCode == exitCode, qPrintable(u"exit %1: %2"_s.arg(r.exitCode).arg(QString::fromUtf8(r.err))));
        QVERIFY2(QString::fromUtf8(r.err).contains(message), r.err.constData());
        QVERIFY2(!QFile::exists(path + u"-wal"_s), "a -wal was created beside a file the user cannot write");
        QVERIFY2(!QFile::exists(path + u"-shm"_s), "a -shm was created beside a file the user cannot write");
        QCOMPARE(fileHash(path), before);
    }

    // Another process has the store open and its log holds commits: a reader
    // without write permission reads them (not the file alone, which would
    // miss them) and uses the -wal/-shm that are there.
    void anUnwritableStoreWithCommitsInItsLogIsReadWhole()
    {
        if (geteuid() == 0 && QStandardPaths::findExecutable(u"setpriv"_s).isEmpty())
            QSKIP("running as root without setpriv: cannot take write permission away from the CLI");
        const QString path = m_dir.filePath(u"busy.db"_s);
        QVERIFY(QFile::copy(m_base, path));
        auto writer = es::EventStore::open(path, es::EventStore::Mode::ReadWrite);
        QVERIFY(writer);
        {
            QSqlQuery q((*writer)->database());
            QVERIFY(q.exec(u"PRAGMA wal_autocheckpoint=0"_s));
        }
        es::AppendRequest req;
        req.stream = u"account-late"_s;
        req.streamType = u"Account"_s;
        req.events = {es::NewEvent{{}, u"AccountOpened"_s, {{u"owner"_s, u"Late"_s}}, {}}};
        auto appended = (*writer)->append(req);
        QVERIFY2(appended, qPrintable(appended ? QString() : appended.error().message));
        const qint64 head = appended->lastPosition();
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther));
        const Run r =
            runProcess(withoutPermissionOverride({cliPath(), u"events"_s, path, u"--from"_s, QString::number(head)}));
        QCOMPARE(r.exitCode, 0);
        QVERIFY2(r.out.contains("account-late"), r.out.constData());
        QVERIFY(QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner));
    }
};

QTEST_MAIN(TestStoreSafety)
#include "tst_storesafety.moc"
