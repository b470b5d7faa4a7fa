#include "asof.h"
#include "asof/asofstreamsmodel.h"
#include "asof/asofview.h"
#include "common/jsontreewidget.h"
#include "projectionrunner.h"
#include "session.h"
#include "sessionsupport.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

class TestAsOf : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path) { return openTestSession(path); }

    static bool run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(s, type, stream, payload).accepted();
    }

    // Positions: 1 account-1 opened, 2 account-2 opened, 3 account-1 +100,
    // 4 account-2 +40, 5 account-1 -30, 6 account-3 opened.
    static std::unique_ptr<Session> bank(const QString &path = u":memory:"_s)
    {
        auto s = open(path);
        if (!s)
            return s;
        const QJsonObject ann{{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}};
        const QJsonObject bob{{u"owner"_s, u"Bob"_s}, {u"currency"_s, u"USD"_s}};
        bool ok = run(s.get(), u"OpenAccount"_s, u"account-1"_s, ann);
        ok = ok && run(s.get(), u"OpenAccount"_s, u"account-2"_s, bob);
        ok = ok && run(s.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 100}});
        ok = ok && run(s.get(), u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 40}});
        ok = ok && run(s.get(), u"Withdraw"_s, u"account-1"_s, {{u"amount"_s, 30}});
        ok = ok && run(s.get(), u"OpenAccount"_s, u"account-3"_s, ann);
        if (!ok || s->head() != 6)
            qWarning() << "bank fixture failed";
        return s;
    }

    static QJsonArray expectedRows(Session *s, qint64 position)
    {
        auto built = ProjectionRunner::buildAsOf(s->store(), s->domain(), position, {u"Balances"_s});
        if (!built) {
            qWarning() << built.error().message;
            return {};
        }
        auto rows = (*built)->dump(u"Balances"_s);
        return rows ? *rows : QJsonArray();
    }

    static QHash<QString, qint64> versions(const QList<AsOfStream> &rows)
    {
        QHash<QString, qint64> out;
        for (const AsOfStream &r : rows)
            out.insert(r.stream, r.version);
        return out;
    }

    static QHash<QString, qint64> versions(AsOfStreamsModel *m) { return versions(m->rows()); }

    template <typename T> static T *child(QWidget *w, const QString &name)
    {
        T *c = w->findChild<T *>(name);
        if (!c)
            qWarning() << "no child" << name;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QCoreApplication::setOrganizationName(u"eventscope-tests"_s);
        QCoreApplication::setApplicationName(u"tst_asof"_s);
        QSettings().clear(); // remembered tabs and modes must not leak between runs
    }

    void streamsAsOfAPosition()
    {
        auto s = bank();
        auto at0 = AsOf::streams(s->store(), 0);
        QVERIFY(at0 && at0->isEmpty());
        auto at3 = AsOf::streams(s->store(), 3);
        QVERIFY2(at3, qPrintable(at3.error().message));
        QCOMPARE(versions(*at3), (QHash<QString, qint64>{{u"account-1"_s, 2}, {u"account-2"_s, 1}}));
        for (const AsOfStream &r : *at3) {
            QCOMPARE(r.type, u"Account"_s);
            QVERIFY(r.lastPosition <= 3);
        }
        auto head = AsOf::streams(s->store(), 6);
        QCOMPARE(versions(*head), (QHash<QString, qint64>{{u"account-1"_s, 3}, {u"account-2"_s, 2}, {u"account-3"_s, 1}}));
    }

    void projectionRowsEqualBuildAsOf()
    {
        auto s = bank();
        for (qint64 p : {0, 1, 3, 4, 6}) {
            auto rows = AsOf::projectionRows(s->store(), s->domain(), u"Balances"_s, p);
            QVERIFY2(rows, qPrintable(rows.error().message));
            QCOMPARE(rows->rows, expectedRows(s.get(), p));
        }
        auto at3 = AsOf::projectionRows(s->store(), s->domain(), u"Balances"_s, 3);
        QCOMPARE(at3->rows.size(), 2);
        auto missing = AsOf::projectionRows(s->store(), s->domain(), u"Nope"_s, 3);
        QVERIFY(!missing);
        QVERIFY2(missing.error().message.contains(u"Nope"_s), qPrintable(missing.error().message));
        int calls = 0;
        auto cancelled = AsOf::projectionRows(s->store(), s->domain(), u"Balances"_s, 6, [&](qint64, qint64) {
            return ++calls < 3;
        });
        QVERIFY(!cancelled);
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }

    void viewTravelsAndComesBackLive()
    {
        auto s = bank();
        AsOfView view;
        view.resize(900, 500);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QAbstractItemModelTester streamsTester(view.streamsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester rowsTester(view.rowsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(s.get());
        QSignalSpy historical(&view, &AsOfView::historicalChanged);
        QSignalSpy replay(&view, &AsOfView::replayRequested);
        auto *banner = child<QLabel>(&view, u"asOfBanner"_s);
        auto *live = child<QPushButton>(&view, u"asOfLive"_s);
        QVERIFY(!view.isHistorical());
        QVERIFY(banner->text().contains(u"LIVE"_s));
        QVERIFY(!live->isEnabled());
        QCOMPARE(view.position(), 6);
        QCOMPARE(versions(view.streamsModel()).value(u"account-1"_s), 3);

        // Into the past by typing a position.
        child<QSpinBox>(&view, u"asOfPosition"_s)->setValue(3);
        QVERIFY(view.isHistorical());
        QCOMPARE(view.position(), 3);
        QVERIFY(banner->text().contains(u"HISTORICAL"_s));
        QVERIFY(banner->text().contains(u"#3"_s));
        QVERIFY(live->isEnabled());
        QCOMPARE(historical.count(), 1);
        QCOMPARE(historical.at(0).at(0).toBool(), true);
        QCOMPARE(versions(view.streamsModel()),
                 (QHash<QString, qint64>{{u"account-1"_s, 2}, {u"account-2"_s, 1}}));

        // The aggregate as of the cursor, from the streams table.
        auto *table = child<QTableView>(&view, u"asOfStreams"_s);
        QModelIndex account1;
        for (int r = 0; r < table->model()->rowCount(); ++r) {
            if (table->model()->index(r, 0).data().toString() == u"account-1"_s)
                account1 = table->model()->index(r, 0);
        }
        QVERIFY(account1.isValid());
        table->setCurrentIndex(account1);
        Q_EMIT table->activated(account1);
        QCOMPARE(child<QTabWidget>(&view, u"asOfTabs"_s)->currentIndex(), int(AsOfView::AggregateTab));
        QCOMPARE(view.aggregateStream(), u"account-1"_s);
        QCOMPARE(view.aggregateState().value(u"balance"_s).toDouble(), 100.0);
        QVERIFY(child<QLabel>(&view, u"asOfAggregateInfo"_s)->text().contains(u"version 2"_s));
        QTest::mouseClick(child<QPushButton>(&view, u"asOfReplay"_s), Qt::LeftButton);
        QCOMPARE(replay.count(), 1);
        QCOMPARE(replay.at(0).at(0).toString(), u"account-1"_s);
        QCOMPARE(replay.at(0).at(1).toLongLong(), 2);

        // Projections as of the cursor (an in-memory store: built inline).
        QSignalSpy built(&view, &AsOfView::projectionBuilt);
        child<QTabWidget>(&view, u"asOfTabs"_s)->setCurrentIndex(AsOfView::ProjectionsTab);
        QTRY_VERIFY2(built.count() == 1, qPrintable(child<QLabel>(&view, u"asOfProjectionInfo"_s)->text()));
        QCOMPARE(view.projection(), u"Balances"_s);
        QCOMPARE(view.rowsModel()->rows(), expectedRows(s.get(), 3));
        QCOMPARE(view.rowsModel()->rowCount(), 2);
        QVERIFY(view.rowsModel()->fields().contains(u"balance"_s));

        // Moving the cursor rebuilds what is shown.
        view.setAsOfPosition(5);
        QTRY_COMPARE(built.count(), 2);
        QCOMPARE(view.rowsModel()->rows(), expectedRows(s.get(), 5));
        QCOMPARE(view.aggregateState().value(u"balance"_s).toDouble(), 70.0);

        // New events while in the past: the cursor stays, the banner counts them.
        QVERIFY(run(s.get(), u"Deposit"_s, u"account-3"_s, {{u"amount"_s, 7}}));
        QCOMPARE(view.position(), 5);
        QVERIFY(banner->text().contains(u"#7"_s));

        // Back to live in one click.
        QTest::mouseClick(live, Qt::LeftButton);
        QVERIFY(!view.isHistorical());
        QVERIFY(banner->text().contains(u"LIVE"_s));
        QVERIFY(!banner->text().contains(u"HISTORICAL"_s));
        QCOMPARE(view.position(), 7);
        QCOMPARE(historical.constLast().at(0).toBool(), false);
        QCOMPARE(versions(view.streamsModel()).value(u"account-3"_s), 2);
        QCOMPARE(view.aggregateState().value(u"balance"_s).toDouble(), 70.0);

        // Time cursor: the last event at or before the time.
        const qint64 ms = s->store()->readForward(2, 1)->constFirst().recordedMs;
        view.setAsOfTime(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC));
        QVERIFY(view.isHistorical());
        QVERIFY(view.position() >= 2);
        QCOMPARE(view.position(), s->store()->positionAtTime(ms));
    }

    void projectionsBuildInAWorker()
    {
        const QString path = m_dir.filePath(u"asof.db"_s);
        {
            auto s = bank(path);
            QVERIFY(s);
            for (int i = 0; i < 40; ++i)
                QVERIFY(run(s.get(), u"Deposit"_s, u"account-%1"_s.arg(1 + i % 3), {{u"amount"_s, 1 + i}}));
        }
        auto s = open(path);
        QVERIFY(s);
        AsOfView view;
        view.setSession(s.get());
        QSignalSpy streams(&view, &AsOfView::streamsLoaded);
        QSignalSpy built(&view, &AsOfView::projectionBuilt);
        view.setAsOfPosition(30);
        QTRY_VERIFY(!streams.isEmpty() && streams.constLast().at(0).toLongLong() == 30);
        QCOMPARE(view.streamsModel()->rowCount(), 3);
        view.setProjection(u"Balances"_s);
        view.buildProjection();
        QVERIFY(view.isBuilding()); // a file store: the build runs in a worker
        QTRY_COMPARE_WITH_TIMEOUT(built.count(), 1, 30000);
        QCOMPARE(built.at(0).at(1).toLongLong(), 30);
        QCOMPARE(view.rowsModel()->rows(), expectedRows(s.get(), 30));

        view.resize(1000, 560);
        child<QTabWidget>(&view, u"asOfTabs"_s)->setCurrentIndex(AsOfView::ProjectionsTab);
        QCOMPARE(built.count(), 1); // built for this cursor already: not again
        view.setAsOfPosition(40);   // with the tab showing, a new cursor rebuilds
        QTRY_COMPARE_WITH_TIMEOUT(built.count(), 2, 30000);
        QCOMPARE(view.rowsModel()->rows(), expectedRows(s.get(), 40));
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        if (qEnvironmentVariableIsSet("ES_SCREENSHOT_DIR"))
            view.grab().save(qEnvironmentVariable("ES_SCREENSHOT_DIR") + u"/asof.png"_s);
    }
};

QTEST_MAIN(TestAsOf)
#include "tst_asof.moc"
