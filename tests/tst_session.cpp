#include "session.h"
#include "sessionsupport.h"
#include "readstore.h"
#include "projectionhost.h"
#include "testsupport.h"

#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

class TestSession : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QByteArray read(const QString &path)
    {
        QFile f(path);
        f.open(QIODevice::ReadOnly);
        return f.readAll();
    }
    static void write(const QString &path, const QByteArray &bytes)
    {
        QFile f(path);
        f.open(QIODevice::WriteOnly | QIODevice::Truncate);
        f.write(bytes);
    }

private Q_SLOTS:
    // Follow-live: events appended by another process reach the session's signal.
    void followsAppendsFromAnotherProcess()
    {
        Session::Options o;
        o.storePath = m_dir.filePath(u"live.db"_s);
        o.packPath = bankPack();
        o.create = true;
        auto session = Session::open(o);
        QVERIFY2(session, qPrintable(session.error().message));
        QSignalSpy appended(session->get(), &Session::eventsAppended);

        // One local command...
        Command c;
        c.type = u"OpenAccount"_s;
        c.stream = u"account-1"_s;
        c.payload = {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}};
        QVERIFY((*session)->execute(c).accepted());
        QCOMPARE(appended.count(), 1);

        // ...and one from the CLI.
        QProcess cli;
        cli.start(cliPath(), {u"exec"_s, o.storePath, u"--domain"_s, bankPack(), u"--stream"_s, u"account-1"_s,
                              u"Deposit"_s, uR"({"amount": 12})"_s});
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(appended.count(), 2, 5000);
        const EventList events = appended.at(1).at(0).value<EventList>();
        QCOMPARE(events.size(), 1);
        QCOMPARE(events[0].type, u"MoneyDeposited"_s);
        QCOMPARE((*session)->head(), 2);
    }

    void hotReloadReportsWhatChanged()
    {
        const QString pack = m_dir.filePath(u"bank-copy.js"_s);
        const QByteArray original = read(bankPack());
        write(pack, original);
        Session::Options o;
        o.storePath = u":memory:"_s;
        o.packPath = pack;
        o.create = true;
        auto session = Session::open(o);
        QVERIFY2(session, qPrintable(session.error().message));
        QSignalSpy changed(session->get(), &Session::packChanged);

        auto same = (*session)->reloadPack();
        QVERIFY(same);
        QCOMPARE(*same, u"no change"_s);

        // A new rule in Deposit, and a new command.
        QByteArray edited = original;
        const QByteArray rule = "if (hasMoreThanTwoDecimals(amount))"; // first in Deposit
        const qsizetype at = edited.indexOf(rule);
        QVERIFY(at > 0);
        edited.insert(at, "if (amount > 1000000) return ctx.reject(\"too much\");\n                            ");
        QVERIFY(edited != original);
        edited.replace("version: \"1.0.0\"", "version: \"1.1.0\"");
        write(pack, edited);
        auto report = (*session)->reloadPack();
        QVERIFY2(report, qPrintable(report.error().message));
        QVERIFY2(report->contains(u"version 1.0.0 → 1.1.0"_s), qPrintable(*report));
        QVERIFY2(report->contains(u"command Account.Deposit"_s), qPrintable(*report));
        QVERIFY2(!report->contains(u"Withdraw"_s), qPrintable(*report));
        QCOMPARE((*session)->domain()->info().version, u"1.1.0"_s);

        // A broken edit is refused with file:line, and the working pack stays.
        write(pack, edited + "\n}}} syntax error\n");
        auto broken = (*session)->reloadPack();
        QVERIFY(!broken);
        QVERIFY2(broken.error().message.contains(u"bank-copy.js:"_s), qPrintable(broken.error().message));
        QCOMPARE((*session)->domain()->info().version, u"1.1.0"_s);
        QCOMPARE(changed.count(), 2);
    }

    void browsingReadStoreOutlivesARestartOfTheProjections()
    {
        // The projections dashboard holds this pointer: a pack reload restarts
        // the worker, and must not free what the views still read through.
        auto session = openTestSession(m_dir.filePath(u"browse.db"_s));
        QVERIFY(session);
        QVERIFY(runCommand(session.get(), u"OpenAccount"_s, u"acc-1"_s,
                           {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}})
                    .accepted());
        QTRY_VERIFY(!session->projectionStatuses().isEmpty());
        ReadStore *before = session->projections()->readStore();
        QVERIFY(before);
        QVERIFY(session->loadPack(bankPack())); // restarts the projections
        QTRY_VERIFY(!session->projectionStatuses().isEmpty());
        QCOMPARE(session->projections()->readStore(), before);
        auto checkpoints = before->checkpoints();
        QVERIFY(checkpoints && !checkpoints->isEmpty());
    }

    void badPackIsRefusedWithoutOpeningHalfway()
    {
        Session::Options o;
        o.storePath = u":memory:"_s;
        o.create = true;
        o.packPath = m_dir.filePath(u"missing.js"_s);
        auto session = Session::open(o);
        QVERIFY(!session);
        QVERIFY2(session.error().message.contains(u"missing.js"_s), qPrintable(session.error().message));
    }
};

QTEST_GUILESS_MAIN(TestSession)
#include "tst_session.moc"
