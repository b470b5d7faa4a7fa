#include "commandlog/commandlogview.h"
#include "console/commandconsole.h"
#include "asof/asofview.h"
#include "inspector/inspectorview.h"
#include "pipeline/pipelineview.h"
#include "sandbox.h"
#include "timetravel/timetravelview.h"
#include "whatif/whatifview.h"
#include "session.h"
#include "sessionsupport.h"
#include "timeline/timelineview.h"

#include "../app/gui/mainwindow.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QMenuBar>
#include <QProcess>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;

// Drives the real main window offscreen, as a user would.
class TestMainWindow : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QStringList statusTexts(MainWindow &w)
    {
        QStringList out;
        const auto labels = w.statusBar()->findChildren<QLabel *>();
        for (QLabel *l : labels)
            out << l->text();
        return out;
    }
    static QStringList timelineTypes(MainWindow &w)
    {
        QStringList types;
        QAbstractItemModel *m = w.timeline()->model();
        for (int r = 0; r < m->rowCount(); ++r)
            for (int c = 0; c < m->columnCount(); ++c)
                if (m->headerData(c, Qt::Horizontal).toString() == u"Type"_s)
                    types << m->index(r, c).data().toString();
        return types;
    }
    static QStringList timelineColumn(MainWindow &w, const QString &header)
    {
        QStringList values;
        QAbstractItemModel *m = w.timeline()->model();
        int col = -1;
        for (int c = 0; c < m->columnCount(); ++c)
            if (m->headerData(c, Qt::Horizontal).toString() == header)
                col = c;
        for (int r = 0; r < m->rowCount(); ++r)
            values << m->index(r, col).data().toString();
        return values;
    }
    // Picks a command and fills the generated form through its editors.
    static void fillCommand(MainWindow &w, const QString &command, const QString &stream,
                            const QList<QPair<QString, QString>> &fields)
    {
        es::CommandConsole *console = w.console();
        auto *commands = console->findChild<QComboBox *>(u"commandCombo"_s);
        QVERIFY(commands);
        const int index = commands->findText(command, Qt::MatchContains);
        QVERIFY2(index >= 0, qPrintable(command));
        commands->setCurrentIndex(index);
        auto *streamEdit = console->findChild<QLineEdit *>(u"streamEdit"_s);
        QVERIFY(streamEdit);
        streamEdit->clear();
        QTest::keyClicks(streamEdit, stream);
        for (const auto &[name, value] : fields) {
            QWidget *editor = console->findChild<QWidget *>(u"field:"_s + name);
            QVERIFY2(editor, qPrintable(name));
            if (auto *combo = qobject_cast<QComboBox *>(editor)) {
                combo->setCurrentIndex(combo->findText(value));
            } else if (auto *line = qobject_cast<QLineEdit *>(editor)) {
                line->clear();
                QTest::keyClicks(line, value);
            } else {
                QFAIL(qPrintable(u"no way to type into "_s + name));
            }
        }
    }
    static void send(MainWindow &w)
    {
        auto *button = w.console()->findChild<QAbstractButton *>(u"sendButton"_s);
        QVERIFY(button);
        QVERIFY(button->isEnabled());
        button->click();
    }
    static QAction *menuAction(MainWindow &w, const QString &menu, const QString &text)
    {
        for (QAction *m : w.menuBar()->actions()) {
            if (m->text().remove(u'&') != menu || !m->menu())
                continue;
            for (QAction *a : m->menu()->actions())
                if (a->text().remove(u'&').startsWith(text))
                    return a;
        }
        return nullptr;
    }
    static es::CommandResult run(MainWindow &w, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(w.session(), type, stream, payload);
    }
    std::unique_ptr<MainWindow> openWindow(const QString &name)
    {
        auto w = std::make_unique<MainWindow>();
        w->show();
        if (!w->openStore(m_dir.filePath(name), false, true, bankPack()))
            qFatal("cannot open: %s", qPrintable(w->lastError()));
        return w;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
    }

    void aValidCommandAppearsInTheTimeline()
    {
        auto w = openWindow(u"valid.db"_s);
        fillCommand(*w, u"OpenAccount"_s, u"account-7"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        send(*w);
        QCOMPARE(w->session()->store()->headPosition(), 1);
        QTRY_VERIFY(timelineTypes(*w).contains(u"AccountOpened"_s));
        QTRY_VERIFY(statusTexts(*w).contains(u"head 1"_s));
        auto *outcome = w->console()->findChild<QLabel *>(u"outcomeLabel"_s);
        QVERIFY(outcome);
        QVERIFY2(outcome->text().contains(u"ccepted"_s), qPrintable(outcome->text()));

        // Selecting the event in the timeline shows it in the inspector (routed by the window).
        QTableView *table = w->timeline()->tableView();
        table->setFocus();
        table->selectRow(0);
        auto *title = w->inspector()->findChild<QLabel *>(u"inspectorTitle"_s);
        QVERIFY(title);
        QTRY_VERIFY2(title->text().contains(u"AccountOpened"_s), qPrintable(title->text()));
    }

    void anInvalidCommandShowsTheFieldErrorAndWritesNothing()
    {
        auto w = openWindow(u"invalid.db"_s);
        fillCommand(*w, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        send(*w);
        QCOMPARE(w->session()->store()->headPosition(), 1);
        // An overdraft: the domain rejects it, the amount field is pointed at.
        fillCommand(*w, u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, u"50"_s}});
        send(*w);
        QCOMPARE(w->session()->store()->headPosition(), 1);
        auto *outcome = w->console()->findChild<QLabel *>(u"outcomeLabel"_s);
        QVERIFY2(outcome->text().contains(u"insufficient funds"_s), qPrintable(outcome->text()));
        // Invalid input never leaves the form.
        fillCommand(*w, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, u"0"_s}});
        auto *button = w->console()->findChild<QAbstractButton *>(u"sendButton"_s);
        if (button->isEnabled())
            button->click();
        QCOMPARE(w->session()->store()->headPosition(), 1);
        QWidget *amount = w->console()->findChild<QWidget *>(u"field:amount"_s);
        QVERIFY(amount);
        const QString error = amount->property("fieldError").toString();
        QVERIFY2(error.contains(u"at least 0.01"_s), qPrintable(error));
    }

    void filtersNarrowTheTimeline()
    {
        auto w = openWindow(u"filters.db"_s);
        for (int i = 1; i <= 3; ++i) {
            fillCommand(*w, u"OpenAccount"_s, u"account-%1"_s.arg(i),
                        {{u"owner"_s, u"Owner %1"_s.arg(i)}, {u"currency"_s, u"EUR"_s}});
            send(*w);
        }
        fillCommand(*w, u"Deposit"_s, u"account-2"_s, {{u"amount"_s, u"5"_s}});
        send(*w);
        QCOMPARE(w->session()->store()->headPosition(), 4);
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 4);
        w->timeline()->setStreamFilter(u"account-2"_s);
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 2);
        const QStringList streams = timelineColumn(*w, u"Stream"_s);
        QCOMPARE(streams, (QStringList{u"account-2"_s, u"account-2"_s}));
        w->timeline()->clearFilters();
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 4);
    }

    void followLiveShowsEventsFromAnotherProcess()
    {
        auto w = openWindow(u"live.db"_s);
        fillCommand(*w, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        send(*w);
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 1);
        QProcess cli;
        cli.start(cliPath(), {u"exec"_s, w->session()->storePath(), u"--domain"_s, bankPack(), u"--stream"_s,
                              u"account-1"_s, u"Deposit"_s, uR"({"amount": 3})"_s});
        QVERIFY(cli.waitForFinished(30000));
        QCOMPARE(cli.exitCode(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(w->timeline()->model()->rowCount(), 2, 10000);
        QTRY_VERIFY(timelineTypes(*w).contains(u"MoneyDeposited"_s));
        QTRY_VERIFY(statusTexts(*w).contains(u"head 2"_s));
    }

    void aForeignFileIsRefusedAndTheCurrentStoreStays()
    {
        auto w = openWindow(u"good.db"_s);
        const QString bad = m_dir.filePath(u"bad.db"_s);
        QFile f(bad);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("this is not a database");
        f.close();
        QVERIFY(!w->openStore(bad, false));
        QVERIFY2(w->lastError().contains(u"not an Eventscope store"_s), qPrintable(w->lastError()));
        QCOMPARE(w->session()->storePath(), m_dir.filePath(u"good.db"_s));
        QFile check(bad);
        QVERIFY(check.open(QIODevice::ReadOnly));
        QCOMPARE(check.readAll(), QByteArray("this is not a database"));
    }

    void readOnlyIsShownAndRefusesCommands()
    {
        const QString path = m_dir.filePath(u"ro.db"_s);
        QVERIFY(es::EventStore::open(path, es::EventStore::Mode::Create));
        MainWindow w;
        w.show();
        QVERIFY(w.openStore(path, true, false, bankPack()));
        QVERIFY(w.session()->isReadOnly());
        QVERIFY(statusTexts(w).contains(u"READ-ONLY"_s));
        auto *button = w.console()->findChild<QAbstractButton *>(u"sendButton"_s);
        QVERIFY(button);
        QVERIFY(!button->isEnabled());
    }

    void demoStoreHasAHistory()
    {
        const QString demo = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + u"/demo.db"_s;
        for (const char *suffix : {"", "-wal", "-shm"})
            QFile::remove(demo + QLatin1StringView(suffix));
        MainWindow w;
        QVERIFY2(w.openDemoStore(), qPrintable(w.lastError()));
        QVERIFY(w.session()->store()->headPosition() > 50);
        QVERIFY(w.session()->store()->verify()->intact);
        QVERIFY(w.session()->domain());
    }

    void reloadingThePackReportsChanges()
    {
        const QString pack = m_dir.filePath(u"bank-copy.js"_s);
        QVERIFY(QFile::copy(bankPack(), pack));
        MainWindow w;
        QVERIFY(w.openStore(m_dir.filePath(u"reload.db"_s), false, true, pack));
        QVERIFY(w.reloadPack());
        QVERIFY2(w.lastMessage().contains(u"no change"_s), qPrintable(w.lastMessage()));
        QFile f(pack);
        QVERIFY(f.open(QIODevice::Append));
        f.write("\n}} broken\n");
        f.close();
        QVERIFY(!w.reloadPack());
        QVERIFY2(w.lastError().contains(u"bank-copy.js:"_s), qPrintable(w.lastError()));
        QVERIFY(w.session()->domain()); // the working pack stays
    }

    // The Explore menu takes the event selected in the timeline to the time-travel,
    // as-of and what-if views; the as-of cursor marks the whole window historical.
    void exploreMenuRoutesTheSelectedEvent()
    {
        auto w = openWindow(u"explore.db"_s);
        QVERIFY(run(*w, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        QVERIFY(run(*w, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}}).accepted());
        QVERIFY(run(*w, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 25}}).accepted());
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 3);

        w->timeline()->revealPosition(2);
        QTRY_COMPARE(w->selectedPosition(), qint64(2));

        QAction *travel = menuAction(*w, u"Explore"_s, u"Time Travel"_s);
        QVERIFY(travel);
        travel->trigger();
        QTRY_COMPARE(w->timeTravel()->stream(), u"account-1"_s);
        QTRY_COMPARE(w->timeTravel()->version(), qint64(2));
        QCOMPARE(w->timeTravel()->state().value(u"balance"_s).toDouble(), 50.0);
        // "Show stream" in time travel narrows the timeline to the stream.
        QVERIFY(run(*w, u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bo"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 4);
        auto *showStream = w->timeTravel()->findChild<QAbstractButton *>(u"travelShowStream"_s);
        QVERIFY(showStream);
        QTRY_VERIFY(showStream->isEnabled());
        showStream->click();
        QTRY_COMPARE(w->timeline()->model()->rowCount(), 3);
        QVERIFY(!timelineColumn(*w, u"Stream"_s).contains(u"account-2"_s));

        auto *history = w->statusBar()->findChild<QLabel *>(u"historyIndicator"_s);
        QVERIFY(history);
        QVERIFY(history->isHidden());
        QAction *asOf = menuAction(*w, u"Explore"_s, u"Store As Of"_s);
        QVERIFY(asOf);
        asOf->trigger();
        QTRY_VERIFY(w->asOf()->isHistorical());
        QCOMPARE(w->asOf()->position(), qint64(2));
        QTRY_VERIFY(!history->isHidden());
        QVERIFY2(history->text().contains(u"#2"_s), qPrintable(history->text()));
        QAction *live = menuAction(*w, u"Explore"_s, u"Back to Live"_s);
        QVERIFY(live);
        live->trigger();
        QTRY_VERIFY(history->isHidden());
        QVERIFY(!w->asOf()->isHistorical());

        const qint64 head = w->session()->store()->headPosition();
        QAction *fork = menuAction(*w, u"Explore"_s, u"Fork Sandbox"_s);
        QVERIFY(fork);
        fork->trigger();
        QTRY_VERIFY(w->whatIf()->sandbox() && w->whatIf()->sandbox()->isReady());
        QCOMPARE(w->whatIf()->sandbox()->position(), qint64(2));
        QCOMPARE(w->session()->store()->headPosition(), head); // nothing written to the real store
    }

    // The pipeline view's eventual-consistency knob reaches the projection runner.
    void pipelineDelayKnobDrivesTheProjections()
    {
        auto w = openWindow(u"delay.db"_s);
        QTRY_VERIFY(!w->session()->projectionStatuses().isEmpty());
        Q_EMIT w->pipeline()->projectionDelayRequested(u"Balances"_s, 750);
        QTRY_VERIFY([&] {
            for (const es::ProjectionStatus &s : w->session()->projectionStatuses())
                if (s.name == u"Balances"_s)
                    return s.delayMs == 750;
            return false;
        }());
        QTRY_COMPARE(w->pipeline()->projectionDelay(u"Balances"_s), 750);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
