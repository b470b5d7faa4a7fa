#include "common/eventlistmodel.h"
#include "session.h"
#include "streams/streamsfilterproxy.h"
#include "streams/streamsmodel.h"
#include "streams/streamsview.h"
#include "sessionsupport.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using namespace es;

class TestStreams : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static std::unique_ptr<Session> open(const QString &path) { return openTestSession(path); }

    static CommandResult run(Session *s, const QString &type, const QString &stream, const QJsonObject &payload)
    {
        return runCommand(s, type, stream, payload);
    }

    static void openAccount(Session *s, const QString &stream)
    {
        QVERIFY(run(s, u"OpenAccount"_s, stream, {{u"owner"_s, u"Ann"_s}, {u"currency"_s, u"EUR"_s}}).accepted());
    }

    static QStringList column(QAbstractItemModel *m, int col)
    {
        QStringList out;
        for (int r = 0; r < m->rowCount(); ++r)
            out << m->index(r, col).data().toString();
        return out;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void listsStreamsNaturallySorted()
    {
        auto session = open(u":memory:"_s);
        for (const QString &s : {u"account-10"_s, u"account-2"_s, u"account-1"_s})
            openAccount(session.get(), s);
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 5}}).accepted());
        StreamsView view;
        QAbstractItemModelTester modelTester(view.streamsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QAbstractItemModelTester proxyTester(view.proxy(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        view.setSession(session.get());
        QCOMPARE(column(view.proxy(), StreamsModel::StreamColumn),
                 (QStringList{u"account-1"_s, u"account-2"_s, u"account-10"_s}));
        QCOMPARE(column(view.proxy(), StreamsModel::TypeColumn), (QStringList(3, u"Account"_s)));
        QCOMPARE(column(view.proxy(), StreamsModel::VersionColumn), (QStringList{u"1"_s, u"2"_s, u"1"_s}));
        QVERIFY(!view.proxy()->index(0, StreamsModel::LastActivityColumn).data().toString().isEmpty());
        QVERIFY(view.findChild<QLabel *>(u"streamCount"_s)->text().contains(u"3 streams"_s));
        view.setSession(nullptr);
        QCOMPARE(view.streamsModel()->rowCount(), 0);
    }

    void naturalOrder_data()
    {
        QTest::addColumn<QString>("a");
        QTest::addColumn<QString>("b");
        QTest::newRow("numbers by value") << u"account-2"_s << u"account-10"_s;
        QTest::newRow("case-insensitive") << u"Alpha"_s << u"beta"_s;
        QTest::newRow("prefix first") << u"acc"_s << u"account"_s;
        QTest::newRow("long numbers") << u"x-99999999999999999998"_s << u"x-99999999999999999999"_s;
        QTest::newRow("leading zeros") << u"v007"_s << u"v10"_s;
    }
    void naturalOrder()
    {
        QFETCH(QString, a);
        QFETCH(QString, b);
        QVERIFY(StreamsFilterProxy::naturalCompare(a, b) < 0);
        QVERIFY(StreamsFilterProxy::naturalCompare(b, a) > 0);
        QCOMPARE(StreamsFilterProxy::naturalCompare(a, a), 0);
    }

    void followsAppendsIncrementally()
    {
        auto session = open(u":memory:"_s);
        openAccount(session.get(), u"account-1"_s);
        StreamsView view;
        view.setSession(session.get());
        QAbstractItemModelTester tester(view.streamsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy reset(view.streamsModel(), &QAbstractItemModel::modelReset);
        QSignalSpy inserted(view.streamsModel(), &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(view.streamsModel(), &QAbstractItemModel::dataChanged);

        QVERIFY(run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 5}}).accepted());
        QCOMPARE(changed.count(), 1);
        const int row = view.streamsModel()->rowOf(u"account-1"_s);
        QCOMPARE(view.streamsModel()->rowAt(row).version, 2);

        openAccount(session.get(), u"account-2"_s);
        QCOMPARE(inserted.count(), 1);
        const int fresh = view.streamsModel()->rowOf(u"account-2"_s);
        QCOMPARE(view.streamsModel()->rowAt(fresh).type, u"Account"_s);
        // A transfer touches two streams in one go (the command and its reaction).
        QVERIFY(run(session.get(), u"SendTransfer"_s, u"account-1"_s, {{u"to"_s, u"account-2"_s}, {u"amount"_s, 1}})
                    .accepted());
        QCOMPARE(view.streamsModel()->rowAt(row).version, 3);
        QCOMPARE(view.streamsModel()->rowAt(fresh).version, 2);
        QCOMPARE(reset.count(), 0);
    }

    void followsAnotherWriter()
    {
        const QString path = m_dir.filePath(u"shared.db"_s);
        auto mine = open(path);
        auto theirs = open(path);
        QVERIFY(mine && theirs);
        StreamsView view;
        view.setSession(mine.get());
        QSignalSpy reset(view.streamsModel(), &QAbstractItemModel::modelReset);
        openAccount(theirs.get(), u"account-9"_s);
        QTRY_COMPARE_WITH_TIMEOUT(view.streamsModel()->rowOf(u"account-9"_s), 0, 5000);
        QCOMPARE(reset.count(), 0);
    }

    void filters()
    {
        auto session = open(u":memory:"_s);
        for (const QString &s : {u"account-1"_s, u"account-2"_s, u"savings-1"_s})
            openAccount(session.get(), s);
        StreamsView view;
        view.setSession(session.get());
        auto *filter = view.findChild<QLineEdit *>(u"streamFilter"_s);
        auto *mode = view.findChild<QComboBox *>(u"filterMode"_s);
        QTest::keyClicks(filter, u"-1"_s);
        QCOMPARE(column(view.proxy(), StreamsModel::StreamColumn), (QStringList{u"account-1"_s, u"savings-1"_s}));
        QVERIFY(view.findChild<QLabel *>(u"streamCount"_s)->text().contains(u"2 of 3"_s));
        mode->setCurrentIndex(mode->findData(int(StreamsFilterProxy::Mode::Prefix)));
        QCOMPARE(view.proxy()->rowCount(), 0); // nothing starts with "-1"
        filter->setText(u"ACC"_s);             // case-insensitive
        QCOMPARE(column(view.proxy(), StreamsModel::StreamColumn), (QStringList{u"account-1"_s, u"account-2"_s}));
        // Contains also matches the type.
        mode->setCurrentIndex(mode->findData(int(StreamsFilterProxy::Mode::Contains)));
        filter->setText(u"account"_s);
        QCOMPARE(view.proxy()->rowCount(), 3);
        // A new stream that matches shows up under the filter.
        filter->setText(u"savings"_s);
        openAccount(session.get(), u"savings-2"_s);
        QCOMPARE(column(view.proxy(), StreamsModel::StreamColumn), (QStringList{u"savings-1"_s, u"savings-2"_s}));
    }

    void selectingShowsEvents()
    {
        auto session = open(u":memory:"_s);
        openAccount(session.get(), u"account-1"_s);
        openAccount(session.get(), u"account-2"_s);
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 5}}).accepted());
        StreamsView view;
        view.setSession(session.get());
        QAbstractItemModelTester tester(view.eventsModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy activated(&view, &StreamsView::streamActivated);
        QSignalSpy reveal(&view, &StreamsView::revealEventRequested);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        auto *table = view.findChild<QTableView *>(u"streamsTable"_s);
        const QRect r = table->visualRect(view.proxy()->index(1, 0));
        QTest::mouseClick(table->viewport(), Qt::LeftButton, {}, r.center());
        QCOMPARE(activated.count(), 1);
        QCOMPARE(activated.at(0).at(0).toString(), u"account-2"_s);
        QCOMPARE(view.currentStream(), u"account-2"_s);
        QCOMPARE(view.eventsModel()->rowCount(), 2);
        QCOMPARE(view.eventsModel()->rowAt(1).type, u"MoneyDeposited"_s);
        QVERIFY(view.findChild<QLabel *>(u"streamEventsTitle"_s)->text().contains(u"account-2"_s));

        // New events of the selected stream join its list without a reset.
        QSignalSpy reset(view.eventsModel(), &QAbstractItemModel::modelReset);
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-2"_s, {{u"amount"_s, 1}}).accepted());
        QVERIFY(run(session.get(), u"Deposit"_s, u"account-1"_s, {{u"amount"_s, 1}}).accepted());
        QCOMPARE(view.eventsModel()->rowCount(), 3);
        QCOMPARE(reset.count(), 0);

        // Activating an event asks for it in the timeline.
        auto *events = view.findChild<QTableView *>(u"streamEvents"_s);
        Q_EMIT events->activated(view.eventsModel()->index(0, 0));
        QCOMPARE(reveal.count(), 1);
        QCOMPARE(reveal.at(0).at(0).toLongLong(), 2);

        // The main window's selectStream selects without echoing streamActivated, clearing a filter in the way.
        view.findChild<QLineEdit *>(u"streamFilter"_s)->setText(u"account-2"_s);
        view.selectStream(u"account-1"_s);
        QCOMPARE(view.currentStream(), u"account-1"_s);
        QCOMPARE(view.eventsModel()->rowAt(0).stream, u"account-1"_s);
        QCOMPARE(table->currentIndex().data().toString(), u"account-1"_s);
        QCOMPARE(activated.count(), 1);
    }
};

QTEST_MAIN(TestStreams)
#include "tst_streams.moc"
