#include "eventstore.h"
#include "session.h"
#include "testsupport.h"
#include "timeline/timelineview.h"
#include "windowsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// Two processes on one SQLite store: the workbench (the real main window) and
// the CLI. SQLite's WAL is shared through POSIX locks, which belong to the
// process: if the workbench ever opens the store file itself (outside SQLite)
// and closes it, its locks are gone, the exiting CLI believes it is the last
// user, checkpoints and deletes the WAL, and every command the workbench
// acknowledges afterwards goes to a deleted file.
class TestTwoProcess : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    // Runs the CLI; returns its JSON output (exec --json), failing the test on a non-zero exit.
    static QJsonObject cli(const QStringList &args, int expectedExit = 0)
    {
        QProcess p;
        p.start(cliPath(), args);
        if (!p.waitForFinished(60000)) {
            qWarning() << "the CLI did not finish" << args;
            return {};
        }
        const QByteArray out = p.readAllStandardOutput();
        if (p.exitCode() != expectedExit) {
            qWarning() << "exit" << p.exitCode() << out << p.readAllStandardError();
            return {{u"failed"_s, true}};
        }
        return QJsonDocument::fromJson(out).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
    }

    void commandsSentAfterAnotherProcessWroteAreKept()
    {
        const QString path = m_dir.filePath(u"shared.db"_s);
        QList<es::CommandResult> acknowledged;
        qint64 lastWorkbenchPosition = 0;
        {
            MainWindow w;
            w.show();
            QVERIFY2(w.openStore(path, false, true, bankPack()), qPrintable(w.lastError()));
            QSignalSpy executed(w.session(), &es::Session::commandExecuted);

            fillConsoleCommand(w, u"OpenAccount"_s, u"account-1"_s,
                               {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
            pressSend(w);
            QCOMPARE(executed.size(), 1);
            // The workbench's worker threads (projections, the search indexer) have their connections open.
            QTRY_VERIFY_WITH_TIMEOUT(
                [&] {
                    const auto statuses = w.session()->projectionStatuses();
                    if (statuses.isEmpty())
                        return false;
                    for (const es::ProjectionStatus &s : statuses)
                        if (s.position < 1)
                            return false;
                    return true;
                }(),
                20000);
            QTRY_COMPARE(w.timeline()->model()->rowCount(), 1);

            // Another process writes and exits while the workbench keeps the store open.
            const QJsonObject other = cli({u"exec"_s, path, u"--json"_s, u"--domain"_s, bankPack(), u"--stream"_s,
                                           u"account-2"_s, u"OpenAccount"_s, uR"({"owner":"Bo","currency":"EUR"})"_s});
            QCOMPARE(other.value(u"outcome"_s).toString(), u"accepted"_s);
            QCOMPARE(other.value(u"events"_s).toArray().at(0).toObject().value(u"position"_s).toInteger(), 2);
            QVERIFY2(QFile::exists(path + u"-wal"_s), "the workbench's WAL was deleted by the other process");
            QTRY_COMPARE_WITH_TIMEOUT(w.timeline()->model()->rowCount(), 2, 10000);

            // The workbench goes on sending commands: each one it acknowledges must be kept.
            for (int i = 1; i <= 5; ++i) {
                fillConsoleCommand(w, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, QString::number(i)}});
                pressSend(w);
                QVERIFY2(consoleOutcome(w).contains(u"Accepted"_s), qPrintable(consoleOutcome(w)));
            }
            QCOMPARE(executed.size(), 6);
            for (const QList<QVariant> &args : std::as_const(executed)) {
                const auto r = args.at(0).value<es::CommandResult>();
                QVERIFY2(r.accepted(), qPrintable(r.record.reason));
                acknowledged << r;
                lastWorkbenchPosition = qMax(lastWorkbenchPosition, r.events.constLast().position);
            }
            QCOMPARE(lastWorkbenchPosition, 7);
            w.close();
        } // the window, its session and every connection are gone

        // Everything the workbench acknowledged is in the file.
        {
            auto store = es::EventStore::open(path, es::EventStore::Mode::ReadOnly);
            QVERIFY2(store, qPrintable(store ? QString() : store.error().message));
            QCOMPARE((*store)->headPosition(), lastWorkbenchPosition);
            for (const es::CommandResult &r : std::as_const(acknowledged)) {
                const auto logged = (*store)->command(r.record.commandId);
                QVERIFY2(logged, qPrintable(u"command %1 is not in the log"_s.arg(r.record.commandId)));
                QCOMPARE(logged->firstPosition, r.events.constFirst().position);
                auto stored = (*store)->readForward(r.events.constFirst().position, 1);
                QVERIFY(stored && stored->size() == 1);
                QCOMPARE(stored->constFirst().eventId, r.events.constFirst().eventId);
            }
        }
        // The chain verifies, and the CLI's next event takes the next position, not a reused one.
        QProcess verify;
        verify.start(cliPath(), {u"verify"_s, path});
        QVERIFY(verify.waitForFinished(60000));
        QVERIFY2(verify.exitCode() == 0, verify.readAll().constData());
        const QJsonObject next = cli({u"exec"_s, path, u"--json"_s, u"--domain"_s, bankPack(), u"--stream"_s,
                                      u"account-2"_s, u"Deposit"_s, uR"({"amount":1})"_s});
        QCOMPARE(next.value(u"events"_s).toArray().at(0).toObject().value(u"position"_s).toInteger(),
                 lastWorkbenchPosition + 1);
    }
};

QTEST_MAIN(TestTwoProcess)
#include "tst_twoprocess.moc"
