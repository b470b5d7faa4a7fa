#include "commandpipeline.h"
#include "domaincompare.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "sandbox.h"
#include "testsupport.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

// The what-if sandbox (fork, skip, restore, commands in the fork, compare,
// fixtures for the Node harness) and the domain compare engine.
class TestSandbox : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_stores = 0;

    struct Fixture {
        std::unique_ptr<EventStore> store;
        std::unique_ptr<JsDomain> domain;
        std::unique_ptr<CommandPipeline> pipeline;
        QString path;
    };

    static CommandResult run(CommandPipeline *p, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        Command c;
        c.type = type;
        c.stream = stream;
        c.payload = payload;
        return p->execute(c);
    }

    // account-1: opened (1), +100 (2), +50 (3), -30 (4); account-2: opened (5), +10 (6).
    Fixture bankStore()
    {
        Fixture f;
        f.path = m_dir.filePath(u"bank-%1.db"_s.arg(++m_stores));
        auto store = EventStore::open(f.path, EventStore::Mode::Create);
        if (!store)
            qFatal("%s", qPrintable(store.error().message));
        f.store = std::move(*store);
        auto domain = JsDomain::load(bankPack());
        if (!domain)
            qFatal("%s", qPrintable(domain.error().message));
        f.domain = std::move(*domain);
        f.pipeline = std::make_unique<CommandPipeline>(f.store.get(), f.domain.get());
        auto *p = f.pipeline.get();
        const QJsonObject ann{{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}};
        bool ok = run(p, u"OpenAccount"_s, u"account-1"_s, ann).accepted();
        ok = ok && run(p, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 100}}).accepted();
        ok = ok && run(p, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}}).accepted();
        ok = ok && run(p, u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 30}}).accepted();
        ok = ok && run(p, u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}}).accepted();
        ok = ok && run(p, u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 10}}).accepted();
        if (!ok || f.store->headPosition() != 6)
            qFatal("could not build the bank fixture");
        return f;
    }

    static QByteArray fileHash(const QString &path)
    {
        QCryptographicHash h(QCryptographicHash::Sha256);
        for (const QString &p : QStringList{path, path + u"-wal"_s}) {
            QFile f(p);
            if (f.open(QIODevice::ReadOnly))
                h.addData(f.readAll());
        }
        return h.result().toHex();
    }

    static QString node()
    {
        const QString path = QStandardPaths::findExecutable(u"node"_s);
        return path.isEmpty() ? QStandardPaths::findExecutable(u"nodejs"_s) : path;
    }

    // Runs the shipped harness on a cases file; returns its exit code and output.
    static int runHarness(const QString &cases, QByteArray *output)
    {
        QProcess p;
        p.setProcessChannelMode(QProcess::MergedChannels);
        p.start(node(), {sourcePath(u"resources/harness/harness.js"_s), bankPack(), cases});
        if (!p.waitForFinished(60000))
            return -1;
        *output = p.readAll();
        return p.exitCode();
    }

    static QString writeModifiedBank(const QString &dir)
    {
        QFile in(bankPack());
        if (!in.open(QIODevice::ReadOnly))
            return {};
        QString text = QString::fromUtf8(in.readAll());
        const QString from = u"return Object.assign({}, state, { balance: cents(state.balance - event.data.amount) });"_s;
        if (text.count(from) < 1)
            return {};
        // MoneyWithdrawn is the first handler with this body: withdrawals now count twice.
        text.replace(text.indexOf(from), from.size(),
                     u"return Object.assign({}, state, { balance: cents(state.balance - 2 * event.data.amount) });"_s);
        const QString path = dir + u"/bank-v2.js"_s;
        QFile out(path);
        if (!out.open(QIODevice::WriteOnly))
            return {};
        out.write(text.toUtf8());
        return path;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void differingPaths_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::addColumn<QStringList>("paths");
        QTest::newRow("equal") << u"{\"x\":1}"_s << u"{\"x\":1}"_s << QStringList{};
        QTest::newRow("leaf") << u"{\"x\":1,\"y\":2}"_s << u"{\"x\":1,\"y\":3}"_s << QStringList{u"y"_s};
        QTest::newRow("nested") << u"{\"r\":{\"t-1\":true}}"_s << u"{\"r\":{}}"_s
                                << QStringList{u"r[\"t-1\"]"_s};
        QTest::newRow("array") << u"{\"a\":[1,2]}"_s << u"{\"a\":[1,3,4]}"_s << QStringList{u"a[1]"_s, u"a[2]"_s};
        QTest::newRow("one side") << u"{\"a\":1}"_s << u"{\"b\":1}"_s << QStringList{u"a"_s, u"b"_s};
    }
    void differingPaths()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QFETCH(QStringList, paths);
        QCOMPARE(DomainCompare::differingPaths(QJsonDocument::fromJson(a.toUtf8()).object(),
                                               QJsonDocument::fromJson(b.toUtf8()).object()),
                 paths);
    }

    void forkSkipRestoreLeaveTheOriginalUntouched()
    {
        Fixture f = bankStore();
        const QByteArray hashBefore = fileHash(f.path);
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(f.store.get(), bankPack()));

        QVERIFY(sandbox.forkNow(4));
        QVERIFY(sandbox.isReady());
        QCOMPARE(sandbox.fork()->headPosition(), 4);
        QVERIFY(EventStore::isMemoryUri(sandbox.fork()->path()));
        auto same = sandbox.compareAggregate(u"account-1"_s);
        QVERIFY2(same, qPrintable(same.error().message));
        QVERIFY(same->equal());
        QCOMPARE(same->fork.value(u"balance"_s).toDouble(), 120.0);
        QVERIFY(!sandbox.fork()->streamInfo(u"account-2"_s)); // opened at 5, after the fork

        // Without the first deposit, a withdrawal of 50 is refused in the fork.
        sandbox.skip(2); // the store is a file: rebuilt in a worker
        QTRY_VERIFY(!sandbox.isBusy());
        QCOMPARE(sandbox.skipped(), (QSet<qint64>{2}));
        auto skipped = sandbox.compareAggregate(u"account-1"_s);
        QVERIFY(skipped);
        QCOMPARE(skipped->original.value(u"balance"_s).toDouble(), 120.0);
        QCOMPARE(skipped->fork.value(u"balance"_s).toDouble(), 20.0);
        QCOMPARE(skipped->paths, QStringList{u"balance"_s});
        QCOMPARE(skipped->forkVersion, 4); // positions and versions are kept: the skipped one is a gap
        Command withdraw;
        withdraw.type = u"Withdraw"_s;
        withdraw.stream = u"account-1"_s;
        withdraw.payload = {{u"amount"_s, 50}};
        CommandResult r = sandbox.execute(withdraw);
        QCOMPARE(r.record.outcome, CommandOutcome::Rejected);
        QVERIFY2(r.record.reason.contains(u"insufficient funds"_s), qPrintable(r.record.reason));

        // Restored: the same command runs again and is accepted now.
        QVERIFY(sandbox.forkNow(4, {}));
        QCOMPARE(sandbox.commands().size(), 1);
        QCOMPARE(sandbox.commands().constFirst().result.record.outcome, CommandOutcome::Accepted);
        auto restored = sandbox.compareAggregate(u"account-1"_s);
        QVERIFY(restored);
        QCOMPARE(restored->fork.value(u"balance"_s).toDouble(), 70.0);
        QCOMPARE(restored->forkVersion, 5);
        QCOMPARE(restored->originalVersion, 4);

        // The original: same head, same bytes, intact chain, no trace of the fork's command.
        QCOMPARE(f.store->headPosition(), 6);
        QCOMPARE(fileHash(f.path), hashBefore);
        auto verify = f.store->verify();
        QVERIFY(verify && verify->intact);
        QCOMPARE(f.store->streamInfo(u"account-1"_s)->version, 4);
        QVERIFY(!f.store->command(r.record.commandId));
        auto reopened = EventStore::open(f.path, EventStore::Mode::ReadOnly);
        QVERIFY(reopened);
        QCOMPARE((*reopened)->headPosition(), 6);
    }

    void asynchronousForkReportsProgressAndCanBeSuperseded()
    {
        Fixture f = bankStore();
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(f.store.get(), bankPack()));
        QSignalSpy forked(&sandbox, &Sandbox::forked);
        QSignalSpy failed(&sandbox, &Sandbox::failed);
        sandbox.forkAt(2);
        sandbox.forkAt(6); // supersedes the first
        QVERIFY(sandbox.isBusy());
        QTRY_COMPARE(forked.size(), 1);
        QCOMPARE(forked.at(0).at(0).toLongLong(), 6);
        QCOMPARE(sandbox.fork()->headPosition(), 6);
        QVERIFY(failed.isEmpty());
        // Beyond the head: clamped.
        sandbox.forkAt(1000);
        QTRY_COMPARE(forked.size(), 2);
        QCOMPARE(sandbox.position(), 6);
    }

    void inMemoryOriginalIsCopiedInTheCallingThread()
    {
        auto store = EventStore::open(u":memory:"_s, EventStore::Mode::Create);
        QVERIFY(store);
        auto domain = JsDomain::load(bankPack());
        QVERIFY(domain);
        CommandPipeline p(store->get(), domain->get());
        QVERIFY(run(&p, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        QVERIFY(run(&p, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}).accepted());
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(store->get(), bankPack()));
        QSignalSpy forked(&sandbox, &Sandbox::forked);
        sandbox.forkAt(2);
        QCOMPARE(forked.size(), 1);
        sandbox.skip(1);
        QCOMPARE(forked.size(), 2);
        QCOMPARE(sandbox.fork()->headPosition(), 2);
        auto cmp = sandbox.compareAggregate(u"account-1"_s);
        QVERIFY(cmp);
        QCOMPARE(cmp->fork.value(u"open"_s).toBool(), false);
        QCOMPARE((*store)->headPosition(), 2);
    }

    void projectionsOfForkAndOriginal()
    {
        Fixture f = bankStore();
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(f.store.get(), bankPack()));
        QVERIFY(sandbox.forkNow(6, {1})); // account-1 never opened
        Command open;
        open.type = u"OpenAccount"_s;
        open.stream = u"account-3"_s;
        open.payload = {{u"owner"_s, u"Cy"_s}, {u"currency"_s, u"GBP"_s}};
        QVERIFY(sandbox.execute(open).accepted());

        QSignalSpy done(&sandbox, &Sandbox::projectionsCompared);
        QSignalSpy failed(&sandbox, &Sandbox::failed);
        sandbox.startProjectionCompare();
        QVERIFY(sandbox.isBusy());
        QTRY_COMPARE(done.size(), 1);
        QVERIFY(failed.isEmpty());
        QVERIFY(!sandbox.isBusy());
        auto result = done.at(0).at(0).value<QList<ProjectionComparison>>();
        QCOMPARE(result.size(), 1);
        const ProjectionComparison &balances = result.constFirst();
        QCOMPARE(balances.projection, u"Balances"_s);
        QCOMPARE(balances.removed, 1);
        QCOMPARE(balances.added, 1);
        QCOMPARE(balances.same, 1);
        QHash<QString, RowComparison::Kind> kinds;
        for (const RowComparison &r : balances.rows)
            kinds.insert(r.key, r.kind);
        QCOMPARE(kinds.value(u"account-1"_s), RowComparison::Kind::Removed);
        QCOMPARE(kinds.value(u"account-3"_s), RowComparison::Kind::Added);
        QCOMPARE(kinds.value(u"account-2"_s), RowComparison::Kind::Same);

        // The synchronous path agrees.
        auto sync = sandbox.compareProjections();
        QVERIFY(sync);
        QCOMPARE(sync->constFirst().removed, 1);
    }

    void fixtureExportRunsUnderNode()
    {
        if (node().isEmpty())
            QSKIP("node is not installed");
        Fixture f = bankStore();
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(f.store.get(), bankPack()));
        QVERIFY(sandbox.forkNow(4, {3}));
        Command deposit;
        deposit.type = u"Deposit"_s;
        deposit.stream = u"account-1"_s;
        deposit.payload = {{u"amount"_s, 5.25}};
        QVERIFY(sandbox.execute(deposit).accepted());
        Command overdraw;
        overdraw.type = u"Account.Withdraw"_s;
        overdraw.stream = u"account-1"_s;
        overdraw.payload = {{u"amount"_s, 500}};
        QCOMPARE(sandbox.execute(overdraw).record.outcome, CommandOutcome::Rejected);

        auto accepted = sandbox.fixture(0);
        QVERIFY2(accepted, qPrintable(accepted.error().message));
        QCOMPARE(accepted->value(u"given"_s).toArray().size(), 3); // v1, v2 and v4: v3 was skipped
        QCOMPARE(accepted->value(u"then"_s).toArray().at(0)[u"data"_s][u"balance"_s].toDouble(), 75.25);
        QCOMPARE(accepted->value(u"thenState"_s)[u"balance"_s].toDouble(), 75.25);
        auto rejected = sandbox.fixture(1, u"an overdraft is refused"_s);
        QVERIFY(rejected);
        QVERIFY(rejected->value(u"thenRejected"_s).toString().contains(u"insufficient funds"_s));
        QVERIFY(!sandbox.fixture(2));

        const QString path = m_dir.filePath(u"whatif.cases.json"_s);
        QVERIFY(Sandbox::writeFixtures(path, QJsonArray{*accepted, *rejected}));
        QByteArray out;
        QCOMPARE(runHarness(path, &out), 0);
        QVERIFY2(out.contains("2 ok, 0 failing"), out.constData());

        // A wrong expectation fails.
        QJsonObject wrong = *accepted;
        QJsonArray then = wrong.value(u"then"_s).toArray();
        QJsonObject event = then.at(0).toObject();
        QJsonObject data = event.value(u"data"_s).toObject();
        data.insert(u"balance"_s, 999);
        event.insert(u"data"_s, data);
        then.replace(0, event);
        wrong.insert(u"then"_s, then);
        const QString badPath = m_dir.filePath(u"wrong.cases.json"_s);
        QVERIFY(Sandbox::writeFixtures(badPath, QJsonArray{wrong}));
        QCOMPARE(runHarness(badPath, &out), 1);
        QVERIFY2(out.contains("events differ"), out.constData());
    }

    void domainCompareFindsTheFirstDivergingEvent()
    {
        Fixture f = bankStore();
        QTemporaryDir dir;
        const QString v2 = writeModifiedBank(dir.path());
        QVERIFY(!v2.isEmpty());
        auto b = JsDomain::load(v2);
        QVERIFY2(b, qPrintable(b.error().message));
        DomainCompare::Options o;
        auto result = DomainCompare::run(f.store.get(), f.domain.get(), b->get(), o);
        QVERIFY2(result, qPrintable(result.error().message));
        QCOMPARE(result->size(), 2);
        const StreamDivergence &one = result->at(0);
        QCOMPARE(one.stream, u"account-1"_s);
        QCOMPARE(one.status, StreamDivergence::Status::Differs);
        QCOMPARE(one.version, 4);
        QCOMPARE(one.position, 4);
        QCOMPARE(one.eventType, u"MoneyWithdrawn"_s);
        QCOMPARE(one.paths, QStringList{u"balance"_s});
        QCOMPARE(one.before.value(u"balance"_s).toDouble(), 150.0);
        QCOMPARE(one.stateA.value(u"balance"_s).toDouble(), 120.0);
        QCOMPARE(one.stateB.value(u"balance"_s).toDouble(), 90.0);
        QCOMPARE(result->at(1).status, StreamDivergence::Status::Equal);
        QCOMPARE(result->at(1).events, 2);

        // The same pack on both sides: all equal. Selected streams only.
        o.filter = DomainCompare::Filter::Selected;
        o.streams = {u"account-1"_s};
        auto same = DomainCompare::run(f.store.get(), f.domain.get(), f.domain.get(), o);
        QVERIFY(same);
        QCOMPARE(same->size(), 1);
        QCOMPARE(same->constFirst().status, StreamDivergence::Status::Equal);
        o.streams = {u"nope"_s};
        QVERIFY(!DomainCompare::run(f.store.get(), f.domain.get(), f.domain.get(), o));

        // In a worker, with its own connection and packs.
        DomainCompare compare;
        QSignalSpy finished(&compare, &DomainCompare::finished);
        DomainCompare::Options w;
        w.storePath = f.path;
        w.packA = bankPack();
        w.packB = v2;
        w.filter = DomainCompare::Filter::Prefix;
        w.prefix = u"account-1"_s;
        compare.start(w);
        QVERIFY(compare.isRunning());
        QTRY_COMPARE(finished.size(), 1);
        const auto async = finished.at(0).at(0).value<QList<StreamDivergence>>();
        QCOMPARE(async.size(), 1);
        QCOMPARE(async.constFirst().version, 4);
    }

    void brokenPackBNamesFileAndLine()
    {
        Fixture f = bankStore();
        QTemporaryDir dir;
        const QString broken = dir.filePath(u"bank-broken.js"_s);
        QFile out(broken);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write("(function () {\n  return {\n    name: \"bank\",\n    aggregates: { Account: { initialState: {}, \n"
                  "      evolve: { AccountOpened(state) { return state +; } } } }\n  };\n})()\n");
        out.close();
        DomainCompare::Options o;
        o.storePath = f.path;
        o.packA = bankPack();
        o.packB = broken;
        auto r = DomainCompare::run(o);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(u"bank-broken.js:5"_s), qPrintable(r.error().message));
    }

    // Not a timed assertion: prints how long forking 100k events takes here.
    void forkOf100kEvents()
    {
        const QString path = m_dir.filePath(u"big.db"_s);
        auto store = EventStore::open(path, EventStore::Mode::Create);
        QVERIFY(store);
        QList<ImportedEvent> events;
        const int n = 100000;
        events.reserve(n);
        for (int i = 0; i < n; ++i) {
            ImportedEvent ie;
            ie.event.stream = u"account-%1"_s.arg(i % 1000);
            ie.event.version = i / 1000 + 1;
            ie.event.type = ie.event.version == 1 ? u"AccountOpened"_s : u"MoneyDeposited"_s;
            ie.event.eventId = u"e-%1"_s.arg(i);
            ie.event.data = ie.event.version == 1 ? QByteArray(R"({"owner":"Ann","currency":"EUR"})")
                                                  : QByteArray(R"({"amount":1,"balance":1})");
            ie.event.metadata = "{}";
            ie.event.recordedMs = 1767225600000 + i;
            ie.streamType = u"Account"_s;
            ie.line = i + 1;
            events.append(ie);
        }
        auto imported = (*store)->importEvents(events);
        QVERIFY2(imported, qPrintable(imported.error().message));
        Sandbox sandbox;
        QVERIFY(sandbox.setSource(store->get(), bankPack()));
        QSignalSpy forked(&sandbox, &Sandbox::forked);
        QSignalSpy progress(&sandbox, &Sandbox::progress);
        QElapsedTimer t;
        t.start();
        sandbox.forkAt(n);
        QTRY_COMPARE_WITH_TIMEOUT(forked.size(), 1, 60000);
        qInfo("forked %d events in %lld ms (%lld progress reports)", n, qint64(t.elapsed()), qint64(progress.size()));
        QCOMPARE(sandbox.fork()->headPosition(), n);
        QVERIFY(progress.size() >= 2);
        t.restart();
        sandbox.skip(5);
        QTRY_COMPARE_WITH_TIMEOUT(forked.size(), 2, 60000);
        qInfo("rebuilt without one event in %lld ms", qint64(t.elapsed()));
        QCOMPARE(sandbox.fork()->streamInfo(u"account-4"_s)->version, 100);
        auto cmp = sandbox.compareAggregate(u"account-4"_s);
        QVERIFY(cmp);
        QCOMPARE(cmp->fork.value(u"open"_s).toBool(), false);
    }
};

QTEST_MAIN(TestSandbox)
#include "tst_sandbox.moc"
