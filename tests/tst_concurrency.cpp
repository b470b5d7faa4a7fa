// Concurrent writer processes on one store, with projections catching up
// while they write (the trap on PostgreSQL: a reader that sees position N+1
// before N commits would skip N forever). Runs on both backends (conformance).
#include "eventstore.h"
#include "storesupport.h"
#include "testsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

namespace {

QString shopPack()
{
    return sourcePath(u"resources/domains/shop.js"_s);
}

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
};

Run cli(const QStringList &args, int timeoutMs = 300000)
{
    QProcess p;
    p.start(cliPath(), args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

} // namespace

class TestConcurrency : public QObject {
    Q_OBJECT

private:
    TestStores m_stores;

private Q_SLOTS:
    void concurrentWriterProcessesKeepOrderChainAndProjections()
    {
        ES_STORE_LOCATION(store, m_stores, u"writers"_s);
        QCOMPARE(cli({u"init"_s, store}).code, 0);

        // Four writer processes through the real pipeline, different seeds, at once.
        constexpr int Writers = 4;
        constexpr int Commands = 1000;
        QList<QProcess *> writers;
        for (int i = 0; i < Writers; ++i) {
            auto *w = new QProcess(this);
            w->start(cliPath(),
                     {u"generate"_s, store, u"--domain"_s, shopPack(), u"--commands"_s, QString::number(Commands),
                      u"--seed"_s, QString::number(100 + i), u"--json"_s, u"--durable"_s});
            QVERIFY(w->waitForStarted());
            writers << w;
        }
        // Projections catch up again and again while the writers run: each run
        // resumes from its checkpoints, so a skipped event would stay skipped.
        int catchUps = 0;
        auto running = [&] {
            for (QProcess *w : std::as_const(writers)) {
                w->waitForFinished(0); // no event loop here: this is what notices an exit
                if (w->state() != QProcess::NotRunning)
                    return true;
            }
            return false;
        };
        while (running()) {
            const Run r = cli({u"project"_s, store, u"--domain"_s, shopPack()});
            QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
            ++catchUps;
        }
        qint64 accepted = 0;
        for (QProcess *w : std::as_const(writers)) {
            if (w->state() != QProcess::NotRunning)
                QVERIFY(w->waitForFinished(300000));
            QCOMPARE(w->exitStatus(), QProcess::NormalExit);
            const QByteArray out = w->readAllStandardOutput();
            QVERIFY2(w->exitCode() == 0, QByteArray(out + w->readAllStandardError()).constData());
            const QJsonObject stats = QJsonDocument::fromJson(out).object();
            QCOMPARE(stats.value(u"commands"_s).toInteger(), Commands);
            accepted += stats.value(u"accepted"_s).toInteger();
        }
        qInfo("%d projection catch-ups ran while %d writers wrote %lld accepted commands", catchUps, Writers, accepted);
        QVERIFY(catchUps >= 2);
        QVERIFY(accepted > Writers * 10); // the shop workload rejects many commands by design

        // One gap-free, verifiable chain in position order.
        const Run verify = cli({u"verify"_s, store, u"--json"_s});
        QVERIFY2(verify.code == 0, QByteArray(verify.out + verify.err).constData());
        const QJsonObject report = QJsonDocument::fromJson(verify.out).object();
        QVERIFY2(report.value(u"intact"_s).toBool(), verify.out.constData());
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY2(opened, qPrintable(opened.error().message));
        const qint64 head = (*opened)->headPosition();
        QCOMPARE(report.value(u"checked"_s).toInteger(), head);

        // Each projection, caught up while writers raced it, equals a rebuild from zero.
        QCOMPARE(cli({u"project"_s, store, u"--domain"_s, shopPack()}).code, 0);
        for (const QString &name : {u"OrdersPerCustomer"_s, u"Orders"_s, u"StockLevels"_s, u"ProductSearch"_s}) {
            const Run r = cli(
                {u"project"_s, store, u"--domain"_s, shopPack(), u"--rebuild"_s, name, u"--dry-run"_s, u"--json"_s});
            QVERIFY2(r.code == 0, QByteArray(r.out + r.err).constData());
            const QJsonObject d = QJsonDocument::fromJson(r.out).object();
            QVERIFY2(d.value(u"added"_s).toInteger() == 0 && d.value(u"removed"_s).toInteger() == 0 &&
                         d.value(u"changed"_s).toInteger() == 0,
                     qPrintable(name + u": "_s + QString::fromUtf8(r.out)));
            QCOMPARE(d.value(u"livePosition"_s).toInteger(), head);
        }
    }
};

QTEST_GUILESS_MAIN(TestConcurrency)
#include "tst_concurrency.moc"
