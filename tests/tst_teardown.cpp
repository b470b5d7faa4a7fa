#include "asof/asofview.h"
#include "commandlog/commandlogmodel.h"
#include "commandlog/commandlogview.h"
#include "common/eventlistmodel.h"
#include "compare/divergencemodel.h"
#include "compare/domaincompareview.h"
#include "connect/connectdialog.h"
#include "console/commandconsole.h"
#include "console/consolehistorymodel.h"
#include "domaincompare.h"
#include "eventstore.h"
#include "inspector/inspectorview.h"
#include "pipeline/pipelineflowmodel.h"
#include "pipeline/pipelineview.h"
#include "projections/projectionsview.h"
#include "projections/readmodelmodel.h"
#include "sandbox.h"
#include "session.h"
#include "sessionsupport.h"
#include "streams/streamsview.h"
#include "timeline/timelineview.h"
#include "timetravel/timetravelview.h"
#include "whatif/whatifview.h"

#include "../app/gui/mainwindow.h"

#include <QAbstractButton>
#include <QApplication>
#include <QComboBox>
#include <QLineEdit>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

// Every view, populated from a real store and shown as a window of its own,
// destroyed while it is still shown with the focus in one of its line edits.
// ~QWidget then hides and deletes the view's children after the view's own
// destructor has run, and the children signal on the way (the table's scroll
// range, the focused edit's editingFinished, a stack's current page). Issue
// 19: such a signal reached a TimelineView slot on an object that was no longer
// one. The sanitised build (the second half of scripts/test.sh) aborts on that
// call (UBSan's vptr check, ASan's use after free): without
// es::disconnectDescendants (views/common/teardown.h) the rows timeline, asOf
// and "timeTravel, position" do. In both builds the session must stay whole
// once the view has gone.
class TestTeardown : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    int m_stores = 0;

    static bool run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(s, type, stream, payload).accepted();
    }

    // Gives the focus to the editor named editor (else to the first line edit
    // the user can type into) and types into it.
    static bool typeInto(QWidget *view, const QString &editor)
    {
        view->activateWindow();
        if (!QTest::qWaitForWindowActive(view))
            return false;
        QWidget *target = editor.isEmpty() ? nullptr : view->findChild<QWidget *>(editor);
        if (editor.isEmpty()) {
            const auto edits = view->findChildren<QLineEdit *>();
            for (QLineEdit *e : edits)
                if (!target && e->isVisible() && e->isEnabled() && !e->isReadOnly())
                    target = e;
        }
        if (!target || !target->isVisible())
            return false;
        target->setFocus();
        QTest::keyClicks(target, u"2"_s);
        return target->hasFocus() || target->isAncestorOf(QApplication::focusWidget());
    }

private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true);
        qputenv("EVENTSCOPE_NO_DIALOGS", "1");
    }

    void destroyedWhileShown_data()
    {
        QTest::addColumn<QString>("view");
        QTest::addColumn<QString>("editor"); // the one with the focus; "": the first line edit
        QTest::addColumn<bool>("closeFirst");
        for (const char *v : {"timeline", "console", "streams", "commandLog", "timeTravel", "projections", "pipeline",
                              "asOf", "whatIf", "compare", "connect", "mainWindow"})
            QTest::newRow(v) << QString::fromLatin1(v) << QString() << false;
        QTest::newRow("inspector") << u"inspector"_s << u"eventTree"_s << false;
        // A spin box emits editingFinished when it loses the focus, as the window goes.
        QTest::newRow("timeTravel, position") << u"timeTravel"_s << u"travelPosition"_s << false;
        QTest::newRow("mainWindow, closed first") << u"mainWindow"_s << u"gotoEdit"_s << true;
    }

    void destroyedWhileShown()
    {
        QFETCH(QString, view);
        QFETCH(QString, editor);
        QFETCH(bool, closeFirst);
        const QString store = m_dir.filePath(u"store%1.db"_s.arg(++m_stores));
        auto session = openTestSession(store);
        QVERIFY(session);
        Session *s = session.get();
        QVERIFY(run(s, u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}}));
        QVERIFY(run(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}}));
        QVERIFY(run(s, u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bo"_s}, {u"currency"_s, u"EUR"_s}}));
        for (int i = 0; i < 40; ++i) // more rows than the tables show: they scroll
            QVERIFY(run(s, u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 1}}));

        std::unique_ptr<QWidget> w;
        if (view == u"timeline") {
            auto *v = new TimelineView;
            w.reset(v);
            v->setSession(s);
            v->show();
            QTRY_COMPARE(v->model()->rowCount(), 43);
            v->revealPosition(2);
            QTRY_COMPARE(v->currentPosition(), qint64(2));
        } else if (view == u"console") {
            auto *v = new CommandConsole;
            w.reset(v);
            v->setSession(s);
            v->show();
            // A command through the form: the outcome and the history fill.
            auto *commands = v->findChild<QComboBox *>(u"commandCombo"_s);
            QVERIFY(commands);
            commands->setCurrentIndex(commands->findText(u"Deposit"_s, Qt::MatchContains));
            auto *stream = v->findChild<QLineEdit *>(u"streamEdit"_s);
            QVERIFY(stream);
            stream->setText(u"account-2"_s);
            auto *amount = v->findChild<QLineEdit *>(u"field:amount"_s);
            QVERIFY(amount);
            amount->setText(u"5"_s);
            auto *send = v->findChild<QAbstractButton *>(u"sendButton"_s);
            QVERIFY(send);
            QTRY_VERIFY(send->isEnabled());
            send->click();
            QTRY_COMPARE(v->historyModel()->rowCount(), 1);
            QCOMPARE(s->head(), 44);
        } else if (view == u"inspector") {
            auto *v = new InspectorView;
            w.reset(v);
            v->setSession(s);
            v->show();
            auto events = s->store()->readStream(u"account-1"_s);
            QVERIFY(events && events->size() == 2);
            v->showEvent(events->at(1));
        } else if (view == u"streams") {
            auto *v = new StreamsView;
            w.reset(v);
            v->setSession(s);
            v->show();
            v->selectStream(u"account-1"_s);
            QTRY_COMPARE(v->eventsModel()->rowCount(), 2);
        } else if (view == u"commandLog") {
            auto *v = new CommandLogView;
            w.reset(v);
            v->setSession(s);
            v->show();
            QTRY_COMPARE(v->logModel()->rowCount(), 43);
        } else if (view == u"timeTravel") {
            auto *v = new TimeTravelView;
            w.reset(v);
            v->setSession(s);
            v->show();
            v->showReplay(u"account-2"_s, 20);
            QTRY_COMPARE(v->version(), qint64(20));
            if (!editor.isEmpty())
                v->setCursorMode(TimeTravelView::CursorMode::Position);
        } else if (view == u"projections") {
            auto *v = new ProjectionsView;
            w.reset(v);
            v->setSession(s);
            v->show();
            v->selectProjection(u"Balances"_s);
            QTRY_COMPARE_WITH_TIMEOUT(v->rowsModel()->rowCount(), 2, 10000);
        } else if (view == u"pipeline") {
            auto *v = new PipelineView;
            w.reset(v);
            v->setSession(s);
            v->show();
            QVERIFY(run(s, u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 5}}));
            QTRY_VERIFY(v->flowModel()->rowCount() > 0);
        } else if (view == u"asOf") {
            auto *v = new AsOfView;
            w.reset(v);
            v->setSession(s);
            v->show();
            v->setAsOfPosition(2);
            QTRY_VERIFY(v->isHistorical());
        } else if (view == u"whatIf") {
            auto *v = new WhatIfView;
            w.reset(v);
            v->setSession(s);
            v->show();
            v->forkAt(2);
            QTRY_VERIFY(v->sandbox() && v->sandbox()->isReady());
        } else if (view == u"compare") {
            auto *v = new DomainCompareView;
            w.reset(v);
            v->setSession(s);
            v->show();
            QVERIFY2(v->setPackB(bankPack()), qPrintable(v->errorText()));
            v->compare();
            QTRY_VERIFY(!v->engine()->isRunning() && v->resultsModel()->rowCount() > 0);
        } else if (view == u"connect") {
            auto *v = new ConnectDialog;
            w.reset(v);
            v->show();
            QVERIFY(v->setUrl(u"postgresql://eventscope@localhost:5432/events"_s));
        } else if (view == u"mainWindow") {
            session.reset(); // the window opens the store itself
            auto *v = new MainWindow;
            w.reset(v);
            v->show();
            QVERIFY2(v->openStore(store, false, false, bankPack()), qPrintable(v->lastError()));
            // Every dock shown and showing something.
            const QList<QWidget *> docks = {v->console(),    v->inspector(),       v->streams(),  v->commandLog(),
                                            v->timeTravel(), v->projectionsView(), v->pipeline(), v->asOf(),
                                            v->whatIf(),     v->domainCompare()};
            for (QWidget *d : docks)
                v->showDockOf(d);
            QVERIFY(run(v->session(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 2}}));
            QTRY_COMPARE(v->timeline()->model()->rowCount(), 44);
            v->timeline()->revealPosition(2); // the inspector shows it
            QTRY_COMPARE(v->selectedPosition(), qint64(2));
            v->streams()->selectStream(u"account-1"_s);
            QTRY_COMPARE(v->streams()->eventsModel()->rowCount(), 3);
            v->timeTravel()->showReplay(u"account-2"_s, 20);
            QTRY_COMPARE(v->timeTravel()->version(), qint64(20));
            v->projectionsView()->selectProjection(u"Balances"_s);
            QTRY_COMPARE_WITH_TIMEOUT(v->projectionsView()->rowsModel()->rowCount(), 2, 10000);
            QTRY_VERIFY(v->pipeline()->flowModel()->rowCount() > 0);
            v->asOf()->setAsOfPosition(2);
            QTRY_VERIFY(v->asOf()->isHistorical());
            v->whatIf()->forkAt(3);
            QTRY_VERIFY(v->whatIf()->sandbox() && v->whatIf()->sandbox()->isReady());
            QVERIFY2(v->domainCompare()->setPackB(bankPack()), qPrintable(v->domainCompare()->errorText()));
            v->domainCompare()->compare();
            QTRY_VERIFY(!v->domainCompare()->engine()->isRunning() &&
                        v->domainCompare()->resultsModel()->rowCount() > 0);
        }
        QVERIFY(w);
        if (view != u"mainWindow")
            w->resize(640, 400);
        QVERIFY(typeInto(w.get(), editor));
        QVERIFY(w->isVisible());
        if (closeFirst) // as a user closes it: everything hides before anything goes
            QVERIFY(w->close());
        w.reset(); // else while shown

        if (!session) { // the window's store, closed with the window
            session = openTestSession(store);
            QVERIFY(session);
            s = session.get();
        }
        QVERIFY(run(s, u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}));
        QCOMPARE(s->store()->headPosition(), s->head());
        QVERIFY(s->store()->verify()->intact);
    }
};

QTEST_MAIN(TestTeardown)
#include "tst_teardown.moc"
