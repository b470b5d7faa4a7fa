// Live following across processes on a PostgreSQL store: LISTEN/NOTIFY wakes
// a session at once (faster than its safety poll), and a session whose
// connection the server killed reconnects on its own and catches up with
// nothing lost. Needs the test server of scripts/test.sh (ES_TEST_PG_URL):
// without it the suite fails with the reason, it never skips.

#include "eventsearch.h"
#include "eventstore.h"
#include "projectionhost.h"
#include "session.h"
#include "sessionsupport.h"
#include "storesupport.h"
#include "testsupport.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUrl>
#include <QUrlQuery>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

// Long enough that only a notification can explain a quick wake-up.
constexpr int SlowSafetyPollMs = 20000;

std::unique_ptr<Session> openPgSession(const QString &url, int safetyPollMs, bool runProjections = false)
{
    Session::Options o;
    o.storePath = url;
    o.packPath = bankPack();
    o.safetyPollMs = safetyPollMs;
    o.runProjections = runProjections;
    auto s = Session::open(o);
    if (!s)
        qWarning() << s.error().message;
    return s ? std::move(*s) : nullptr;
}

// Another writer, as another process's connection would be.
Status appendOne(const QString &url, const QString &stream, qint64 expectedVersion)
{
    auto store = EventStore::open(url, EventStore::Mode::ReadWrite);
    if (!store)
        return store.error();
    AppendRequest r;
    r.stream = stream;
    r.streamType = u"Account"_s;
    r.expected = ExpectedVersion::exact(expectedVersion);
    NewEvent e;
    e.type = u"MoneyDeposited"_s;
    e.data = QJsonObject{{u"amount"_s, 1}};
    r.events = {e};
    auto done = (*store)->append(r);
    if (!done)
        return done.error();
    return {};
}

} // namespace

#define ES_VERIFY_APPEND(...)                                                                                          \
    do {                                                                                                               \
        const Status st_ = appendOne(__VA_ARGS__);                                                                     \
        QVERIFY2(bool(st_), qPrintable(st_ ? QString() : st_.error().message));                                        \
    } while (false)

class TestPgLive : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        // This suite is about PostgreSQL only: its stores are databases on the test server.
        qputenv("ES_TEST_BACKEND", "postgresql");
    }

    void notificationWakesSessionFromAnotherProcess()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"notify"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        auto s = openPgSession(url, SlowSafetyPollMs);
        QVERIFY(s);
        QVERIFY(s->store()->isPostgres());
        QSignalSpy appended(s.get(), &Session::eventsAppended);

        // A real second process.
        QProcess cli;
        cli.start(cliPath(), {u"exec"_s, url, u"--domain"_s, bankPack(), u"--stream"_s, u"acc-1"_s,
                              u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s});
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 0);
        // The CLI exited after its commit; NOTIFY reaches the session through the event loop.
        QTRY_COMPARE_WITH_TIMEOUT(s->head(), qint64(1), 3000);
        QCOMPARE(appended.size(), 1);
        QCOMPARE(appended.at(0).at(0).value<EventList>().constFirst().type, u"AccountOpened"_s);

        // Another connection of this process, as a second workbench would be.
        ES_VERIFY_APPEND(url, u"acc-1"_s, 1);
        QTRY_COMPARE_WITH_TIMEOUT(s->head(), qint64(2), 3000);
        QCOMPARE(appended.size(), 2);
        QCOMPARE(appended.at(1).at(0).value<EventList>().constFirst().position, qint64(2));
    }

    void reconnectsAfterTheServerDropsTheConnection()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"reconnect"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        ES_VERIFY_APPEND(url, u"acc-1"_s, 0);
        auto s = openPgSession(url, 300);
        QVERIFY(s);
        QCOMPARE(s->head(), qint64(1));
        QSignalSpy appended(s.get(), &Session::eventsAppended);
        QSignalSpy connection(s.get(), &Session::connectionChanged);

        // The server ends every other session of this database (as a restart or a network cut would).
        const QString dbName = QUrl(url).path().mid(1);
        {
            QUrl admin(url);
            QSqlDatabase c = QSqlDatabase::addDatabase(u"QPSQL"_s, u"pglive-admin"_s);
            const QString socket = QUrlQuery(admin).queryItemValue(u"host"_s, QUrl::FullyDecoded);
            c.setHostName(socket.isEmpty() ? admin.host() : socket);
            c.setPort(admin.port(5432));
            c.setUserName(admin.userName());
            c.setDatabaseName(u"postgres"_s);
            QVERIFY2(c.open(), qPrintable(c.lastError().text()));
            QSqlQuery q(c);
            q.prepare(u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> "
                      "pg_backend_pid()"_s);
            q.addBindValue(dbName);
            QVERIFY2(q.exec() && q.next(), qPrintable(q.lastError().text()));
            QVERIFY(q.value(0).toInt() >= 1);
        }
        QSqlDatabase::removeDatabase(u"pglive-admin"_s);

        // Written while the session is disconnected: its notification is lost for good.
        ES_VERIFY_APPEND(url, u"acc-1"_s, 1);
        ES_VERIFY_APPEND(url, u"acc-1"_s, 2);
        QTRY_COMPARE_WITH_TIMEOUT(s->head(), qint64(3), 10000);
        QVERIFY(s->isConnected());
        QVERIFY(connection.size() >= 2);
        QCOMPARE(connection.at(0).at(0).toBool(), false);
        QCOMPARE(connection.constLast().at(0).toBool(), true);
        // Nothing lost, nothing twice.
        QList<qint64> seen;
        for (const auto &args : std::as_const(appended))
            for (const RecordedEvent &e : args.at(0).value<EventList>())
                seen << e.position;
        QCOMPARE(seen, (QList<qint64>{2, 3}));

        // Subscribed again: the next append wakes it before the next safety poll (300 ms) could.
        QElapsedTimer clock;
        clock.start();
        ES_VERIFY_APPEND(url, u"acc-1"_s, 3);
        QTRY_COMPARE_WITH_TIMEOUT(s->head(), qint64(4), 3000);
        qDebug() << "woken after" << clock.elapsed() << "ms";
    }

    void textSearchScansWithoutAnIndex()
    {
        // FTS5 is SQLite's: on PostgreSQL the timeline's search is a substring scan in keyset pages.
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"search"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        auto s = openPgSession(url, SlowSafetyPollMs);
        QVERIFY(s);
        for (const QString &owner : {u"Ann"_s, u"Bo"_s, u"Annika"_s})
            QVERIFY(runCommand(s.get(), u"OpenAccount"_s, u"acc-"_s + owner, {{u"owner"_s, owner}, {u"currency"_s, u"EUR"_s}})
                        .record.outcome == CommandOutcome::Accepted);
        EventSearch indexer;
        indexer.start(url); // nothing to index on PostgreSQL: no thread
        QVERIFY(!indexer.isRunning());
        QCOMPARE(EventSearch::checkpoint(*s->store()), qint64(0));
        SummaryQuery q;
        q.filter.text = u"ann"_s;
        q.limit = 1;
        auto first = EventSearch::summaries(*s->store(), q);
        QVERIFY2(first, qPrintable(first ? QString() : first.error().message));
        QCOMPARE(first->size(), 1);
        QCOMPARE(first->constFirst().stream, u"acc-Ann"_s);
        q.low = first->constFirst().position + 1; // the next keyset page
        auto second = EventSearch::summaries(*s->store(), q);
        QVERIFY(second);
        QCOMPARE(second->size(), 1);
        QCOMPARE(second->constFirst().stream, u"acc-Annika"_s);
        q.filter.types = {u"AccountOpened"_s, u"MoneyDeposited"_s}; // the per-type union
        q.filter.text.clear();
        q.low = 1;
        q.limit = 10;
        auto typed = EventSearch::summaries(*s->store(), q);
        QVERIFY2(typed, qPrintable(typed ? QString() : typed.error().message));
        QCOMPARE(typed->size(), 3);
        auto types = EventSearch::eventTypes(*s->store());
        QVERIFY(types);
        QCOMPARE(*types, QStringList{u"AccountOpened"_s});
    }

    void sessionCommandsWorkAfterReconnect()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"commands"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        auto s = openPgSession(url, SlowSafetyPollMs);
        QVERIFY(s);
        QVERIFY(runCommand(s.get(), u"OpenAccount"_s, u"acc-9"_s, {{u"owner"_s, u"Bo"_s}, {u"currency"_s, u"EUR"_s}})
                    .record.outcome == CommandOutcome::Accepted);
        QVERIFY(s->store()->reconnect());
        QVERIFY(runCommand(s.get(), u"Deposit"_s, u"acc-9"_s, {{u"amount"_s, 5}}).record.outcome ==
                CommandOutcome::Accepted);
        QCOMPARE(s->head(), qint64(2));
    }
};

QTEST_GUILESS_MAIN(TestPgLive)
#include "tst_pglive.moc"
