#include "commandpipeline.h"
#include "eventstore.h"
#include "jsdomain.h"
#include "testsupport.h"
#include "timetravel.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

Command cmd(const QString &type, const QString &stream, const QJsonObject &payload = {})
{
    Command c;
    c.type = type;
    c.stream = stream;
    c.payload = payload;
    c.metadata.insert(meta::Actor, u"tester"_s);
    return c;
}

} // namespace

class TestPipeline : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    std::unique_ptr<JsDomain> m_domain;

    std::unique_ptr<EventStore> newStore(const QString &name = u":memory:"_s)
    {
        auto s = EventStore::open(name == u":memory:"_s ? name : m_dir.filePath(name), EventStore::Mode::Create);
        if (!s)
            qFatal("%s", qPrintable(s.error().message));
        return std::move(*s);
    }

private Q_SLOTS:
    void initTestCase()
    {
        auto d = JsDomain::load(bankPack());
        QVERIFY2(d, qPrintable(d.error().message));
        m_domain = std::move(*d);
    }

    void acceptedCommandWritesEventsAndLog()
    {
        auto store = newStore();
        CommandPipeline pipeline(store.get(), m_domain.get());
        QSignalSpy published(store.get(), &EventStore::eventsAppended);
        QSignalSpy stages(&pipeline, &CommandPipeline::stageCompleted);
        auto r = pipeline.execute(cmd(u"OpenAccount"_s, u"acc-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}}));
        QVERIFY2(r.accepted(), qPrintable(r.record.reason + r.error.message));
        QCOMPARE(r.events.size(), 1);
        QCOMPARE(r.events[0].type, u"AccountOpened"_s);
        QCOMPARE(published.count(), 1);
        QCOMPARE(stages.count(), 5); // validate, load, decide, append, publish
        const QJsonObject md = r.events[0].metadataObject();
        QCOMPARE(md.value(u"actor"_s).toString(), u"tester"_s);
        QCOMPARE(md.value(u"commandId"_s).toString(), r.record.commandId);
        QCOMPARE(md.value(u"causationId"_s).toString(), r.record.commandId);
        QCOMPARE(md.value(u"correlationId"_s).toString(), r.record.commandId);

        auto logged = store->command(r.record.commandId);
        QVERIFY(logged);
        QCOMPARE(logged->outcome, CommandOutcome::Accepted);
        QCOMPARE(logged->firstPosition, 1);
        QCOMPARE(logged->lastPosition, 1);
        QCOMPARE(logged->aggregate, u"Account"_s);
        QCOMPARE(logged->payload.value(u"owner"_s).toString(), u"Ann"_s);
        QVERIFY(logged->timings.decideUs > 0);
        QVERIFY(logged->timings.appendUs > 0);
    }

    void rejectionsWriteNoEvents_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<QJsonObject>("payload");
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("field");
        QTest::newRow("overdraft") << u"Withdraw"_s << QJsonObject{{u"amount"_s, 500}} << u"insufficient funds"_s
                                   << u"amount"_s;
        QTest::newRow("validation: min") << u"Deposit"_s << QJsonObject{{u"amount"_s, 0}} << u"invalid command"_s
                                         << u"amount"_s;
        QTest::newRow("validation: type") << u"Deposit"_s << QJsonObject{{u"amount"_s, u"ten"_s}}
                                          << u"invalid command"_s << u"amount"_s;
        QTest::newRow("validation: required") << u"Deposit"_s << QJsonObject{} << u"invalid command"_s
                                              << u"amount"_s;
        QTest::newRow("validation: unknown field")
            << u"Deposit"_s << QJsonObject{{u"amount"_s, 5}, {u"amout"_s, 5}} << u"invalid command"_s << u"amout"_s;
    }
    void rejectionsWriteNoEvents()
    {
        QFETCH(QString, command);
        QFETCH(QJsonObject, payload);
        QFETCH(QString, reason);
        QFETCH(QString, field);
        auto store = newStore();
        CommandPipeline pipeline(store.get(), m_domain.get());
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"acc"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        QVERIFY(pipeline.execute(cmd(u"Deposit"_s, u"acc"_s, {{u"amount"_s, 100}})).accepted());
        const qint64 head = store->headPosition();
        QSignalSpy published(store.get(), &EventStore::eventsAppended);
        auto r = pipeline.execute(cmd(command, u"acc"_s, payload));
        QCOMPARE(r.record.outcome, CommandOutcome::Rejected);
        QVERIFY2(r.record.reason.contains(reason), qPrintable(r.record.reason));
        QVERIFY2(r.record.fieldErrors.contains(field), QJsonDocument(r.record.fieldErrors).toJson().constData());
        QVERIFY(r.events.isEmpty());
        QCOMPARE(store->headPosition(), head);
        QCOMPARE(published.count(), 0);
        auto logged = store->command(r.record.commandId);
        QVERIFY(logged);
        QCOMPARE(logged->outcome, CommandOutcome::Rejected);
        QCOMPARE(logged->reason, r.record.reason);
    }

    void expectedVersionConflict()
    {
        auto store = newStore();
        CommandPipeline pipeline(store.get(), m_domain.get());
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"acc"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        Command c = cmd(u"Deposit"_s, u"acc"_s, {{u"amount"_s, 5}});
        c.expectedVersion = 3;
        auto r = pipeline.execute(c);
        QCOMPARE(r.record.outcome, CommandOutcome::Conflict);
        QCOMPARE(r.record.expectedVersion, 3);
        QCOMPARE(r.record.actualVersion, 1);
        QCOMPARE(store->headPosition(), 1);
        c.expectedVersion = 1;
        QVERIFY(pipeline.execute(c).accepted());
    }

    void repeatedCommandIdIsExecutedOnce()
    {
        auto store = newStore();
        CommandPipeline pipeline(store.get(), m_domain.get());
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"acc"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        Command c = cmd(u"Deposit"_s, u"acc"_s, {{u"amount"_s, 5}});
        c.commandId = u"cmd-42"_s;
        auto first = pipeline.execute(c);
        QVERIFY(first.accepted());
        auto second = pipeline.execute(c);
        QVERIFY(second.repeated);
        QVERIFY(second.accepted());
        QCOMPARE(second.events.size(), 1);
        QCOMPARE(second.events[0].position, first.events[0].position);
        QCOMPARE(store->headPosition(), 2);
    }

    void unknownCommandIsAnError()
    {
        auto store = newStore();
        CommandPipeline pipeline(store.get(), m_domain.get());
        auto r = pipeline.execute(cmd(u"Teleport"_s, u"acc"_s));
        QCOMPARE(r.record.outcome, CommandOutcome::Failed);
        QCOMPARE(r.error.code, ErrorCode::NotFound);
        QVERIFY2(r.error.message.contains(u"Deposit"_s), qPrintable(r.error.message)); // lists what exists
    }

    void snapshotsGiveTheSameState()
    {
        auto store = newStore(u"snapshots.db"_s);
        CommandPipeline::Options options;
        options.snapshotEvery = 10;
        CommandPipeline pipeline(store.get(), m_domain.get(), options);
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"acc"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        for (int i = 1; i <= 57; ++i) {
            const bool deposit = i % 3 != 0;
            auto r = pipeline.execute(cmd(deposit ? u"Deposit"_s : u"Withdraw"_s, u"acc"_s,
                                          {{u"amount"_s, deposit ? 10.25 + i : 3.5}}));
            QVERIFY2(r.accepted(), qPrintable(r.record.reason));
        }
        Repository withSnapshots(store.get(), m_domain.get());
        withSnapshots.setCacheEnabled(false);
        Repository without(store.get(), m_domain.get());
        without.setCacheEnabled(false);
        without.setUseSnapshots(false);
        for (qint64 v : {qint64(1), qint64(9), qint64(10), qint64(11), qint64(35), qint64(50), qint64(58)}) {
            auto a = withSnapshots.load(u"Account"_s, u"acc"_s, v);
            auto b = without.load(u"Account"_s, u"acc"_s, v);
            QVERIFY(a && b);
            QCOMPARE(a->version, v);
            QCOMPARE(a->state, b->state);
            QCOMPARE(b->snapshotVersion, 0);
            if (v >= 10)
                QCOMPARE(a->snapshotVersion, (v / 10) * 10);
        }
        // The pipeline's cached state equals a cold replay.
        auto cached = pipeline.repository().load(u"Account"_s, u"acc"_s);
        QVERIFY(cached && cached->fromCache);
        QCOMPARE(cached->state, without.load(u"Account"_s, u"acc"_s)->state);
    }

    void snapshotsOfAnotherPackVersionAreIgnored()
    {
        auto store = newStore();
        QVERIFY(store->append({u"acc"_s, u"Account"_s,
                               {NewEvent{{}, u"AccountOpened"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}, {}, 1, 0}},
                               ExpectedVersion::any(), std::nullopt, std::nullopt, true}));
        QVERIFY(store->saveSnapshot({u"acc"_s, 1, QJsonObject{{u"bogus"_s, true}}, u"0.0.1-old"_s, u"oldhash"_s}));
        Repository repo(store.get(), m_domain.get());
        auto loaded = repo.load(u"Account"_s, u"acc"_s);
        QVERIFY(loaded);
        QCOMPARE(loaded->snapshotVersion, 0);
        QVERIFY(!loaded->state.contains(u"bogus"_s));
    }

    void timeTravel()
    {
        auto store = newStore(u"timetravel.db"_s);
        CommandPipeline pipeline(store.get(), m_domain.get());
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"acc"_s, {{u"owner"_s, u"A"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        QVERIFY(pipeline.execute(cmd(u"OpenAccount"_s, u"other"_s, {{u"owner"_s, u"B"_s}, {u"currency"_s, u"EUR"_s}}))
                    .accepted());
        QList<qint64> times;
        for (int i = 1; i <= 4; ++i) {
            QThread::msleep(5); // distinct timestamps
            auto r = pipeline.execute(cmd(u"Deposit"_s, u"acc"_s, {{u"amount"_s, i * 10}}));
            QVERIFY(r.accepted());
            times << r.events[0].recordedMs;
            QVERIFY(pipeline.execute(cmd(u"Deposit"_s, u"other"_s, {{u"amount"_s, 1}})).accepted());
        }
        // acc: v1 open (pos 1), v2 +10 (pos 3), v3 +20 (pos 5), v4 +30 (pos 7), v5 +40 (pos 9)
        TimeTravel tt(store.get(), m_domain.get());
        auto balance = [](const Result<LoadedAggregate> &r) { return r->state.value(u"balance"_s).toDouble(); };
        auto v3 = tt.atVersion(u"acc"_s, 3);
        QVERIFY(v3);
        QCOMPARE(v3->version, 3);
        QCOMPARE(balance(v3), 30.0);
        auto v0 = tt.atVersion(u"acc"_s, 0);
        QCOMPARE(v0->version, 0);
        QCOMPARE(balance(v0), 0.0);
        auto p6 = tt.atPosition(u"acc"_s, 6);
        QVERIFY(p6);
        QCOMPARE(p6->version, 3);
        QCOMPARE(balance(p6), 30.0);
        auto p7 = tt.atPosition(u"acc"_s, 7);
        QCOMPARE(p7->version, 4);
        auto t = tt.atTime(u"acc"_s, QDateTime::fromMSecsSinceEpoch(times[1], Qt::UTC));
        QVERIFY(t);
        QCOMPARE(t->version, 3);
        QCOMPARE(balance(t), 30.0);
        auto before = tt.atTime(u"acc"_s, QDateTime::fromMSecsSinceEpoch(0, Qt::UTC));
        QCOMPARE(before->version, 0);

        auto history = tt.history(u"acc"_s);
        QVERIFY(history);
        QCOMPARE(history->size(), 5);
        QCOMPARE(history->at(2).before.value(u"balance"_s).toDouble(), 10.0);
        QCOMPARE(history->at(2).after.value(u"balance"_s).toDouble(), 30.0);
        QCOMPARE(history->at(0).before, tt.atVersion(u"acc"_s, 0)->state);
        QVERIFY(!tt.atVersion(u"nope"_s, 1));
    }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "tst_pipeline.moc"
