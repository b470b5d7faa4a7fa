// Several writer processes on one stream, none giving an expected version:
// every command lands (the pipeline reloads and decides again after losing a
// race), and a command id's logged conflict is not its final outcome. Runs on
// both backends (conformance: tst_writers and tst_writers_pg).
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

struct Run {
    int code = -1;
    QByteArray out;
    QByteArray err;
    QString text() const { return QString::fromUtf8(out + err); }
};

Run cli(const QStringList &args, int timeoutMs = 120000)
{
    QProcess p;
    p.start(cliPath(), args);
    p.waitForFinished(timeoutMs);
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError()};
}

} // namespace

class TestWriters : public QObject {
    Q_OBJECT

private:
    TestStores m_stores;

private Q_SLOTS:
    void depositsWithoutExpectedVersionAllLand()
    {
        ES_STORE_LOCATION(store, m_stores, u"deposits"_s);
        QCOMPARE(cli({u"init"_s, store}).code, 0);
        Run r = cli({u"exec"_s, store, u"--domain"_s, bankPack(), u"--stream"_s, u"acc"_s, u"OpenAccount"_s,
                     uR"({"owner":"Ann","currency":"EUR"})"_s});
        QVERIFY2(r.code == 0, qPrintable(r.text()));

        // Four writer processes, each sending 50 deposits to the same stream, one
        // CLI process per deposit, no expected version; each prints every exit code.
        constexpr int Writers = 4;
        constexpr int Deposits = 50;
        const QString script = uR"sh(cli=$1; store=$2; pack=$3; w=$4; i=1
while [ $i -le 50 ]; do
  "$cli" exec "$store" --domain "$pack" --stream acc --command-id "w$w-$i" Deposit '{"amount": 1}' >/dev/null 2>/tmp/es-writer-$$.err
  code=$?
  echo "exit $code w$w-$i $(head -c 300 /tmp/es-writer-$$.err | tr '\n' ' ')"
  i=$((i + 1))
done
rm -f /tmp/es-writer-$$.err)sh"_s;
        QList<QProcess *> writers;
        for (int w = 0; w < Writers; ++w) {
            auto *p = new QProcess(this);
            p->start(u"/bin/sh"_s, {u"-c"_s, script, u"sh"_s, cliPath(), store, bankPack(), QString::number(w)});
            QVERIFY(p->waitForStarted());
            writers << p;
        }
        QStringList failures;
        for (QProcess *p : std::as_const(writers)) {
            QVERIFY(p->waitForFinished(600000));
            QCOMPARE(p->exitStatus(), QProcess::NormalExit);
            const QList<QByteArray> lines = p->readAllStandardOutput().trimmed().split('\n');
            QCOMPARE(lines.size(), Deposits);
            for (const QByteArray &line : lines)
                if (!line.startsWith("exit 0 "))
                    failures << QString::fromUtf8(line);
        }
        QVERIFY2(failures.isEmpty(), qPrintable(failures.join(u'\n')));

        // Every deposit is in the store, once, and the chain verifies.
        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY2(opened, qPrintable(opened.error().message));
        EventStore &s = **opened;
        QCOMPARE(s.headPosition(), 1 + Writers * Deposits);
        auto events = s.readStream(u"acc"_s);
        QVERIFY(events);
        QCOMPARE(events->size(), 1 + Writers * Deposits);
        QSet<QString> commandIds;
        for (const RecordedEvent &e : *events)
            if (e.type == u"MoneyDeposited"_s)
                commandIds << e.metadataObject().value(meta::CommandId).toString();
        QCOMPARE(commandIds.size(), Writers * Deposits);
        for (int w = 0; w < Writers; ++w)
            for (int i = 1; i <= Deposits; ++i)
                QVERIFY(commandIds.contains(u"w%1-%2"_s.arg(w).arg(i)));
        QCOMPARE(events->constLast().dataObject().value(u"balance"_s).toDouble(), double(Writers * Deposits));
        auto log = s.commands(0, 100000);
        QVERIFY(log);
        for (const CommandRecord &c : *log)
            QVERIFY2(c.outcome == CommandOutcome::Accepted, qPrintable(c.commandId + u": "_s + c.reason));
        QCOMPARE(log->size(), 1 + Writers * Deposits);
        QVERIFY(s.verify()->intact);
    }

    void retryAfterAConflictRunsAgain()
    {
        ES_STORE_LOCATION(store, m_stores, u"retry"_s);
        QCOMPARE(cli({u"init"_s, store}).code, 0);
        auto exec = [&store](const QStringList &extra, const QString &command, const QString &json) {
            return cli(QStringList{u"exec"_s, store, u"--domain"_s, bankPack(), u"--stream"_s, u"acc"_s, u"--json"_s} +
                       extra + QStringList{command, json});
        };
        QCOMPARE(exec({}, u"OpenAccount"_s, uR"({"owner":"Ann","currency":"EUR"})"_s).code, 0);

        // A stale expected version: a conflict, logged under the command id.
        Run r =
            exec({u"--command-id"_s, u"dep-1"_s, u"--expected-version"_s, u"7"_s}, u"Deposit"_s, uR"({"amount": 5})"_s);
        QVERIFY2(r.code == 4, qPrintable(r.text()));
        QVERIFY2(r.text().contains(u"expected version 7, but the stream is at version 1"_s), qPrintable(r.text()));
        {
            auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
            QVERIFY(opened);
            QCOMPARE((*opened)->headPosition(), 1);
            QCOMPARE((*opened)->command(u"dep-1"_s)->outcome, CommandOutcome::Conflict);
        }

        // The same id again, now with the right version: it runs (not the logged conflict).
        r = exec({u"--command-id"_s, u"dep-1"_s, u"--expected-version"_s, u"1"_s}, u"Deposit"_s, uR"({"amount": 5})"_s);
        QVERIFY2(r.code == 0, qPrintable(r.text()));
        QJsonObject o = QJsonDocument::fromJson(r.out).object();
        QCOMPARE(o.value(u"outcome"_s).toString(), u"accepted"_s);
        QVERIFY(!o.value(u"repeated"_s).toBool());
        QCOMPARE(o.value(u"events"_s).toArray().size(), 1);

        // Accepted is final: a third try returns it and writes nothing.
        r = exec({u"--command-id"_s, u"dep-1"_s}, u"Deposit"_s, uR"({"amount": 5})"_s);
        QVERIFY2(r.code == 0, qPrintable(r.text()));
        o = QJsonDocument::fromJson(r.out).object();
        QVERIFY(o.value(u"repeated"_s).toBool());
        QCOMPARE(o.value(u"events"_s).toArray().first().toObject().value(u"position"_s).toInt(), 2);

        // A rejection is final too.
        r = exec({u"--command-id"_s, u"wd-1"_s}, u"Withdraw"_s, uR"({"amount": 500})"_s);
        QCOMPARE(r.code, 3);
        r = exec({u"--command-id"_s, u"wd-1"_s}, u"Withdraw"_s, uR"({"amount": 1})"_s);
        QCOMPARE(r.code, 3);
        QVERIFY(QJsonDocument::fromJson(r.out).object().value(u"repeated"_s).toBool());

        auto opened = EventStore::open(store, EventStore::Mode::ReadOnly);
        QVERIFY(opened);
        QCOMPARE((*opened)->headPosition(), 2);
        auto log = (*opened)->commands(0, 100);
        QVERIFY(log);
        QStringList rows;
        for (const CommandRecord &c : *log)
            rows << c.commandId.left(4) + u' ' + outcomeName(c.outcome);
        // The conflict row was replaced by the accepted outcome: one row per command id.
        QCOMPARE(rows.filter(u"dep-"_s), QStringList{u"dep- accepted"_s});
        QCOMPARE(rows.filter(u"wd-1"_s), QStringList{u"wd-1 rejected"_s});
    }
};

QTEST_GUILESS_MAIN(TestWriters)
#include "tst_writers.moc"
