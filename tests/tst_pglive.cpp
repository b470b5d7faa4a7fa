// Live following across processes on a PostgreSQL store: LISTEN/NOTIFY wakes
// a session at once (faster than its safety poll), and a session, a
// projection runner (in a `project --follow` process and in this one) or the
// timeline's loader whose connection the server killed reconnects on its own
// and catches up with nothing lost and nothing applied twice. Needs the test
// server of scripts/test.sh (ES_TEST_PG_URL): without it the suite fails with
// the reason, it never skips.

#include "eventsearch.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "projectionhost.h"
#include "projectionrunner.h"
#include "readstore.h"
#include "session.h"
#include "sessionsupport.h"
#include "storesupport.h"
#include "testsupport.h"
#include "timeline/timelineloader.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
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

QString shopPack()
{
    return sourcePath(u"resources/domains/shop.js"_s);
}

QString databaseOf(const QString &url)
{
    return QUrl(url).path().mid(1);
}

// A connection of the test's own, to `database` on the store's server. Its
// application_name is not "eventscope": terminating eventscope's sessions spares it.
QSqlDatabase adminConnection(const QString &url, const QString &connectionName, const QString &database)
{
    const QUrl u(url);
    QSqlDatabase c = QSqlDatabase::addDatabase(u"QPSQL"_s, connectionName);
    const QString socket = QUrlQuery(u).queryItemValue(u"host"_s, QUrl::FullyDecoded);
    c.setHostName(socket.isEmpty() ? u.host() : socket);
    c.setPort(u.port(5432));
    c.setUserName(u.userName());
    c.setDatabaseName(database);
    c.setConnectOptions(u"application_name=eventscope-test"_s);
    if (!c.open())
        qWarning() << "admin connection:" << c.lastError().text();
    return c;
}

// The server ends the sessions of the store's database (all but ours, or only
// those of one application), as a restart or a network cut would. Returns how
// many it ended, -1 on error.
int terminateBackends(const QString &url, const QString &applicationName = {})
{
    int ended = -1;
    {
        QSqlDatabase c = adminConnection(url, u"pglive-terminate"_s, u"postgres"_s);
        QSqlQuery q(c);
        q.prepare(u"SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = ? AND pid <> "
                  "pg_backend_pid()"_s +
                  (applicationName.isEmpty() ? QString() : u" AND application_name = ?"_s));
        q.addBindValue(databaseOf(url));
        if (!applicationName.isEmpty())
            q.addBindValue(applicationName);
        if (q.exec() && q.next())
            ended = q.value(0).toInt();
        else
            qWarning() << "terminate:" << q.lastError().text();
    }
    QSqlDatabase::removeDatabase(u"pglive-terminate"_s);
    return ended;
}

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

CliRun runCli(const QStringList &args)
{
    QProcess p;
    p.start(cliPath(), args);
    CliRun r;
    if (!p.waitForFinished(180000)) {
        p.kill();
        p.waitForFinished();
        r.err = "timed out";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

CliRun generateShop(const QString &url, int seed)
{
    return runCli(
        {u"generate"_s, url, u"--domain"_s, shopPack(), u"--commands"_s, u"100"_s, u"--seed"_s, QString::number(seed)});
}

qint64 headOf(const QSqlDatabase &db)
{
    QSqlQuery q(db);
    return q.exec(u"SELECT coalesce(max(position), 0) FROM events"_s) && q.next() ? q.value(0).toLongLong() : -1;
}

// Every projection's checkpoint is at the head, and the head is past `after`.
bool checkpointsAtHead(const QSqlDatabase &db, qint64 after)
{
    const qint64 head = headOf(db);
    QSqlQuery q(db);
    if (head <= after || !q.exec(u"SELECT count(*), min(position) FROM es_projections"_s) || !q.next())
        return false;
    return q.value(0).toInt() > 0 && q.value(1).toLongLong() == head;
}

} // namespace

#define ES_VERIFY_CLI(run)                                                                                             \
    do {                                                                                                               \
        const CliRun r_ = (run);                                                                                       \
        QVERIFY2(r_.exitCode == 0, r_.err.constData());                                                                \
    } while (false)

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
        cli.start(cliPath(), {u"exec"_s, url, u"--domain"_s, bankPack(), u"--stream"_s, u"acc-1"_s, u"OpenAccount"_s,
                              uR"({"owner":"Ann","currency":"EUR"})"_s});
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
        QVERIFY(terminateBackends(url) >= 1);

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
            QVERIFY(runCommand(s.get(), u"OpenAccount"_s, u"acc-"_s + owner,
                               {{u"owner"_s, owner}, {u"currency"_s, u"EUR"_s}})
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

    void cliFollowerReconnectsAndLosesNothing()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"follow"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        ES_VERIFY_CLI(generateShop(url, 7));
        {
            QSqlDatabase db = adminConnection(url, u"pglive-follow"_s, databaseOf(url));
            QVERIFY(db.isOpen());

            QProcess follower;
            follower.start(cliPath(), {u"project"_s, url, u"--domain"_s, shopPack(), u"--follow"_s, u"--json"_s});
            QVERIFY(follower.waitForStarted());
            QByteArray out;
            auto said = [&](const char *text) {
                out += follower.readAllStandardOutput();
                return out.contains(text);
            };
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, 0), 60000);
            const qint64 before = headOf(db);

            // The follower holds the only eventscope session now; ours are named otherwise.
            QCOMPARE(terminateBackends(url, u"eventscope"_s), 1);
            // Appended while it is cut off: their notifications never reach it.
            ES_VERIFY_CLI(generateShop(url, 8));
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, before), 60000);
            QCOMPARE(follower.state(), QProcess::Running);
            // It noticed the drop and said so (statuses carry it; no projection stopped for it).
            QTRY_VERIFY_WITH_TIMEOUT(said("reconnecting"), 10000);
            const QByteArray log = follower.readAllStandardError();
            QVERIFY2(log.contains("reconnected"), log.constData());

            // Subscribed again: one more append is followed without another drop.
            const qint64 again = headOf(db);
            ES_VERIFY_APPEND(url, u"acc-extra"_s, 0);
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, again), 10000);

            follower.terminate();
            if (!follower.waitForFinished(10000))
                follower.kill();
            follower.waitForFinished();
        }
        QSqlDatabase::removeDatabase(u"pglive-follow"_s);

        // No projection paused or failed because of the drop.
        const CliRun status = runCli({u"project"_s, url, u"--domain"_s, shopPack(), u"--status"_s, u"--json"_s});
        QVERIFY2(status.exitCode == 0, status.err.constData());
        const QJsonArray statuses = QJsonDocument::fromJson(status.out).array();
        QCOMPARE(statuses.size(), 4);
        for (const QJsonValue &v : statuses) {
            const QJsonObject s = v.toObject();
            QVERIFY2(s.value(u"state"_s).toString() == u"running"_s, QJsonDocument(s).toJson().constData());
            QCOMPARE(s.value(u"lastError"_s).toString(), QString());
            QCOMPARE(s.value(u"lagEvents"_s).toInteger(), qint64(0));
        }
        // Nothing lost, nothing applied twice: each read model equals a rebuild from the log.
        for (const QJsonValue &v : statuses) {
            const QString name = v.toObject().value(u"name"_s).toString();
            const CliRun d = runCli(
                {u"project"_s, url, u"--domain"_s, shopPack(), u"--rebuild"_s, name, u"--dry-run"_s, u"--json"_s});
            QVERIFY2(d.exitCode == 0, d.err.constData());
            const QJsonObject diff = QJsonDocument::fromJson(d.out).object();
            QVERIFY2(diff.value(u"added"_s).toInteger() == 0 && diff.value(u"removed"_s).toInteger() == 0 &&
                         diff.value(u"changed"_s).toInteger() == 0 && diff.value(u"unchanged"_s).toInteger() > 0,
                     d.out.constData());
        }
    }

    void runnerReconnectsAndLosesNothing()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"runner"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        ES_VERIFY_CLI(generateShop(url, 7));
        auto domain = JsDomain::load(shopPack());
        QVERIFY(domain);
        ProjectionRunner::Options o;
        o.safetyPollMs = 300;
        o.batchSize = 50;
        // Armed, it ends the runner's session inside a batch, before its commit.
        bool armed = false;
        int endedInBatch = 0;
        o.batchHook = [&](const ProjectionRunner::BatchInfo &b) {
            if (armed && !b.committed) {
                armed = false;
                endedInBatch = terminateBackends(url, u"eventscope"_s);
            }
        };
        auto runner = ProjectionRunner::open(url, domain->get(), o);
        QVERIFY2(runner, qPrintable(runner ? QString() : runner.error().message));
        ProjectionRunner *r = runner->get();
        QSignalSpy connection(r, &ProjectionRunner::connectionChanged);
        QSignalSpy statuses(r, &ProjectionRunner::statusChanged);
        {
            QSqlDatabase db = adminConnection(url, u"pglive-runner"_s, databaseOf(url));
            QVERIFY(db.isOpen());
            r->start();
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, 0), 60000);
            const qint64 before = headOf(db);

            // Idle: the safety poll notices.
            QCOMPARE(terminateBackends(url, u"eventscope"_s), 1); // the runner's one connection
            ES_VERIFY_CLI(generateShop(url, 8));
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, before), 60000);
            QTRY_VERIFY_WITH_TIMEOUT(connection.size() >= 2, 10000);

            // In a batch: its commit fails, the server rolled it back with its
            // checkpoint, and it is applied again after the reconnection.
            const qint64 middle = headOf(db);
            armed = true;
            ES_VERIFY_CLI(generateShop(url, 9));
            QTRY_VERIFY_WITH_TIMEOUT(checkpointsAtHead(db, middle), 60000);
            QCOMPARE(endedInBatch, 1);
        }
        QVERIFY(connection.size() >= 4);
        QSqlDatabase::removeDatabase(u"pglive-runner"_s);
        QVERIFY(connection.size() >= 2);
        QCOMPARE(connection.at(0).at(0).toBool(), false);
        QCOMPARE(connection.constLast().at(0).toBool(), true);
        bool sawReconnecting = false;
        for (const auto &args : std::as_const(statuses)) {
            const auto s = args.at(0).value<ProjectionStatus>();
            QVERIFY2(s.state == ProjectionState::Running, qPrintable(s.name + u": "_s + s.lastError));
            sawReconnecting |= s.lastError.contains(u"reconnecting"_s);
        }
        QVERIFY(sawReconnecting);
        for (const ProjectionStatus &s : r->statuses()) {
            QCOMPARE(s.state, ProjectionState::Running);
            QCOMPARE(s.lastError, QString());
            QCOMPARE(s.lagEvents, qint64(0));
            auto diff = r->rebuild(s.name, true);
            QVERIFY2(diff, qPrintable(diff ? QString() : diff.error().message));
            QVERIFY2(diff->added == 0 && diff->removed == 0 && diff->changed == 0 && diff->unchanged > 0,
                     QJsonDocument(diff->toJson()).toJson().constData());
        }
        r->stop();
    }

    void timelineLoaderReopensItsConnection()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"timeline"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        ES_VERIFY_APPEND(url, u"acc-1"_s, 0);
        TimelineLoader loader(std::make_shared<std::atomic<quint64>>(1));
        QSignalSpy fetched(&loader, &TimelineLoader::fetched);
        QSignalSpy failed(&loader, &TimelineLoader::failed);
        loader.openStore(url);
        TimelineRequest request;
        request.generation = 1;
        request.before = 10;
        request.after = 10;
        loader.fetch(request);
        QCOMPARE(fetched.size(), 1);

        QVERIFY(terminateBackends(url, u"eventscope"_s) >= 1);
        ES_VERIFY_APPEND(url, u"acc-1"_s, 1);
        loader.fetch(request); // reopens its connection and reads again
        QCOMPARE(failed.size(), 0);
        QCOMPARE(fetched.size(), 2);
        const auto result = fetched.at(1).at(0).value<TimelineResult>();
        QCOMPARE(result.head, qint64(2));
        QCOMPARE(result.rows.size(), 2);
        loader.shutdown();
    }

    void dashboardBrowsingConnectionReopens()
    {
        TestStores stores;
        ES_STORE_LOCATION(url, stores, u"browse"_s);
        QVERIFY(bool(EventStore::open(url, EventStore::Mode::Create)));
        auto s = openPgSession(url, 300, true);
        QVERIFY(s);
        QVERIFY(runCommand(s.get(), u"OpenAccount"_s, u"acc-7"_s, {{u"owner"_s, u"Cy"_s}, {u"currency"_s, u"EUR"_s}})
                    .record.outcome == CommandOutcome::Accepted);
        // The worker has started (its read-store tables exist) before the server drops everyone.
        QTRY_VERIFY_WITH_TIMEOUT(!s->projectionStatuses().isEmpty(), 10000);
        ReadStore *rs = s->projections()->readStore(); // what the projections dashboard reads through
        QVERIFY(rs);
        QVERIFY(bool(rs->checkpoints()));
        QSignalSpy connection(s.get(), &Session::connectionChanged);

        QVERIFY(terminateBackends(url) >= 1); // the session's, the worker's and the dashboard's connections
        QTRY_VERIFY_WITH_TIMEOUT(!connection.isEmpty() && connection.constLast().at(0).toBool(), 10000);
        // The same object (the views hold it) answers again, with no store reopened by the user.
        auto checkpoints = rs->checkpoints();
        QVERIFY2(bool(checkpoints), qPrintable(checkpoints ? QString() : checkpoints.error().message));
        QVERIFY(!checkpoints->isEmpty());
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
