#include "bisect.h"
#include "blame.h"
#include "common/jsontreemodel.h"
#include "common/jsontreewidget.h"
#include "session.h"
#include "sessionsupport.h"
#include "timetravel.h"
#include "timetravel/statechangesmodel.h"
#include "timetravel/timetravelview.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QComboBox>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>

using namespace Qt::StringLiterals;
using namespace es;

class TestTimeTravel : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path) { return openTestSession(path); }

    static bool run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        Command c;
        c.type = type;
        c.stream = stream;
        c.payload = payload;
        c.metadata = {{u"actor"_s, u"tester"_s}};
        return s->execute(c).accepted();
    }

    // account-1: opened (v1), +100 (v2), +50 (v3), -30 (v4); account-2: opened.
    static std::unique_ptr<Session> bank(const QString &path = u":memory:"_s)
    {
        auto s = open(path);
        if (!s)
            return s;
        bool ok = run(s.get(), u"OpenAccount"_s, u"account-1"_s, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}});
        ok = ok && run(s.get(), u"OpenAccount"_s, u"account-2"_s, {{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"EUR"_s}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 100}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 50}});
        ok = ok && run(s.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 30}});
        if (!ok)
            qWarning() << "bank fixture failed";
        return s;
    }

    static void deposits(Session *s, const QString &stream, int count)
    {
        for (int i = 0; i < count; ++i)
            QVERIFY(run(s, u"Deposit"_s, stream, {{u"amount"_s, 1}}));
    }

    template <typename T> static T *child(QWidget *w, const QString &name)
    {
        T *c = w->findChild<T *>(name);
        if (!c)
            qWarning() << "no child" << name;
        return c;
    }

    static void selectPath(TimeTravelView &view, const QString &path)
    {
        const QModelIndex i = view.stateTree()->jsonModel()->indexOfPath(path);
        QVERIFY2(i.isValid(), qPrintable(path));
        view.stateTree()->setCurrentIndex(i);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(u"eventscope-tests"_s);
        QCoreApplication::setApplicationName(u"tst_timetravel"_s);
        QSettings().clear(); // remembered tabs and modes must not leak between runs
    }

    // --- model ---

    void pathsMatchTheJsonTree_data()
    {
        QTest::addColumn<QString>("parent");
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("index");
        QTest::newRow("top") << QString() << u"balance"_s << false;
        QTest::newRow("nested") << u"a.b"_s << u"c"_s << false;
        QTest::newRow("index") << u"items"_s << u"2"_s << true;
        QTest::newRow("odd key") << u"data"_s << u"odd key"_s << false;
        QTest::newRow("quote") << QString() << u"say \"hi\""_s << false;
    }
    void pathsMatchTheJsonTree()
    {
        QFETCH(QString, parent);
        QFETCH(QString, key);
        QFETCH(bool, index);
        QCOMPARE(jsonChildPath(parent, key, index), JsonTreeModel::childPath(parent, key, index));
    }

    void diffNamesAddedRemovedChanged()
    {
        const QJsonObject before{{u"a"_s, 1}, {u"gone"_s, true}, {u"o"_s, QJsonObject{{u"x"_s, 1}, {u"y"_s, 2}}},
                                 {u"list"_s, QJsonArray{1, 2}}};
        const QJsonObject after{{u"a"_s, 2}, {u"new"_s, u"n"_s}, {u"o"_s, QJsonObject{{u"x"_s, 1}, {u"y"_s, 3}}},
                                {u"list"_s, QJsonArray{1, 2, 3}}};
        QHash<QString, PathChange::Kind> got;
        for (const PathChange &c : diffStates(before, after))
            got.insert(c.path, c.kind);
        const QHash<QString, PathChange::Kind> expected{{u"a"_s, PathChange::Changed},
                                                        {u"new"_s, PathChange::Added},
                                                        {u"gone"_s, PathChange::Removed},
                                                        {u"o.y"_s, PathChange::Changed},
                                                        {u"list[2]"_s, PathChange::Added}};
        QCOMPARE(got, expected);
        QVERIFY(diffStates(before, before).isEmpty());
    }

    void blameNamesTheEventThatLastSetAField()
    {
        auto s = bank();
        QVERIFY(s);
        TimeTravel tt(s->store(), s->domain());
        auto h = tt.travelHistory(u"account-1"_s);
        QVERIFY2(h, qPrintable(h.error().message));
        QCOMPARE(h->lastVersion(), 4);
        const BlameEntry balance = h->blame.blame(u"balance"_s);
        QCOMPARE(balance.version, 4);
        QCOMPARE(balance.eventType, u"MoneyWithdrawn"_s);
        QCOMPARE(balance.position, h->eventAt(4)->position);
        QCOMPARE(balance.actor, u"tester"_s);
        QCOMPARE(h->blame.blame(u"balance"_s, 3).version, 3);
        QCOMPARE(h->blame.blame(u"balance"_s, 2).eventType, u"MoneyDeposited"_s);
        QVERIFY(h->blame.blame(u"balance"_s, 1).isInitial()); // opening leaves the balance at 0
        QCOMPARE(h->blame.blame(u"owner"_s).version, 1);
        QCOMPARE(h->blame.blame(u"owner"_s).eventType, u"AccountOpened"_s);
        QVERIFY(h->blame.blame(u"closed"_s).isInitial());
        QCOMPARE(h->blame.versionsOf(u"balance"_s), (QList<qint64>{2, 3, 4}));
        // The states and the cursor lookups agree with the store.
        QCOMPARE(h->stateAt(3).value(u"balance"_s).toDouble(), 150.0);
        QCOMPARE(h->stateAt(0), h->initial);
        QCOMPARE(h->versionAtPosition(h->eventAt(2)->position), 2);
        QCOMPARE(h->versionAtPosition(h->eventAt(1)->position + 1), 1); // account-2 opened in between: not ours
        QCOMPARE(h->versionAtPosition(0), 0);
        QCOMPARE(h->versionAtTime(h->eventAt(4)->recordedMs), 4);
        auto loaded = tt.atVersion(u"account-1"_s, 3);
        QVERIFY(loaded);
        QCOMPARE(loaded->state, h->stateAt(3));
    }

    void bisectFindsTheFirstVersion_data()
    {
        QTest::addColumn<QString>("predicate");
        QTest::addColumn<bool>("found");
        QTest::addColumn<qint64>("version");
        QTest::newRow("threshold") << u"s => s.balance >= 120"_s << true << qint64(3);
        QTest::newRow("not monotonic") << u"s => s.balance === 100"_s << true << qint64(2);
        QTest::newRow("from the start") << u"s => !s.closed"_s << true << qint64(0);
        QTest::newRow("function syntax") << u"function (s) { return s.owner === 'Ann'; }"_s << true << qint64(1);
        QTest::newRow("never") << u"s => s.balance < 0"_s << false << qint64(0);
    }
    void bisectFindsTheFirstVersion()
    {
        QFETCH(QString, predicate);
        QFETCH(bool, found);
        QFETCH(qint64, version);
        auto s = bank();
        auto p = StatePredicate::compile(predicate);
        QVERIFY2(p, qPrintable(p.error().message));
        auto fromStore = Bisect::firstTrue(s->store(), s->domain(), u"account-1"_s, **p);
        QVERIFY2(fromStore, qPrintable(fromStore.error().message));
        QCOMPARE(fromStore->found, found);
        if (found) {
            QCOMPARE(fromStore->version, version);
        } else {
            QCOMPARE(fromStore->checked, 5);
        }
        TimeTravel tt(s->store(), s->domain());
        auto h = tt.travelHistory(u"account-1"_s);
        QVERIFY(h);
        auto fromHistory = Bisect::firstTrue(h->initial, h->steps, **p);
        QVERIFY(fromHistory);
        QCOMPARE(fromHistory->found, found);
        QCOMPARE(fromHistory->version, fromStore->version);
        QCOMPARE(fromHistory->position, fromStore->position);
    }

    void predicateErrorsAreReported_data()
    {
        QTest::addColumn<QString>("predicate");
        QTest::addColumn<QString>("message");
        QTest::addColumn<bool>("atCompile");
        QTest::newRow("syntax") << u"s => s.balance <"_s << u"SyntaxError"_s << true;
        QTest::newRow("not a function") << u"42"_s << u"must be a function"_s << true;
        QTest::newRow("empty") << u"  "_s << u"empty"_s << true;
        QTest::newRow("throws") << u"s => s.missing.field"_s << u"TypeError"_s << false;
        QTest::newRow("runaway") << u"s => { while (true) {} }"_s << u"interrupted"_s << false;
    }
    void predicateErrorsAreReported()
    {
        QFETCH(QString, predicate);
        QFETCH(QString, message);
        QFETCH(bool, atCompile);
        auto p = StatePredicate::compile(predicate, 200);
        if (atCompile) {
            QVERIFY(!p);
            QVERIFY2(p.error().message.contains(message), qPrintable(p.error().message));
            return;
        }
        QVERIFY2(p, qPrintable(p.error().message));
        auto s = bank();
        auto r = Bisect::firstTrue(s->store(), s->domain(), u"account-1"_s, **p);
        QVERIFY(!r);
        QVERIFY2(r.error().message.contains(message), qPrintable(r.error().message));
        QVERIFY2(r.error().message.contains(u"version 0"_s), qPrintable(r.error().message));
        // The engine is usable again after an interruption.
        auto again = StatePredicate::compile(u"s => true"_s);
        QVERIFY(again && (*again)->test({}).value());
    }

    void snapshotMarkerWhenOneWasUsed()
    {
        auto s = bank();
        deposits(s.get(), u"account-2"_s, 104); // versions 2..105: the pipeline snapshots at 100
        TimeTravel tt(s->store(), s->domain());
        auto at103 = tt.atVersion(u"account-2"_s, 103);
        QVERIFY(at103);
        QVERIFY(at103->usedSnapshot());
        QCOMPARE(at103->snapshotVersion, 100);
        auto at50 = tt.atVersion(u"account-2"_s, 50);
        QVERIFY(at50 && !at50->usedSnapshot());
        tt.setUseSnapshots(false);
        QVERIFY(!tt.atVersion(u"account-2"_s, 103)->usedSnapshot());

        auto h = TimeTravel(s->store(), s->domain()).travelHistory(u"account-2"_s);
        QVERIFY(h);
        QCOMPARE(h->snapshotVersions, (QList<qint64>{100}));
        QVERIFY(h->mismatchedSnapshots.isEmpty());
        QCOMPARE(h->snapshotFor(103), 100);
        QCOMPARE(h->snapshotFor(99), 0);
        QCOMPARE(h->stateAt(103), at103->state);

        TimeTravelView view;
        view.setSession(s.get());
        view.showReplay(u"account-2"_s, 103);
        auto *marker = child<QLabel>(&view, u"travelSnapshot"_s);
        QVERIFY(!marker->isHidden());
        QVERIFY2(marker->text().contains(u"v100"_s), qPrintable(marker->text()));
        QVERIFY(marker->text().contains(u"3 event"_s));
        view.setVersion(50);
        QVERIFY(marker->isHidden());
    }

    // --- the view ---

    void viewStepsThroughAStream()
    {
        auto s = bank();
        TimeTravelView view;
        QAbstractItemModelTester tester(view.changesModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester treeTester(view.stateTree()->jsonModel(),
                                            QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(s.get());
        QSignalSpy reveal(&view, &TimeTravelView::revealEventRequested);

        // Typing a stream and pressing Enter opens it at its last version.
        auto *edit = child<QLineEdit>(&view, u"travelStream"_s);
        edit->setText(u"account-1"_s);
        QTest::keyClick(edit, Qt::Key_Return);
        QCOMPARE(view.stream(), u"account-1"_s);
        QCOMPARE(view.version(), 4);
        QCOMPARE(view.state().value(u"balance"_s).toDouble(), 120.0);
        QVERIFY(child<QLabel>(&view, u"travelTitle"_s)->text().contains(u"4 events"_s));

        // The event at the cursor and what it changed.
        QVERIFY(child<QLabel>(&view, u"travelEvent"_s)->text().contains(u"MoneyWithdrawn"_s));
        QCOMPARE(view.changesModel()->rowCount(), 1);
        QCOMPARE(view.changesModel()->rowAt(0).path, u"balance"_s);
        QCOMPARE(view.changesModel()->rowAt(0).before.toDouble(), 150.0);
        QCOMPARE(view.stateTree()->jsonModel()->changedPaths(), QStringList{u"balance"_s});

        // Step back and forward with the toolbar.
        QTest::mouseClick(child<QToolButton>(&view, u"travelBackButton"_s), Qt::LeftButton);
        QCOMPARE(view.version(), 3);
        QCOMPARE(child<QSlider>(&view, u"travelSlider"_s)->value(), 3);
        QCOMPARE(child<QSpinBox>(&view, u"travelVersion"_s)->value(), 3);
        QTest::mouseClick(child<QToolButton>(&view, u"travelFirstButton"_s), Qt::LeftButton);
        QCOMPARE(view.version(), 0);
        QCOMPARE(view.state(), view.history()->initial);
        QCOMPARE(view.changesModel()->rowCount(), 0);
        QVERIFY(!child<QToolButton>(&view, u"travelBackButton"_s)->isEnabled());
        QTest::mouseClick(child<QToolButton>(&view, u"travelForwardButton"_s), Qt::LeftButton);
        QCOMPARE(view.version(), 1);
        QVERIFY(view.changesModel()->rowCount() >= 3); // open, owner, currency
        child<QSlider>(&view, u"travelSlider"_s)->setValue(2);
        QCOMPARE(view.version(), 2);

        // By global position: account-2's event does not move account-1's cursor.
        auto *mode = child<QComboBox>(&view, u"travelMode"_s);
        mode->setCurrentIndex(int(TimeTravelView::CursorMode::Position));
        auto *position = child<QSpinBox>(&view, u"travelPosition"_s);
        QVERIFY(position->isVisible() || !view.isVisible());
        position->setValue(int(view.history()->eventAt(3)->position) + 0);
        Q_EMIT position->editingFinished();
        QCOMPARE(view.version(), 3);
        view.setPosition(2); // account-2 opened at position 2
        QCOMPARE(view.version(), 1);
        mode->setCurrentIndex(int(TimeTravelView::CursorMode::Version));

        // Reveal the event at the cursor.
        QTest::mouseClick(child<QToolButton>(&view, u"travelReveal"_s), Qt::LeftButton);
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), view.history()->eventAt(1)->position);

        // Blame: select balance at v4, jump to the event that set it.
        view.last();
        view.setVersion(4);
        selectPath(view, u"owner"_s);
        auto *blame = child<QLabel>(&view, u"travelBlame"_s);
        QVERIFY2(blame->text().contains(u"v1 AccountOpened"_s), qPrintable(blame->text()));
        QTest::mouseClick(child<QPushButton>(&view, u"travelBlameGo"_s), Qt::LeftButton);
        QCOMPARE(view.version(), 1);
        view.setVersion(3);
        selectPath(view, u"balance"_s);
        QVERIFY2(blame->text().contains(u"v3 MoneyDeposited"_s), qPrintable(blame->text()));
        QCOMPARE(child<QListWidget>(&view, u"travelBlameHistory"_s)->count(), 3);
        view.setVersion(4); // the selection follows the cursor
        QCOMPARE(view.stateTree()->currentPath(), u"balance"_s);
        QVERIFY2(blame->text().contains(u"v4 MoneyWithdrawn"_s), qPrintable(blame->text()));
        view.setVersion(2);
        view.stateTree()->findChild<QAction *>(u"travelBlameAction"_s)->trigger();
        QCOMPARE(view.version(), 2); // balance was set by v2 itself

        // A stream that does not exist is named.
        edit->setText(u"account-404"_s);
        QTest::keyClick(edit, Qt::Key_Return);
        QVERIFY(child<QLabel>(&view, u"travelMessage"_s)->text().contains(u"account-404"_s));
        QCOMPARE(view.stream(), u"account-1"_s);
    }

    void viewFollowsAppendsAtTheEnd()
    {
        auto s = bank();
        TimeTravelView view;
        view.setSession(s.get());
        view.showReplay(u"account-1"_s, 4);
        QVERIFY(run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}));
        QCOMPARE(view.history()->lastVersion(), 5);
        QCOMPARE(view.version(), 5);
        view.setVersion(2);
        QVERIFY(run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}));
        QCOMPARE(view.history()->lastVersion(), 6);
        QCOMPARE(view.version(), 2); // a cursor in the past stays where it is
    }

    void playAdvancesTheCursor()
    {
        auto s = bank();
        TimeTravelView view;
        view.setSession(s.get());
        view.showReplay(u"account-1"_s, 0);
        child<QSpinBox>(&view, u"travelSpeed"_s)->setValue(20);
        QSignalSpy moved(&view, &TimeTravelView::cursorChanged);
        QTest::mouseClick(child<QToolButton>(&view, u"travelPlayButton"_s), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(view.version(), 4, 10000);
        QTRY_VERIFY(!view.findChild<QAction *>(u"travelPlay"_s)->isChecked()); // stops at the end
        QCOMPARE(moved.count(), 4);
    }

    void bisectFromTheView()
    {
        auto s = bank();
        TimeTravelView view;
        view.setSession(s.get());
        view.showReplay(u"account-1"_s, 0);
        QSignalSpy done(&view, &TimeTravelView::bisectFinished);
        auto *predicate = child<QLineEdit>(&view, u"travelPredicate"_s);
        auto *result = child<QLabel>(&view, u"travelBisectResult"_s);

        predicate->setText(u"s => s.balance >= 120"_s);
        QTest::mouseClick(child<QPushButton>(&view, u"travelFind"_s), Qt::LeftButton);
        QTRY_COMPARE(done.count(), 1);
        QCOMPARE(done.at(0).at(0).toBool(), true);
        QCOMPARE(view.version(), 3);
        QVERIFY2(result->text().contains(u"v3"_s), qPrintable(result->text()));

        predicate->setText(u"s => s.balance <"_s);
        QTest::keyClick(predicate, Qt::Key_Return);
        QTRY_COMPARE(done.count(), 2);
        QVERIFY2(result->text().contains(u"SyntaxError"_s), qPrintable(result->text()));
        QCOMPARE(view.version(), 3);

        predicate->setText(u"s => s.balance < 0"_s);
        QTest::mouseClick(child<QPushButton>(&view, u"travelFind"_s), Qt::LeftButton);
        QTRY_COMPARE(done.count(), 3);
        QVERIFY2(result->text().contains(u"Never true"_s), qPrintable(result->text()));
    }

    void longStreamsLoadInAWorker()
    {
        const QString path = m_dir.filePath(u"long.db"_s);
        {
            auto s = bank(path);
            QVERIFY(s);
            deposits(s.get(), u"account-2"_s, 600);
        }
        auto s = open(path);
        QVERIFY(s);
        TimeTravelView view;
        view.setSession(s.get());
        QSignalSpy loaded(&view, &TimeTravelView::historyLoaded);
        view.showReplay(u"account-2"_s, 250);
        QVERIFY(view.isBusy()); // not on the GUI thread
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, 60000);
        QCOMPARE(view.history()->lastVersion(), 601);
        QCOMPARE(view.version(), 250);
        QCOMPARE(view.state().value(u"balance"_s).toDouble(), 249.0);
        QCOMPARE(view.history()->snapshotVersions, (QList<qint64>{100, 200, 300, 400, 500, 600}));
        QVERIFY(!view.isBusy());

        // A slow predicate over the long stream is cancelled from the view.
        QSignalSpy done(&view, &TimeTravelView::bisectFinished);
        child<QLineEdit>(&view, u"travelPredicate"_s)
            ->setText(u"s => { const t = Date.now(); while (Date.now() - t < 5) {} return false; }"_s);
        QTest::mouseClick(child<QPushButton>(&view, u"travelFind"_s), Qt::LeftButton);
        QVERIFY(view.isBusy());
        QTest::mouseClick(child<QToolButton>(&view, u"travelCancel"_s), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(done.count(), 1, 30000);
        QCOMPARE(done.at(0).at(2).toString(), u"cancelled"_s);
        QVERIFY(child<QLabel>(&view, u"travelBisectResult"_s)->text().contains(u"Cancelled"_s));

        view.resize(1100, 640);
        view.setVersion(201);
        selectPath(view, u"balance"_s);
        child<QTabWidget>(&view, u"travelTabs"_s)->setCurrentIndex(1); // blame
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.grab().save(m_dir.filePath(u"timetravel.png"_s));
        if (qEnvironmentVariableIsSet("ES_SCREENSHOT_DIR"))
            view.grab().save(qEnvironmentVariable("ES_SCREENSHOT_DIR") + u"/timetravel.png"_s);
    }
};

QTEST_MAIN(TestTimeTravel)
#include "tst_timetravel.moc"
